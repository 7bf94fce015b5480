using System.Text.RegularExpressions;

namespace Broker.Query.Ast;

/// <summary>A node of the NGSI-LD query language q (clause 4.9). Attribute paths are already expanded.</summary>
public abstract record QueryExpression;

/// <summary><c>a;b</c>: every operand matches (clause 4.9, andOp).</summary>
public sealed record AndExpression(IReadOnlyList<QueryExpression> Operands) : QueryExpression;

/// <summary><c>a|b</c>: at least one operand matches (clause 4.9, orOp).</summary>
public sealed record OrExpression(IReadOnlyList<QueryExpression> Operands) : QueryExpression;

/// <summary><c>path op operand</c> (clause 4.9, QueryTerm with Operator).</summary>
public sealed record ComparisonExpression(AttributePath Path, ComparisonOperator Operator, Operand Operand) : QueryExpression;

/// <summary>
/// <c>path~=regex</c> or, when <paramref name="Negated"/>, <c>path!~=regex</c> (clause 4.9, patternOp / notPatternOp).
/// Negation is carried by the node, not by a NOT wrapper.
/// </summary>
public sealed record PatternExpression(AttributePath Path, Regex Pattern, bool Negated) : QueryExpression
{
    public bool Equals(PatternExpression? other) =>
        other is not null && Path.Equals(other.Path) && Negated == other.Negated
        && Pattern.ToString() == other.Pattern.ToString() && Pattern.Options == other.Pattern.Options;

    public override int GetHashCode() => HashCode.Combine(Path, Pattern.ToString(), Negated);
}

/// <summary><c>q=a</c>: the attribute (or sub-attribute / compound member) exists (clause 4.9).</summary>
public sealed record ExistsExpression(AttributePath Path) : QueryExpression;

/// <summary><c>q=!a</c>: the attribute does not exist (clause 4.9).</summary>
public sealed record NotExistsExpression(AttributePath Path) : QueryExpression;

public enum ComparisonOperator
{
    Equal,
    NotEqual,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
}

public static class ComparisonOperators
{
    public static string Symbol(this ComparisonOperator op) => op switch
    {
        ComparisonOperator.Equal => "==",
        ComparisonOperator.NotEqual => "!=",
        ComparisonOperator.Greater => ">",
        ComparisonOperator.GreaterOrEqual => ">=",
        ComparisonOperator.Less => "<",
        ComparisonOperator.LessOrEqual => "<=",
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    /// <summary>The operator whose result is the logical negation of this one on a present, comparable value.</summary>
    public static ComparisonOperator Reverse(this ComparisonOperator op) => op switch
    {
        ComparisonOperator.Equal => ComparisonOperator.NotEqual,
        ComparisonOperator.NotEqual => ComparisonOperator.Equal,
        ComparisonOperator.Greater => ComparisonOperator.LessOrEqual,
        ComparisonOperator.GreaterOrEqual => ComparisonOperator.Less,
        ComparisonOperator.Less => ComparisonOperator.GreaterOrEqual,
        ComparisonOperator.LessOrEqual => ComparisonOperator.Greater,
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };
}

/// <summary>The right-hand side of a comparison (clause 4.9: ComparableValue, CompEqualityValue).</summary>
public abstract record Operand;

public sealed record SingleValueOperand(Literal Value) : Operand;

/// <summary><c>min..max</c>, both ends inclusive (clause 4.9, Range); only with == and !=.</summary>
public sealed record RangeOperand(Literal Min, Literal Max) : Operand;

/// <summary><c>v1,v2,...</c> (clause 4.9, ValueList); only with == and !=.</summary>
public sealed record ValueListOperand(IReadOnlyList<Literal> Values) : Operand
{
    public bool Equals(ValueListOperand? other) => other is not null && Values.SequenceEqual(other.Values);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var value in Values)
            hash.Add(value);
        return hash.ToHashCode();
    }
}
