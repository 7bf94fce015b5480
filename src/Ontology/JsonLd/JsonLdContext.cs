using System.Collections.Frozen;
using System.Text.Json;

namespace Ontology.JsonLd;

/// <summary>How a term's values are coerced (JSON-LD "@type" of a term definition).</summary>
public enum TermTypeMapping
{
    None,
    Id,
    Vocab,
    Json,
    Other,
}

public sealed record TermDefinition(string Iri, TermTypeMapping TypeMapping = TermTypeMapping.None, string? Container = null);

/// <summary>
/// A processed JSON-LD @context (the active context of JSON-LD 1.1 processing, restricted to what NGSI-LD needs):
/// term definitions, prefixes and @vocab, with the NGSI-LD core context applied last.
/// Expanding a term and compacting an IRI are dictionary look-ups.
/// </summary>
public sealed class JsonLdContext
{
    private readonly FrozenDictionary<string, TermDefinition> _terms;
    private readonly FrozenDictionary<string, string> _iriToTerm;
    private readonly string? _vocab;

    internal JsonLdContext(IDictionary<string, TermDefinition> terms, string? vocab, IReadOnlyList<string> sourceUrls)
    {
        _terms = terms.ToFrozenDictionary(StringComparer.Ordinal);
        var reverse = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (term, definition) in terms.OrderBy(t => t.Key.Length).ThenBy(t => t.Key, StringComparer.Ordinal))
            reverse.TryAdd(definition.Iri, term);
        _iriToTerm = reverse.ToFrozenDictionary(StringComparer.Ordinal);
        _vocab = vocab;
        SourceUrls = sourceUrls;
    }

    /// <summary>The remote context URLs this context was built from (for the response Link header), empty for the core context alone.</summary>
    public IReadOnlyList<string> SourceUrls { get; }

    public static JsonLdContext Core { get; } = CoreContext.Build();

    public TermDefinition? FindTerm(string term) => _terms.GetValueOrDefault(term);

    /// <summary>Vocabulary-relative IRI expansion of a term, a compact IRI or an absolute IRI.</summary>
    public string ExpandTerm(string term)
    {
        if (_terms.TryGetValue(term, out var definition))
            return definition.Iri;
        var colon = term.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0)
        {
            var prefix = term[..colon];
            var suffix = term[(colon + 1)..];
            if (suffix.StartsWith("//", StringComparison.Ordinal))
                return term;
            if (_terms.TryGetValue(prefix, out var prefixDefinition))
                return prefixDefinition.Iri + suffix;
            return term;
        }
        return _vocab is null ? term : _vocab + term;
    }

    /// <summary>Compacts an expanded IRI to a term, a compact IRI or a vocabulary-relative name; otherwise returns it unchanged.</summary>
    public string CompactIri(string iri)
    {
        if (_iriToTerm.TryGetValue(iri, out var term))
            return term;
        if (_vocab is not null && iri.Length > _vocab.Length && iri.StartsWith(_vocab, StringComparison.Ordinal))
        {
            var suffix = iri[_vocab.Length..];
            if (!_terms.ContainsKey(suffix) && !suffix.Contains(':', StringComparison.Ordinal))
                return suffix;
        }
        return iri;
    }
}

internal static class CoreContext
{
    public const string Version = "1.8";
    public const string Url = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld";
    public static readonly string VersionedUrl = $"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v{Version}.jsonld";

    public static JsonLdContext Build()
    {
        using var stream = typeof(CoreContext).Assembly.GetManifestResourceStream($"ngsi-ld-core-context-v{Version}.jsonld")
            ?? throw new InvalidOperationException("The NGSI-LD core context resource is missing.");
        using var document = JsonDocument.Parse(stream);
        var context = document.RootElement.GetProperty("@context");
        var terms = new Dictionary<string, TermDefinition>(StringComparer.Ordinal);
        string? vocab = null;
        var prefixes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var member in context.EnumerateObject())
        {
            if (member.Value.ValueKind == JsonValueKind.String && member.Value.GetString()!.EndsWith('/') || member.Value.GetString()?.EndsWith('#') == true)
                prefixes[member.Name] = member.Value.GetString()!;
        }
        foreach (var member in context.EnumerateObject())
        {
            if (member.Name == "@vocab")
            {
                vocab = member.Value.GetString();
                continue;
            }
            if (member.Name.StartsWith('@'))
                continue;
            string? id;
            var mapping = TermTypeMapping.None;
            string? container = null;
            if (member.Value.ValueKind == JsonValueKind.String)
            {
                id = member.Value.GetString();
            }
            else
            {
                id = member.Value.TryGetProperty("@id", out var idElement) ? idElement.GetString() : null;
                if (member.Value.TryGetProperty("@type", out var typeElement))
                {
                    mapping = typeElement.GetString() switch
                    {
                        "@id" => TermTypeMapping.Id,
                        "@vocab" => TermTypeMapping.Vocab,
                        "@json" => TermTypeMapping.Json,
                        _ => TermTypeMapping.Other,
                    };
                }
                if (member.Value.TryGetProperty("@container", out var containerElement))
                    container = containerElement.GetString();
            }
            if (id is null)
                continue;
            var colon = id.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && prefixes.TryGetValue(id[..colon], out var prefixIri))
                id = prefixIri + id[(colon + 1)..];
            terms[member.Name] = new TermDefinition(id, mapping, container);
        }
        return new JsonLdContext(terms, vocab, []);
    }
}
