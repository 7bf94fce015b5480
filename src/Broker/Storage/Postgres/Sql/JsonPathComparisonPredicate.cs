using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Query.Ast;
using NpgsqlTypes;

namespace Broker.Storage.Postgres.Sql;

/// <summary>
/// A superset of the entities for which a comparison <c>a op v</c> (clause 4.9) can be true: some JSON value anywhere
/// under the attribute's member of the stored document satisfies the comparison. Every target the evaluator resolves
/// for any path starting at the attribute (instances, sub-attributes, special members, compound members, list
/// elements, @value) lies under that member, so nothing that matches is lost; the evaluator then decides exactly.
/// </summary>
/// <remarks>
/// The jsonpath and its variables are parameters (the attribute name is a JSON-escaped string literal inside the
/// path parameter, never in the SQL text). Numbers are compared with a margin (relative 1e-9, absolute 1e-20), because the
/// evaluator may compare in double or in rounded decimal where PostgreSQL compares exact numerics. Only numbers
/// (all operators), and strings, URIs and booleans with == are translated; everything else returns null and stays
/// an existence test.
/// </remarks>
internal sealed class JsonPathComparisonPredicate : SqlPredicate
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly string _path;
    private readonly string _variables;

    private JsonPathComparisonPredicate(string path, string variables)
    {
        _path = path;
        _variables = variables;
    }

    public static JsonPathComparisonPredicate? TryCreate(ComparisonExpression comparison)
    {
        var variables = new JsonObject();
        string? condition = comparison.Operator switch
        {
            ComparisonOperator.Equal => comparison.Operand switch
            {
                SingleValueOperand single => Equal(single.Value, variables),
                ValueListOperand list => AnyEqual(list.Values, variables),
                RangeOperand range => Between(range.Min, range.Max, variables),
                _ => null,
            },
            ComparisonOperator.NotEqual => null,
            _ => comparison.Operand is SingleValueOperand { Value: NumberLiteral number } ? Order(comparison.Operator, number, variables) : null,
        };
        if (condition is null)
            return null;
        var path = "$." + JsonSerializer.Serialize(comparison.Path.Attribute, Relaxed) + ".** ? (" + condition + ")";
        return new JsonPathComparisonPredicate(path, variables.ToJsonString());
    }

    public override void Write(SqlBuilder sql) =>
        sql.Append("jsonb_path_exists(e.doc, ").Parameter(_path, NpgsqlDbType.JsonPath)
            .Append(", ").Parameter(_variables, NpgsqlDbType.Jsonb).Append(", true)");

    private static string? AnyEqual(IReadOnlyList<Literal> values, JsonObject variables)
    {
        var conditions = new StringBuilder();
        foreach (var value in values)
        {
            if (Equal(value, variables) is not { } condition)
                return null;
            conditions.Append(conditions.Length == 0 ? "" : " || ").Append(condition);
        }
        return conditions.Length == 0 ? null : conditions.ToString();
    }

    private static string? Equal(Literal literal, JsonObject variables) => literal switch
    {
        NumberLiteral number => Bounds(number, variables) is { } bounds ? $"(@ >= {bounds.Low} && @ <= {bounds.High})" : null,
        StringLiteral s when s.Expanded is { } expanded => $"(@ == {Variable(variables, s.Value)} || @ == {Variable(variables, expanded)})",
        StringLiteral s => "@ == " + Variable(variables, s.Value),
        UriLiteral uri => "@ == " + Variable(variables, uri.Value),
        BooleanLiteral boolean => "@ == " + Variable(variables, JsonValue.Create(boolean.Value)),
        _ => null,
    };

    private static string? Between(Literal min, Literal max, JsonObject variables)
    {
        if (min is not NumberLiteral low || max is not NumberLiteral high || Bounds(low, variables) is not { } from || Bounds(high, variables) is not { } to)
            return null;
        return $"(@ >= {from.Low} && @ <= {to.High})";
    }

    private static string? Order(ComparisonOperator op, NumberLiteral number, JsonObject variables)
    {
        if (Bounds(number, variables) is not { } bounds)
            return null;
        return op switch
        {
            ComparisonOperator.Greater => "@ > " + bounds.Low,
            ComparisonOperator.GreaterOrEqual => "@ >= " + bounds.Low,
            ComparisonOperator.Less => "@ < " + bounds.High,
            ComparisonOperator.LessOrEqual => "@ <= " + bounds.High,
            _ => null,
        };
    }

    /// <summary>The number widened by the margin, as two jsonpath variables; null when it is not finite.</summary>
    private static (string Low, string High)? Bounds(NumberLiteral number, JsonObject variables)
    {
        if (number.Exact is { } exact && Math.Abs(exact) < 1e27m)
        {
            var margin = Math.Abs(exact) * 0.000000001m + 0.00000000000000000001m;
            return (Variable(variables, JsonValue.Create(exact - margin)), Variable(variables, JsonValue.Create(exact + margin)));
        }
        var value = number.Approximate;
        if (!double.IsFinite(value))
            return null;
        var width = Math.Abs(value) * 1e-9 + 1e-20;
        if (!double.IsFinite(value - width) || !double.IsFinite(value + width))
            return null;
        return (Variable(variables, JsonValue.Create(value - width)), Variable(variables, JsonValue.Create(value + width)));
    }

    private static string Variable(JsonObject variables, string value) => Variable(variables, JsonValue.Create(value));

    private static string Variable(JsonObject variables, JsonNode value)
    {
        var name = "v" + variables.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        variables[name] = value;
        return "$" + name;
    }
}
