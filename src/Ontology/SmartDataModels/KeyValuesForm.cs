using System.Text.Json.Nodes;

namespace Ontology.SmartDataModels;

/// <summary>
/// The simplified (keyValues) representation of a normalized NGSI-LD entity (clause 4.5.4), the form the Smart Data
/// Models schemas describe: each attribute becomes its value, sub-attributes (observedAt, unitCode, ...) are dropped.
/// </summary>
public static class KeyValuesForm
{
    /// <summary>The keyValues form of <paramref name="normalized"/>; its "@context", if any, is left out.</summary>
    public static JsonObject Of(JsonObject normalized)
    {
        var keyValues = new JsonObject();
        foreach (var (name, attribute) in normalized)
        {
            if (name == "@context")
                continue;
            keyValues[name] = name is "id" or "type" ? attribute?.DeepClone() : ValueOf(attribute);
        }
        return keyValues;
    }

    private static JsonNode? ValueOf(JsonNode? attribute) => attribute switch
    {
        JsonArray instances => ValueOf(DefaultInstance(instances)),
        JsonObject instance => ValueOfInstance(instance),
        _ => attribute?.DeepClone(),
    };

    /// <summary>Of a multi-attribute, the instance without a datasetId (the default instance), else the first.</summary>
    private static JsonNode? DefaultInstance(JsonArray instances)
    {
        foreach (var instance in instances)
        {
            if (instance is JsonObject o && !o.ContainsKey("datasetId"))
                return instance;
        }
        return instances.Count > 0 ? instances[0] : null;
    }

    private static JsonNode? ValueOfInstance(JsonObject instance)
    {
        var kind = instance["type"] is JsonValue type && type.TryGetValue<string>(out var name) ? name : null;
        var member = kind switch
        {
            "Property" or "GeoProperty" => "value",
            "Relationship" => "object",
            "LanguageProperty" => "languageMap",
            "ListProperty" => "valueList",
            "ListRelationship" => "objectList",
            "VocabProperty" => "vocab",
            "JsonProperty" => "json",
            _ => null,
        };
        return member is null ? instance.DeepClone() : Unwrap(instance[member]);
    }

    /// <summary>A JSON-LD value object such as <c>{"@type": "DateTime", "@value": "2018-09-21T12:00:00Z"}</c> becomes its @value.</summary>
    private static JsonNode? Unwrap(JsonNode? value) =>
        value is JsonObject o && o.Count == 2 && o.ContainsKey("@type") && o.TryGetPropertyValue("@value", out var inner)
            ? inner?.DeepClone()
            : value?.DeepClone();
}
