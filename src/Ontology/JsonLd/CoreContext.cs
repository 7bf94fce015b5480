using System.Text.Json;
using System.Text.RegularExpressions;

namespace Ontology.JsonLd;

/// <summary>
/// The NGSI-LD core context, built in (embedded resource) and never fetched. Moving to a new core version is a change of <see cref="Version"/>
/// and of the resource.
/// </summary>
internal static partial class CoreContext
{
    public const string Version = "1.8";
    public const string Url = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld";
    public const string VersionedUrl = $"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v{Version}.jsonld";

    private static readonly Lazy<ActiveContextBuilder> Processed = new(Process);
    private static readonly Lazy<JsonLdContext> Context = new(() => new JsonLdContext(Processed.Value.Terms, Processed.Value.Vocab, []));

    public static JsonLdContext Instance => Context.Value;

    /// <summary>The unversioned and every versioned (v1.N) core context URL, http or https.</summary>
    public static bool IsCoreUrl(string url) => CoreUrlPattern().IsMatch(url);

    [GeneratedRegex(@"^https?://uri\.etsi\.org/ngsi-ld/v1/ngsi-ld-core-context(-v1\.[0-9]+(\.[0-9]+)?)?\.jsonld$", RegexOptions.CultureInvariant)]
    private static partial Regex CoreUrlPattern();

    /// <summary>
    /// Applies the core context last: its terms replace any user definition of the same term, and they are processed on their own, so a user
    /// term cannot change what a core definition expands to. The user's @vocab, when set, wins over the core's default-context @vocab.
    /// </summary>
    public static JsonLdContext ApplyLast(ActiveContextBuilder user, IReadOnlyList<string> sourceUrls)
    {
        var terms = new Dictionary<string, TermDefinition?>(user.Terms, StringComparer.Ordinal);
        foreach (var (term, definition) in Processed.Value.Terms)
            terms[term] = definition;
        var vocab = user.Vocab ?? Processed.Value.Vocab;
        return new JsonLdContext(terms, vocab, sourceUrls);
    }

    private static ActiveContextBuilder Process()
    {
        using var stream = typeof(CoreContext).Assembly.GetManifestResourceStream($"ngsi-ld-core-context-v{Version}.jsonld")
            ?? throw new InvalidOperationException("The NGSI-LD core context resource is missing.");
        using var document = JsonDocument.Parse(stream);
        var local = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var member in document.RootElement.GetProperty("@context").EnumerateObject())
            local[member.Name] = member.Value.Clone();
        var builder = new ActiveContextBuilder();
        ContextProcessor.Process(builder, local);
        return builder;
    }
}
