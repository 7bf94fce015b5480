using Ontology.Model;

namespace Broker.Storage;

/// <summary>The in-memory meaning of an <see cref="EntityQuery"/>: stores that evaluate in memory call it, SQL stores are checked against it.</summary>
public static class EntityQueryMatcher
{
    public static bool Matches(Entity entity, EntityQuery query)
    {
        if (query.Ids is { } ids && !ids.Contains(entity.Id))
            return false;
        if (query.IdPattern is { } pattern && !pattern.IsMatch(entity.Id))
            return false;
        if (query.Types is { } types && !HasAnyType(entity, types))
            return false;
        if (query.Attrs is { } attrs && !HasAnyAttribute(entity, attrs))
            return false;
        return true;
    }

    private static bool HasAnyType(Entity entity, IReadOnlyList<string> types)
    {
        foreach (var type in entity.Types)
        {
            for (var i = 0; i < types.Count; i++)
            {
                if (types[i] == type)
                    return true;
            }
        }
        return false;
    }

    private static bool HasAnyAttribute(Entity entity, IReadOnlyList<string> attrs)
    {
        for (var i = 0; i < attrs.Count; i++)
        {
            if (entity.Attributes.Contains(attrs[i]))
                return true;
        }
        return false;
    }
}
