using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace Ontology.JsonLd;

/// <summary>
/// Turns the @context of a request (inline, or the URL of a Link header) into a <see cref="JsonLdContext"/>, the core context applied last.
/// Two caches, both by key with a time-to-live and a maximum entry count, where concurrent requests for one key share one task:
/// remote documents by URL, and processed contexts by source (the Link URL, or the canonical text of the inline @context),
/// so that a request with a known context does no processing at all. Failures are not cached.
/// </summary>
public sealed class ContextResolver
{
    private readonly IRemoteContextLoader _loader;
    private readonly RemoteContextOptions _options;
    private readonly TimeProvider _time;
    private readonly TtlCache<JsonElement> _documents;
    private readonly TtlCache<JsonLdContext> _contexts;

    public ContextResolver(IRemoteContextLoader loader, RemoteContextOptions options, TimeProvider? timeProvider = null)
    {
        _loader = loader ?? throw new ArgumentNullException(nameof(loader));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _time = timeProvider ?? TimeProvider.System;
        _documents = new TtlCache<JsonElement>(_options, _time);
        _contexts = new TtlCache<JsonLdContext>(_options, _time);
    }

    /// <summary>Resolves the context of a request: the inline @context, or the Link header URL, or neither (the core context).</summary>
    public async ValueTask<JsonLdContext> ResolveAsync(JsonElement? inlineContext, string? linkUrl, CancellationToken ct)
    {
        Debug.Assert(inlineContext is null || linkUrl is null, "The HTTP layer rejects a request with both an inline @context and a Link header.");
        if (inlineContext is { } inline)
        {
            if (inline.ValueKind is JsonValueKind.Undefined)
                return JsonLdContext.Core;
            // An inline URL is the same source as a Link header with that URL.
            if (inline.ValueKind == JsonValueKind.String)
            {
                linkUrl = inline.GetString()!;
            }
            else
            {
                var key = "inline\n" + Canonical(inline);
                var copy = inline.Clone();
                return await _contexts.GetOrAddAsync(key, () => BuildAsync(copy), ct).ConfigureAwait(false);
            }
        }
        if (linkUrl is null || CoreContext.IsCoreUrl(linkUrl))
            return JsonLdContext.Core;
        var url = linkUrl;
        return await _contexts.GetOrAddAsync("link\n" + url, () => BuildAsync(JsonSerializer.SerializeToElement(url)), ct)
            .ConfigureAwait(false);
    }

    private async Task<JsonLdContext> BuildAsync(JsonElement context)
    {
        var sourceUrls = new List<string>();
        if (context.ValueKind == JsonValueKind.String && !CoreContext.IsCoreUrl(context.GetString()!))
            sourceUrls.Add(context.GetString()!);
        else if (context.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in context.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String && !CoreContext.IsCoreUrl(item.GetString()!))
                    sourceUrls.Add(item.GetString()!);
            }
        }
        var locals = new List<Dictionary<string, JsonElement>?>();
        await CollectAsync(context, locals, [], topLevel: true).ConfigureAwait(false);
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
        return sourceUrls.Count == 0 && builder.Terms.Count == 0 && builder.Vocab is null
            ? JsonLdContext.Core
            : CoreContext.ApplyLast(builder, sourceUrls);
    }

    /// <summary>Flattens a context value into local contexts (null = reset), loading remote contexts and @import (JSON-LD 1.1 §4.1.2 step 5).</summary>
    private async Task CollectAsync(JsonElement context, List<Dictionary<string, JsonElement>?> output, List<string> chain, bool topLevel)
    {
        switch (context.ValueKind)
        {
            case JsonValueKind.Null:
                output.Add(null);
                break;
            case JsonValueKind.String:
                var url = context.GetString()!;
                if (CoreContext.IsCoreUrl(url))
                    return;
                if (chain.Contains(url))
                    throw JsonLdContextException.Invalid($"Recursive context inclusion: '{url}' references itself through {string.Join(" -> ", chain)}.");
                if (chain.Count >= _options.MaxRemoteDepth)
                    throw JsonLdContextException.Invalid($"Context overflow: more than {_options.MaxRemoteDepth} nested remote contexts at '{url}'.");
                var document = await LoadAsync(url).ConfigureAwait(false);
                if (document.ValueKind != JsonValueKind.Object || !document.TryGetProperty("@context", out var remoteContext))
                    throw JsonLdContextException.NotAvailable(url, "the document is not a JSON object with an @context member");
                chain.Add(url);
                await CollectAsync(remoteContext, output, chain, topLevel: true).ConfigureAwait(false);
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
                    await CollectAsync(item, output, chain, topLevel: false).ConfigureAwait(false);
                break;
            case JsonValueKind.Object:
                var local = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                if (context.TryGetProperty("@import", out var import))
                {
                    if (import.ValueKind != JsonValueKind.String)
                        throw JsonLdContextException.Invalid("Invalid @import value: expected a string.");
                    var importUrl = import.GetString()!;
                    var imported = await LoadAsync(importUrl).ConfigureAwait(false);
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

    private Task<JsonElement> LoadAsync(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
            throw JsonLdContextException.Invalid($"Invalid @context: '{url}' is not an absolute URL.");
        return _documents.GetOrAddAsync(url, async () =>
        {
            using var document = await _loader.LoadAsync(uri, CancellationToken.None).ConfigureAwait(false);
            return document.RootElement.Clone();
        }, CancellationToken.None);
    }

    private static string Canonical(JsonElement element)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
            element.WriteTo(writer);
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>A cache of shared tasks with a time-to-live and a maximum entry count (oldest evicted first); a failed task is removed.</summary>
    private sealed class TtlCache<T>(RemoteContextOptions options, TimeProvider time)
    {
        private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

        public async Task<T> GetOrAddAsync(string key, Func<Task<T>> factory, CancellationToken ct)
        {
            var now = time.GetUtcNow();
            if (_entries.TryGetValue(key, out var existing) && existing.Expires <= now)
                _entries.TryRemove(new KeyValuePair<string, Entry>(key, existing));
            var entry = _entries.GetOrAdd(key, static (_, state) => new Entry(
                new Lazy<Task<T>>(state.factory, LazyThreadSafetyMode.ExecutionAndPublication), state.now + state.ttl),
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

        private void Evict()
        {
            foreach (var (key, entry) in _entries.OrderBy(e => e.Value.Expires).Take(_entries.Count - options.MaxCacheEntries))
                _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
        }

        private sealed record Entry(Lazy<Task<T>> Value, DateTimeOffset Expires);
    }
}
