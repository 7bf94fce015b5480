using System.Text.Json.Nodes;
using Broker.Api.Http;
using Broker.Federation.Distributed;
using Broker.Problems;

namespace Broker.Api.Entities;

/// <summary>Query entities with a Query body (clause 5.7.2 via POST /entityOperations/query, clause 6.23 and data type 5.2.23).</summary>
public static class QueryPostApi
{
    private static readonly HashSet<string> Parameters = ["limit", "offset", "count", "options", "format", "lang", "local", "geometryProperty"];

    public static void MapQueryPostApi(this IEndpointRouteBuilder routes) =>
        routes.MapPost("/ngsi-ld/v1/entityOperations/query", QueryEntities);

    private static async Task QueryEntities(HttpContext http, DistributedRetrieval retrieval, BrokerOptions limits, Broker.Storage.IEntityStore store)
    {
        RequestParameters.RejectUnknown(http.Request, Parameters);
        var request = await NgsiRequest.ReadAsync(http, withBody: true, geoJsonAllowed: true);
        var body = QueryBody(request);
        var selectors = Selectors(body);
        var join = Join(body);
        var options = RequestParameters.Representation(http.Request, request.Context);
        var queries = selectors.Select(s => QueryParameters.WithPick(QueryParameters.Build(http.Request, s, request.Context, limits), options)).ToList();
        var forwarding = Forwarding.Of(http.Request, request, Forwarding.QueryParameters);
        var forwarded = Forwarding.QueryOf(http.Request, selectors, askedAsBatch: true);
        var result = await retrieval.QueryAsync(request.Tenant, queries, forwarded, request.Context, forwarding, http.RequestAborted);
        Forwarding.ReportMissing(http.Response, result);
        var page = result.Value;
        if (page.TotalCount is { } total)
            http.Response.Headers[NgsiResponse.CountHeader] = total.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var links = await Broker.Entities.Representation.LinkedEntities.RetrieveAsync(store, request.Tenant, page.Entities, options, join, http.RequestAborted);
        await NgsiResponse.WriteEntitiesAsync(http, request, page.Entities, options, links);
    }

    /// <summary>join, joinLevel and containedBy of a Query payload (clause 5.2.23).</summary>
    private static Broker.Entities.Representation.JoinOptions Join(JsonObject body)
    {
        int? level = body["joinLevel"] switch
        {
            null => null,
            JsonValue value when value.TryGetValue<int>(out var number) => number,
            JsonValue value when value.TryGetValue<double>(out var real) && real == Math.Floor(real) && real is >= int.MinValue and <= int.MaxValue => (int)real,
            _ => throw NgsiLdException.BadRequestData($"joinLevel must be an integer from 1 to {Broker.Entities.Representation.JoinOptions.MaxLevel}."),
        };
        return RequestParameters.Join(String(body["join"], "join"), level, Strings(body["containedBy"], "containedBy"));
    }

    /// <summary>The Query payload (clause 5.2.23) of a request, checked to be one.</summary>
    public static JsonObject QueryBody(NgsiRequest request)
    {
        if (request.Body is not JsonObject body)
            throw NgsiLdException.BadRequestData("The Query payload must be a JSON object.");
        if (body["type"] is not JsonValue typeValue || !typeValue.TryGetValue<string>(out var type) || type != "Query")
            throw NgsiLdException.BadRequestData("The Query payload must have \"type\": \"Query\".");
        return body;
    }

    /// <summary>The entity selectors of a Query payload: one per item of entities (alternatives), each with the payload's attrs, q, scopeQ and geoQ.</summary>
    public static List<QueryParameters.Selectors> Selectors(JsonObject body)
    {
        var attrs = Strings(body["attrs"], "attrs");
        var q = String(body["q"], "q");
        var scopeQ = String(body["scopeQ"], "scopeQ");
        string? georel = null, geometry = null, coordinates = null, geoproperty = null;
        if (body["geoQ"] is { } geoNode)
        {
            if (geoNode is not JsonObject geoQ)
                throw NgsiLdException.BadRequestData("geoQ must be an object with georel, geometry and coordinates.");
            georel = String(geoQ["georel"], "georel");
            geometry = String(geoQ["geometry"], "geometry");
            coordinates = geoQ["coordinates"] switch
            {
                JsonArray array => array.ToJsonString(),
                JsonValue value when value.TryGetValue<string>(out var text) => text,
                null => null,
                _ => throw NgsiLdException.BadRequestData("geoQ.coordinates must be an array."),
            };
            geoproperty = String(geoQ["geoproperty"], "geoproperty");
        }

        var selectors = new List<QueryParameters.Selectors>();
        if (body["entities"] is { } entitiesNode)
        {
            if (entitiesNode is not JsonArray list || list.Count == 0)
                throw NgsiLdException.BadRequestData("entities must be a non-empty array of entity selectors.");
            foreach (var item in list)
            {
                if (item is not JsonObject selector)
                    throw NgsiLdException.BadRequestData("Every entity selector must be an object.");
                var id = String(selector["id"], "id");
                selectors.Add(new QueryParameters.Selectors(id is null ? null : [id], String(selector["idPattern"], "idPattern"), String(selector["type"], "type"),
                    attrs, q, scopeQ, georel, geometry, coordinates, geoproperty));
            }
        }
        else
        {
            selectors.Add(new QueryParameters.Selectors(null, null, null, attrs, q, scopeQ, georel, geometry, coordinates, geoproperty));
        }

        return selectors;
    }

    public static string? String(JsonNode? node, string name) => node switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        _ => throw NgsiLdException.BadRequestData($"{name} must be a string."),
    };

    public static List<string>? Strings(JsonNode? node, string name)
    {
        if (node is null)
            return null;
        if (node is not JsonArray array)
            throw NgsiLdException.BadRequestData($"{name} must be an array of strings.");
        var list = new List<string>(array.Count);
        foreach (var item in array)
            list.Add(String(item, name) ?? throw NgsiLdException.BadRequestData($"{name} must not contain null."));
        return list;
    }
}
