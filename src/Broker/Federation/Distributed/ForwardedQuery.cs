using System.Text.Json.Nodes;

namespace Broker.Federation.Distributed;

/// <summary>
/// A query entities as a context source is asked it, in the two forms of clause 5.7.2: GET /entities (queryEntity),
/// one request per parameter set (the entity selectors of a Query payload are alternatives a URL cannot join), and
/// POST /entityOperations/query (queryBatch) with a Query payload. Names are as the client gave them; the source expands
/// them with the client's @context. A registration that supports both is asked the way the client asked
/// (<see cref="AskedAsBatch"/>).
/// </summary>
public sealed record ForwardedQuery(IReadOnlyList<IReadOnlyList<KeyValuePair<string, string>>> ParameterSets, JsonObject Payload, bool AskedAsBatch)
{
    /// <summary>The entity selection, the attributes and the filters of one entity selector.</summary>
    public sealed record Selector(
        IReadOnlyList<string>? Ids, string? IdPattern, string? Type, IReadOnlyList<string>? Attrs, string? Q, string? ScopeQ,
        string? GeoRel, string? Geometry, string? Coordinates, string? GeoProperty);

    /// <summary>The two forms of a query made of <paramref name="selectors"/> (alternatives sharing attrs and the filters).</summary>
    public static ForwardedQuery Of(IReadOnlyList<Selector> selectors, string? datasetId, bool askedAsBatch)
    {
        ArgumentOutOfRangeException.ThrowIfZero(selectors.Count);
        var parameterSets = selectors.Select(selector => Parameters(selector, datasetId)).ToList();
        return new ForwardedQuery(parameterSets, QueryPayload(selectors), askedAsBatch);
    }

    private static List<KeyValuePair<string, string>> Parameters(Selector selector, string? datasetId)
    {
        var parameters = new List<KeyValuePair<string, string>>();
        void Add(string name, string? value)
        {
            if (value is not null)
                parameters.Add(new(name, value));
        }
        Add("id", selector.Ids is { } ids ? string.Join(',', ids) : null);
        Add("idPattern", selector.IdPattern);
        Add("type", selector.Type);
        Add("attrs", selector.Attrs is { } attrs ? string.Join(',', attrs) : null);
        Add("q", selector.Q);
        Add("scopeQ", selector.ScopeQ);
        Add("georel", selector.GeoRel);
        Add("geometry", selector.Geometry);
        Add("coordinates", selector.Coordinates);
        Add("geoproperty", selector.GeoProperty);
        Add("datasetId", datasetId);
        return parameters;
    }

    /// <summary>The Query payload (clause 5.2.23): one EntitySelector per id of each selector, attrs, q, scopeQ and geoQ of the first (they share them).</summary>
    private static JsonObject QueryPayload(IReadOnlyList<Selector> selectors)
    {
        var payload = new JsonObject { ["type"] = "Query" };
        var entities = new JsonArray();
        foreach (var selector in selectors)
        {
            if (selector.Ids is null && selector.IdPattern is null && selector.Type is null)
                continue;
            IReadOnlyList<string?> ids = selector.Ids is { } given ? [.. given] : [null];
            foreach (var id in ids)
            {
                var entity = new JsonObject();
                if (id is not null)
                    entity["id"] = id;
                if (selector.IdPattern is { } pattern)
                    entity["idPattern"] = pattern;
                if (selector.Type is { } type)
                    entity["type"] = type;
                entities.Add(entity);
            }
        }
        if (entities.Count > 0)
            payload["entities"] = entities;
        var common = selectors[0];
        if (common.Attrs is { } attrs)
            payload["attrs"] = new JsonArray([.. attrs.Select(name => (JsonNode)name)]);
        if (common.Q is { } q)
            payload["q"] = q;
        if (common.ScopeQ is { } scopeQ)
            payload["scopeQ"] = scopeQ;
        if (common.GeoRel is { } georel)
        {
            var geoQ = new JsonObject { ["georel"] = georel, ["geometry"] = common.Geometry, ["coordinates"] = Coordinates(common.Coordinates) };
            if (common.GeoProperty is { } geoProperty)
                geoQ["geoproperty"] = geoProperty;
            payload["geoQ"] = geoQ;
        }
        return payload;
    }

    /// <summary>The coordinates of a URL (a JSON array as text) as the array a geoQ holds; text that is not one stays text.</summary>
    private static JsonNode? Coordinates(string? text)
    {
        if (text is null)
            return null;
        try
        {
            return JsonNode.Parse(text) is JsonArray array ? array : text;
        }
        catch (System.Text.Json.JsonException)
        {
            return text;
        }
    }
}
