using Broker.Problems;

namespace Broker.Storage.Postgres;

/// <summary>
/// Text PostgreSQL cannot hold (a NUL character, in a text column or a jsonb string), refused before a statement is sent.
/// Sent, such a value would fail its whole transaction, and with it every commit that shares the group, at parameter
/// binding; refusing it here keeps the error to its own request.
/// </summary>
internal static class UnstorableText
{
    private const string NulEscape = "\\u0000";

    /// <summary>Throws BadRequestData when the document's JSON text holds an escaped NUL in a name or string.</summary>
    public static void RefuseInDocument(string json)
    {
        var text = json.AsSpan();
        var from = 0;
        while (from < text.Length)
        {
            var at = text[from..].IndexOf(NulEscape, StringComparison.Ordinal);
            if (at < 0)
                return;
            at += from;
            // "\\u0000" is a backslash followed by "u0000": the escape is a NUL only after an even run of backslashes.
            var backslashes = 0;
            for (var i = at - 1; i >= 0 && text[i] == '\\'; i--)
                backslashes++;
            if (backslashes % 2 == 0)
                throw NgsiLdException.BadRequestData("The PostgreSQL store cannot hold a NUL character (U+0000) in a name or a string value.");
            from = at + NulEscape.Length;
        }
    }

    /// <summary>Throws BadRequestData when the text holds a NUL.</summary>
    public static void Refuse(string text)
    {
        if (text.Contains('\0', StringComparison.Ordinal))
            throw NgsiLdException.BadRequestData("The PostgreSQL store cannot hold a NUL character (U+0000) in a name or a string value.");
    }
}
