using System.Text.Json.Nodes;

namespace OpenDataPortal.Publishing;

/// <summary>
/// The current state of a dataset as a GeoJSON FeatureCollection (RFC 7946): one Feature per entity, its location the
/// geometry, every other attribute a property (its value, or its object for a relationship; with several datasetIds,
/// the default instance, else the first).
/// </summary>
public static class GeoJsonDataset
{
    public const string MediaType = "application/geo+json";

    public static JsonObject Write(IEnumerable<JsonObject> entities)
    {
        var features = new JsonArray();
        foreach (var entity in entities.OrderBy(Attributes.IdOf, StringComparer.Ordinal))
            features.Add(Feature(entity));
        return new JsonObject { ["type"] = "FeatureCollection", ["features"] = features };
    }

    private static JsonObject Feature(JsonObject entity)
    {
        var properties = new JsonObject { ["type"] = Attributes.TypeOf(entity) };
        JsonNode? geometry = null;
        foreach (var (name, instances) in Attributes.Of(entity))
        {
            var instance = instances.FirstOrDefault(i => i["datasetId"] is null) ?? instances[0];
            var value = Attributes.ValueOf(instance)?.DeepClone();
            if (name == "location")
                geometry = value;
            else
                properties[name] = value;
        }
        return new JsonObject { ["type"] = "Feature", ["id"] = Attributes.IdOf(entity), ["geometry"] = geometry, ["properties"] = properties };
    }
}
