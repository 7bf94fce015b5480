using System.Text.Json.Nodes;

namespace OpenDataPortal.Publishing;

/// <summary>Reading the attributes of a normalized NGSI-LD entity, as the publishers need them.</summary>
public static class Attributes
{
    private static readonly HashSet<string> EntityMembers = ["id", "type", "@context", "scope", "createdAt", "modifiedAt", "deletedAt"];

    private static readonly string[] ValueMembers = ["value", "object", "languageMap", "vocab", "valueList", "objectList", "json"];

    /// <summary>Each attribute of the entity with its instances (one, or one per datasetId).</summary>
    public static IEnumerable<(string Name, IReadOnlyList<JsonObject> Instances)> Of(JsonObject entity)
    {
        foreach (var (name, node) in entity)
        {
            if (EntityMembers.Contains(name))
                continue;
            IReadOnlyList<JsonObject> instances = node switch
            {
                JsonObject instance => [instance],
                JsonArray array => array.OfType<JsonObject>().ToList(),
                _ => [],
            };
            if (instances.Count > 0)
                yield return (name, instances);
        }
    }

    /// <summary>What an instance holds: value, object, languageMap ... whichever its kind has.</summary>
    public static JsonNode? ValueOf(JsonObject instance)
    {
        foreach (var member in ValueMembers)
        {
            if (instance.TryGetPropertyValue(member, out var value))
                return value;
        }
        return null;
    }

    public static string TypeOf(JsonObject entity) => entity["type"] switch
    {
        JsonArray types => string.Join(',', types.Select(t => t?.GetValue<string>())),
        JsonNode type => type.GetValue<string>(),
        null => "",
    };

    public static string IdOf(JsonObject entity) =>
        entity["id"]?.GetValue<string>() ?? throw new FormatException("An entity without an id.");
}
