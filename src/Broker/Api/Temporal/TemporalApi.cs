using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Api.Entities;
using Broker.Api.Http;
using Broker.Entities.Representation;
using Broker.Federation.Distributed;
using Broker.Problems;
using Broker.Storage;
using Broker.Temporal;
using Ontology.Model;

namespace Broker.Api.Temporal;

/// <summary>The temporal resources of clause 6.18–6.22 and 6.24: /temporal/entities[/{id}[/attrs[/{attrId}[/{instanceId}]]]], /temporal/entityOperations/query.</summary>
public static class TemporalApi
{
    private const string Resource = "/ngsi-ld/v1/temporal/entities";

    private static readonly HashSet<string> QueryParameterNames =
    [
        "id", "type", "idPattern", "attrs", "q", "csf", "georel", "geometry", "coordinates", "geoproperty", "scopeQ",
        "timerel", "timeAt", "endTimeAt", "timeproperty", "lastN", "options", "format", "aggrMethods", "aggrPeriodDuration",
        "lang", "limit", "offset", "count", "local", "datasetId", "pick", "omit", "orderBy",
    ];

    private static readonly HashSet<string> RetrieveParameterNames =
    [
        "attrs", "timerel", "timeAt", "endTimeAt", "timeproperty", "lastN", "options", "format", "aggrMethods", "aggrPeriodDuration",
        "lang", "local", "datasetId", "pick", "omit",
    ];

    /// <summary>The parameters of a temporal retrieval or query a context source is asked with (it answers normalized, not aggregated).</summary>
    private static readonly HashSet<string> ForwardedParameterNames =
    [
        "id", "type", "idPattern", "attrs", "q", "georel", "geometry", "coordinates", "geoproperty", "scopeQ",
        "timerel", "timeAt", "endTimeAt", "timeproperty", "lastN", "datasetId",
    ];

    private static readonly HashSet<string> QueryPostParameterNames = ["limit", "offset", "count", "options", "format", "aggrMethods", "aggrPeriodDuration", "lang", "local"];

    private static readonly HashSet<string> NoParameters = [];

    private static readonly HashSet<string> DeleteAttributeParameters = ["datasetId", "deleteAll"];

    public static void MapTemporalApi(this IEndpointRouteBuilder routes)
    {
        if (!routes.ServiceProvider.GetRequiredService<TemporalOptions>().Enabled)
        {
            routes.Map("/ngsi-ld/v1/temporal/{**rest}", Disabled);
            return;
        }
        routes.MapPost("/ngsi-ld/v1/temporal/entityOperations/query", QueryPost);
        var group = routes.MapGroup(Resource);
        group.MapGet("/", Query);
        group.MapPost("/", CreateOrUpdate);
        group.MapGet("/{entityId}", Retrieve);
        group.MapDelete("/{entityId}", DeleteEntity);
        group.MapPost("/{entityId}/attrs", AddAttributes);
        group.MapDelete("/{entityId}/attrs/{attrId}", DeleteAttribute);
        group.MapPatch("/{entityId}/attrs/{attrId}/{instanceId}", ReplaceInstance);
        group.MapDelete("/{entityId}/attrs/{attrId}/{instanceId}", DeleteInstance);
    }

    private static void Disabled() =>
        throw new NgsiLdException(ErrorType.NotImplemented, "This broker does not record the history: the temporal API is off (Temporal:Enabled is false).");

    private static async Task Query(HttpContext http, TemporalService temporal, DistributedTemporal distributed, BrokerOptions limits, TemporalOptions options)
    {
        RequestParameters.RejectUnknown(http.Request, QueryParameterNames);
        var request = await NgsiRequest.ReadAsync(http, withBody: false);
        var (representation, aggregation) = TemporalParameters.Options(http.Request, request.Context);
        var entities = QueryParameters.Build(http.Request, request, limits);
        var query = TemporalParameters.Build(entities, TemporalParameters.FromUrl(http.Request), aggregation, options.InstanceLimit, representation)
            with
        { Order = TemporalParameters.OrderBy(RequestParameters.Single(http.Request, "orderBy"), request.Context.ExpandTerm) };
        var forwarding = Forwarding.Of(http.Request, request, ForwardedParameterNames);
        var (remote, missing) = await distributed.QueryAsync(request.Tenant, query, request.Context, forwarding, http.RequestAborted);
        var page = remote.Count == 0
            ? await temporal.QueryAsync(request.Tenant, query, http.RequestAborted)
            : DistributedTemporal.UnitePage(await AllOwnAsync(temporal, request.Tenant, query, http.RequestAborted), remote, query);
        if (missing.Count > 0)
            http.Response.Headers[Forwarding.WarningHeader] = Forwarding.MiscellaneousWarning;
        if (page.TotalCount is { } total)
            http.Response.Headers[NgsiResponse.CountHeader] = total.ToString(CultureInfo.InvariantCulture);
        await WriteHistoriesAsync(http, request, query, representation, page.Entities);
    }

    /// <summary>This broker's histories for a query whose page is taken after the sources' are united with them: all of them.</summary>
    private static async Task<IReadOnlyList<EntityHistory>> AllOwnAsync(TemporalService temporal, string tenant, TemporalQuery query, CancellationToken ct)
    {
        try
        {
            return (await temporal.QueryAsync(tenant, query with { Entities = query.Entities with { Limit = int.MaxValue, Offset = 0, Count = false } }, ct)).Entities;
        }
        catch (NgsiLdException e) when (e.Type == ErrorType.NonexistentTenant)
        {
            // The sources' histories are the answer.
            return [];
        }
    }

    private static async Task QueryPost(HttpContext http, TemporalService temporal, BrokerOptions limits, TemporalOptions options)
    {
        RequestParameters.RejectUnknown(http.Request, QueryPostParameterNames);
        var request = await NgsiRequest.ReadAsync(http, withBody: true);
        var body = QueryPostApi.QueryBody(request);
        var (representation, aggregation) = TemporalParameters.Options(http.Request, request.Context);
        var time = body["temporalQ"] switch
        {
            null => new TemporalParameters.TimeSelectors(null, null, null, null, null),
            JsonObject temporalQ => new TemporalParameters.TimeSelectors(
                QueryPostApi.String(temporalQ["timerel"], "timerel"),
                QueryPostApi.String(temporalQ["timeAt"], "timeAt"),
                QueryPostApi.String(temporalQ["endTimeAt"], "endTimeAt"),
                QueryPostApi.String(temporalQ["timeproperty"], "timeproperty"),
                temporalQ["lastN"] switch
                {
                    null => null,
                    JsonValue value when value.TryGetValue<int>(out var lastN) => lastN.ToString(CultureInfo.InvariantCulture),
                    JsonValue value when value.TryGetValue<string>(out var text) => text,
                    _ => throw NgsiLdException.BadRequestData("temporalQ.lastN must be a positive integer."),
                }),
            _ => throw NgsiLdException.BadRequestData("temporalQ must be an object (TemporalQuery, clause 5.2.21)."),
        };
        var selectors = QueryPostApi.Selectors(body);
        var queries = selectors.Select(s => TemporalParameters.Build(QueryParameters.Build(http.Request, s, request.Context, limits), time, aggregation, options.InstanceLimit, representation)).ToList();
        var first = queries[0];
        TemporalPage page;
        if (queries.Count == 1)
        {
            page = await temporal.QueryAsync(request.Tenant, first, http.RequestAborted);
        }
        else
        {
            // Several selectors are alternatives: the union of their matches, paged once.
            var union = new SortedDictionary<string, EntityHistory>(StringComparer.Ordinal);
            foreach (var query in queries)
            {
                var all = await temporal.QueryAsync(request.Tenant, query with { Entities = query.Entities with { Limit = int.MaxValue, Offset = 0, Count = false } }, http.RequestAborted);
                foreach (var history in all.Entities)
                    union.TryAdd(history.Entity.Id, history);
            }
            page = new TemporalPage([.. union.Values.Skip(first.Entities.Offset).Take(first.Entities.Limit)], first.Entities.Count ? union.Count : null);
        }
        if (page.TotalCount is { } total)
            http.Response.Headers[NgsiResponse.CountHeader] = total.ToString(CultureInfo.InvariantCulture);
        await WriteHistoriesAsync(http, request, first, representation, page.Entities);
    }

    private static async Task Retrieve(HttpContext http, string entityId, TemporalService temporal, DistributedTemporal distributed, TemporalOptions options)
    {
        RequestParameters.RejectUnknown(http.Request, RetrieveParameterNames);
        entityId = RequestParameters.EntityId(entityId);
        var request = await NgsiRequest.ReadAsync(http, withBody: false);
        var (representation, aggregation) = TemporalParameters.Options(http.Request, request.Context);
        var attrs = RequestParameters.List(http.Request, "attrs");
        var entities = new EntityQuery
        {
            Ids = [entityId],
            Attrs = attrs is null ? null : [.. RequestParameters.ExpandNames(attrs, request.Context)],
        };
        var query = TemporalParameters.Build(entities, TemporalParameters.FromUrl(http.Request), aggregation, options.InstanceLimit, representation);
        var forwarding = Forwarding.Of(http.Request, request, ForwardedParameterNames);
        var (remote, missing) = await distributed.RetrieveAsync(request.Tenant, entityId, query, request.Context, forwarding, http.RequestAborted);
        var theirs = remote.Where(h => h.Entity.Id == entityId).ToList();
        EntityHistory history;
        if (theirs.Count == 0)
        {
            history = await temporal.RetrieveAsync(request.Tenant, entityId, query, http.RequestAborted);
        }
        else
        {
            try
            {
                theirs.Insert(0, await temporal.RetrieveAsync(request.Tenant, entityId, query, http.RequestAborted));
            }
            catch (NgsiLdException e) when (e.Type == ErrorType.ResourceNotFound || e.Type == ErrorType.NonexistentTenant)
            {
                // Only the sources hold a history of the entity.
            }
            history = DistributedTemporal.Merge(theirs, query);
        }
        if (missing.Count > 0)
            http.Response.Headers[Forwarding.WarningHeader] = Forwarding.MiscellaneousWarning;
        var projection = representation.Instances.Projection;
        if (!projection.ShowsIdMember && !projection.ShowsType
            && !history.Attributes.Any(a => projection.Shows(a.Name) && (a.Instances.Count > 0 || a.Aggregates is { Count: > 0 })))
            throw NgsiLdException.NotFound($"pick and omit leave nothing of the temporal representation of '{entityId}'.");
        var writer = Writer(request, query, representation);
        var (page, status) = Paginate(http, query, [history]);
        await NgsiResponse.WriteJsonAsync(http, request, status, json => writer.WriteEntity(json, page[0], NgsiResponse.ContextMemberWriter(request)));
    }

    private static Task WriteHistoriesAsync(HttpContext http, NgsiRequest request, TemporalQuery query, TemporalParameters.Representation representation, IReadOnlyList<EntityHistory> histories)
    {
        var writer = Writer(request, query, representation);
        var (page, status) = Paginate(http, query, histories);
        var writeContext = NgsiResponse.ContextMemberWriter(request);
        return NgsiResponse.WriteJsonAsync(http, request, status, json =>
        {
            json.WriteStartArray();
            foreach (var history in page)
                writer.WriteEntity(json, history, writeContext);
            json.WriteEndArray();
        });
    }

    private static TemporalWriter Writer(NgsiRequest request, TemporalQuery query, TemporalParameters.Representation representation) =>
        new(EntityWriter.For(request.Context, representation.Instances), representation.Format, representation.SysAttrs, query.Time.Property,
            representation.Instances.Projection);

    /// <summary>
    /// Temporal pagination (clause 6.3.10): when an attribute had more instances than a response gives, every attribute of
    /// the response is cut at the same instant, the last one the truncated attributes all reach (in ascending order; with
    /// lastN, in descending order from the latest), so the response holds every instance of the range it names; the answer
    /// is 206 Partial Content with "Content-Range: date-time start-end/size" (size: lastN, or *). The range starts at
    /// timeAt (after, between) or the first instance, or with lastN at endTimeAt (between), timeAt (before) or the latest
    /// instance, and ends at the cut. A client asks for the rest from the end on.
    /// </summary>
    private static (IReadOnlyList<EntityHistory> Histories, int Status) Paginate(HttpContext http, TemporalQuery query, IReadOnlyList<EntityHistory> histories)
    {
        var property = query.Time.Property;
        var descending = query.LastN is not null;
        DateTimeOffset? cut = null;
        foreach (var attribute in histories.SelectMany(h => h.Attributes))
        {
            if (!attribute.Truncated || attribute.Instances.Count == 0)
                continue;
            var reached = (descending ? attribute.Instances[0] : attribute.Instances[^1]).TimeOf(property);
            if (reached is { } at && (cut is null || (descending ? at > cut : at < cut)))
                cut = at;
        }
        if (cut is not { } end)
            return (histories, StatusCodes.Status200OK);
        var trimmed = histories.Select(h => h with
        {
            // An attribute the cut leaves empty stays, empty: its instances are on the next page.
            Attributes = [.. h.Attributes.Select(a =>
            {
                var kept = a.Instances.Where(i => i.TimeOf(property) is { } at && (descending ? at >= end : at <= end)).ToList();
                return a with { Instances = kept, Truncated = a.Truncated || kept.Count < a.Instances.Count };
            })],
        }).ToList();
        var instants = trimmed.SelectMany(h => h.Attributes).SelectMany(a => a.Instances).Select(i => i.TimeOf(property)!.Value).ToList();
        var time = query.Time;
        DateTimeOffset start = descending
            ? time.Relation switch
            {
                TimeRelation.Between => time.EndTimeAt!.Value,
                TimeRelation.Before => time.TimeAt!.Value,
                _ => instants.Max(),
            }
            : time.Relation is TimeRelation.After or TimeRelation.Between ? time.TimeAt!.Value : instants.Min();
        var size = query.LastN is { } lastN ? lastN.ToString(CultureInfo.InvariantCulture) : "*";
        http.Response.Headers.ContentRange = $"date-time {Timestamps.FormatMinimal(start)}-{Timestamps.FormatMinimal(end)}/{size}";
        return (trimmed, StatusCodes.Status206PartialContent);
    }

    private static async Task CreateOrUpdate(HttpContext http, TemporalService temporal)
    {
        RequestParameters.RejectUnknown(http.Request, NoParameters);
        var request = await NgsiRequest.ReadAsync(http, withBody: true);
        var (entity, instances) = ReadTemporalEntity(request, expectedId: null, fragment: false);
        var created = await temporal.CreateOrUpdateAsync(request.Tenant, entity, instances, http.RequestAborted);
        if (created)
        {
            http.Response.StatusCode = StatusCodes.Status201Created;
            http.Response.Headers.Location = $"{Resource}/{EntitiesApi.EscapeId(entity.Id)}";
        }
        else
        {
            http.Response.StatusCode = StatusCodes.Status204NoContent;
        }
    }

    private static async Task AddAttributes(HttpContext http, string entityId, TemporalService temporal)
    {
        RequestParameters.RejectUnknown(http.Request, NoParameters);
        entityId = RequestParameters.EntityId(entityId);
        var request = await NgsiRequest.ReadAsync(http, withBody: true);
        var (fragment, instances) = ReadTemporalEntity(request, entityId, fragment: true);
        if (instances.Count == 0)
            throw NgsiLdException.BadRequestData("The payload has no attribute instances to add.");
        await temporal.AddAttributesAsync(request.Tenant, entityId, fragment, instances, http.RequestAborted);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static async Task DeleteEntity(HttpContext http, string entityId, TemporalService temporal)
    {
        RequestParameters.RejectUnknown(http.Request, NoParameters);
        entityId = RequestParameters.EntityId(entityId);
        var tenant = NgsiRequest.ReadTenant(http.Request);
        await temporal.DeleteEntityAsync(tenant, entityId, http.RequestAborted);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static async Task DeleteAttribute(HttpContext http, string entityId, string attrId, TemporalService temporal)
    {
        RequestParameters.RejectUnknown(http.Request, DeleteAttributeParameters);
        entityId = RequestParameters.EntityId(entityId);
        var request = await NgsiRequest.ReadAsync(http, withBody: false);
        var name = RequestParameters.PathSegment(attrId);
        var attribute = RequestParameters.ExpandNames([name], request.Context).Single();
        var deleteAll = RequestParameters.Boolean(http.Request, "deleteAll");
        var datasetId = RequestParameters.Single(http.Request, "datasetId");
        if (deleteAll && datasetId is not null)
            throw NgsiLdException.BadRequestData("datasetId and deleteAll=true exclude each other.");
        if (datasetId is not null)
            RequestParameters.RequireUri(datasetId, "datasetId");
        await temporal.DeleteAttributeAsync(request.Tenant, entityId, attribute, name, datasetId, deleteAll, http.RequestAborted);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static async Task ReplaceInstance(HttpContext http, string entityId, string attrId, string instanceId, TemporalService temporal)
    {
        RequestParameters.RejectUnknown(http.Request, NoParameters);
        entityId = RequestParameters.EntityId(entityId);
        var request = await NgsiRequest.ReadAsync(http, withBody: true);
        var name = RequestParameters.PathSegment(attrId);
        instanceId = RequestParameters.PathSegment(instanceId);
        RequestParameters.RequireUri(instanceId, "instanceId");
        var reader = new EntityReader(request.Context, ReadMode.Fragment);
        var attribute = reader.ExpandName(name);
        if (request.BodyElement.ValueKind != JsonValueKind.Object)
            throw NgsiLdException.BadRequestData("The payload must be an object holding the attribute.");
        // The payload is a fragment holding the attribute by name (clause 6.22.3.1), or the instance itself.
        var element = request.BodyElement.TryGetProperty(name, out var byName) ? byName : request.BodyElement;
        var instances = reader.ReadTemporalInstances(WithoutInstanceId(element).Clone(), name);
        if (instances.Count != 1)
            throw NgsiLdException.BadRequestData("The payload must hold exactly one instance of the attribute.");
        await temporal.ReplaceInstanceAsync(request.Tenant, entityId, attribute, instanceId, instances[0], http.RequestAborted);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static async Task DeleteInstance(HttpContext http, string entityId, string attrId, string instanceId, TemporalService temporal)
    {
        RequestParameters.RejectUnknown(http.Request, NoParameters);
        entityId = RequestParameters.EntityId(entityId);
        var request = await NgsiRequest.ReadAsync(http, withBody: false);
        var name = RequestParameters.PathSegment(attrId);
        var attribute = RequestParameters.ExpandNames([name], request.Context).Single();
        instanceId = RequestParameters.PathSegment(instanceId);
        RequestParameters.RequireUri(instanceId, "instanceId");
        await temporal.DeleteInstanceAsync(request.Tenant, entityId, attribute, instanceId, http.RequestAborted);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>
    /// A temporal representation of an entity (clause 5.2.20 EntityTemporal): id, type and scope as in an entity, every
    /// other member an attribute whose array holds instances of its history (several may share a datasetId).
    /// </summary>
    private static (Entity Entity, List<(string Name, AttributeInstance Instance)> Instances) ReadTemporalEntity(NgsiRequest request, string? expectedId, bool fragment)
    {
        var body = request.BodyElement;
        if (body.ValueKind != JsonValueKind.Object)
            throw NgsiLdException.InvalidRequest("A temporal representation of an entity must be a JSON object.");
        var reader = new EntityReader(request.Context, fragment ? ReadMode.Fragment : ReadMode.Create);
        var header = new JsonObject();
        var attributes = new List<JsonProperty>();
        foreach (var member in body.EnumerateObject())
        {
            if (member.Name is "id" or "@id" or "type" or "@type" or "scope" or "@context")
                header[member.Name] = EntityReader.Node(member.Value);
            else if (member.Name is not ("createdAt" or "modifiedAt" or "deletedAt"))
                attributes.Add(member);
        }
        using var headerDocument = JsonDocument.Parse(header.ToJsonString());
        var entity = reader.ReadEntity(headerDocument.RootElement.Clone(), expectedId);
        var instances = new List<(string, AttributeInstance)>();
        foreach (var member in attributes)
        {
            var name = reader.ExpandName(member.Name);
            if (name is "@id" or "@type" or NgsiLd.CreatedAt or NgsiLd.ModifiedAt or NgsiLd.DeletedAt or NgsiLd.Scope)
                throw NgsiLdException.BadRequestData($"'{member.Name}' is a reserved name and cannot be an attribute.");
            foreach (var instance in reader.ReadTemporalInstances(WithoutInstanceId(member.Value).Clone(), member.Name))
            {
                if (EntityReader.IsNullMarker(instance))
                    throw NgsiLdException.BadRequestData($"The attribute '{member.Name}' has a null instance: a history records values.");
                instances.Add((name, instance));
            }
        }
        return (entity, instances);
    }

    /// <summary>An instance (or array of instances) without the instanceId member a client may copy from a response: the broker assigns instance ids.</summary>
    private static JsonElement WithoutInstanceId(JsonElement value)
    {
        var node = EntityReader.Node(value);
        var changed = false;
        void Strip(JsonNode? item)
        {
            if (item is JsonObject instance && instance.Remove("instanceId"))
                changed = true;
        }
        if (node is JsonArray array)
        {
            foreach (var item in array)
                Strip(item);
        }
        else
        {
            Strip(node);
        }
        if (!changed)
            return value;
        using var document = JsonDocument.Parse(node!.ToJsonString());
        return document.RootElement.Clone();
    }
}
