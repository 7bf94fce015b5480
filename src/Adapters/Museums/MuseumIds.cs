using System.Globalization;
using System.Text;

namespace Adapters.Museums;

/// <summary>
/// Entity ids derived from the source's own identifiers only, so that importing a record again upserts the same
/// entities: the collection object from lidoRecID, the museum from the legal body's ISIL or other id, else its name.
/// </summary>
public static class MuseumIds
{
    public const string CollectionObjectType = "CollectionObject";
    public const string MuseumType = "Museum";

    private static readonly string[] IsilPrefixes =
    [
        "info:isil/",
        "ld.zdb-services.de/resource/organisations/",
        "ld.zdb-services.de/resource/organisation/",
    ];

    public static string CollectionObject(string lidoRecId) => "urn:ngsi-ld:" + CollectionObjectType + ":" + Escape(lidoRecId.Trim());

    /// <summary>
    /// From a legalBodyID: an ISIL, however written (info:isil/DE-Mb112, https://ld.zdb-services.de/resource/organisations/DE-Mb112
    /// or DE-Mb112), gives the same id; other URIs lose their scheme, so http and https spellings agree.
    /// </summary>
    public static string MuseumFromLegalBodyId(string legalBodyId)
    {
        var id = legalBodyId.Trim();
        if (id.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            id = id[8..];
        else if (id.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            id = id[7..];
        foreach (var prefix in IsilPrefixes)
        {
            if (id.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                id = id[prefix.Length..];
                break;
            }
        }
        return "urn:ngsi-ld:" + MuseumType + ":" + Escape(id.TrimEnd('/'));
    }

    /// <summary>From a legal body name, for repositories without an id: "Heimatmuseum Müllrose" → "name-heimatmuseum-muellrose".</summary>
    public static string MuseumFromName(string name) => "urn:ngsi-ld:" + MuseumType + ":name-" + Slug(name);

    /// <summary>
    /// Percent-encodes (UTF-8) every character but letters, digits and "-._~:,", so that the id is a URI, stays
    /// one path segment in the broker's API and two different source ids never give one entity id.
    /// </summary>
    internal static string Escape(string value)
    {
        var builder = new StringBuilder(value.Length + 8);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or ':' or ',')
            {
                builder.Append(c);
                continue;
            }
            var length = char.IsHighSurrogate(c) && i + 1 < value.Length
                ? Encoding.UTF8.GetBytes(value.AsSpan(i++, 2), utf8)
                : Encoding.UTF8.GetBytes(value.AsSpan(i, 1), utf8);
            foreach (var b in utf8[..length])
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return builder.ToString();
    }

    private static string Slug(string name)
    {
        var builder = new StringBuilder(name.Length);
        var dash = false;
        foreach (var c in name.Trim().ToLowerInvariant())
        {
            var ascii = c switch
            {
                'ä' => "ae",
                'ö' => "oe",
                'ü' => "ue",
                'ß' => "ss",
                _ when char.IsAsciiLetterOrDigit(c) => c.ToString(),
                _ => WithoutDiacritics(c),
            };
            if (ascii.Length == 0)
            {
                dash = builder.Length > 0;
                continue;
            }
            if (dash)
                builder.Append('-');
            builder.Append(ascii);
            dash = false;
        }
        return builder.ToString();
    }

    /// <summary>Latin letters with diacritics and their base letter (the host runs in invariant globalization mode, without Unicode decomposition).</summary>
    private const string Accented = "àáâãåāăąçćčďđèéêëēėęěìíîïīįłñńňòóôõøōőřśšşťùúûūůűýÿźżž";
    private const string Unaccented = "aaaaaaaacccddeeeeeeeeiiiiiilnnnooooooorssstuuuuuuyyzzz";

    private static string WithoutDiacritics(char c) => c switch
    {
        'æ' => "ae",
        'œ' => "oe",
        _ => Accented.IndexOf(c, StringComparison.Ordinal) is >= 0 and var i ? Unaccented[i].ToString() : "",
    };
}
