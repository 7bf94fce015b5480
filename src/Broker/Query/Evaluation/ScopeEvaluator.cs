using Broker.Query.Ast;
using Ontology.Model;

namespace Broker.Query.Evaluation;

/// <summary>Evaluation of scopeQ (clause 4.19) against an entity's scopes (clause 4.18).</summary>
/// <remarks>
/// A pattern matches an entity when it matches at least one of its scopes. <c>/a/b</c> matches the scope <c>/a/b</c>
/// only (not its descendants); <c>+</c> matches exactly one level; <c>/a/#</c> matches <c>/a</c> and every scope below it;
/// <c>/#</c> matches any scope. With <c>;</c> each operand may be satisfied by a different scope of the entity.
/// An entity without scopes matches no pattern. Levels are compared ordinally; a trailing '/' of a stored scope is ignored.
/// </remarks>
public static class ScopeEvaluator
{
    public static bool Matches(Entity entity, ScopeExpression scopeQ)
    {
        ArgumentNullException.ThrowIfNull(entity);
        ArgumentNullException.ThrowIfNull(scopeQ);
        return Matches(entity.Scopes, scopeQ);
    }

    public static bool Matches(IReadOnlyList<string>? scopes, ScopeExpression scopeQ)
    {
        switch (scopeQ)
        {
            case ScopeAnd and:
                for (var i = 0; i < and.Operands.Count; i++)
                {
                    if (!Matches(scopes, and.Operands[i]))
                        return false;
                }
                return true;
            case ScopeOr or:
                for (var i = 0; i < or.Operands.Count; i++)
                {
                    if (Matches(scopes, or.Operands[i]))
                        return true;
                }
                return false;
            case ScopePattern pattern:
                if (scopes is null)
                    return false;
                for (var i = 0; i < scopes.Count; i++)
                {
                    if (MatchesScope(scopes[i], pattern.Segments))
                        return true;
                }
                return false;
            default:
                throw new ArgumentOutOfRangeException(nameof(scopeQ));
        }
    }

    private static bool MatchesScope(string scope, IReadOnlyList<string> pattern)
    {
        var levels = scope.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < pattern.Count; i++)
        {
            if (pattern[i] == ScopePattern.AnyLevels)
                return true;
            if (i >= levels.Length)
                return false;
            if (pattern[i] != ScopePattern.OneLevel && !string.Equals(pattern[i], levels[i], StringComparison.Ordinal))
                return false;
        }
        return levels.Length == pattern.Count;
    }
}
