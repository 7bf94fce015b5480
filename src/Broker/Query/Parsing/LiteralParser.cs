using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Broker.Query.Ast;

namespace Broker.Query.Parsing;

/// <summary>Literals of clause 4.9 shared by the q parser and tests.</summary>
internal static partial class LiteralParser
{
    [GeneratedRegex(@"^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$", RegexOptions.CultureInvariant)]
    private static partial Regex DateTimePattern();

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", RegexOptions.CultureInvariant)]
    private static partial Regex DatePattern();

    [GeneratedRegex(@"^[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?Z?$", RegexOptions.CultureInvariant)]
    private static partial Regex TimePattern();

    /// <summary>Classifies an unquoted token; null when it is none of number, boolean, temporal or URI.</summary>
    public static Literal? Classify(string token)
    {
        if (token == "true")
            return new BooleanLiteral(true);
        if (token == "false")
            return new BooleanLiteral(false);
        if (NumberPattern().IsMatch(token))
            return ParseNumber(token);
        if (DateTimePattern().IsMatch(token))
            return TryParseDateTime(token, out var dateTime) ? new DateTimeLiteral(dateTime) : null;
        if (DatePattern().IsMatch(token))
            return DateOnly.TryParseExact(token, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? new DateLiteral(date) : null;
        if (TimePattern().IsMatch(token))
            return TryParseTime(token, out var time) ? new TimeLiteral(time) : null;
        if (token.Contains(':', StringComparison.Ordinal) && Uri.TryCreate(token, UriKind.Absolute, out _))
            return new UriLiteral(token);
        return null;
    }

    public static NumberLiteral? ParseNumber(string token)
    {
        if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var approximate) || double.IsInfinity(approximate))
            return null;
        decimal? exact = decimal.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;
        return new NumberLiteral(exact, approximate, token);
    }

    public static bool TryParseDateTime(string text, out DateTimeOffset value) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);

    public static bool TryParseTime(string text, out TimeOnly value) =>
        TimeOnly.TryParse(text.EndsWith('Z') ? text[..^1] : text, CultureInfo.InvariantCulture, DateTimeStyles.None, out value);

    /// <summary>Writes a literal back in q syntax (the inverse of parsing).</summary>
    public static void Print(StringBuilder builder, Literal literal)
    {
        switch (literal)
        {
            case StringLiteral s:
                builder.Append('"');
                foreach (var c in s.Value)
                {
                    if (c is '"' or '\\')
                        builder.Append('\\');
                    builder.Append(c);
                }
                builder.Append('"');
                break;
            case NumberLiteral n: builder.Append(n.Text); break;
            case BooleanLiteral b: builder.Append(b.Value ? "true" : "false"); break;
            case DateTimeLiteral dt: builder.Append(dt.Value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture)); break;
            case DateLiteral d: builder.Append(d.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)); break;
            case TimeLiteral t: builder.Append(t.Value.ToString("HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture)).Append('Z'); break;
            case UriLiteral u: builder.Append(u.Value); break;
            default: throw new ArgumentOutOfRangeException(nameof(literal));
        }
    }
}
