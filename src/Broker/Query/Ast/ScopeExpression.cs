namespace Broker.Query.Ast;

/// <summary>A node of the scope query language scopeQ (clause 4.19).</summary>
public abstract record ScopeExpression;

/// <summary><c>a;b</c>.</summary>
public sealed record ScopeAnd(IReadOnlyList<ScopeExpression> Operands) : ScopeExpression;

/// <summary><c>a,b</c> (also <c>|</c>).</summary>
public sealed record ScopeOr(IReadOnlyList<ScopeExpression> Operands) : ScopeExpression;

/// <summary>
/// One scope pattern such as <c>/Madrid/Gardens</c>, <c>/Madrid/+/Tree</c>, <c>/Madrid/#</c> or <c>/#</c>.
/// <c>+</c> matches exactly one level, <c>#</c> (last segment only) the level before it and any levels below.
/// </summary>
public sealed record ScopePattern(IReadOnlyList<string> Segments) : ScopeExpression
{
    public const string OneLevel = "+";
    public const string AnyLevels = "#";

    public bool Equals(ScopePattern? other) => other is not null && Segments.SequenceEqual(other.Segments);

    public override int GetHashCode() => Segments.Count;

    public override string ToString() => "/" + string.Join('/', Segments);
}
