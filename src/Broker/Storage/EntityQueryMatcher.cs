using Broker.Query.Evaluation;
using Ontology.Model;

namespace Broker.Storage;

/// <summary>The in-memory meaning of an <see cref="EntityQuery"/>: stores that evaluate in memory call it, SQL stores are checked against it.</summary>
public static class EntityQueryMatcher
{
    public static bool Matches(Entity entity, EntityQuery query)
    {
        if (query.Ids is { } ids && !Contains(ids, entity.Id))
            return false;
        if (query.IdPattern is { } pattern && !pattern.IsMatch(entity.Id))
            return false;
        if (query.Types is { } types && !types.Matches(entity.Types))
            return false;
        if (query.Restriction is { } restriction && !restriction.Allows(entity))
            return false;
        if (query.Attrs is { } attrs && !HasAnyAttribute(entity, attrs))
            return false;
        if (query.ScopeQ is { } scopeQ && !ScopeEvaluator.Matches(entity, scopeQ))
            return false;
        if (query.Q is { } q && !QueryEvaluator.Matches(entity, q))
            return false;
        // Last, because geometry relations cost the most.
        return query.Geo is not { } geo || GeoEvaluator.Matches(entity, geo);
    }

    private static bool Contains(IReadOnlyList<string> ids, string id)
    {
        for (var i = 0; i < ids.Count; i++)
        {
            if (ids[i] == id)
                return true;
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
