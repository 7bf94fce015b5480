using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace Ontology.JsonLd;

/// <summary>
/// Turns the @context of a request (inline, or the URL of a Link header) into a <see cref="JsonLdContext"/>, the core context applied last.
/// Two caches, both by key with a time-to-live and a maximum entry count, where concurrent requests for one key share one task:
/// remote documents by URL, and processed contexts by source (the Link URL, or the canonical text of the inline @context),
/// so that a request with a known context does no processing at all. Failures are not cached.
/// A processed context remembers the documents it was built from: each request that uses it counts a hit on each of them
/// (<see cref="CachedContextDocument.Hits"/>), and it is dropped when one of them is evicted, reloaded, expired or no longer held
/// by the <see cref="ILocalContextDocuments"/>, so it never outlives its documents.
/// </summary>
public sealed class ContextResolver
{
    private readonly IRemoteContextLoader _loader;
    private readonly ILocalContextDocuments? _local;
    private readonly RemoteContextOptions _options;
    private readonly TimeProvider _time;
    private readonly TtlCache<JsonElement> _documents;
    private readonly TtlCache<ProcessedContext> _contexts;

    public ContextResolver(IRemoteContextLoader loader, RemoteContextOptions options, TimeProvider? timeProvider = null, ILocalContextDocuments? localDocuments = null)
    {
        _loader = loader ?? throw new ArgumentNullException(nameof(loader));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _time = timeProvider ?? TimeProvider.System;
        _local = localDocuments;
        _documents = new TtlCache<JsonElement>(_options, _time);
        _contexts = new TtlCache<ProcessedContext>(_options, _time);
    }

    /// <summary>
    /// Resolves the context of a request: the inline @context, or the Link header URL, or neither (the core context).
    /// <paramref name="baseUrl"/> is the base IRI of the request document (its URL): relative context references in an inline @context
    /// are resolved against it (JSON-LD 1.1 §4.1.2 step 5.2.1), those of a remote document against that document's URL. Against the request
    /// URL (and in a local document) a relative reference must name a local document (<see cref="ILocalContextDocuments"/>): the broker does
    /// not fetch from itself, and anything else stays an invalid context.
    /// </summary>
    public async ValueTask<JsonLdContext> ResolveAsync(JsonElement? inlineContext, string? linkUrl, CancellationToken ct, Uri? baseUrl = null)
    {
        Debug.Assert(inlineContext is null || linkUrl is null, "The HTTP layer rejects a request with both an inline @context and a Link header.");
        string key;
        JsonElement source;
        if (inlineContext is { } inline && inline.ValueKind != JsonValueKind.String)
        {
            if (inline.ValueKind is JsonValueKind.Undefined)
                return JsonLdContext.Core;
            // The base takes part in the key when the context has relative references, which resolve against it.
            key = "inline\n" + (HasRelativeReference(inline) ? baseUrl?.GetLeftPart(UriPartial.Path) : null) + "\n" + Canonical(inline);
            source = inline.Clone();
        }
        else
        {
            // An inline URL is the same source as a Link header with that URL.
            var url = inlineContext is { } text ? ResolveLocalReference(text.GetString()!, baseUrl) : linkUrl;
            if (url is null || CoreContext.IsCoreUrl(url))
                return JsonLdContext.Core;
            key = "link\n" + url;
            source = JsonSerializer.SerializeToElement(url);
        }
        for (var attempt = 1; ; attempt++)
        {
            var processed = await _contexts.GetOrAddAsync(key, () => BuildAsync(source, baseUrl), ct).ConfigureAwait(false);
            // A document it was built from is gone: build it again from the current documents, once (a cache smaller than the number of
            // documents of one context could evict them while it is built).
            if (!AllPresent(processed) && attempt == 1)
            {
                _contexts.Remove(key, processed);
                continue;
            }
            RecordUse(processed);
            return processed.Context;
        }
    }

    /// <summary>The remote context documents in the cache (NGSI-LD "Cached" @contexts, clause 5.13), expired ones left out.</summary>
    public IReadOnlyList<CachedContextDocument> CachedDocuments()
    {
        var now = _time.GetUtcNow();
        var result = new List<CachedContextDocument>();
        foreach (var (url, entry) in _documents.Completed())
        {
            if (entry.Expires > now)
                result.Add(Describe(url, entry));
        }
        result.Sort((a, b) => a.FetchedAt.CompareTo(b.FetchedAt));
        return result;
    }

    /// <summary>The cached document of <paramref name="url"/>, if it is in the cache and not expired.</summary>
    public CachedContextDocument? FindCachedDocument(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return _documents.TryGetCompleted(url, _time.GetUtcNow(), out var entry) ? Describe(url, entry) : null;
    }

    /// <summary>Removes a document from the cache, and every processed context built from it; the next use fetches it again.</summary>
    public bool EvictDocument(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var removed = _documents.Remove(url);
        InvalidateDependents(url);
        return removed;
    }

    /// <summary>
    /// Fetches a document again and replaces the cached copy (hit count and last use kept). When the fetch fails, the cached copy
    /// stays and the <see cref="JsonLdContextException"/> (ContextNotAvailable) is thrown.
    /// </summary>
    public async Task<CachedContextDocument> ReloadDocumentAsync(string url, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
            throw JsonLdContextException.Invalid($"Invalid @context: '{url}' is not an absolute URL.");
        JsonElement document;
        using (var loaded = await _loader.LoadAsync(uri, ct).ConfigureAwait(false))
            document = loaded.RootElement.Clone();
        var entry = _documents.Set(url, document);
        InvalidateDependents(url);
        return Describe(url, entry);
    }

    /// <summary>Drops the processed contexts built from <paramref name="url"/> (a remote document, or one of the local documents).</summary>
    public void InvalidateDependents(string url)
    {
        foreach (var (key, entry) in _contexts.Completed())
        {
            if (entry.Value.Value.Result.DependsOn(url))
                _contexts.Remove(key, entry.Value.Value.Result);
        }
    }

    private static CachedContextDocument Describe(string url, TtlCache<JsonElement>.Entry entry) =>
        new(url, entry.Value.Value.Result, entry.Created, entry.Expires, entry.LastUsed, entry.Hits);

    /// <summary>Whether every document the context was built from is still there (in the cache, unexpired, or held locally).</summary>
    private bool AllPresent(ProcessedContext processed)
    {
        var now = _time.GetUtcNow();
        foreach (var dependency in processed.Dependencies)
        {
            var present = dependency.IsLocal ? _local?.Find(dependency.Url) is not null : _documents.TryGetCompleted(dependency.Url, now, out _);
            if (!present)
                return false;
        }
        return true;
    }

    /// <summary>Counts a hit on each document the context was built from.</summary>
    private void RecordUse(ProcessedContext processed)
    {
        var now = _time.GetUtcNow();
        foreach (var dependency in processed.Dependencies)
        {
            if (dependency.IsLocal)
                _local?.RecordUse(dependency.Url);
            else
                _documents.RecordUse(dependency.Url, now);
        }
    }

    private async Task<ProcessedContext> BuildAsync(JsonElement context, Uri? baseUrl)
    {
        var sourceUrls = new List<string>();
        if (context.ValueKind == JsonValueKind.String && !CoreContext.IsCoreUrl(context.GetString()!))
            sourceUrls.Add(context.GetString()!);
        else if (context.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in context.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String && ResolveReference(item.GetString()!, baseUrl) is var itemUrl && !CoreContext.IsCoreUrl(itemUrl))
                    sourceUrls.Add(itemUrl);
            }
        }
        var locals = new List<Dictionary<string, JsonElement>?>();
        var dependencies = new List<Dependency>();
        await CollectAsync(context, new ContextBase(baseUrl, LocalOnly: true), locals, [], dependencies, topLevel: true).ConfigureAwait(false);
        var builder = new ActiveContextBuilder();
        foreach (var local in locals)
        {
            if (local is null)
            {
                foreach (var definition in builder.Terms.Values)
                {
                    if (definition is { IsProtected: true })
                        throw JsonLdContextException.Invalid("Invalid context nullification: a null context cannot clear protected terms.");
                }
                builder = new ActiveContextBuilder();
            }
            else
            {
                ContextProcessor.Process(builder, local);
            }
        }
        var processed = sourceUrls.Count == 0 && builder.Terms.Count == 0 && builder.Vocab is null
            ? JsonLdContext.Core
            : CoreContext.ApplyLast(builder, sourceUrls);
        return new ProcessedContext(processed, [.. dependencies.Distinct()]);
    }

    /// <summary>Flattens a context value into local contexts (null = reset), loading remote contexts and @import (JSON-LD 1.1 §4.1.2 step 5).</summary>
    private async Task CollectAsync(JsonElement context, ContextBase @base, List<Dictionary<string, JsonElement>?> output, List<string> chain, List<Dependency> dependencies, bool topLevel)
    {
        switch (context.ValueKind)
        {
            case JsonValueKind.Null:
                output.Add(null);
                break;
            case JsonValueKind.String:
                var url = Resolve(context.GetString()!, @base);
                if (CoreContext.IsCoreUrl(url))
                    return;
                if (chain.Contains(url))
                    throw JsonLdContextException.Invalid($"Recursive context inclusion: '{url}' references itself through {string.Join(" -> ", chain)}.");
                if (chain.Count >= _options.MaxRemoteDepth)
                    throw JsonLdContextException.Invalid($"Context overflow: more than {_options.MaxRemoteDepth} nested remote contexts at '{url}'.");
                var (document, isLocal) = await LoadAsync(url, dependencies).ConfigureAwait(false);
                if (document.ValueKind != JsonValueKind.Object || !document.TryGetProperty("@context", out var remoteContext))
                    throw JsonLdContextException.NotAvailable(url, "the document is not a JSON object with an @context member");
                chain.Add(url);
                await CollectAsync(remoteContext, new ContextBase(new Uri(url), LocalOnly: isLocal), output, chain, dependencies, topLevel: true).ConfigureAwait(false);
                chain.RemoveAt(chain.Count - 1);
                break;
            case JsonValueKind.Array when topLevel:
                // Reject a malformed array before fetching any of its URLs.
                foreach (var item in context.EnumerateArray())
                {
                    if (item.ValueKind is not (JsonValueKind.String or JsonValueKind.Object or JsonValueKind.Null))
                        throw JsonLdContextException.Invalid($"Invalid local context: an @context array may hold strings, objects and null, not {item.ValueKind}.");
                }
                foreach (var item in context.EnumerateArray())
                    await CollectAsync(item, @base, output, chain, dependencies, topLevel: false).ConfigureAwait(false);
                break;
            case JsonValueKind.Object:
                var local = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                if (context.TryGetProperty("@import", out var import))
                {
                    if (import.ValueKind != JsonValueKind.String)
                        throw JsonLdContextException.Invalid("Invalid @import value: expected a string.");
                    var importUrl = Resolve(import.GetString()!, @base);
                    var (imported, _) = await LoadAsync(importUrl, dependencies).ConfigureAwait(false);
                    if (imported.ValueKind != JsonValueKind.Object || !imported.TryGetProperty("@context", out var importedContext))
                        throw JsonLdContextException.NotAvailable(importUrl, "the document is not a JSON object with an @context member");
                    if (importedContext.ValueKind != JsonValueKind.Object || importedContext.TryGetProperty("@import", out _))
                        throw JsonLdContextException.Invalid($"Invalid remote context: the @context of the @import '{importUrl}' must be an object without @import.");
                    foreach (var member in importedContext.EnumerateObject())
                        local[member.Name] = member.Value;
                }
                foreach (var member in context.EnumerateObject())
                    local[member.Name] = member.Value;
                output.Add(local);
                break;
            default:
                throw JsonLdContextException.Invalid($"Invalid local context: an @context must be a string, an object, null or an array of those, not {context.ValueKind}.");
        }
    }

    /// <summary>
    /// An absolute http(s) URL as it is; a relative reference resolved against the base. A rooted path is a relative reference here, although
    /// <see cref="Uri"/> on Unix takes it for a file path. Without a base, a relative reference stays as it is and is refused when loaded.
    /// </summary>
    private static string ResolveReference(string reference, Uri? baseUrl)
    {
        if (baseUrl is null || !IsRelative(reference))
            return reference;
        return Uri.TryCreate(baseUrl, reference, out var resolved) ? resolved.AbsoluteUri : reference;
    }

    /// <summary>Whether the inline context (its items, their @import) refers to a document by a relative reference.</summary>
    private static bool HasRelativeReference(JsonElement context)
    {
        switch (context.ValueKind)
        {
            case JsonValueKind.String:
                return IsRelative(context.GetString()!);
            case JsonValueKind.Object:
                return context.TryGetProperty("@import", out var import) && import.ValueKind == JsonValueKind.String && IsRelative(import.GetString()!);
            case JsonValueKind.Array:
                foreach (var item in context.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.Array && HasRelativeReference(item))
                        return true;
                }
                return false;
            default:
                return false;
        }
    }

    private static bool IsRelative(string reference) =>
        reference.Length > 0 && (reference.StartsWith('/') || !Uri.TryCreate(reference, UriKind.Absolute, out _));

    private string Resolve(string reference, ContextBase @base) =>
        @base.LocalOnly ? ResolveLocalReference(reference, @base.Url) : ResolveReference(reference, @base.Url);

    /// <summary>A reference against the broker's own URL: if relative, it must name a local document.</summary>
    private string ResolveLocalReference(string reference, Uri? baseUrl)
    {
        var url = ResolveReference(reference, baseUrl);
        if (IsRelative(reference) && (_local is null || _local.Find(url) is null))
            throw JsonLdContextException.Invalid($"Invalid @context: '{reference}' is not an absolute URL.");
        return url;
    }

    /// <summary>A document of the <see cref="ILocalContextDocuments"/> (never cached here), else the cached or fetched remote document.</summary>
    private async Task<(JsonElement Document, bool IsLocal)> LoadAsync(string url, List<Dependency> dependencies)
    {
        if (url.StartsWith('/') || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
            throw JsonLdContextException.Invalid($"Invalid @context: '{url}' is not an absolute URL.");
        if (_local?.Find(url) is { } local)
        {
            dependencies.Add(new Dependency(url, IsLocal: true));
            return (local, true);
        }
        dependencies.Add(new Dependency(url, IsLocal: false));
        var remote = await _documents.GetOrAddAsync(url, async () =>
        {
            using var document = await _loader.LoadAsync(uri, CancellationToken.None).ConfigureAwait(false);
            return document.RootElement.Clone();
        }, CancellationToken.None).ConfigureAwait(false);
        return (remote, false);
    }

    /// <summary>The base IRI of a context value; <see cref="LocalOnly"/> when it is the broker's own (request URL, local document).</summary>
    private readonly record struct ContextBase(Uri? Url, bool LocalOnly);

    private readonly record struct Dependency(string Url, bool IsLocal);

    private sealed record ProcessedContext(JsonLdContext Context, Dependency[] Dependencies)
    {
        public bool DependsOn(string url)
        {
            foreach (var dependency in Dependencies)
            {
                if (dependency.Url == url)
                    return true;
            }
            return false;
        }
    }

    private static string Canonical(JsonElement element)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
            element.WriteTo(writer);
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>
    /// A cache of shared tasks with a time-to-live and a maximum entry count (oldest evicted first); a failed task is removed.
    /// Each entry counts its uses (<see cref="RecordUse"/>), which <see cref="GetOrAddAsync"/> does not do by itself.
    /// </summary>
    private sealed class TtlCache<T>(RemoteContextOptions options, TimeProvider time)
    {
        private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

        public async Task<T> GetOrAddAsync(string key, Func<Task<T>> factory, CancellationToken ct)
        {
            var now = time.GetUtcNow();
            if (_entries.TryGetValue(key, out var existing) && existing.Expires <= now)
                _entries.TryRemove(new KeyValuePair<string, Entry>(key, existing));
            var entry = _entries.GetOrAdd(key, static (_, state) => new Entry(
                new Lazy<Task<T>>(state.factory, LazyThreadSafetyMode.ExecutionAndPublication), state.now, state.now + state.ttl),
                (factory, now, ttl: options.TimeToLive));
            if (_entries.Count > options.MaxCacheEntries)
                Evict();
            try
            {
                return await entry.Value.Value.WaitAsync(ct).ConfigureAwait(false);
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
                throw;
            }
        }

        /// <summary>Replaces the entry of <paramref name="key"/> by a value, keeping the use count of the entry it replaces.</summary>
        public Entry Set(string key, T value)
        {
            var now = time.GetUtcNow();
            var entry = new Entry(new Lazy<Task<T>>(Task.FromResult(value)), now, now + options.TimeToLive);
            _entries.AddOrUpdate(key, entry, (_, old) =>
            {
                entry.CopyUsesFrom(old);
                return entry;
            });
            if (_entries.Count > options.MaxCacheEntries)
                Evict();
            return entry;
        }

        public bool TryGetCompleted(string key, DateTimeOffset now, out Entry entry)
        {
            if (_entries.TryGetValue(key, out entry!) && entry.Expires > now && entry.Value.IsValueCreated && entry.Value.Value.IsCompletedSuccessfully)
                return true;
            entry = null!;
            return false;
        }

        /// <summary>The entries whose value is there (not loading, not failed).</summary>
        public IEnumerable<KeyValuePair<string, Entry>> Completed()
        {
            foreach (var pair in _entries)
            {
                if (pair.Value.Value.IsValueCreated && pair.Value.Value.Value.IsCompletedSuccessfully)
                    yield return pair;
            }
        }

        /// <summary>Counts a use of the entry; false when there is no such (unexpired) entry.</summary>
        public bool RecordUse(string key, DateTimeOffset now)
        {
            if (!_entries.TryGetValue(key, out var entry) || entry.Expires <= now)
                return false;
            entry.RecordUse(now);
            return true;
        }

        public bool Remove(string key) => _entries.TryRemove(key, out _);

        /// <summary>Removes the entry of <paramref name="key"/> only if it still holds <paramref name="value"/>.</summary>
        public void Remove(string key, T value)
        {
            if (_entries.TryGetValue(key, out var entry) && entry.Value.IsValueCreated && entry.Value.Value.IsCompletedSuccessfully
                && EqualityComparer<T>.Default.Equals(entry.Value.Value.Result, value))
                _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
        }

        private void Evict()
        {
            foreach (var (key, entry) in _entries.OrderBy(e => e.Value.Expires).Take(_entries.Count - options.MaxCacheEntries))
                _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
        }

        public sealed class Entry(Lazy<Task<T>> value, DateTimeOffset created, DateTimeOffset expires)
        {
            public Lazy<Task<T>> Value { get; } = value;

            public DateTimeOffset Created { get; } = created;

            public DateTimeOffset Expires { get; } = expires;

            public ContextUsage Usage { get; } = new();

            public long Hits => Usage.Hits;

            public DateTimeOffset? LastUsed => Usage.LastUsed;

            public void RecordUse(DateTimeOffset now) => Usage.Record(now);

            public void CopyUsesFrom(Entry other) => Usage.CopyFrom(other.Usage);
        }
    }
}
