using Broker.Query.Ast;
using Ontology.Model;

namespace Broker.Storage.Postgres.Sql;

/// <summary>A WHERE condition and whether it is the query's exact meaning or only a superset of it.</summary>
/// <param name="Where">The condition on <c>entities e</c>.</param>
/// <param name="IsExact">
/// True when the condition selects exactly the entities <see cref="EntityQueryMatcher"/> selects, so paging and
/// counting can run in SQL; false when the rows must still be filtered by the matcher.
/// </param>
internal sealed record SqlFilter(SqlPredicate Where, bool IsExact);

/// <summary>
/// Translates an <see cref="EntityQuery"/> into SQL predicates, one translation per AST node. What SQL expresses exactly
/// (ids, type selection, attrs, existence of a plain attribute) is pushed down exactly; for the rest (id patterns,
/// comparisons, patterns, scopeQ, geo relations) the translation is a superset and the store filters the rows with
/// the in-memory evaluator, so the answer is never an approximation.
/// </summary>
internal static class QueryTranslator
{
    /// <summary>Top-level members of the stored document that are not attributes (see <see cref="StoredEntityJson"/>).</summary>
    private static readonly HashSet<string> StoredMembers = new(StringComparer.Ordinal) { "id", "type", "scope", "createdAt", "modifiedAt", "version", "@context" };

    public static SqlFilter Translate(EntityQuery query)
    {
        var parts = new List<SqlPredicate>();
        var exact = true;
        if (query.Ids is { } ids)
            parts.Add(new IdInPredicate([.. ids]));
        if (query.IdPattern is { } pattern)
        {
            // .NET and POSIX regexes differ, so the pattern itself is left to the evaluator; a literal prefix narrows the rows.
            if (IdPrefixPredicate.TryCreate(pattern) is { } prefix)
                parts.Add(prefix);
            exact = false;
        }
        if (query.Types is { } types)
            parts.Add(Type(types));
        if (query.Attrs is { } attrs)
        {
            if (attrs.Any(StoredMembers.Contains))
                exact = false;
            else
                parts.Add(new HasAnyAttributePredicate([.. attrs]));
        }
        if (query.ScopeQ is not null)
        {
            // An entity without scopes matches no scope pattern.
            parts.Add(new ScopePresentPredicate());
            exact = false;
        }
        if (query.Geo is { } geo)
        {
            parts.Add(new GeoPredicate(geo));
            exact = false;
        }
        if (query.Q is { } q)
        {
            var (predicate, qExact) = Q(q);
            parts.Add(predicate);
            exact &= qExact;
        }
        return new SqlFilter(CompoundPredicate.And(parts), exact);
    }

    private static SqlPredicate Type(TypeSelector selector) => selector switch
    {
        TypeName name => new HasTypePredicate(name.ExpandedType),
        TypeAnd and => CompoundPredicate.And([.. and.Operands.Select(Type)]),
        TypeOr or => CompoundPredicate.Or([.. or.Operands.Select(Type)]),
        _ => throw new ArgumentOutOfRangeException(nameof(selector)),
    };

    private static (SqlPredicate Predicate, bool Exact) Q(QueryExpression q)
    {
        switch (q)
        {
            case AndExpression and:
                {
                    var operands = and.Operands.Select(Q).ToList();
                    return (CompoundPredicate.And([.. operands.Select(o => o.Predicate)]), operands.All(o => o.Exact));
                }
            case OrExpression or:
                {
                    var operands = or.Operands.Select(Q).ToList();
                    return (CompoundPredicate.Or([.. operands.Select(o => o.Predicate)]), operands.All(o => o.Exact));
                }
            case ExistsExpression exists:
                if (!IsDocumentKey(exists.Path.Attribute))
                    return (TruePredicate.Instance, false);
                var isPlain = exists.Path.SubAttributes.Count == 0 && exists.Path.Members.Count == 0;
                return (new HasAttributePredicate(exists.Path.Attribute), isPlain);
            case NotExistsExpression notExists:
                if (!IsDocumentKey(notExists.Path.Attribute) || notExists.Path.SubAttributes.Count > 0 || notExists.Path.Members.Count > 0)
                    return (TruePredicate.Instance, false);
                return (new HasAttributePredicate(notExists.Path.Attribute).Reverse(), true);
            case ComparisonExpression comparison:
                // Every comparison, != included, needs a target, and a target needs the attribute; where the value can be
                // compared in jsonpath, some value under the attribute must also pass (a superset, see JsonPathComparisonPredicate).
                if (!IsDocumentKey(comparison.Path.Attribute))
                    return (TruePredicate.Instance, false);
                var has = new HasAttributePredicate(comparison.Path.Attribute);
                return JsonPathComparisonPredicate.TryCreate(comparison) is { } values
                    ? (CompoundPredicate.And([has, values]), false)
                    : (has, false);
            case PatternExpression pattern:
                return (IsDocumentKey(pattern.Path.Attribute) ? new HasAttributePredicate(pattern.Path.Attribute) : TruePredicate.Instance, false);
            default:
                return (TruePredicate.Instance, false);
        }
    }

    /// <summary>
    /// Whether the attribute's presence is exactly a top-level key of the document: not a member of the stored form, and
    /// not the entity's createdAt/modifiedAt, which a path names even when no attribute has that name.
    /// </summary>
    private static bool IsDocumentKey(string attribute) =>
        !StoredMembers.Contains(attribute) && attribute != NgsiLd.CreatedAt && attribute != NgsiLd.ModifiedAt;
}

/// <summary>The entity has scopes (the stored form's <c>scope</c> member).</summary>
internal sealed class ScopePresentPredicate : SqlPredicate
{
    public override void Write(SqlBuilder sql) => sql.Append("(e.doc ? 'scope')");
}

/// <summary>
/// The id starts with the literal prefix of an anchored id pattern (<c>^urn:ngsi-ld:Vehicle:.*</c>): a superset of the
/// pattern's matches, served by the primary key (id is COLLATE "C", so LIKE 'prefix%' is a range scan).
/// </summary>
internal sealed class IdPrefixPredicate(string prefix) : SqlPredicate
{
    public static IdPrefixPredicate? TryCreate(System.Text.RegularExpressions.Regex pattern)
    {
        var options = pattern.Options & ~(System.Text.RegularExpressions.RegexOptions.Compiled | System.Text.RegularExpressions.RegexOptions.CultureInvariant);
        var text = pattern.ToString();
        // An alternation anywhere could offer another start: no prefix then.
        if (options != System.Text.RegularExpressions.RegexOptions.None || !text.StartsWith('^') || text.Contains('|', StringComparison.Ordinal))
            return null;
        var length = 1;
        while (length < text.Length && (char.IsAsciiLetterOrDigit(text[length]) || text[length] is ':' or '-' or '_' or '/'))
            length++;
        // A quantifier applies to the character before it, which is then not certain to be in the prefix.
        if (length < text.Length && text[length] is '*' or '?' or '{')
            length--;
        return length > 1 ? new IdPrefixPredicate(text[1..length]) : null;
    }

    public override void Write(SqlBuilder sql) =>
        sql.Append("e.id LIKE ").Parameter(prefix.Replace("_", "\\_", StringComparison.Ordinal) + "%", NpgsqlTypes.NpgsqlDbType.Text);
}
