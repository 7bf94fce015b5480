using Broker.Storage;
using Ontology.Model;

namespace Broker.Discovery;

public sealed record TypeSummary(string Type, long EntityCount, IReadOnlyDictionary<string, SortedSet<string>> Attributes);

/// <summary>An attribute name across a tenant: attributeCount counts its instances (clause 5.2.28).</summary>
public sealed record AttributeSummary(string Name, long InstanceCount, SortedSet<string> AttributeTypes, SortedSet<string> TypeNames);

/// <summary>Type and attribute discovery (clause 5.7.5–5.7.10), derived from the entities of a tenant.</summary>
public sealed class DiscoveryService(IEntityStore store)
{
    public async Task<IReadOnlyList<TypeSummary>> GetTypesAsync(string tenant, CancellationToken ct)
    {
        var shapes = await store.GetShapesAsync(tenant, ct);
        var types = new SortedDictionary<string, (long Count, Dictionary<string, SortedSet<string>> Attributes)>(StringComparer.Ordinal);
        foreach (var shape in shapes)
        {
            foreach (var type in shape.Types)
            {
                if (!types.TryGetValue(type, out var summary))
                    summary = (0, new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal));
                summary.Count += shape.Count;
                foreach (var (name, kind) in shape.Attributes)
                {
                    if (!summary.Attributes.TryGetValue(name, out var kinds))
                        summary.Attributes[name] = kinds = new SortedSet<string>(StringComparer.Ordinal);
                    kinds.Add(kind.TypeName());
                }
                types[type] = summary;
            }
        }
        return types.Select(t => new TypeSummary(t.Key, t.Value.Count, t.Value.Attributes)).ToList();
    }

    public async Task<IReadOnlyList<AttributeSummary>> GetAttributesAsync(string tenant, CancellationToken ct)
    {
        var shapes = await store.GetShapesAsync(tenant, ct);
        // In the order attributes were first seen, as other brokers list them.
        var attributes = new OrderedDictionary<string, AttributeSummary>(StringComparer.Ordinal);
        foreach (var shape in shapes)
        {
            foreach (var (name, kind) in shape.Attributes)
            {
                if (!attributes.TryGetValue(name, out var summary))
                    attributes[name] = summary = new AttributeSummary(name, 0, new(StringComparer.Ordinal), new(StringComparer.Ordinal));
                summary.AttributeTypes.Add(kind.TypeName());
                foreach (var type in shape.Types)
                    summary.TypeNames.Add(type);
                attributes[name] = summary with { InstanceCount = summary.InstanceCount + shape.Count };
            }
        }
        return [.. attributes.Values];
    }
}
