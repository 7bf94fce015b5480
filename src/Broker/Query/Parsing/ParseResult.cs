namespace Broker.Query.Parsing;

/// <summary>Where and why a parse failed.</summary>
/// <param name="Position">Zero-based character offset into the parsed text.</param>
/// <param name="Expected">What the grammar expected at that position.</param>
/// <param name="Message">A sentence naming the position and what was expected.</param>
public sealed record ParseError(int Position, string Expected, string Message);

/// <summary>The outcome of a parser: a value, or an error with its position. Parsers never throw on bad input.</summary>
public readonly record struct ParseResult<T>(bool Success, T? Value, ParseError? Error)
{
    public static ParseResult<T> Ok(T value) => new(true, value, null);

    public static ParseResult<T> Fail(ParseError error) => new(false, default, error);
}
