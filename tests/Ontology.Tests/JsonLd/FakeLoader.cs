using System.Collections.Concurrent;
using System.Text.Json;
using Ontology.JsonLd;

namespace Ontology.Tests.JsonLd;

/// <summary>An in-memory <see cref="IRemoteContextLoader"/>: documents by URL, a call count per URL, an optional delay.</summary>
internal sealed class FakeLoader : IRemoteContextLoader
{
    private readonly Dictionary<string, string> _documents = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, int> Calls { get; } = new(StringComparer.Ordinal);
    public TimeSpan Delay { get; set; }

    public FakeLoader Add(string url, string json)
    {
        _documents[url] = json;
        return this;
    }

    public FakeLoader Remove(string url)
    {
        _documents.Remove(url);
        return this;
    }

    public int CallsTo(string url) => Calls.GetValueOrDefault(url);

    public async ValueTask<JsonDocument> LoadAsync(Uri url, CancellationToken ct)
    {
        var text = url.OriginalString;
        Calls.AddOrUpdate(text, 1, (_, n) => n + 1);
        if (Delay > TimeSpan.Zero)
            await Task.Delay(Delay, ct);
        if (!_documents.TryGetValue(text, out var json))
            throw new JsonLdContextException(JsonLdContextError.ContextNotAvailable, $"The @context '{text}' is not available: 404");
        return JsonDocument.Parse(json);
    }
}
