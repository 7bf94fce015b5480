namespace Broker.Query.Parsing;

/// <summary>A position in the text being parsed.</summary>
internal struct Cursor(string text)
{
    public readonly string Text = text;
    public int Position;

    public readonly bool AtEnd => Position >= Text.Length;

    public readonly char Current => Position < Text.Length ? Text[Position] : '\0';

    public readonly char Peek(int offset) => Position + offset < Text.Length ? Text[Position + offset] : '\0';

    public readonly bool StartsWith(string token) => string.CompareOrdinal(Text, Position, token, 0, token.Length) == 0;

    public bool TryConsume(string token)
    {
        if (!StartsWith(token))
            return false;
        Position += token.Length;
        return true;
    }

    public bool TryConsume(char c)
    {
        if (Current != c || AtEnd)
            return false;
        Position++;
        return true;
    }

    /// <summary>The character at the position as a message shows it.</summary>
    public readonly string Found => AtEnd ? "the end" : "'" + Text[Position] + "'";
}

/// <summary>A failure inside a parser, unwound to the entry point and turned into a <see cref="ParseError"/>.</summary>
internal sealed class ParseFailure(ParseError error) : Exception(error.Message)
{
    public ParseError Error { get; } = error;
}
