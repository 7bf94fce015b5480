using System.Text.Json.Nodes;

namespace Adapters.Museums;

/// <summary>Attributes of the NGSI-LD normalized form (ETSI GS CIM 009, clause 4.5).</summary>
internal static class Normalized
{
    public static JsonObject Property(JsonNode value) => new() { ["type"] = "Property", ["value"] = value };

    public static JsonObject Relationship(string entityId) => new() { ["type"] = "Relationship", ["object"] = entityId };

    /// <summary>A LanguageProperty (clause 4.5.18): one string per language, "@none" for a value of no known language.</summary>
    public static JsonObject LanguageProperty(IEnumerable<KeyValuePair<string, string>> languageMap)
    {
        var map = new JsonObject();
        foreach (var (language, text) in languageMap)
            map[language] = text;
        return new JsonObject { ["type"] = "LanguageProperty", ["languageMap"] = map };
    }

    public static JsonObject GeoPoint(double longitude, double latitude) => new()
    {
        ["type"] = "GeoProperty",
        ["value"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(longitude, latitude) },
    };

    public static JsonArray Strings(IEnumerable<string> values)
    {
        var array = new JsonArray();
        foreach (var value in values)
            array.Add(value);
        return array;
    }
}
