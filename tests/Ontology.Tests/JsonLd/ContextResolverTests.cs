using System.Text.Json;
using Ontology.JsonLd;
using Xunit;

namespace Ontology.Tests.JsonLd;

public class ContextResolverTests
{
    private const string A = "https://example.org/a.jsonld";
    private const string B = "https://example.org/b.jsonld";

    private static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    [Fact]
    public async Task Neither_inline_nor_link_is_the_core()
    {
        var resolver = new ContextResolver(new FakeLoader(), new RemoteContextOptions());
        Assert.Same(JsonLdContext.Core, await resolver.ResolveAsync(null, null, CancellationToken.None));
    }

    [Theory]
    [InlineData("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld")]
    [InlineData("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.3.jsonld")]
    [InlineData("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld")]
    [InlineData("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld")]
    [InlineData("http://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld")]
    public async Task Core_urls_are_never_fetched(string url)
    {
        var loader = new FakeLoader();
        var resolver = new ContextResolver(loader, new RemoteContextOptions());
        Assert.Same(JsonLdContext.Core, await resolver.ResolveAsync(null, url, CancellationToken.None));
        Assert.Same(JsonLdContext.Core, await resolver.ResolveAsync(Json($"[\"{url}\"]"), null, CancellationToken.None));
        Assert.Empty(loader.Calls);
    }

    [Fact]
    public async Task Source_urls_list_the_user_urls_without_the_core()
    {
        var loader = new FakeLoader().Add(A, """{ "@context": { "a": "https://example.org/a" } }""").Add(B, """{ "@context": { "b": "https://example.org/b" } }""");
        var resolver = new ContextResolver(loader, new RemoteContextOptions());
        var context = await resolver.ResolveAsync(
            Json($"""["{A}", "{B}", "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"]"""), null, CancellationToken.None);
        Assert.Equal([A, B], context.SourceUrls);
        Assert.Equal("https://example.org/b", context.ExpandTerm("b"));
        var linked = await resolver.ResolveAsync(null, A, CancellationToken.None);
        Assert.Equal([A], linked.SourceUrls);
        Assert.Equal("https://example.org/a", linked.ExpandTerm("a"));
    }

    [Fact]
    public async Task Unreachable_context_is_not_available_and_names_the_url()
    {
        var resolver = new ContextResolver(new FakeLoader(), new RemoteContextOptions());
        var error = await Assert.ThrowsAsync<JsonLdContextException>(() => resolver.ResolveAsync(null, A, CancellationToken.None).AsTask());
        Assert.Equal(JsonLdContextError.ContextNotAvailable, error.Kind);
        Assert.Contains(A, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "a": "https://example.org/a" }""")]
    [InlineData("""[1, 2]""")]
    public async Task A_document_without_an_context_member_is_not_available(string document)
    {
        var resolver = new ContextResolver(new FakeLoader().Add(A, document), new RemoteContextOptions());
        var error = await Assert.ThrowsAsync<JsonLdContextException>(() => resolver.ResolveAsync(null, A, CancellationToken.None).AsTask());
        Assert.Equal(JsonLdContextError.ContextNotAvailable, error.Kind);
    }

    [Fact]
    public async Task Nested_remote_contexts_are_followed_and_loops_rejected()
    {
        var loader = new FakeLoader()
            .Add(A, $$"""{ "@context": ["{{B}}", { "a": "https://example.org/a" }] }""")
            .Add(B, """{ "@context": { "b": "https://example.org/b" } }""");
        var resolver = new ContextResolver(loader, new RemoteContextOptions());
        var context = await resolver.ResolveAsync(null, A, CancellationToken.None);
        Assert.Equal("https://example.org/b", context.ExpandTerm("b"));
        Assert.Equal([A], context.SourceUrls);

        var looping = new FakeLoader().Add(A, $$"""{ "@context": "{{B}}" }""").Add(B, $$"""{ "@context": ["{{A}}"] }""");
        var error = await Assert.ThrowsAsync<JsonLdContextException>(
            () => new ContextResolver(looping, new RemoteContextOptions()).ResolveAsync(null, A, CancellationToken.None).AsTask());
        Assert.Equal(JsonLdContextError.InvalidContext, error.Kind);
        Assert.Contains("Recursive", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Remote_nesting_deeper_than_the_limit_is_rejected()
    {
        var loader = new FakeLoader()
            .Add(A, $$"""{ "@context": "{{B}}" }""")
            .Add(B, """{ "@context": "https://example.org/c.jsonld" }""")
            .Add("https://example.org/c.jsonld", """{ "@context": { "c": "https://example.org/c" } }""");
        var error = await Assert.ThrowsAsync<JsonLdContextException>(
            () => new ContextResolver(loader, new RemoteContextOptions { MaxRemoteDepth = 2 }).ResolveAsync(null, A, CancellationToken.None).AsTask());
        Assert.Contains("overflow", error.Message, StringComparison.Ordinal);
        var context = await new ContextResolver(loader, new RemoteContextOptions()).ResolveAsync(null, A, CancellationToken.None);
        Assert.Equal("https://example.org/c", context.ExpandTerm("c"));
    }

    [Fact]
    public async Task Loader_failures_such_as_timeouts_and_oversize_propagate_as_not_available()
    {
        var loader = new ThrowingLoader(new JsonLdContextException(JsonLdContextError.ContextNotAvailable, $"The @context '{A}' is not available: larger than 1048576 bytes"));
        var error = await Assert.ThrowsAsync<JsonLdContextException>(
            () => new ContextResolver(loader, new RemoteContextOptions()).ResolveAsync(Json($"[\"{A}\"]"), null, CancellationToken.None).AsTask());
        Assert.Equal(JsonLdContextError.ContextNotAvailable, error.Kind);
    }

    private sealed class ThrowingLoader(Exception exception) : IRemoteContextLoader
    {
        public ValueTask<JsonDocument> LoadAsync(Uri url, CancellationToken ct) => ValueTask.FromException<JsonDocument>(exception);
    }

    [Fact]
    public async Task Import_merges_a_remote_object_under_local_definitions()
    {
        var loader = new FakeLoader().Add(A, """{ "@context": { "a": "https://example.org/imported", "b": "https://example.org/b" } }""");
        var context = await new ContextResolver(loader, new RemoteContextOptions())
            .ResolveAsync(Json($$"""{ "@import": "{{A}}", "a": "https://example.org/local" }"""), null, CancellationToken.None);
        Assert.Equal("https://example.org/local", context.ExpandTerm("a"));
        Assert.Equal("https://example.org/b", context.ExpandTerm("b"));
    }

    [Fact]
    public async Task Concurrent_and_repeated_resolves_load_and_process_once()
    {
        var loader = new FakeLoader { Delay = TimeSpan.FromMilliseconds(50) }.Add(A, """{ "@context": { "a": "https://example.org/a" } }""");
        var resolver = new ContextResolver(loader, new RemoteContextOptions());
        var tasks = Enumerable.Range(0, 20).Select(_ => resolver.ResolveAsync(null, A, CancellationToken.None).AsTask()).ToArray();
        var contexts = await Task.WhenAll(tasks);
        Assert.All(contexts, c => Assert.Same(contexts[0], c));
        var inline1 = await resolver.ResolveAsync(Json($"[\"{A}\"]"), null, CancellationToken.None);
        var inline2 = await resolver.ResolveAsync(Json($"[ \"{A}\" ]"), null, CancellationToken.None);
        Assert.Same(inline1, inline2);
        Assert.Equal(1, loader.CallsTo(A));
    }

    [Fact]
    public async Task Cache_entries_expire_after_the_time_to_live()
    {
        var time = new ManualTime();
        var loader = new FakeLoader().Add(A, """{ "@context": { "a": "https://example.org/a" } }""");
        var resolver = new ContextResolver(loader, new RemoteContextOptions { TimeToLive = TimeSpan.FromMinutes(1) }, time);
        await resolver.ResolveAsync(null, A, CancellationToken.None);
        time.Now += TimeSpan.FromSeconds(30);
        await resolver.ResolveAsync(null, A, CancellationToken.None);
        Assert.Equal(1, loader.CallsTo(A));
        time.Now += TimeSpan.FromMinutes(2);
        await resolver.ResolveAsync(null, A, CancellationToken.None);
        Assert.Equal(2, loader.CallsTo(A));
    }

    [Fact]
    public async Task The_oldest_entries_are_evicted_beyond_the_maximum()
    {
        var time = new ManualTime();
        var loader = new FakeLoader().Add(A, """{ "@context": { "a": "https://example.org/a" } }""").Add(B, """{ "@context": { "b": "https://example.org/b" } }""");
        var resolver = new ContextResolver(loader, new RemoteContextOptions { MaxCacheEntries = 1 }, time);
        await resolver.ResolveAsync(null, A, CancellationToken.None);
        time.Now += TimeSpan.FromSeconds(1);
        await resolver.ResolveAsync(null, B, CancellationToken.None);
        time.Now += TimeSpan.FromSeconds(1);
        await resolver.ResolveAsync(null, B, CancellationToken.None);
        await resolver.ResolveAsync(null, A, CancellationToken.None);
        Assert.Equal(2, loader.CallsTo(A));
        Assert.Equal(1, loader.CallsTo(B));
    }

    [Fact]
    public async Task Failures_are_not_cached()
    {
        var loader = new FakeLoader();
        var resolver = new ContextResolver(loader, new RemoteContextOptions());
        await Assert.ThrowsAsync<JsonLdContextException>(() => resolver.ResolveAsync(null, A, CancellationToken.None).AsTask());
        loader.Add(A, """{ "@context": { "a": "https://example.org/a" } }""");
        var context = await resolver.ResolveAsync(null, A, CancellationToken.None);
        Assert.Equal("https://example.org/a", context.ExpandTerm("a"));
    }

    [Theory]
    [InlineData("context-invalid-array-item.json")]
    [InlineData("context-invalid-boolean.json")]
    [InlineData("context-invalid-number.json")]
    public async Task Golden_etsi_invalid_contexts_are_rejected_without_fetching(string file)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", "JsonLd", file)));
        var loader = new FakeLoader();
        var error = await Assert.ThrowsAsync<JsonLdContextException>(() => new ContextResolver(loader, new RemoteContextOptions())
            .ResolveAsync(document.RootElement.GetProperty("@context"), null, CancellationToken.None).AsTask());
        Assert.Equal(JsonLdContextError.InvalidContext, error.Kind);
        Assert.Empty(loader.Calls);
    }

    [Fact]
    public async Task An_inline_url_and_a_link_share_one_cache_entry()
    {
        var loader = new FakeLoader().Add(A, """{ "@context": { "a": "https://example.org/a" } }""");
        var resolver = new ContextResolver(loader, new RemoteContextOptions());
        var linked = await resolver.ResolveAsync(null, A, CancellationToken.None);
        Assert.Same(linked, await resolver.ResolveAsync(Json($"\"{A}\""), null, CancellationToken.None));
        Assert.Equal([A], linked.SourceUrls);
    }

    [Fact]
    public async Task Golden_etsi_contexts_expand_and_compact_as_expected()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "Golden", "JsonLd");
        using var expectations = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "expectations.json")));
        foreach (var testCase in expectations.RootElement.EnumerateArray())
        {
            var loader = new FakeLoader();
            foreach (var document in testCase.GetProperty("documents").EnumerateObject())
                loader.Add(document.Name, File.ReadAllText(Path.Combine(folder, document.Value.GetString()!)));
            var context = await new ContextResolver(loader, new RemoteContextOptions())
                .ResolveAsync(null, testCase.GetProperty("link").GetString(), CancellationToken.None);
            var description = testCase.GetProperty("description").GetString();
            foreach (var expansion in testCase.GetProperty("expand").EnumerateObject())
                Assert.True(expansion.Value.GetString() == context.ExpandTerm(expansion.Name), $"{description}: expand {expansion.Name} -> {context.ExpandTerm(expansion.Name)}");
            foreach (var compaction in testCase.GetProperty("compact").EnumerateObject())
                Assert.True(compaction.Value.GetString() == context.CompactIri(compaction.Name), $"{description}: compact {compaction.Name} -> {context.CompactIri(compaction.Name)}");
        }
    }

    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
