using System.Text.RegularExpressions;
using Ontology.Model;

namespace Broker.Storage;

/// <summary>
/// The entities a client's role reaches (Security:Roles, see README "Security"): an entity is within reach when any of
/// <see cref="AnyOf"/> admits it. Stores apply it to every read and write of a request made with such a role.
/// </summary>
public sealed record EntityRestriction(IReadOnlyList<AllowedEntities> AnyOf)
{
    public bool Allows(Entity entity) => Allows(entity.Id, entity.Types);

    public bool Allows(string id, IReadOnlyList<string> types)
    {
        for (var i = 0; i < AnyOf.Count; i++)
        {
            if (AnyOf[i].Allows(id, types))
                return true;
        }
        return false;
    }

    /// <summary>Entities either restriction admits (a client holding two restricted roles).</summary>
    public EntityRestriction Or(EntityRestriction other) => new([.. AnyOf, .. other.AnyOf]);

    public bool HasIdPattern => AnyOf.Any(a => a.IdPattern is not null);

    public override string ToString() => string.Join(" or ", AnyOf);
}

/// <summary>Entities of one of <paramref name="Types"/> (expanded; null for any) whose whole id matches <paramref name="IdPattern"/> (null for any).</summary>
public sealed record AllowedEntities(IReadOnlyList<string>? Types, Regex? IdPattern)
{
    public bool Allows(string id, IReadOnlyList<string> types)
    {
        if (IdPattern is not null && !IdPattern.IsMatch(id))
            return false;
        if (Types is null)
            return true;
        for (var i = 0; i < types.Count; i++)
        {
            for (var j = 0; j < Types.Count; j++)
            {
                if (string.Equals(types[i], Types[j], StringComparison.Ordinal))
                    return true;
            }
        }
        return false;
    }

    /// <summary>A pattern that must match the whole id, anchored so that PostgreSQL can run it when it is simple.</summary>
    public static Regex WholeIdPattern(string pattern, TimeSpan timeout)
    {
        if (pattern.Contains('|', StringComparison.Ordinal))
            return new Regex($"^(?:{pattern})$", RegexOptions.CultureInvariant, timeout);
        var body = pattern.StartsWith('^') ? pattern[1..] : pattern;
        if (body.EndsWith('$') && !body.EndsWith("\\$", StringComparison.Ordinal))
            body = body[..^1];
        return new Regex($"^{body}$", RegexOptions.CultureInvariant, timeout);
    }

    public override string ToString() =>
        (Types is null ? "any type" : "types " + string.Join(", ", Types)) + (IdPattern is null ? "" : $" with ids matching {IdPattern}");
}
