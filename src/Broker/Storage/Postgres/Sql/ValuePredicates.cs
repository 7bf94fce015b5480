using Broker.Query.Ast;
using NpgsqlTypes;

namespace Broker.Storage.Postgres.Sql;

/// <summary>
/// The path exists (<c>q=a</c>, <c>q=a.b</c>) or, reversed, does not (<c>q=!a</c>): its key is in
/// <c>q_values</c> (see <see cref="QueryValues"/>).
/// </summary>
internal sealed class PathExistsPredicate(string key, bool negated = false) : SqlPredicate
{
    public PathExistsPredicate Reverse() => new(key, !negated);

    public override void Write(SqlBuilder sql) =>
        sql.Append(negated ? "NOT (e.q_values ? " : "(e.q_values ? ").Parameter(key, NpgsqlDbType.Text).Append(")");
}

/// <summary>
/// A comparison (clause 4.9) decided exactly on the stored targets of its path (<see cref="QueryValues"/>): some target
/// compares true; for <c>!=</c>, the path exists and no target equals. Each literal kind compares with the member
/// holding the targets the evaluator compares with it, so type mismatches are false as in the evaluator.
/// </summary>
internal sealed class ValueComparisonPredicate(string key, ComparisonExpression comparison) : SqlPredicate
{

    public override void Write(SqlBuilder sql)
    {
        if (comparison.Operator == ComparisonOperator.NotEqual)
        {
            sql.Append("((e.q_values ? ").Parameter(key, NpgsqlDbType.Text).Append(") AND NOT EXISTS (SELECT 1 FROM ");
            From(sql);
            sql.Append(" WHERE ");
            AnyEqual(sql, comparison.Operand);
            sql.Append("))");
            return;
        }
        sql.Append("EXISTS (SELECT 1 FROM ");
        From(sql);
        sql.Append(" WHERE ");
        if (comparison.Operator == ComparisonOperator.Equal)
            AnyEqual(sql, comparison.Operand);
        else
        {
            sql.Append("v.o IS NOT TRUE AND ");
            Order(sql, ((SingleValueOperand)comparison.Operand).Value, Symbol(comparison.Operator));
        }
        sql.Append(")");
    }

    private void From(SqlBuilder sql) =>
        sql.Append("jsonb_to_recordset(e.q_values -> ").Parameter(key, NpgsqlDbType.Text)
            .Append(") AS v(n numeric, d float8, s text, vs text, b boolean, t bigint, day integer, tod bigint, o boolean)");

    private static void AnyEqual(SqlBuilder sql, Operand operand)
    {
        switch (operand)
        {
            case SingleValueOperand single:
                Equal(sql, single.Value);
                break;
            case ValueListOperand list:
                sql.Append("(");
                for (var i = 0; i < list.Values.Count; i++)
                {
                    if (i > 0)
                        sql.Append(" OR ");
                    Equal(sql, list.Values[i]);
                }
                sql.Append(")");
                break;
            case RangeOperand range:
                sql.Append("(");
                Order(sql, range.Min, ">=");
                sql.Append(" AND ");
                Order(sql, range.Max, "<=");
                sql.Append(")");
                break;
            default:
                sql.Append("FALSE");
                break;
        }
    }

    private static void Equal(SqlBuilder sql, Literal literal)
    {
        if (literal is BooleanLiteral boolean)
            sql.Append("v.b = ").Parameter(boolean.Value, NpgsqlDbType.Boolean);
        else
            Order(sql, literal, "=");
    }

    /// <summary>The target compared with the literal by <paramref name="op"/>, as QueryEvaluator.Order orders them.</summary>
    private static void Order(SqlBuilder sql, Literal literal, string op)
    {
        switch (literal)
        {
            case NumberLiteral number when number.Exact is { } exact:
                sql.Append("(CASE WHEN v.n IS NOT NULL THEN v.n " + op + " ").Parameter(exact, NpgsqlDbType.Numeric)
                    .Append(" ELSE v.d " + op + " ").Parameter(number.Approximate, NpgsqlDbType.Double).Append(" END)");
                break;
            case NumberLiteral number:
                sql.Append("v.d " + op + " ").Parameter(number.Approximate, NpgsqlDbType.Double);
                break;
            case StringLiteral s:
                sql.Append("(v.s COLLATE \"C\" " + op + " ").Parameter(s.Value, NpgsqlDbType.Text)
                    .Append(" OR v.vs COLLATE \"C\" " + op + " ").Parameter(s.Expanded ?? s.Value, NpgsqlDbType.Text).Append(")");
                break;
            case UriLiteral uri:
                sql.Append("(v.s COLLATE \"C\" " + op + " ").Parameter(uri.Value, NpgsqlDbType.Text)
                    .Append(" OR v.vs COLLATE \"C\" " + op + " ").Parameter(uri.Value, NpgsqlDbType.Text).Append(")");
                break;
            case DateTimeLiteral dateTime:
                sql.Append("v.t " + op + " ").Parameter(dateTime.Value.UtcTicks, NpgsqlDbType.Bigint);
                break;
            case DateLiteral date:
                sql.Append("v.day " + op + " ").Parameter(date.Value.DayNumber, NpgsqlDbType.Integer);
                break;
            case TimeLiteral time:
                sql.Append("v.tod " + op + " ").Parameter(time.Value.Ticks, NpgsqlDbType.Bigint);
                break;
            default:
                sql.Append("FALSE");
                break;
        }
    }

    private static string Symbol(ComparisonOperator op) => op switch
    {
        ComparisonOperator.Greater => ">",
        ComparisonOperator.GreaterOrEqual => ">=",
        ComparisonOperator.Less => "<",
        ComparisonOperator.LessOrEqual => "<=",
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };
}

/// <summary>
/// A scope pattern (clause 4.19) over the entity's scopes split into levels (<see cref="QueryValues"/>): some scope has
/// the pattern's levels, <c>+</c> any one level, and <c>#</c> any levels from there on; without <c>#</c> the level count
/// must be equal, as in ScopeEvaluator.
/// </summary>
internal sealed class ScopePatternPredicate(ScopePattern pattern) : SqlPredicate
{
    public override void Write(SqlBuilder sql)
    {
        sql.Append("EXISTS (SELECT 1 FROM jsonb_array_elements(e.q_values -> 'scope') AS s(levels) WHERE ");
        var open = false;
        for (var i = 0; i < pattern.Segments.Count; i++)
        {
            var segment = pattern.Segments[i];
            if (segment == ScopePattern.AnyLevels)
            {
                open = true;
                sql.Append("jsonb_array_length(s.levels) >= ").Parameter(i, NpgsqlDbType.Integer);
                break;
            }
            if (segment != ScopePattern.OneLevel)
            {
                sql.Append("(s.levels ->> ").Parameter(i, NpgsqlDbType.Integer).Append(") COLLATE \"C\" = ").Parameter(segment, NpgsqlDbType.Text).Append(" AND ");
            }
        }
        if (!open)
            sql.Append("jsonb_array_length(s.levels) = ").Parameter(pattern.Segments.Count, NpgsqlDbType.Integer);
        sql.Append(")");
    }
}
