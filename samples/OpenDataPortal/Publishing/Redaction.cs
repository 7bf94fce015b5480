using System.Text.Json.Nodes;

namespace OpenDataPortal.Publishing;

/// <summary>
/// The GDPR deny-list: removes the attributes it names from an NGSI-LD entity (normalized or keyValues), at the top
/// level and as sub-attributes, before anything of the entity is kept or published.
/// </summary>
public sealed class Redaction(IEnumerable<string> deniedAttributes)
{
    private readonly HashSet<string> _denied = new(deniedAttributes, StringComparer.Ordinal);

    private static readonly HashSet<string> EntityMembers = ["id", "type", "@context", "scope", "createdAt", "modifiedAt", "deletedAt"];

    private static readonly HashSet<string> AttributeMembers =
        ["type", "value", "object", "languageMap", "vocab", "valueList", "objectList", "json", "observedAt", "unitCode", "datasetId", "instanceId", "createdAt", "modifiedAt", "deletedAt"];

    /// <summary>A copy of the entity without the denied attributes.</summary>
    public JsonObject Apply(JsonObject entity)
    {
        var copy = (JsonObject)entity.DeepClone();
        RemoveDenied(copy, isEntity: true);
        return copy;
    }

    private void RemoveDenied(JsonObject node, bool isEntity)
    {
        foreach (var name in node.Select(member => member.Key).ToList())
        {
            if ((isEntity ? EntityMembers : AttributeMembers).Contains(name))
                continue;
            if (_denied.Contains(name))
            {
                node.Remove(name);
                continue;
            }
            foreach (var attribute in Instances(node[name]))
                RemoveDenied(attribute, isEntity: false);
        }
    }

    private static IEnumerable<JsonObject> Instances(JsonNode? attribute) => attribute switch
    {
        JsonObject instance when instance["type"] is JsonValue => [instance],
        JsonArray instances => instances.OfType<JsonObject>().Where(i => i["type"] is JsonValue),
        _ => [],
    };
}
