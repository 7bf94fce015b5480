using System.Text.Json;
using System.Text.RegularExpressions;
using Broker.Api.Http;
using Broker.Entities;
using Broker.Entities.Representation;
using Broker.Federation;
using Broker.Federation.Distributed;
using Broker.Problems;
using Broker.Storage;

namespace Broker.Api.Entities;

/// <summary>The entity resources of clause 6.4–6.7: /entities, /entities/{id}, /entities/{id}/attrs[/{attrId}].</summary>
public static class EntitiesApi
{
    private static readonly HashSet<string> QueryParameterNames =
    [
        "id", "type", "idPattern", "attrs", "pick", "omit", "q", "csf", "georel", "geometry", "coordinates", "geoproperty",
        "geometryProperty", "lang", "scopeQ", "options", "format", "limit", "offset", "count", "local", "datasetId", "orderBy",
        "join", "joinLevel", "containedBy",
    ];

    private static readonly HashSet<string> NotImplementedQueryParameters = ["entityMap", "collect", "expandValues", "jsonKeys", "doNotCompact"];

    private static readonly HashSet<string> RetrieveParameters =
        ["attrs", "pick", "omit", "options", "format", "lang", "geometryProperty", "local", "datasetId", "join", "joinLevel", "containedBy"];

    public static RouteGroupBuilder MapEntitiesApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/ngsi-ld/v1/entities");
        group.MapPost("/", CreateEntity);
        group.MapGet("/", QueryEntities);
        group.MapDelete("/", PurgeEntities);
        group.MapGet("/{entityId}", RetrieveEntity);
        group.MapDelete("/{entityId}", DeleteEntity);
        group.MapPut("/{entityId}", ReplaceEntity);
        group.MapPatch("/{entityId}", MergeEntity);
        group.MapPost("/{entityId}/attrs", AppendAttributes);
        group.MapPatch("/{entityId}/attrs", UpdateAttributes);
        group.MapPatch("/{entityId}/attrs/{attrId}", PatchAttribute);
        group.MapPut("/{entityId}/attrs/{attrId}", ReplaceAttribute);
        group.MapDelete("/{entityId}/attrs/{attrId}", DeleteAttribute);
        return group;
    }

    private static async Task CreateEntity(HttpContext http, EntityService entities, DistributedWrite writes)
    {
        RequestParameters.RejectUnknown(http.Request, LocalOnly);
        var request = await NgsiRequest.ReadAsync(http, withBody: true);
        var entity = new EntityReader(request.Context, ReadMode.Create).ReadEntity(request.BodyElement.Clone());
        var write = new EntityWrite
        {
            Operation = RegistrationOperations.CreateEntity,
            Method = HttpMethod.Post,
            EntityId = entity.Id,
            Types = entity.Types,
            Fragment = entity,
            RelativePath = "entities",
        };
        var result = await writes.WriteAsync(request.Tenant, write, Forwarding.OfWrite(http.Request, request), request.Context, async (part, ct) =>
        {
            await entities.CreateAsync(request.Tenant, part!, ct);
            return null;
        }, http.RequestAborted);
        if (result.Succeeded)
            http.Response.Headers.Location = $"/ngsi-ld/v1/entities/{EscapeId(entity.Id)}";
        await Forwarding.WriteEntityResultAsync(http, request, entity.Id, result, StatusCodes.Status201Created);
    }

    private static async Task RetrieveEntity(HttpContext http, string entityId, DistributedRetrieval retrieval, IEntityStore store)
    {
        RequestParameters.RejectUnknown(http.Request, RetrieveParameters);
        entityId = RequestParameters.EntityId(entityId);
        var request = await NgsiRequest.ReadAsync(http, withBody: false, geoJsonAllowed: true);
        var options = RequestParameters.Representation(http.Request, request.Context);
        var join = RequestParameters.Join(http.Request);
        var forwarding = Forwarding.Of(http.Request, request, Forwarding.RetrieveParameters);
        var result = await retrieval.RetrieveAsync(request.Tenant, entityId, Forwarding.Attributes(options.Projection.Include), request.Context, forwarding, http.RequestAborted);
        Forwarding.ReportMissing(http.Response, result);
        var entity = result.Value;
        if (options.Projection.Include is { } include && !include.Any(name => name is "id" or "type" || entity.Attributes.Contains(name)))
            throw NgsiLdException.NotFound($"The entity '{entityId}' has none of the requested attributes.");
        if (options.Projection.LeavesNothing(entity))
            throw NgsiLdException.NotFound($"pick and omit leave nothing of the entity '{entityId}'.");
        var links = await LinkedEntities.RetrieveAsync(store, request.Tenant, [entity], options, join, http.RequestAborted);
        await NgsiResponse.WriteEntityAsync(http, request, entity, options, links);
    }

    private static async Task QueryEntities(HttpContext http, DistributedRetrieval retrieval, BrokerOptions limits, IEntityStore store)
    {
        RequestParameters.RejectUnknown(http.Request, QueryParameterNames, NotImplementedQueryParameters);
        var request = await NgsiRequest.ReadAsync(http, withBody: false, geoJsonAllowed: true);
        var options = RequestParameters.Representation(http.Request, request.Context);
        var join = RequestParameters.Join(http.Request);
        var selectors = QueryParameters.FromUrl(http.Request);
        var query = QueryParameters.WithPick(QueryParameters.Build(http.Request, selectors, request.Context, limits), options);
        var forwarding = Forwarding.Of(http.Request, request, Forwarding.QueryParameters);
        var forwarded = Forwarding.QueryOf(http.Request, [selectors], askedAsBatch: false);
        if (RequestParameters.Single(http.Request, "orderBy") is { } orderText)
        {
            await QueryOrderedAsync(http, request, options, join, query, OrderOf(orderText, request), retrieval, store, forwarded, forwarding, limits);
            return;
        }
        var result = await retrieval.QueryAsync(request.Tenant, [query], forwarded, request.Context, forwarding, http.RequestAborted,
            Forwarding.VerbatimOf(http.Request, request));
        Forwarding.ReportMissing(http.Response, result);
        if (result.Verbatim is { } verbatim)
        {
            await NgsiResponse.WriteVerbatimAsync(http, request, verbatim);
            return;
        }
        var page = result.Value;
        if (page.TotalCount is { } total)
            http.Response.Headers[NgsiResponse.CountHeader] = total.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var links = await LinkedEntities.RetrieveAsync(store, request.Tenant, page.Entities, options, join, http.RequestAborted);
        await NgsiResponse.WriteEntitiesAsync(http, request, page.Entities, options, links);
    }

    private static Query.Ast.OrderBy OrderOf(string text, NgsiRequest request)
    {
        var parsed = Query.Parsing.OrderByParser.Parse(text, request.Context.ExpandTerm);
        return parsed.Success ? parsed.Value! : throw NgsiLdException.BadRequestData(parsed.Error!.Message);
    }

    /// <summary>
    /// A query with orderBy (clause 4.23): every match (this broker's and the sources') is read, ordered by
    /// <see cref="Query.Evaluation.OrderEvaluator"/> and paged; at most <see cref="BrokerOptions.MaxOrderedEntities"/>.
    /// </summary>
    private static async Task QueryOrderedAsync(HttpContext http, NgsiRequest request, RepresentationOptions options, JoinOptions join,
        EntityQuery query, Query.Ast.OrderBy orderBy, DistributedRetrieval retrieval, IEntityStore store, ForwardedQuery forwarded, ForwardingContext forwarding,
        BrokerOptions limits)
    {
        // One more than may be sorted, so that a larger match is told apart without counting it.
        var everything = query with { Offset = 0, Limit = limits.MaxOrderedEntities + 1 };
        var result = await retrieval.QueryAsync(request.Tenant, [everything], forwarded, request.Context, forwarding, http.RequestAborted);
        Forwarding.ReportMissing(http.Response, result);
        if (result.Value.Entities.Count > limits.MaxOrderedEntities)
            throw new NgsiLdException(ErrorType.TooManyResults,
                $"The query matches more than {limits.MaxOrderedEntities} entities, which is as many as orderBy sorts: narrow the query.");
        var ordered = new Query.Evaluation.OrderEvaluator(orderBy).Sort(result.Value.Entities);
        if (query.Count)
            http.Response.Headers[NgsiResponse.CountHeader] = ordered.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        List<Ontology.Model.Entity> page = [.. ordered.Skip(query.Offset).Take(query.Limit)];
        var links = await LinkedEntities.RetrieveAsync(store, request.Tenant, page, options, join, http.RequestAborted);
        await NgsiResponse.WriteEntitiesAsync(http, request, page, options, links);
    }

    private static readonly HashSet<string> PurgeParameterNames =
        ["id", "type", "idPattern", "q", "scopeQ", "georel", "geometry", "coordinates", "geoproperty", "keep", "drop", "local"];

    /// <summary>Purge entities (clause 5.6.21): DELETE /entities with the selection of a query, and keep or drop.</summary>
    private static async Task PurgeEntities(HttpContext http, DistributedPurge purge, BrokerOptions limits)
    {
        RequestParameters.RejectUnknown(http.Request, PurgeParameterNames);
        var request = await NgsiRequest.ReadAsync(http, withBody: false);
        var keepNames = RequestParameters.List(http.Request, "keep");
        var dropNames = RequestParameters.List(http.Request, "drop");
        if (keepNames is not null && dropNames is not null)
            throw NgsiLdException.BadRequestData("keep and drop cannot be given together: keep names the attributes that stay, drop those that go.");
        var query = QueryParameters.Build(http.Request, QueryParameters.FromUrl(http.Request), request.Context, limits, idsSuffice: true);
        IReadOnlySet<string>? Expanded(IReadOnlyList<string>? names) =>
            names is null ? null : new HashSet<string>(RequestParameters.ExpandNames(names, request.Context), StringComparer.Ordinal);
        var forwarding = Forwarding.OfWrite(http.Request, request);
        var failures = await purge.PurgeAsync(request.Tenant, query, Expanded(keepNames), Expanded(dropNames),
            "entities" + http.Request.QueryString.Value, forwarding, http.RequestAborted);
        await Forwarding.WritePurgeResultAsync(http, request, failures);
    }

    private static async Task DeleteEntity(HttpContext http, string entityId, EntityService entities, DistributedWrite writes)
    {
        RequestParameters.RejectUnknown(http.Request, LocalOnly);
        entityId = RequestParameters.EntityId(entityId);
        var request = await NgsiRequest.ReadAsync(http, withBody: false);
        var write = new EntityWrite
        {
            Operation = RegistrationOperations.DeleteEntity,
            Method = HttpMethod.Delete,
            EntityId = entityId,
            RelativePath = EntityPath(entityId),
        };
        var result = await writes.WriteAsync(request.Tenant, write, Forwarding.OfWrite(http.Request, request), request.Context, async (_, ct) =>
        {
            await entities.DeleteAsync(request.Tenant, entityId, ct);
            return null;
        }, http.RequestAborted);
        await Forwarding.WriteEntityResultAsync(http, request, entityId, result, StatusCodes.Status204NoContent);
    }

    private static async Task ReplaceEntity(HttpContext http, string entityId, EntityService entities, DistributedWrite writes)
    {
        RequestParameters.RejectUnknown(http.Request, LocalOnly);
        entityId = RequestParameters.EntityId(entityId);
        var request = await NgsiRequest.ReadAsync(http, withBody: true);
        var entity = new EntityReader(request.Context, ReadMode.Create).ReadEntity(request.BodyElement.Clone(), entityId);
        var write = new EntityWrite
        {
            Operation = RegistrationOperations.ReplaceEntity,
            Method = HttpMethod.Put,
            EntityId = entityId,
            Types = entity.Types,
            Fragment = entity,
            RelativePath = EntityPath(entityId),
        };
        var result = await writes.WriteAsync(request.Tenant, write, Forwarding.OfWrite(http.Request, request), request.Context, async (part, ct) =>
        {
            await entities.ReplaceAsync(request.Tenant, part!, ct);
            return null;
        }, http.RequestAborted);
        await Forwarding.WriteEntityResultAsync(http, request, entityId, result, StatusCodes.Status204NoContent);
    }

    private static async Task MergeEntity(HttpContext http, string entityId, EntityService entities, DistributedWrite writes)
    {
        RequestParameters.RejectUnknown(http.Request, OptionsAndLocal);
        entityId = RequestParameters.EntityId(entityId);
        var request = await NgsiRequest.ReadAsync(http, withBody: true, mergePatchAllowed: true);
        var fragment = new EntityReader(request.Context, ReadMode.Fragment, allowNull: true).ReadEntity(request.BodyElement.Clone(), entityId);
        if (fragment.Attributes.Count == 0 && fragment.Types.Count == 0 && fragment.Scopes is null)
            throw NgsiLdException.BadRequestData("The merge payload has no attributes.");
        var write = new EntityWrite
        {
            Operation = RegistrationOperations.MergeEntity,
            Method = HttpMethod.Patch,
            EntityId = entityId,
            Fragment = fragment,
            RelativePath = EntityPath(entityId),
            BodyWithId = false,
        };
        var result = await writes.WriteAsync(request.Tenant, write, Forwarding.OfWrite(http.Request, request), request.Context, async (part, ct) =>
        {
            await entities.MergeAsync(request.Tenant, entityId, part!, ct);
            return null;
        }, http.RequestAborted);
        await Forwarding.WriteEntityResultAsync(http, request, entityId, result, StatusCodes.Status204NoContent);
    }

    private static async Task AppendAttributes(HttpContext http, string entityId, EntityService entities, DistributedWrite writes)
    {
        RequestParameters.RejectUnknown(http.Request, OptionsAndLocal);
        entityId = RequestParameters.EntityId(entityId);
        var noOverwrite = RequestParameters.HasOption(http.Request, "noOverwrite");
        var request = await NgsiRequest.ReadAsync(http, withBody: true);
        var fragment = new EntityReader(request.Context, ReadMode.Fragment).ReadEntity(request.BodyElement.Clone(), entityId);
        if (fragment.Attributes.Count == 0 && fragment.Types.Count == 0 && fragment.Scopes is null)
            throw NgsiLdException.BadRequestData("The payload has no attributes to append.");
        var write = new EntityWrite
        {
            Operation = RegistrationOperations.AppendAttrs,
            Method = HttpMethod.Post,
            EntityId = entityId,
            Fragment = fragment,
            RelativePath = EntityPath(entityId) + "/attrs/" + (noOverwrite ? "?options=noOverwrite" : ""),
            BodyWithId = false,
        };
        var result = await writes.WriteAsync(request.Tenant, write, Forwarding.OfWrite(http.Request, request), request.Context,
            async (part, ct) => await entities.AppendAsync(request.Tenant, entityId, part!, noOverwrite, ct), http.RequestAborted);
        await Forwarding.WriteUpdateResultAsync(http, request, result);
    }

    private static async Task UpdateAttributes(HttpContext http, string entityId, EntityService entities, DistributedWrite writes)
    {
        RequestParameters.RejectUnknown(http.Request, LocalOnly);
        entityId = RequestParameters.EntityId(entityId);
        var request = await NgsiRequest.ReadAsync(http, withBody: true, mergePatchAllowed: true);
        var fragment = new EntityReader(request.Context, ReadMode.Fragment, allowNull: true).ReadEntity(request.BodyElement.Clone(), entityId);
        if (fragment.Attributes.Count == 0 && fragment.Types.Count == 0 && fragment.Scopes is null)
            throw NgsiLdException.BadRequestData("The payload has no attributes to update.");
        var write = new EntityWrite
        {
            Operation = RegistrationOperations.UpdateEntity,
            Method = HttpMethod.Patch,
            EntityId = entityId,
            Fragment = fragment,
            RelativePath = EntityPath(entityId) + "/attrs/",
            BodyWithId = false,
        };
        var result = await writes.WriteAsync(request.Tenant, write, Forwarding.OfWrite(http.Request, request), request.Context,
            async (part, ct) => await entities.UpdateAsync(request.Tenant, entityId, part!, ct), http.RequestAborted);
        await Forwarding.WriteUpdateResultAsync(http, request, result);
    }

    private static async Task PatchAttribute(HttpContext http, string entityId, string attrId, EntityService entities, DistributedWrite writes)
    {
        RequestParameters.RejectUnknown(http.Request, LocalOnly);
        entityId = RequestParameters.EntityId(entityId);
        var request = await NgsiRequest.ReadAsync(http, withBody: true, mergePatchAllowed: true);
        var name = ExpandAttributeName(request, attrId);
        var reader = new EntityReader(request.Context, ReadMode.Fragment, allowNull: true);
        if (request.BodyElement.ValueKind != JsonValueKind.Object)
            throw NgsiLdException.BadRequestData($"The partial update of '{attrId}' must be a JSON object.");
        var fragment = request.BodyElement.Clone();
        string? datasetId = null;
        if (fragment.TryGetProperty("datasetId"u8, out var datasetNode) && datasetNode.ValueKind != JsonValueKind.Null)
        {
            if (datasetNode.ValueKind != JsonValueKind.String || !Uris.IsAbsoluteUri(datasetId = datasetNode.GetString()))
                throw NgsiLdException.BadRequestData("The datasetId must be a URI.");
        }
        var write = new EntityWrite
        {
            Operation = RegistrationOperations.UpdateAttrs,
            Method = HttpMethod.Patch,
            EntityId = entityId,
            AttributeName = name,
            Body = Forwarding.BodyOf(request),
            RelativePath = AttributePath(entityId, attrId),
        };
        var result = await writes.WriteAsync(request.Tenant, write, Forwarding.OfWrite(http.Request, request), request.Context, async (_, ct) =>
        {
            await entities.PatchAttributeAsync(request.Tenant, entityId, name, datasetId, kind => reader.ReadFragmentInstance(fragment, attrId, kind), ct);
            return null;
        }, http.RequestAborted);
        await Forwarding.WriteUpdateResultAsync(http, request, result);
    }

    private static async Task ReplaceAttribute(HttpContext http, string entityId, string attrId, EntityService entities, DistributedWrite writes)
    {
        RequestParameters.RejectUnknown(http.Request, LocalOnly);
        entityId = RequestParameters.EntityId(entityId);
        var request = await NgsiRequest.ReadAsync(http, withBody: true);
        var name = ExpandAttributeName(request, attrId);
        var instances = new EntityReader(request.Context, ReadMode.Fragment).ReadAttribute(name, request.BodyElement.Clone(), attrId);
        var write = new EntityWrite
        {
            Operation = RegistrationOperations.ReplaceAttrs,
            Method = HttpMethod.Put,
            EntityId = entityId,
            AttributeName = name,
            Body = Forwarding.BodyOf(request),
            RelativePath = AttributePath(entityId, attrId),
        };
        var result = await writes.WriteAsync(request.Tenant, write, Forwarding.OfWrite(http.Request, request), request.Context, async (_, ct) =>
        {
            await entities.ReplaceAttributeAsync(request.Tenant, entityId, name, instances, ct);
            return null;
        }, http.RequestAborted);
        await Forwarding.WriteUpdateResultAsync(http, request, result);
    }

    private static async Task DeleteAttribute(HttpContext http, string entityId, string attrId, EntityService entities, DistributedWrite writes)
    {
        RequestParameters.RejectUnknown(http.Request, DeleteAttributeParameters);
        entityId = RequestParameters.EntityId(entityId);
        var request = await NgsiRequest.ReadAsync(http, withBody: false);
        var name = ExpandAttributeName(request, attrId);
        var datasetId = RequestParameters.Single(http.Request, "datasetId");
        if (datasetId is not null)
            RequestParameters.RequireUri(datasetId, "datasetId");
        var deleteAll = RequestParameters.Boolean(http.Request, "deleteAll");
        var query = (datasetId is null ? "" : "?datasetId=" + Uri.EscapeDataString(datasetId)) + (deleteAll ? (datasetId is null ? "?" : "&") + "deleteAll=true" : "");
        var write = new EntityWrite
        {
            Operation = RegistrationOperations.DeleteAttrs,
            Method = HttpMethod.Delete,
            EntityId = entityId,
            AttributeName = name,
            RelativePath = AttributePath(entityId, attrId) + query,
        };
        var result = await writes.WriteAsync(request.Tenant, write, Forwarding.OfWrite(http.Request, request), request.Context, async (_, ct) =>
        {
            await entities.DeleteAttributeAsync(request.Tenant, entityId, name, datasetId, deleteAll, ct);
            return null;
        }, http.RequestAborted);
        await Forwarding.WriteUpdateResultAsync(http, request, result);
    }

    private static string EntityPath(string entityId) => "entities/" + EscapeId(entityId);

    private static string AttributePath(string entityId, string attrId) => EntityPath(entityId) + "/attrs/" + Uri.EscapeDataString(RequestParameters.PathSegment(attrId));

    /// <summary>An id in a path: reserved characters escaped, ':' kept readable (urn:ngsi-ld:... ids stay as they are).</summary>
    internal static string EscapeId(string id) => Uri.EscapeDataString(id).Replace("%3A", ":", StringComparison.Ordinal);

    private static string ExpandAttributeName(NgsiRequest request, string attrId)
    {
        attrId = RequestParameters.PathSegment(attrId);
        if (!Uris.IsValidName(attrId))
            throw NgsiLdException.BadRequestData($"'{attrId}' is not a valid attribute name.");
        return request.Context.ExpandTerm(attrId);
    }

    private static readonly HashSet<string> LocalOnly = ["local"];
    private static readonly HashSet<string> OptionsAndLocal = ["options", "local"];
    private static readonly HashSet<string> DeleteAttributeParameters = ["datasetId", "deleteAll", "local"];
}
