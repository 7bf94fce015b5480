using System.Globalization;

namespace Broker.Query.Ast;

/// <summary>A literal of the q language (clause 4.9: Number, quotedStr, dateTime, date, time, true/false, URI).</summary>
/// <remarks>
/// There is no null literal: the grammar of clause 4.9 has none, and NGSI-LD forbids null attribute values
/// (clause 4.5.2); an unquoted <c>null</c> is therefore parsed as a URI-like bare token and never equals anything but the string "null".
/// </remarks>
public abstract record Literal;

/// <summary>A quoted string.</summary>
/// <param name="Value">The string as written.</param>
/// <param name="Expanded">
/// The string expanded through the @context as a term, used only against a VocabProperty, whose vocab is stored
/// expanded (clause 4.5.20); null when no expansion applies.
/// </param>
public sealed record StringLiteral(string Value, string? Expanded = null) : Literal;

/// <summary>A number; kept as decimal when it fits (exact), otherwise as double.</summary>
public sealed record NumberLiteral(decimal? Exact, double Approximate, string Text) : Literal
{
    public bool Equals(NumberLiteral? other) => other is not null && Approximate.Equals(other.Approximate) && Exact == other.Exact;

    public override int GetHashCode() => Approximate.GetHashCode();

    public static NumberLiteral Of(double value) =>
        new(value is > -7.9e28 and < 7.9e28 && !double.IsNaN(value) ? (decimal)value : null, value, value.ToString("R", CultureInfo.InvariantCulture));

    public static NumberLiteral Of(decimal value) => new(value, (double)value, value.ToString(CultureInfo.InvariantCulture));
}

public sealed record BooleanLiteral(bool Value) : Literal;

/// <summary>An ISO 8601 date-time; a missing offset is read as UTC (clause 4.6.3: times are UTC).</summary>
public sealed record DateTimeLiteral(DateTimeOffset Value) : Literal;

public sealed record DateLiteral(DateOnly Value) : Literal;

/// <summary>A time of day in UTC.</summary>
public sealed record TimeLiteral(TimeOnly Value) : Literal;

/// <summary>An unquoted URI, e.g. a Relationship target <c>urn:ngsi-ld:Museum:1</c> (clause 4.9, URI).</summary>
public sealed record UriLiteral(string Value) : Literal;
