using System.Text.Json;
using Broker.Discovery;
using Ontology.JsonLd;

namespace Broker.Federation.Distributed;

/// <summary>
/// Reads the type and attribute discovery answers of context sources (clause 5.2.24–5.2.29) and unites them with this
/// broker's (clause 5.7.5–5.7.10 as distributed operations): names are united; entityCount and attributeCount are summed
/// (an entity that several sources hold is counted once per source); attribute names, attribute types and type names of
/// the details are united. Names are expanded with the client's @context, which the sources were asked with.
/// </summary>
public static class DiscoveryMerger
{
    /// <summary>EntityTypeList, an array of EntityType, or an EntityTypeInfo, as type summaries (without counts where the representation has none).</summary>
    public static IReadOnlyList<TypeSummary> ReadTypes(JsonElement answer, JsonLdContext context)
    {
        var types = new List<TypeSummary>();
        if (answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty("typeList", out var list))
        {
            foreach (var name in Strings(list))
                types.Add(new TypeSummary(context.ExpandTerm(name), 0, new Dictionary<string, SortedSet<string>>()));
            return types;
        }
        foreach (var item in Items(answer))
        {
            if (Name(item, "typeName", context) is not { } type)
                continue;
            var attributes = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
            foreach (var name in item.TryGetProperty("attributeNames", out var names) ? Strings(names) : [])
                attributes.TryAdd(context.ExpandTerm(name), new SortedSet<string>(StringComparer.Ordinal));
            if (item.TryGetProperty("attributeDetails", out var details) && details.ValueKind == JsonValueKind.Array)
            {
                foreach (var detail in details.EnumerateArray())
                {
                    if (Name(detail, "attributeName", context) is not { } attribute)
                        continue;
                    if (!attributes.TryGetValue(attribute, out var kinds))
                        attributes[attribute] = kinds = new SortedSet<string>(StringComparer.Ordinal);
                    kinds.UnionWith(detail.TryGetProperty("attributeTypes", out var attributeTypes) ? Strings(attributeTypes) : []);
                }
            }
            types.Add(new TypeSummary(type, Count(item, "entityCount"), attributes));
        }
        return types;
    }

    /// <summary>AttributeList, an array of Attribute, or an Attribute, as attribute summaries.</summary>
    public static IReadOnlyList<AttributeSummary> ReadAttributes(JsonElement answer, JsonLdContext context)
    {
        var attributes = new List<AttributeSummary>();
        if (answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty("attributeList", out var list))
        {
            foreach (var name in Strings(list))
                attributes.Add(new AttributeSummary(context.ExpandTerm(name), 0, new(StringComparer.Ordinal), new(StringComparer.Ordinal)));
            return attributes;
        }
        foreach (var item in Items(answer))
        {
            if (Name(item, "attributeName", context) is not { } name)
                continue;
            var kinds = new SortedSet<string>(item.TryGetProperty("attributeTypes", out var attributeTypes) ? Strings(attributeTypes) : [], StringComparer.Ordinal);
            var typeNames = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var type in item.TryGetProperty("typeNames", out var names) ? Strings(names) : [])
                typeNames.Add(context.ExpandTerm(type));
            attributes.Add(new AttributeSummary(name, Count(item, "attributeCount"), kinds, typeNames));
        }
        return attributes;
    }

    /// <summary>The union of the type summaries of several sources, ordered by type.</summary>
    public static IReadOnlyList<TypeSummary> MergeTypes(IEnumerable<IReadOnlyList<TypeSummary>> sources)
    {
        var merged = new SortedDictionary<string, (long Count, Dictionary<string, SortedSet<string>> Attributes)>(StringComparer.Ordinal);
        foreach (var type in sources.SelectMany(source => source))
        {
            if (!merged.TryGetValue(type.Type, out var summary))
                summary = (0, new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal));
            summary.Count += type.EntityCount;
            foreach (var (name, kinds) in type.Attributes)
            {
                if (!summary.Attributes.TryGetValue(name, out var united))
                    summary.Attributes[name] = united = new SortedSet<string>(StringComparer.Ordinal);
                united.UnionWith(kinds);
            }
            merged[type.Type] = summary;
        }
        return [.. merged.Select(t => new TypeSummary(t.Key, t.Value.Count, t.Value.Attributes))];
    }

    /// <summary>The union of the attribute summaries of several sources, in the order they are first named.</summary>
    public static IReadOnlyList<AttributeSummary> MergeAttributes(IEnumerable<IReadOnlyList<AttributeSummary>> sources)
    {
        var merged = new OrderedDictionary<string, AttributeSummary>(StringComparer.Ordinal);
        foreach (var attribute in sources.SelectMany(source => source))
        {
            if (!merged.TryGetValue(attribute.Name, out var summary))
                summary = new AttributeSummary(attribute.Name, 0, new(StringComparer.Ordinal), new(StringComparer.Ordinal));
            summary.AttributeTypes.UnionWith(attribute.AttributeTypes);
            summary.TypeNames.UnionWith(attribute.TypeNames);
            merged[attribute.Name] = summary with { InstanceCount = summary.InstanceCount + attribute.InstanceCount };
        }
        return [.. merged.Values];
    }

    private static IEnumerable<JsonElement> Items(JsonElement answer) => answer.ValueKind switch
    {
        JsonValueKind.Array => answer.EnumerateArray().Where(item => item.ValueKind == JsonValueKind.Object),
        JsonValueKind.Object => [answer],
        _ => [],
    };

    /// <summary>The expanded name of an EntityType, EntityTypeInfo or Attribute: its id when that is an IRI, else its short name expanded.</summary>
    private static string? Name(JsonElement item, string shortName, JsonLdContext context)
    {
        if (item.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String && id.GetString() is { } iri && iri.Contains(':', StringComparison.Ordinal))
            return iri;
        return item.TryGetProperty(shortName, out var name) && name.ValueKind == JsonValueKind.String ? context.ExpandTerm(name.GetString()!) : null;
    }

    private static long Count(JsonElement item, string name) =>
        item.TryGetProperty(name, out var count) && count.ValueKind == JsonValueKind.Number && count.TryGetInt64(out var value) ? value : 0;

    private static IEnumerable<string> Strings(JsonElement array) => array.ValueKind switch
    {
        JsonValueKind.Array => array.EnumerateArray().Where(item => item.ValueKind == JsonValueKind.String).Select(item => item.GetString()!),
        JsonValueKind.String => [array.GetString()!],
        _ => [],
    };
}
