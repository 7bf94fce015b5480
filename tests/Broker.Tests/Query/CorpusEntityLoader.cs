using System.Globalization;
using System.Text.Json.Nodes;
using Ontology.Model;

namespace Broker.Tests.Query;

/// <summary>
/// A small test-side reader of NGSI-LD normalized entities (clause 4.5) into the expanded <see cref="Entity"/>:
/// terms expand through the core @context terms the corpus uses, else the default vocab. To be replaced by the real entity parser.
/// </summary>
internal static class CorpusEntityLoader
{
    private static readonly Dictionary<string, string> CoreTerms = new(StringComparer.Ordinal)
    {
        ["location"] = NgsiLd.Location,
        ["observationSpace"] = NgsiLd.ObservationSpace,
        ["operationSpace"] = NgsiLd.OperationSpace,
        ["createdAt"] = NgsiLd.CreatedAt,
        ["modifiedAt"] = NgsiLd.ModifiedAt,
        ["observedAt"] = NgsiLd.ObservedAt,
        ["unitCode"] = NgsiLd.UnitCode,
        ["datasetId"] = NgsiLd.DatasetId,
    };

    private static readonly HashSet<string> InstanceMembers =
        ["type", "value", "object", "languageMap", "vocab", "valueList", "objectList", "json", "datasetId", "observedAt", "unitCode", "objectType", "createdAt", "modifiedAt"];

    /// <summary>Expands a term as the default @context would: core terms, then the default vocab; IRIs stay.</summary>
    public static string Expand(string term) =>
        term.Contains(':', StringComparison.Ordinal) ? term
        : CoreTerms.TryGetValue(term, out var iri) ? iri
        : NgsiLd.DefaultContextVocab + term;

    public static List<Entity> Load(string path)
    {
        var array = JsonNode.Parse(File.ReadAllText(path))!.AsArray();
        var entities = new List<Entity>(array.Count);
        foreach (var node in array)
            entities.Add(ReadEntity(node!.AsObject()));
        return entities;
    }

    public static Entity ReadEntity(JsonObject obj)
    {
        var entity = new Entity { Id = (string)obj["id"]! };
        foreach (var (name, member) in obj)
        {
            switch (name)
            {
                case "id" or "@context":
                    break;
                case "type":
                    foreach (var type in Strings(member))
                        entity.Types.Add(Expand(type));
                    break;
                case "scope":
                    entity.Scopes = Strings(member);
                    break;
                case "createdAt":
                    entity.CreatedAt = DateTimeOffset.Parse((string)member!, CultureInfo.InvariantCulture);
                    break;
                case "modifiedAt":
                    entity.ModifiedAt = DateTimeOffset.Parse((string)member!, CultureInfo.InvariantCulture);
                    break;
                default:
                    ReadAttribute(entity.Attributes, name, member);
                    break;
            }
        }
        return entity;
    }

    private static List<string> Strings(JsonNode? node) =>
        node is JsonArray array ? array.Select(n => (string)n!).ToList() : [(string)node!];

    private static void ReadAttribute(AttributeMap map, string name, JsonNode? node)
    {
        var expanded = Expand(name);
        var instances = node is JsonArray array ? array.Select(n => n!.AsObject()).ToList() : [node!.AsObject()];
        foreach (var obj in instances)
        {
            if (!AttributeKinds.TryParse((string?)obj["type"], out var kind))
                throw new InvalidDataException($"attribute {name} has an unknown type");
            var value = obj[kind.ValueMember()]?.DeepClone();
            if (kind == AttributeKind.VocabProperty && value is JsonValue vocab)
                value = JsonValue.Create(Expand((string)vocab!));
            if (kind == AttributeKind.ListRelationship && value is JsonArray list)
                value = new JsonArray(list.Select(e => (JsonNode?)JsonValue.Create(e is JsonObject o ? (string)o["object"]! : (string)e!)).ToArray());
            var instance = new AttributeInstance
            {
                Kind = kind,
                Value = value,
                DatasetId = (string?)obj["datasetId"],
                ObservedAt = (string?)obj["observedAt"],
                UnitCode = (string?)obj["unitCode"],
            };
            foreach (var (member, sub) in obj)
            {
                if (!InstanceMembers.Contains(member))
                    ReadAttribute(instance.WritableSubAttributes, member, sub);
            }
            map.Put(expanded, instance);
        }
    }
}
