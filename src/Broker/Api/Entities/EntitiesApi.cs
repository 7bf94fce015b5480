using System.Text.Json;
using System.Text.RegularExpressions;
using Broker.Api.Http;
using Broker.Entities;
using Broker.Entities.Representation;
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
        "geometryProperty", "lang", "scopeQ", "options", "format", "limit", "offset", "count", "local", "datasetId",
    ];

    private static readonly HashSet<string> NotImplementedQueryParameters = ["join", "joinLevel", "containedBy", "entityMap", "orderBy", "collect", "expandValues", "jsonKeys", "doNotCompact"];

    private static readonly HashSet<string> RetrieveParameters = ["attrs", "pick", "omit", "options", "format", "lang", "geometryProperty", "local", "datasetId"];

    public static RouteGroupBuilder MapEntitiesApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/ngsi-ld/v1/entities");
        group.MapPost("/", CreateEntity);
        group.MapGet("/", QueryEntities);
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

    private static async Task CreateEntity(HttpContext http, EntityService entities)
    {
        RequestParameters.RejectUnknown(http.Request, EmptySet);
        var request = await NgsiRequest.ReadAsync(http, withBody: true);
        var entity = new EntityReader(request.Context, ReadMode.Create).ReadEntity(request.BodyElement.Clone());
        await entities.CreateAsync(request.Tenant, entity, http.RequestAborted);
        http.Response.StatusCode = StatusCodes.Status201Created;
        http.Response.Headers.Location = $"/ngsi-ld/v1/entities/{EscapeId(entity.Id)}";
    }

    private static async Task RetrieveEntity(HttpContext http, string entityId, DistributedRetrieval retrieval)
    {
        RequestParameters.RejectUnknown(http.Request, RetrieveParameters);
        entityId = RequestParameters.EntityId(entityId);
        var request = await NgsiRequest.ReadAsync(http, withBody: false, geoJsonAllowed: true);
        var options = RequestParameters.Representation(http.Request, request.Context);
        var forwarding = Forwarding.Of(http.Request, request, Forwarding.RetrieveParameters);
        var result = await retrieval.RetrieveAsync(request.Tenant, entityId, Forwarding.Attributes(options.Projection.Include), request.Context, forwarding, http.RequestAborted);
        Forwarding.ReportMissing(http.Response, result);
        var entity = result.Value;
        if (options.Projection.Include is { } include && !include.Any(name => name is "id" or "type" || entity.Attributes.Contains(name)))
            throw NgsiLdException.NotFound($"The entity '{entityId}' has none of the requested attributes.");
        if (options.Projection.LeavesNothing(entity))
            throw NgsiLdException.NotFound($"pick and omit leave nothing of the entity '{entityId}'.");
        await NgsiResponse.WriteEntityAsync(http, request, entity, options);
    }

    private static async Task QueryEntities(HttpContext http, DistributedRetrieval retrieval, BrokerOptions limits)
    {
        RequestParameters.RejectUnknown(http.Request, QueryParameterNames, NotImplementedQueryParameters);
        var request = await NgsiRequest.ReadAsync(http, withBody: false, geoJsonAllowed: true);
        var options = RequestParameters.Representation(http.Request, request.Context);
        var selectors = QueryParameters.FromUrl(http.Request);
        var query = QueryParameters.WithPick(QueryParameters.Build(http.Request, selectors, request.Context, limits), options);
        var forwarding = Forwarding.Of(http.Request, request, Forwarding.QueryParameters);
        var forwarded = Forwarding.QueryOf(http.Request, [selectors], askedAsBatch: false);
        var result = await retrieval.QueryAsync(request.Tenant, [query], forwarded, request.Context, forwarding, http.RequestAborted);
        Forwarding.ReportMissing(http.Response, result);
        var page = result.Value;
        if (page.TotalCount is { } total)
            http.Response.Headers[NgsiResponse.CountHeader] = total.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await NgsiResponse.WriteEntitiesAsync(http, request, page.Entities, options);
    }

    private static async Task DeleteEntity(HttpContext http, string entityId, EntityService entities)
    {
        RequestParameters.RejectUnknown(http.Request, EmptySet);
        entityId = RequestParameters.EntityId(entityId);
        var tenant = NgsiRequest.ReadTenant(http.Request);
        await entities.DeleteAsync(tenant, entityId, http.RequestAborted);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static async Task ReplaceEntity(HttpContext http, string entityId, EntityService entities)
    {
        RequestParameters.RejectUnknown(http.Request, EmptySet);
        entityId = RequestParameters.EntityId(entityId);
        var request = await NgsiRequest.ReadAsync(http, withBody: true);
        var entity = new EntityReader(request.Context, ReadMode.Create).ReadEntity(request.BodyElement.Clone(), entityId);
        await entities.ReplaceAsync(request.Tenant, entity, http.RequestAborted);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static async Task MergeEntity(HttpContext http, string entityId, EntityService entities)
    {
        RequestParameters.RejectUnknown(http.Request, OptionsOnly);
        entityId = RequestParameters.EntityId(entityId);
        var request = await NgsiRequest.ReadAsync(http, withBody: true, mergePatchAllowed: true);
        var fragment = new EntityReader(request.Context, ReadMode.Fragment, allowNull: true).ReadEntity(request.BodyElement.Clone(), entityId);
        if (fragment.Attributes.Count == 0 && fragment.Types.Count == 0 && fragment.Scopes is null)
            throw NgsiLdException.BadRequestData("The merge payload has no attributes.");
        await entities.MergeAsync(request.Tenant, entityId, fragment, http.RequestAborted);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static async Task AppendAttributes(HttpContext http, string entityId, EntityService entities)
    {
        RequestParameters.RejectUnknown(http.Request, OptionsOnly);
        entityId = RequestParameters.EntityId(entityId);
        var noOverwrite = RequestParameters.HasOption(http.Request, "noOverwrite");
        var request = await NgsiRequest.ReadAsync(http, withBody: true);
        var fragment = new EntityReader(request.Context, ReadMode.Fragment).ReadEntity(request.BodyElement.Clone(), entityId);
        if (fragment.Attributes.Count == 0 && fragment.Types.Count == 0 && fragment.Scopes is null)
            throw NgsiLdException.BadRequestData("The payload has no attributes to append.");
        var result = await entities.AppendAsync(request.Tenant, entityId, fragment, noOverwrite, http.RequestAborted);
        await WriteUpdateResultAsync(http, request, result);
    }

    private static async Task UpdateAttributes(HttpContext http, string entityId, EntityService entities)
    {
        RequestParameters.RejectUnknown(http.Request, EmptySet);
        entityId = RequestParameters.EntityId(entityId);
        var request = await NgsiRequest.ReadAsync(http, withBody: true, mergePatchAllowed: true);
        var fragment = new EntityReader(request.Context, ReadMode.Fragment, allowNull: true).ReadEntity(request.BodyElement.Clone(), entityId);
        if (fragment.Attributes.Count == 0 && fragment.Types.Count == 0 && fragment.Scopes is null)
            throw NgsiLdException.BadRequestData("The payload has no attributes to update.");
        var result = await entities.UpdateAsync(request.Tenant, entityId, fragment, http.RequestAborted);
        await WriteUpdateResultAsync(http, request, result);
    }

    private static async Task PatchAttribute(HttpContext http, string entityId, string attrId, EntityService entities)
    {
        RequestParameters.RejectUnknown(http.Request, EmptySet);
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
        await entities.PatchAttributeAsync(request.Tenant, entityId, name, datasetId,
            kind => reader.ReadFragmentInstance(fragment, attrId, kind), http.RequestAborted);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static async Task ReplaceAttribute(HttpContext http, string entityId, string attrId, EntityService entities)
    {
        RequestParameters.RejectUnknown(http.Request, EmptySet);
        entityId = RequestParameters.EntityId(entityId);
        var request = await NgsiRequest.ReadAsync(http, withBody: true);
        var name = ExpandAttributeName(request, attrId);
        var instances = new EntityReader(request.Context, ReadMode.Fragment).ReadAttribute(name, request.BodyElement.Clone(), attrId);
        await entities.ReplaceAttributeAsync(request.Tenant, entityId, name, instances, http.RequestAborted);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static async Task DeleteAttribute(HttpContext http, string entityId, string attrId, EntityService entities)
    {
        RequestParameters.RejectUnknown(http.Request, DeleteAttributeParameters);
        entityId = RequestParameters.EntityId(entityId);
        var request = await NgsiRequest.ReadAsync(http, withBody: false);
        var name = ExpandAttributeName(request, attrId);
        var datasetId = RequestParameters.Single(http.Request, "datasetId");
        if (datasetId is not null)
            RequestParameters.RequireUri(datasetId, "datasetId");
        var deleteAll = RequestParameters.Boolean(http.Request, "deleteAll");
        await entities.DeleteAttributeAsync(request.Tenant, entityId, name, datasetId, deleteAll, http.RequestAborted);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>An id in a path: reserved characters escaped, ':' kept readable (urn:ngsi-ld:... ids stay as they are).</summary>
    internal static string EscapeId(string id) => Uri.EscapeDataString(id).Replace("%3A", ":", StringComparison.Ordinal);

    private static string ExpandAttributeName(NgsiRequest request, string attrId)
    {
        attrId = RequestParameters.PathSegment(attrId);
        if (!Uris.IsValidName(attrId))
            throw NgsiLdException.BadRequestData($"'{attrId}' is not a valid attribute name.");
        return request.Context.ExpandTerm(attrId);
    }

    private static async Task WriteUpdateResultAsync(HttpContext http, NgsiRequest request, UpdateResult result)
    {
        if (result.Complete)
        {
            http.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }
        await NgsiResponse.WriteJsonAsync(http, request, StatusCodes.Status207MultiStatus, json => WriteUpdateResult(json, result, request));
    }

    private static void WriteUpdateResult(Utf8JsonWriter json, UpdateResult result, NgsiRequest request)
    {
        json.WriteStartObject();
        json.WriteStartArray("updated"u8);
        foreach (var name in result.Updated)
            json.WriteStringValue(request.Context.CompactIri(name));
        json.WriteEndArray();
        json.WriteStartArray("notUpdated"u8);
        foreach (var item in result.NotUpdated)
        {
            json.WriteStartObject();
            json.WriteString("attributeName"u8, request.Context.CompactIri(item.AttributeName));
            json.WriteString("reason"u8, item.Reason);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static readonly HashSet<string> EmptySet = [];
    private static readonly HashSet<string> OptionsOnly = ["options"];
    private static readonly HashSet<string> DeleteAttributeParameters = ["datasetId", "deleteAll"];
}
