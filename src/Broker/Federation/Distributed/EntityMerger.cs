using Broker.Entities.Representation;
using Ontology.Model;

namespace Broker.Federation.Distributed;

/// <summary>An entity as one source gave it: this broker or a context source, and whether that source is auxiliary.</summary>
public sealed record SourcedEntity(Entity Entity, bool Auxiliary);

/// <summary>
/// Merges the answers of several sources for one entity id (clause 4.3.6.2 and 5.7.1.4): types and scopes are united;
/// each attribute instance (attribute name and datasetId) is taken from the source whose instance is the most recent by
/// observedAt (by modifiedAt when either has no observedAt); an instance from an auxiliary source never replaces one from
/// another source. On a tie the source given first (this broker) keeps it.
/// </summary>
public static class EntityMerger
{
    public static Entity Merge(IReadOnlyList<SourcedEntity> sources)
    {
        ArgumentOutOfRangeException.ThrowIfZero(sources.Count);
        var merged = new Entity { Id = sources[0].Entity.Id };
        var chosen = new Dictionary<(string Name, string DatasetId), (AttributeInstance Instance, bool Auxiliary)>();
        var order = new List<(string Name, string DatasetId)>();
        foreach (var (entity, auxiliary) in sources)
        {
            foreach (var type in entity.Types)
            {
                if (!merged.Types.Contains(type))
                    merged.Types.Add(type);
            }
            if (entity.Scopes is { } scopes)
            {
                merged.Scopes ??= [];
                foreach (var scope in scopes)
                {
                    if (!merged.Scopes.Contains(scope))
                        merged.Scopes.Add(scope);
                }
            }
            if (entity.CreatedAt != default && (merged.CreatedAt == default || entity.CreatedAt < merged.CreatedAt))
                merged.CreatedAt = entity.CreatedAt;
            if (entity.ModifiedAt > merged.ModifiedAt)
                merged.ModifiedAt = entity.ModifiedAt;
            foreach (var (name, instances) in entity.Attributes)
            {
                foreach (var instance in instances)
                {
                    var key = (name, instance.DatasetId ?? "");
                    if (!chosen.TryGetValue(key, out var current))
                    {
                        order.Add(key);
                        chosen[key] = (instance, auxiliary);
                    }
                    else if (Replaces(instance, auxiliary, current.Instance, current.Auxiliary))
                    {
                        chosen[key] = (instance, auxiliary);
                    }
                }
            }
        }
        foreach (var key in order)
            merged.Attributes.Put(key.Name, chosen[key].Instance);
        return merged;
    }

    private static bool Replaces(AttributeInstance candidate, bool candidateAuxiliary, AttributeInstance current, bool currentAuxiliary)
    {
        if (candidateAuxiliary != currentAuxiliary)
            return currentAuxiliary;
        if (Timestamps.TryParse(candidate.ObservedAt, out var candidateObserved) && Timestamps.TryParse(current.ObservedAt, out var currentObserved))
            return candidateObserved > currentObserved;
        return candidate.ModifiedAt > current.ModifiedAt;
    }
}
