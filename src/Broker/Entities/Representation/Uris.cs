namespace Broker.Entities.Representation;

/// <summary>Checks that identifiers are URIs (clause 4.5.1: entity ids, relationship targets and datasetIds are URIs).</summary>
public static class Uris
{
    /// <summary>An absolute URI: a scheme (RFC 3986: a letter, then letters, digits, + - .), a colon, and no whitespace or forbidden characters.</summary>
    public static bool IsAbsoluteUri(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 2048 || !char.IsAsciiLetter(value[0]))
            return false;
        var colon = -1;
        for (var i = 1; i < value.Length; i++)
        {
            var c = value[i];
            if (c == ':')
            {
                colon = i;
                break;
            }
            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.'))
                return false;
        }
        if (colon < 0 || colon == value.Length - 1)
            return false;
        for (var i = colon + 1; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsWhiteSpace(c) || char.IsControl(c) || c is '<' or '>' or '"' or '{' or '}' or '|' or '\\' or '^' or '`')
                return false;
        }
        return true;
    }

    /// <summary>Attribute and type names may not contain characters that the query languages use as syntax (clause 4.6.2).</summary>
    public static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 1024 || name[0] == '@')
            return false;
        foreach (var c in name)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c) || c is '<' or '>' or '"' or '\'' or '=' or ';' or '(' or ')' or '&' or '?' or '[' or ']' or '\\' or '`' or '{' or '}' or '|' or '^')
                return false;
        }
        return true;
    }
}
