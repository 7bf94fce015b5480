using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Api.Entities;
using Broker.Api.Http;
using Broker.Entities.Representation;
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
        "lang", "limit", "offset", "count", "local", "datasetId",
    ];

    private static readonly HashSet<string> RetrieveParameterNames =
    [
        "attrs", "timerel", "timeAt", "endTimeAt", "timeproperty", "lastN", "options", "format", "aggrMethods", "aggrPeriodDuration",
        "lang", "local", "datasetId",
    ];

    private static readonly HashSet<string> QueryPostParameterNames = ["limit", "offset", "count", "options", "format", "aggrMethods", "aggrPeriodDuration", "lang", "local"];

    private static readonly HashSet<string> NoParameters = [];

    private static readonly HashSet<string> DeleteAttributeParameters = ["datasetId", "deleteAll"];

    public static RouteGroupBuilder MapTemporalApi(this IEndpointRouteBuilder routes)
    {
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
        return group;
    }

    private static async Task Query(HttpContext http, TemporalService temporal, BrokerOptions limits, TemporalOptions options)
    {
        RequestParameters.RejectUnknown(http.Request, QueryParameterNames);
        var request = await NgsiRequest.ReadAsync(http, withBody: false);
        var (representation, aggregation) = TemporalParameters.Options(http.Request, request.Context);
        var entities = QueryParameters.Build(http.Request, request, limits);
        var query = TemporalParameters.Build(entities, TemporalParameters.FromUrl(http.Request), aggregation, options.InstanceLimit);
        var page = await temporal.QueryAsync(request.Tenant, query, http.RequestAborted);
        if (page.TotalCount is { } total)
            http.Response.Headers[NgsiResponse.CountHeader] = total.ToString(CultureInfo.InvariantCulture);
        await WriteHistoriesAsync(http, request, query, representation, page.Entities);
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
        var queries = selectors.Select(s => TemporalParameters.Build(QueryParameters.Build(http.Request, s, request.Context, limits), time, aggregation, options.InstanceLimit)).ToList();
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

    private static async Task Retrieve(HttpContext http, string entityId, TemporalService temporal, TemporalOptions options)
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
        var query = TemporalParameters.Build(entities, TemporalParameters.FromUrl(http.Request), aggregation, options.InstanceLimit);
        var history = await temporal.RetrieveAsync(request.Tenant, entityId, query, http.RequestAborted);
        var writer = Writer(request, query, representation);
        var status = Paginate(http, query, [history]);
        await NgsiResponse.WriteJsonAsync(http, request, status, json => writer.WriteEntity(json, Filter(history, representation), NgsiResponse.ContextMemberWriter(request)));
    }

    private static Task WriteHistoriesAsync(HttpContext http, NgsiRequest request, TemporalQuery query, TemporalParameters.Representation representation, IReadOnlyList<EntityHistory> histories)
    {
        var writer = Writer(request, query, representation);
        var status = Paginate(http, query, histories);
        var writeContext = NgsiResponse.ContextMemberWriter(request);
        return NgsiResponse.WriteJsonAsync(http, request, status, json =>
        {
            json.WriteStartArray();
            foreach (var history in histories)
                writer.WriteEntity(json, Filter(history, representation), writeContext);
            json.WriteEndArray();
        });
    }

    private static TemporalWriter Writer(NgsiRequest request, TemporalQuery query, TemporalParameters.Representation representation) =>
        new(EntityWriter.For(request.Context, representation.Instances), representation.Format, representation.SysAttrs, query.Time.Property);

    /// <summary>datasetId (clause 4.5.5): only the instances of these datasetIds (@none: the default instance).</summary>
    private static EntityHistory Filter(EntityHistory history, TemporalParameters.Representation representation)
    {
        if (representation.Instances.DatasetIds is not { } datasetIds)
            return history;
        bool Keeps(string? datasetId) => datasetIds.Contains(datasetId ?? "@none");
        return history with
        {
            Attributes = [.. history.Attributes.Select(a => a with
            {
                Instances = [.. a.Instances.Where(i => Keeps(i.Instance.DatasetId))],
                Aggregates = a.Aggregates is null ? null : [.. a.Aggregates.Where(s => Keeps(s.DatasetId))],
            })],
        };
    }

    /// <summary>
    /// When an attribute had more instances than a response gives (clause 6.3.10): 206 Partial Content, and a Content-Range
    /// "date-time" header with the time range the response covers completely (from its first to its last instant, of the
    /// truncated attributes) and the number of instances asked for (lastN), or *.
    /// </summary>
    private static int Paginate(HttpContext http, TemporalQuery query, IReadOnlyList<EntityHistory> histories)
    {
        DateTimeOffset? start = null, end = null;
        foreach (var history in histories)
        {
            foreach (var attribute in history.Attributes)
            {
                if (!attribute.Truncated || attribute.Instances.Count == 0)
                    continue;
                var first = attribute.Instances[0].TimeOf(query.Time.Property);
                var last = attribute.Instances[^1].TimeOf(query.Time.Property);
                if (query.LastN is null)
                {
                    // Ascending: the range ends where the shortest truncated attribute ends.
                    start = start is null || first < start ? first : start;
                    end = end is null || last < end ? last : end;
                }
                else
                {
                    // The latest N: the range starts where the truncated attribute with the latest first instance starts.
                    start = start is null || first > start ? first : start;
                    end = end is null || last > end ? last : end;
                }
            }
        }
        if (start is not { } from || end is not { } to)
            return StatusCodes.Status200OK;
        var size = query.LastN is { } lastN ? lastN.ToString(CultureInfo.InvariantCulture) : "*";
        http.Response.Headers.ContentRange = query.LastN is null
            ? $"date-time {Timestamps.Format6(from)}-{Timestamps.Format6(to)}/{size}"
            : $"date-time {Timestamps.Format6(to)}-{Timestamps.Format6(from)}/{size}";
        return StatusCodes.Status206PartialContent;
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
