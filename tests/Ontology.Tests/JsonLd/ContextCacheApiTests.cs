using System.Text.Json;
using Ontology.JsonLd;
using Xunit;

namespace Ontology.Tests.JsonLd;

/// <summary>The public view of the remote-document cache (NGSI-LD "Cached" @contexts, clause 5.13): list, hits, evict, reload, local documents.</summary>
public class ContextCacheApiTests
{
    private const string A = "https://example.org/a.jsonld";
    private const string B = "https://example.org/b.jsonld";
    private const string Hosted = "http://broker/ngsi-ld/v1/jsonldContexts/h1";

    private static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static FakeLoader Loader() => new FakeLoader()
        .Add(A, """{ "@context": { "a": "https://example.org/a" } }""")
        .Add(B, """{ "@context": { "b": "https://example.org/b" } }""");

    [Fact]
    public async Task Fetched_documents_are_listed_with_fetch_time_expiry_and_hits()
    {
        var time = new ManualTime();
        var resolver = new ContextResolver(Loader(), new RemoteContextOptions { TimeToLive = TimeSpan.FromMinutes(10) }, time);
        await resolver.ResolveAsync(null, A, CancellationToken.None);
        time.Now += TimeSpan.FromSeconds(5);
        await resolver.ResolveAsync(null, A, CancellationToken.None);
        await resolver.ResolveAsync(Json($"[\"{A}\", \"{B}\"]"), null, CancellationToken.None);

        var documents = resolver.CachedDocuments();
        Assert.Equal([A, B], documents.Select(d => d.Url));
        var a = documents[0];
        Assert.Equal(3, a.Hits);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), a.FetchedAt);
        Assert.Equal(a.FetchedAt + TimeSpan.FromMinutes(10), a.ExpiresAt);
        Assert.Equal(time.Now, a.LastUsedAt);
        Assert.Equal(1, documents[1].Hits);
        Assert.Equal("https://example.org/a", a.Document.GetProperty("@context").GetProperty("a").GetString());
    }

    [Fact]
    public async Task Expired_documents_are_not_listed()
    {
        var time = new ManualTime();
        var resolver = new ContextResolver(Loader(), new RemoteContextOptions { TimeToLive = TimeSpan.FromMinutes(1) }, time);
        await resolver.ResolveAsync(null, A, CancellationToken.None);
        time.Now += TimeSpan.FromMinutes(2);
        Assert.Empty(resolver.CachedDocuments());
        Assert.Null(resolver.FindCachedDocument(A));
    }

    [Fact]
    public async Task Evicting_a_document_fetches_it_again_on_the_next_use()
    {
        var loader = Loader();
        var resolver = new ContextResolver(loader, new RemoteContextOptions());
        await resolver.ResolveAsync(null, A, CancellationToken.None);
        Assert.True(resolver.EvictDocument(A));
        Assert.Null(resolver.FindCachedDocument(A));
        Assert.False(resolver.EvictDocument(A));
        await resolver.ResolveAsync(null, A, CancellationToken.None);
        Assert.Equal(2, loader.CallsTo(A));
        Assert.Equal(1, resolver.FindCachedDocument(A)!.Hits);
    }

    [Fact]
    public async Task Reloading_replaces_the_document_and_the_contexts_built_from_it()
    {
        var loader = Loader();
        var resolver = new ContextResolver(loader, new RemoteContextOptions());
        Assert.Equal("https://example.org/a", (await resolver.ResolveAsync(null, A, CancellationToken.None)).ExpandTerm("a"));
        loader.Add(A, """{ "@context": { "a": "https://example.org/a2" } }""");
        var reloaded = await resolver.ReloadDocumentAsync(A, CancellationToken.None);
        Assert.Equal(1, reloaded.Hits);
        Assert.Equal("https://example.org/a2", (await resolver.ResolveAsync(null, A, CancellationToken.None)).ExpandTerm("a"));
        Assert.Equal(2, loader.CallsTo(A));
        Assert.Equal(2, resolver.FindCachedDocument(A)!.Hits);
    }

    [Fact]
    public async Task A_failed_reload_keeps_the_cached_document()
    {
        var loader = Loader();
        var resolver = new ContextResolver(loader, new RemoteContextOptions());
        await resolver.ResolveAsync(null, A, CancellationToken.None);
        loader.Remove(A);
        var error = await Assert.ThrowsAsync<JsonLdContextException>(() => resolver.ReloadDocumentAsync(A, CancellationToken.None));
        Assert.Equal(JsonLdContextError.ContextNotAvailable, error.Kind);
        Assert.NotNull(resolver.FindCachedDocument(A));
        Assert.Equal("https://example.org/a", (await resolver.ResolveAsync(null, A, CancellationToken.None)).ExpandTerm("a"));
    }

    [Fact]
    public async Task Local_documents_are_served_without_fetching_and_not_cached()
    {
        var loader = Loader();
        var local = new LocalDocuments { [Hosted] = $$"""{ "@context": ["{{A}}", { "h": "https://example.org/h" }] }""" };
        var resolver = new ContextResolver(loader, new RemoteContextOptions(), localDocuments: local);
        var context = await resolver.ResolveAsync(null, Hosted, CancellationToken.None);
        await resolver.ResolveAsync(null, Hosted, CancellationToken.None);
        Assert.Equal("https://example.org/h", context.ExpandTerm("h"));
        Assert.Equal("https://example.org/a", context.ExpandTerm("a"));
        Assert.Equal(0, loader.CallsTo(Hosted));
        Assert.Equal([A], resolver.CachedDocuments().Select(d => d.Url));
        Assert.Equal(2, local.Uses[Hosted]);
        Assert.Equal(2, resolver.FindCachedDocument(A)!.Hits);
    }

    [Fact]
    public async Task A_context_built_from_a_removed_local_document_is_processed_again()
    {
        var loader = Loader().Add(Hosted, """{ "@context": { "h": "https://example.org/remote-h" } }""");
        var local = new LocalDocuments { [Hosted] = """{ "@context": { "h": "https://example.org/h" } }""" };
        var resolver = new ContextResolver(loader, new RemoteContextOptions(), localDocuments: local);
        Assert.Equal("https://example.org/h", (await resolver.ResolveAsync(null, Hosted, CancellationToken.None)).ExpandTerm("h"));
        local.Remove(Hosted);
        Assert.Equal("https://example.org/remote-h", (await resolver.ResolveAsync(null, Hosted, CancellationToken.None)).ExpandTerm("h"));
    }

    [Fact]
    public async Task Relative_references_resolve_against_the_base_url()
    {
        var local = new LocalDocuments { [Hosted] = """{ "@context": { "h": "https://example.org/h" } }""" };
        var resolver = new ContextResolver(Loader(), new RemoteContextOptions(), localDocuments: local);
        var requestUrl = new Uri("http://broker/ngsi-ld/v1/entities");
        var context = await resolver.ResolveAsync(Json("\"/ngsi-ld/v1/jsonldContexts/h1\""), null, CancellationToken.None, requestUrl);
        Assert.Equal("https://example.org/h", context.ExpandTerm("h"));
        var inArray = await resolver.ResolveAsync(Json("""["jsonldContexts/h1", { "x": "https://example.org/x" }]"""), null, CancellationToken.None, new Uri("http://broker/ngsi-ld/v1/"));
        Assert.Equal("https://example.org/h", inArray.ExpandTerm("h"));
    }

    [Theory]
    [InlineData("\"/other/context.jsonld\"")]
    [InlineData("\"not a url\"")]
    [InlineData("[\"b.jsonld\"]")]
    public async Task Relative_references_against_the_request_url_must_name_a_local_document(string context)
    {
        var loader = Loader();
        var resolver = new ContextResolver(loader, new RemoteContextOptions(), localDocuments: new LocalDocuments());
        var error = await Assert.ThrowsAsync<JsonLdContextException>(() => resolver
            .ResolveAsync(Json(context), null, CancellationToken.None, new Uri("http://broker/ngsi-ld/v1/entities")).AsTask());
        Assert.Equal(JsonLdContextError.InvalidContext, error.Kind);
        Assert.Empty(loader.Calls);
    }

    [Fact]
    public async Task Relative_references_in_a_remote_document_resolve_against_its_url()
    {
        var loader = Loader().Add("https://example.org/c.jsonld", """{ "@context": ["b.jsonld", { "c": "https://example.org/c" }] }""");
        var resolver = new ContextResolver(loader, new RemoteContextOptions());
        var context = await resolver.ResolveAsync(null, "https://example.org/c.jsonld", CancellationToken.None);
        Assert.Equal("https://example.org/b", context.ExpandTerm("b"));
    }

    [Fact]
    public async Task An_inline_context_with_relative_references_is_cached_per_base()
    {
        var local = new LocalDocuments
        {
            [Hosted] = """{ "@context": { "h": "https://example.org/h" } }""",
            ["http://broker/x/jsonldContexts/h1"] = """{ "@context": { "h": "https://example.org/other-h" } }""",
        };
        var resolver = new ContextResolver(Loader(), new RemoteContextOptions(), localDocuments: local);
        var inline = Json("""["jsonldContexts/h1"]""");
        var first = await resolver.ResolveAsync(inline, null, CancellationToken.None, new Uri("http://broker/ngsi-ld/v1/entities"));
        var second = await resolver.ResolveAsync(inline, null, CancellationToken.None, new Uri("http://broker/x/entities"));
        Assert.Equal("https://example.org/h", first.ExpandTerm("h"));
        Assert.Equal("https://example.org/other-h", second.ExpandTerm("h"));
    }

    [Fact]
    public async Task A_rooted_path_without_a_base_is_an_invalid_context_not_a_file()
    {
        var error = await Assert.ThrowsAsync<JsonLdContextException>(() => new ContextResolver(Loader(), new RemoteContextOptions())
            .ResolveAsync(Json("\"/ngsi-ld/v1/jsonldContexts/h1\""), null, CancellationToken.None).AsTask());
        Assert.Equal(JsonLdContextError.InvalidContext, error.Kind);
    }

    [Fact]
    public async Task A_cache_smaller_than_the_documents_of_one_context_still_resolves_it()
    {
        var loader = Loader();
        var resolver = new ContextResolver(loader, new RemoteContextOptions { MaxCacheEntries = 1 });
        var context = await resolver.ResolveAsync(Json($"[\"{A}\", \"{B}\"]"), null, CancellationToken.None);
        Assert.Equal("https://example.org/a", context.ExpandTerm("a"));
        Assert.Equal("https://example.org/b", context.ExpandTerm("b"));
    }

    private sealed class LocalDocuments : Dictionary<string, string>, ILocalContextDocuments
    {
        public Dictionary<string, int> Uses { get; } = [];

        public JsonElement? Find(string url) => TryGetValue(url, out var json) ? Json(json) : null;

        public bool RecordUse(string url)
        {
            if (!ContainsKey(url))
                return false;
            Uses[url] = Uses.GetValueOrDefault(url) + 1;
            return true;
        }
    }

    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
