using Broker.Query.Ast;
using Ontology.Model;

namespace Broker.Storage.Postgres.Sql;

/// <summary>A WHERE condition, and the part of it that needs no check by the evaluator.</summary>
/// <param name="Where">A superset of the entities <see cref="EntityQueryMatcher"/> selects, as a condition on <c>entities e</c>.</param>
/// <param name="Certain">
/// A subset of them: rows for which it is true match without a check by the evaluator; null when no row is certain.
/// When it is <paramref name="Where"/> itself, the filter is exact and paging and counting run in SQL.
/// </param>
internal sealed record SqlFilter(SqlPredicate Where, SqlPredicate? Certain)
{
    public bool IsExact => ReferenceEquals(Where, Certain);

    public static SqlFilter Exact(SqlPredicate predicate) => new(predicate, predicate);

    public static SqlFilter Superset(SqlPredicate predicate) => new(predicate, null);

    public static SqlFilter And(IReadOnlyList<SqlFilter> parts)
    {
        var where = CompoundPredicate.And([.. parts.Select(p => p.Where)]);
        if (parts.All(p => p.IsExact))
            return Exact(where);
        return new SqlFilter(where, parts.All(p => p.Certain is not null) ? CompoundPredicate.And([.. parts.Select(p => p.Certain!)]) : null);
    }

    public static SqlFilter Or(IReadOnlyList<SqlFilter> parts)
    {
        var where = CompoundPredicate.Or([.. parts.Select(p => p.Where)]);
        if (parts.All(p => p.IsExact))
            return Exact(where);
        var certain = parts.Where(p => p.Certain is not null).Select(p => p.Certain!).ToList();
        return new SqlFilter(where, certain.Count == 0 ? null : CompoundPredicate.Or(certain));
    }
}

/// <summary>
/// Translates an <see cref="EntityQuery"/> into SQL predicates, one translation per AST node. Exact: ids, type
/// selection, attrs, existence, comparisons on paths without compound members (on the targets the evaluator resolves,
/// stored in <c>q_values</c>, see <see cref="QueryValues"/>), scopeQ, and geo-queries where PostGIS certainly agrees
/// (<see cref="GeoCertainPredicate"/>). The rest (id patterns, ~=, compound members, deep paths, timestamps of the entity
/// and of instances, geo rows PostGIS cannot decide) is a superset, and the store checks those rows with the evaluator,
/// so the answer is never an approximation.
/// </summary>
internal static class QueryTranslator
{
    private static readonly HashSet<string> StoredMembers = new(StoredEntityJson.NonAttributeMembers, StringComparer.Ordinal);

    public static SqlFilter Translate(EntityQuery query)
    {
        var parts = new List<SqlFilter>();
        if (query.Ids is { } ids)
            parts.Add(SqlFilter.Exact(new IdInPredicate([.. ids])));
        if (query.IdPattern is { } pattern)
            parts.Add(IdPattern(pattern));
        if (query.Types is { } types)
            parts.Add(SqlFilter.Exact(Type(types)));
        if (query.Restriction is { } restriction)
            parts.Add(SqlFilter.Or([.. restriction.AnyOf.Select(Allowed)]));
        if (query.Attrs is { } attrs)
        {
            parts.Add(attrs.Any(StoredMembers.Contains)
                ? SqlFilter.Superset(TruePredicate.Instance)
                : SqlFilter.Exact(new HasAnyAttributePredicate([.. attrs])));
        }
        if (query.ScopeQ is { } scopeQ)
            parts.Add(SqlFilter.Exact(Scope(scopeQ)));
        if (query.Geo is { } geo)
        {
            var where = new GeoPredicate(geo);
            parts.Add(new SqlFilter(where, GeoCertainPredicate.TryCreate(geo)));
        }
        if (query.Q is { } q)
            parts.Add(Q(q));
        return SqlFilter.And(parts);
    }

    /// <summary>.NET and POSIX regexes differ: only patterns both read alike run in SQL; otherwise a literal prefix narrows the rows.</summary>
    private static SqlFilter IdPattern(System.Text.RegularExpressions.Regex pattern)
    {
        if (IdRegexPredicate.TryCreate(pattern) is { } regex)
            return SqlFilter.Exact(regex);
        return SqlFilter.Superset(IdPrefixPredicate.TryCreate(pattern) is { } prefix ? prefix : TruePredicate.Instance);
    }

    private static SqlFilter Allowed(AllowedEntities allowed)
    {
        var parts = new List<SqlFilter>(2);
        if (allowed.Types is { } types)
            parts.Add(SqlFilter.Exact(CompoundPredicate.Or([.. types.Select(t => new HasTypePredicate(t))])));
        if (allowed.IdPattern is { } pattern)
            parts.Add(IdPattern(pattern));
        return parts.Count == 0 ? SqlFilter.Exact(TruePredicate.Instance) : SqlFilter.And(parts);
    }

    private static SqlPredicate Type(TypeSelector selector) => selector switch
    {
        TypeName name => new HasTypePredicate(name.ExpandedType),
        TypeAnd and => CompoundPredicate.And([.. and.Operands.Select(Type)]),
        TypeOr or => CompoundPredicate.Or([.. or.Operands.Select(Type)]),
        _ => throw new ArgumentOutOfRangeException(nameof(selector)),
    };

    private static SqlPredicate Scope(ScopeExpression scope) => scope switch
    {
        ScopePattern pattern => new ScopePatternPredicate(pattern),
        ScopeAnd and => CompoundPredicate.And([.. and.Operands.Select(Scope)]),
        ScopeOr or => CompoundPredicate.Or([.. or.Operands.Select(Scope)]),
        _ => throw new ArgumentOutOfRangeException(nameof(scope)),
    };

    private static SqlFilter Q(QueryExpression q)
    {
        switch (q)
        {
            case AndExpression and:
                return SqlFilter.And([.. and.Operands.Select(Q)]);
            case OrExpression or:
                return SqlFilter.Or([.. or.Operands.Select(Q)]);
            case ExistsExpression exists:
                if (IsDocumentKey(exists.Path.Attribute) && QueryValues.Covers(exists.Path))
                    return SqlFilter.Exact(CompoundPredicate.And([new HasAttributePredicate(exists.Path.Attribute), new PathExistsPredicate(Key(exists.Path))]));
                return SqlFilter.Superset(IsDocumentKey(exists.Path.Attribute) ? new HasAttributePredicate(exists.Path.Attribute) : TruePredicate.Instance);
            case NotExistsExpression notExists:
                if (IsDocumentKey(notExists.Path.Attribute) && QueryValues.Covers(notExists.Path))
                    return SqlFilter.Exact(new PathExistsPredicate(Key(notExists.Path)).Reverse());
                return SqlFilter.Superset(TruePredicate.Instance);
            case ComparisonExpression comparison:
                if (IsTimestamp(comparison.Path) && comparison.Operator != ComparisonOperator.NotEqual)
                    return SqlFilter.Exact(new ValueComparisonPredicate(Key(comparison.Path), comparison));
                if (!IsDocumentKey(comparison.Path.Attribute))
                    return SqlFilter.Superset(TruePredicate.Instance);
                // Every comparison, != included, needs a target, and a target needs the attribute (served by the GIN index on doc).
                var has = new HasAttributePredicate(comparison.Path.Attribute);
                if (QueryValues.Covers(comparison.Path))
                    return SqlFilter.Exact(CompoundPredicate.And([has, new ValueComparisonPredicate(Key(comparison.Path), comparison)]));
                return SqlFilter.Superset(JsonPathComparisonPredicate.TryCreate(comparison) is { } values ? CompoundPredicate.And([has, values]) : has);
            case PatternExpression pattern:
                return SqlFilter.Superset(IsDocumentKey(pattern.Path.Attribute) ? new HasAttributePredicate(pattern.Path.Attribute) : TruePredicate.Instance);
            default:
                return SqlFilter.Superset(TruePredicate.Instance);
        }
    }

    /// <summary>
    /// The entity's createdAt or modifiedAt (or an attribute of that name), whose targets <see cref="QueryValues"/> stores;
    /// existence, and so !=, stay with the evaluator.
    /// </summary>
    private static bool IsTimestamp(AttributePath path) =>
        path.Attribute is NgsiLd.CreatedAt or NgsiLd.ModifiedAt && path.SubAttributes.Count == 0 && path.Members.Count == 0;

    private static string Key(AttributePath path) => QueryValues.Key(path.Attribute, path.SubAttributes);

    /// <summary>
    /// Whether the attribute's presence is exactly a top-level key of the document: not a member of the stored form, and
    /// not the entity's createdAt/modifiedAt, which a path names even when no attribute has that name.
    /// </summary>
    private static bool IsDocumentKey(string attribute) =>
        !StoredMembers.Contains(attribute) && attribute != NgsiLd.CreatedAt && attribute != NgsiLd.ModifiedAt;
}

/// <summary>
/// An id pattern that .NET and PostgreSQL's regular expressions (ARE) read alike, matched with <c>~</c>: letters, digits,
/// <c>: / - _</c> as literals, <c>*</c> and <c>+</c> after a literal, <c>.*</c> and <c>.+</c>, a leading <c>^</c> and a
/// trailing <c>$</c> (ids hold no line breaks, before which .NET's <c>$</c> also matches). A lone <c>.</c> is left out, as
/// it counts UTF-16 units in .NET and code points in PostgreSQL.
/// </summary>
internal sealed class IdRegexPredicate(string pattern) : SqlPredicate
{
    public static IdRegexPredicate? TryCreate(System.Text.RegularExpressions.Regex regex)
    {
        var options = regex.Options & ~(System.Text.RegularExpressions.RegexOptions.Compiled | System.Text.RegularExpressions.RegexOptions.CultureInvariant);
        if (options != System.Text.RegularExpressions.RegexOptions.None)
            return null;
        var text = regex.ToString();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var quantifier = c is '*' or '+' && i > 0 && (IsLiteral(text[i - 1]) || text[i - 1] == '.');
            var any = c == '.' && i + 1 < text.Length && text[i + 1] is '*' or '+';
            var anchor = (c == '^' && i == 0) || (c == '$' && i == text.Length - 1 && i > 0);
            if (!IsLiteral(c) && !quantifier && !any && !anchor)
                return null;
        }
        return new IdRegexPredicate(text);
    }

    private static bool IsLiteral(char c) => char.IsAsciiLetterOrDigit(c) || c is ':' or '/' or '-' or '_';

    public override void Write(SqlBuilder sql) => sql.Append("e.id ~ ").Parameter(pattern, NpgsqlTypes.NpgsqlDbType.Text);
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
