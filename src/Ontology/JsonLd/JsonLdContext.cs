using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

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

/// <summary>A JSON-LD term definition: IRI mapping, type mapping (<see cref="TypeIri"/> holds the IRI when <see cref="TermTypeMapping.Other"/>) and container.</summary>
public sealed record TermDefinition(string Iri, TermTypeMapping TypeMapping = TermTypeMapping.None, string? Container = null)
{
    public string? TypeIri { get; init; }

    /// <summary>May be used as the prefix of compact IRIs (JSON-LD 1.1 prefix flag).</summary>
    public bool IsPrefix { get; init; }

    public bool IsProtected { get; init; }
}

/// <summary>
/// A processed JSON-LD @context (the active context of JSON-LD 1.1 processing, restricted to what NGSI-LD needs):
/// term definitions, prefixes and @vocab, with the NGSI-LD core context applied last (NGSI-LD clause 5.5.7).
/// Expanding a term and compacting an IRI are dictionary look-ups.
/// </summary>
public sealed class JsonLdContext
{
    private const int MaxMemoized = 10_000;
    private readonly FrozenDictionary<string, TermDefinition> _terms;
    private readonly FrozenSet<string> _decoupled;
    private readonly FrozenDictionary<string, string> _iriToTerm;
    private readonly (string Term, string Iri)[] _prefixes;
    private readonly string? _vocab;
    private readonly ConcurrentDictionary<string, string> _compacted = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _expanded = new(StringComparer.Ordinal);

    internal JsonLdContext(IReadOnlyDictionary<string, TermDefinition?> terms, string? vocab, IReadOnlyList<string> sourceUrls)
    {
        var defined = new Dictionary<string, TermDefinition>(StringComparer.Ordinal);
        var decoupled = new List<string>();
        foreach (var (term, definition) in terms)
        {
            if (definition is null)
                decoupled.Add(term);
            else
                defined[term] = definition;
        }
        _terms = defined.ToFrozenDictionary(StringComparer.Ordinal);
        _decoupled = decoupled.ToFrozenSet(StringComparer.Ordinal);
        // JSON-LD inverse context: for one IRI the shortest term wins, then the lexicographically least.
        var reverse = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (term, definition) in defined.OrderBy(t => t.Key.Length).ThenBy(t => t.Key, StringComparer.Ordinal))
            reverse.TryAdd(definition.Iri, term);
        _iriToTerm = reverse.ToFrozenDictionary(StringComparer.Ordinal);
        _prefixes = [.. defined.Where(t => t.Value.IsPrefix && !ContextProcessor.IsKeyword(t.Value.Iri)).Select(t => (t.Key, t.Value.Iri))];
        _vocab = vocab;
        SourceUrls = sourceUrls;
    }

    /// <summary>The remote context URLs this context was built from (for the response Link header), empty for the core context alone.</summary>
    public IReadOnlyList<string> SourceUrls { get; }

    /// <summary>The vocabulary mapping: the user's @vocab if one was set, else the core's default-context.</summary>
    public string? Vocab => _vocab;

    public static JsonLdContext Core => CoreContext.Instance;

    /// <summary>The URL of the built-in core context version (never fetched).</summary>
    public static string CoreContextUrl => CoreContext.VersionedUrl;

    public static bool IsCoreContextUrl(string url) => CoreContext.IsCoreUrl(url);

    public TermDefinition? FindTerm(string term) => _terms.GetValueOrDefault(term);

    /// <summary>True when the term was mapped to null (decoupled from @vocab): JSON-LD expansion drops it.</summary>
    public bool IsDecoupled(string term) => _decoupled.Contains(term);

    /// <summary>
    /// Vocabulary-relative IRI expansion (JSON-LD 1.1 §5.2) of a term, a compact IRI or an absolute IRI.
    /// A decoupled term (mapped to null) has no IRI: it is returned unchanged, see <see cref="TryExpandTerm"/>.
    /// </summary>
    public string ExpandTerm(string term) => TryExpandTerm(term, out var iri) ? iri : term;

    /// <summary>As <see cref="ExpandTerm"/>, false for a decoupled term.</summary>
    public bool TryExpandTerm(string term, [NotNullWhen(true)] out string? iri)
    {
        ArgumentNullException.ThrowIfNull(term);
        if (_terms.TryGetValue(term, out var definition))
        {
            iri = definition.Iri;
            return true;
        }
        if (_decoupled.Contains(term))
        {
            iri = null;
            return false;
        }
        if (_expanded.TryGetValue(term, out iri))
            return true;
        iri = ExpandWithoutTerm(term, vocab: true);
        if (_expanded.Count < MaxMemoized)
            _expanded.TryAdd(term, iri);
        return true;
    }

    /// <summary>Document-relative IRI expansion for @id-typed values: compact IRIs and keyword aliases are expanded, nothing else (no @vocab, no @base).</summary>
    public string ExpandIri(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (_terms.TryGetValue(value, out var definition) && ContextProcessor.IsKeyword(definition.Iri))
            return definition.Iri;
        return ExpandWithoutTerm(value, vocab: false);
    }

    private string ExpandWithoutTerm(string value, bool vocab)
    {
        if (value.Length > 0 && value[0] == '@')
            return value;
        var colon = value.IndexOf(':', 1);
        if (colon > 0)
        {
            var prefix = value.AsSpan(0, colon);
            var suffix = value.AsSpan(colon + 1);
            if (prefix is "_" || suffix.StartsWith("//"))
                return value;
            if (_terms.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(prefix, out var definition) && definition.IsPrefix)
                return string.Concat(definition.Iri, suffix);
            if (ContextProcessor.IsAbsoluteIri(value))
                return value;
        }
        return vocab && _vocab is not null ? _vocab + value : value;
    }

    /// <summary>
    /// JSON-LD 1.1 §6.2 IRI compaction with vocab = true: a term (the shortest, then lexicographically least, whatever its type or container),
    /// else the vocabulary-relative suffix when it is not a term and has no ':', else the shortest compact IRI over prefix terms, else the IRI.
    /// </summary>
    public string CompactIri(string iri)
    {
        ArgumentNullException.ThrowIfNull(iri);
        if (_iriToTerm.TryGetValue(iri, out var term))
            return term;
        if (_compacted.TryGetValue(iri, out var compacted))
            return compacted;
        compacted = CompactSlow(iri);
        if (_compacted.Count < MaxMemoized)
            _compacted.TryAdd(iri, compacted);
        return compacted;
    }

    private string CompactSlow(string iri)
    {
        if (_vocab is not null && iri.Length > _vocab.Length && iri.StartsWith(_vocab, StringComparison.Ordinal))
        {
            var suffix = iri[_vocab.Length..];
            if (!_terms.ContainsKey(suffix) && !_decoupled.Contains(suffix) && !suffix.Contains(':', StringComparison.Ordinal))
                return suffix;
        }
        string? best = null;
        foreach (var (prefix, prefixIri) in _prefixes)
        {
            if (iri.Length <= prefixIri.Length || !iri.StartsWith(prefixIri, StringComparison.Ordinal))
                continue;
            var candidate = string.Concat(prefix, ":", iri.AsSpan(prefixIri.Length));
            if (_terms.ContainsKey(candidate) || _decoupled.Contains(candidate))
                continue;
            if (best is null || candidate.Length < best.Length || (candidate.Length == best.Length && string.CompareOrdinal(candidate, best) < 0))
                best = candidate;
        }
        return best ?? iri;
    }
}
