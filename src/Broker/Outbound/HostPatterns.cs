using System.Collections.Frozen;
using System.Globalization;
using System.Net;

namespace Broker.Outbound;

/// <summary>
/// The host names and <c>*.suffix</c> patterns of Outbound:AllowedHosts or Outbound:DeniedHosts. Names are compared in
/// their ASCII (punycode) form, lower case and without a trailing dot, as <see cref="Normalize"/> writes them.
/// </summary>
internal sealed class HostPatterns
{
    private readonly FrozenSet<string> _names;

    /// <summary>The suffixes of the <c>*.</c> patterns with their dot (".example.org"), so the apex never matches.</summary>
    private readonly string[] _suffixes;

    private HostPatterns(FrozenSet<string> names, string[] suffixes)
    {
        _names = names;
        _suffixes = suffixes;
    }

    public bool IsEmpty => _names.Count == 0 && _suffixes.Length == 0;

    /// <summary>Reads the patterns of one option; what is not a host name or a pattern goes to <paramref name="errors"/>.</summary>
    public static HostPatterns Parse(IEnumerable<string?> entries, string key, List<string> errors)
    {
        var names = new List<string>();
        var suffixes = new List<string>();
        foreach (var entry in entries)
        {
            var text = entry?.Trim() ?? "";
            var wildcard = text.StartsWith("*.", StringComparison.Ordinal);
            var name = Normalize(wildcard ? text[2..] : text);
            if (IPAddress.TryParse(text, out _))
                errors.Add($"{key} entry '{entry}' is an IP address: addresses belong in {OutboundPolicyOptions.SectionName}:Allow or Deny");
            else if (name is null || name.Contains('*', StringComparison.Ordinal) || Uri.CheckHostName(name) != UriHostNameType.Dns)
                errors.Add($"{key} entry '{entry}' is not a host name or a *.suffix pattern");
            else if (wildcard)
                suffixes.Add("." + name);
            else
                names.Add(name);
        }
        return new HostPatterns(names.ToFrozenSet(StringComparer.Ordinal), [.. suffixes]);
    }

    /// <summary>The pattern that <paramref name="host"/> (normalized) matches, or null.</summary>
    public string? Match(string host)
    {
        if (_names.Contains(host))
            return host;
        foreach (var suffix in _suffixes)
        {
            if (host.EndsWith(suffix, StringComparison.Ordinal))
                return "*" + suffix;
        }
        return null;
    }

    /// <summary>A host name in the form patterns are compared in, or null when it is not a valid name.</summary>
    public static string? Normalize(string host)
    {
        var name = host.EndsWith('.') ? host[..^1] : host;
        if (name.Length == 0)
            return null;
        if (!System.Text.Ascii.IsValid(name))
        {
            try
            {
                name = new IdnMapping().GetAscii(name);
            }
            catch (ArgumentException)
            {
                return null;
            }
        }
        return name.ToLowerInvariant();
    }
}
