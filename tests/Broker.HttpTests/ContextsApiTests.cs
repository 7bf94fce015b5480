using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Contexts;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Ontology.JsonLd;
using Xunit;

namespace Broker.HttpTests;

/// <summary>An in-memory <see cref="IRemoteContextLoader"/>: documents by URL, with a count of fetches per URL.</summary>
public sealed class FakeContextLoader : IRemoteContextLoader
{
    private readonly ConcurrentDictionary<string, string> _documents = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);

    public void Set(string url, string json) => _documents[url] = json;

    public void Remove(string url) => _documents.TryRemove(url, out _);

    public int CallsTo(string url) => _calls.GetValueOrDefault(url);

    public ValueTask<JsonDocument> LoadAsync(Uri url, CancellationToken ct)
    {
        var text = url.OriginalString;
        _calls.AddOrUpdate(text, 1, (_, n) => n + 1);
        return _documents.TryGetValue(text, out var json)
            ? ValueTask.FromResult(JsonDocument.Parse(json))
            : throw new JsonLdContextException(JsonLdContextError.ContextNotAvailable, $"The @context '{text}' is not available: 404");
    }
}

/// <summary>A broker on an embedded store in a folder of its own (or a given one, to restart on it), with a <see cref="FakeContextLoader"/>.</summary>
public sealed class ContextsBroker : WebApplicationFactory<Program>
{
    private readonly bool _ownsFolder;

    public ContextsBroker()
        : this(Path.Combine(Path.GetTempPath(), "ngsi-contexts-" + Guid.NewGuid().ToString("N")), ownsFolder: true)
    {
    }

    internal ContextsBroker(string dataPath, bool ownsFolder)
    {
        DataPath = dataPath;
        _ownsFolder = ownsFolder;
    }

    public string DataPath { get; }

    public FakeContextLoader Loader { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Storage:DataPath", DataPath);
        builder.ConfigureServices(services => services.AddSingleton<IRemoteContextLoader>(Loader));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (_ownsFolder && Directory.Exists(DataPath))
            Directory.Delete(DataPath, recursive: true);
    }
}

/// <summary>The @context management API (clause 5.13.2–5.13.5) through HTTP.</summary>
public sealed class ContextsApiTests(ContextsBroker broker) : IClassFixture<ContextsBroker>
{
    private const string Base = "/ngsi-ld/v1/jsonldContexts";
    private const string Core = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";
    private static readonly JsonObject Terms = new() { ["speed"] = "https://example.org/vocab/speed", ["Car"] = "https://example.org/vocab/Car" };

    private static string RemoteUrl() => $"https://contexts.example.org/{Guid.NewGuid():N}.jsonld";

    private static string EntityId() => $"urn:ngsi-ld:Car:{Guid.NewGuid():N}";

    private static StringContent Json(string json, string type = "application/json") => new(json, Encoding.UTF8, type);

    private static async Task<JsonNode> BodyAsync(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/" + type, (await BodyAsync(response))["type"]!.GetValue<string>());
    }

    private async Task<string> AddAsync(JsonNode context, ContextsBroker? on = null)
    {
        using var client = (on ?? broker).CreateClient();
        var response = await client.PostAsync(Base, Json(new JsonObject { ["@context"] = context.DeepClone() }.ToJsonString()));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
        var location = response.Headers.Location!.OriginalString;
        Assert.StartsWith(Base + "/", location, StringComparison.Ordinal);
        return location[(Base.Length + 1)..];
    }

    private async Task<HttpResponseMessage> GetAsync(string path, ContextsBroker? on = null)
    {
        using var client = (on ?? broker).CreateClient();
        return await client.GetAsync(path);
    }

    private async Task<JsonObject> DetailsAsync(string contextId, ContextsBroker? on = null)
    {
        var response = await GetAsync($"{Base}/{Uri.EscapeDataString(contextId)}?details=true", on);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await BodyAsync(response)).AsObject();
    }

    private async Task<HttpResponseMessage> DeleteAsync(string contextId, string query = "")
    {
        using var client = broker.CreateClient();
        return await client.DeleteAsync($"{Base}/{Uri.EscapeDataString(contextId)}{query}");
    }

    private async Task<HttpResponseMessage> CreateCarAsync(string id, string linkUrl, ContextsBroker? on = null)
    {
        using var client = (on ?? broker).CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/ngsi-ld/v1/entities")
        {
            Content = Json($$"""{ "id": "{{id}}", "type": "Car", "speed": { "type": "Property", "value": 42 } }"""),
        };
        request.Headers.Add("Link", $"<{linkUrl}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"");
        return await client.SendAsync(request);
    }

    private async Task<JsonObject> RetrieveCarAsync(string id, string? linkUrl, ContextsBroker? on = null)
    {
        using var client = (on ?? broker).CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ngsi-ld/v1/entities/{id}?options=keyValues");
        if (linkUrl is not null)
            request.Headers.Add("Link", $"<{linkUrl}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"");
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await BodyAsync(response)).AsObject();
    }

    private async Task<List<string>> ListAsync(string query = "")
    {
        var response = await GetAsync(Base + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await BodyAsync(response)).AsArray().Select(n => n!.GetValue<string>())];
    }

    private async Task<JsonArray> ListDetailsAsync(string query)
    {
        var response = await GetAsync(Base + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await BodyAsync(response)).AsArray();
    }

    [Fact]
    public async Task A_hosted_context_is_added_and_served_as_given()
    {
        var localId = await AddAsync(Terms);
        var response = await GetAsync($"{Base}/{localId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["@context"] = Terms.DeepClone() }, await BodyAsync(response)));
    }

    [Fact]
    public async Task A_hosted_context_with_an_array_of_urls_and_objects_is_accepted()
    {
        var localId = await AddAsync(new JsonArray(RemoteUrl(), Terms.DeepClone()));
        var served = await BodyAsync(await GetAsync($"{Base}/{localId}"));
        Assert.Equal(2, served["@context"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("[1, 2]", "InvalidRequest")]
    [InlineData("""{ "A1": "urn:ngsi-ld:attributes:A1" }""", "InvalidRequest")]
    [InlineData("""{ "A1": "urn:a" "A2": "urn:b" }""", "InvalidRequest")]
    [InlineData("""{ "@context": 5 }""", "BadRequestData")]
    [InlineData("""{ "@context": "https://example.org/c.jsonld" }""", "BadRequestData")]
    [InlineData("""{ "@context": [true] }""", "BadRequestData")]
    [InlineData("""{ "@context": ["not a url"] }""", "BadRequestData")]
    public async Task Invalid_payloads_are_refused(string body, string errorType)
    {
        using var client = broker.CreateClient();
        var response = await client.PostAsync(Base, Json(body));
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, errorType);
    }

    [Fact]
    public async Task The_list_holds_the_core_context_first_and_the_hosted_ones_by_their_broker_url()
    {
        var localId = await AddAsync(Terms);
        var urls = await ListAsync();
        Assert.Equal(Core, urls[0]);
        Assert.Contains($"http://localhost{Base}/{localId}", urls);
        Assert.Equal(urls, await ListAsync("?details=false"));
        var hosted = await ListAsync("?kind=Hosted");
        Assert.Contains($"http://localhost{Base}/{localId}", hosted);
        Assert.DoesNotContain(Core, hosted);
        Assert.Contains(Core, await ListAsync("?kind=Cached"));
        Assert.DoesNotContain($"http://localhost{Base}/{localId}", await ListAsync("?kind=Cached"));
    }

    [Fact]
    public async Task Details_describe_each_context_with_its_kind()
    {
        var localId = await AddAsync(Terms);
        var all = await ListDetailsAsync("?details=true");
        var core = all[0]!.AsObject();
        Assert.Equal(Core, core["URL"]!.GetValue<string>());
        Assert.Equal("Cached", core["kind"]!.GetValue<string>());
        var hosted = all.Single(c => c!["localId"]!.GetValue<string>() == localId)!.AsObject();
        Assert.Equal("Hosted", hosted["kind"]!.GetValue<string>());
        Assert.Equal($"http://localhost{Base}/{localId}", hosted["URL"]!.GetValue<string>());
        Assert.Equal(0, hosted["numberOfHits"]!.GetValue<long>());
        Assert.EndsWith("Z", hosted["createdAt"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.All(hosted.Select(p => p.Key), key => Assert.Contains(key, new[] { "URL", "localId", "kind", "createdAt", "lastUsage", "numberOfHits", "expiresAt" }));
        Assert.All(await ListDetailsAsync("?details=true&kind=Hosted"), c => Assert.Equal("Hosted", c!["kind"]!.GetValue<string>()));
        Assert.Equal(hosted.ToJsonString(), (await DetailsAsync(localId)).ToJsonString());
    }

    [Theory]
    [InlineData("?kind=other")]
    [InlineData("?kind=hosted")]
    [InlineData("?details=other")]
    [InlineData("?details=true&kind=other")]
    public async Task Unknown_kinds_and_flags_are_refused(string query) =>
        await AssertProblemAsync(await GetAsync(Base + query), HttpStatusCode.BadRequest, "BadRequestData");

    [Fact]
    public async Task Unknown_contexts_are_not_found()
    {
        await AssertProblemAsync(await GetAsync($"{Base}/unknown"), HttpStatusCode.NotFound, "ResourceNotFound");
        await AssertProblemAsync(await GetAsync($"{Base}/unknown?details=true"), HttpStatusCode.NotFound, "ResourceNotFound");
        await AssertProblemAsync(await DeleteAsync("unknown"), HttpStatusCode.NotFound, "ResourceNotFound");
        await AssertProblemAsync(await DeleteAsync("unknown", "?reload=false"), HttpStatusCode.NotFound, "ResourceNotFound");
        await AssertProblemAsync(await DeleteAsync(RemoteUrl()), HttpStatusCode.NotFound, "ResourceNotFound");
        // reload=true needs a Cached context: an identifier that is no URL cannot be one.
        await AssertProblemAsync(await DeleteAsync("unknown", "?reload=true"), HttpStatusCode.BadRequest, "BadRequestData");
        await AssertProblemAsync(await DeleteAsync("unknown", "?reload=xxx"), HttpStatusCode.BadRequest, "BadRequestData");
    }

    [Fact]
    public async Task A_hosted_context_is_deleted_but_not_reloaded()
    {
        var localId = await AddAsync(Terms);
        await AssertProblemAsync(await DeleteAsync(localId, "?reload=true"), HttpStatusCode.BadRequest, "BadRequestData");
        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync(localId)).StatusCode);
        await AssertProblemAsync(await GetAsync($"{Base}/{localId}"), HttpStatusCode.NotFound, "ResourceNotFound");
        Assert.DoesNotContain($"http://localhost{Base}/{localId}", await ListAsync());
        Assert.False(File.Exists(Path.Combine(broker.DataPath, "contexts", localId + ".json")));
    }

    [Fact]
    public async Task The_core_context_is_described_but_neither_served_nor_deleted()
    {
        var details = await DetailsAsync(Core);
        Assert.Equal("Cached", details["kind"]!.GetValue<string>());
        Assert.Equal(details.ToJsonString(), (await DetailsAsync(details["localId"]!.GetValue<string>())).ToJsonString());
        await AssertProblemAsync(await GetAsync($"{Base}/{Uri.EscapeDataString(Core)}"), HttpStatusCode.UnprocessableEntity, "OperationNotSupported");
        await AssertProblemAsync(await DeleteAsync(Core), HttpStatusCode.BadRequest, "BadRequestData");
        await AssertProblemAsync(await DeleteAsync(Core, "?reload=false"), HttpStatusCode.BadRequest, "BadRequestData");
        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync(Core, "?reload=true")).StatusCode);
        Assert.Equal(Core, (await ListAsync())[0]);
    }

    [Fact]
    public async Task A_fetched_link_context_is_cached_and_counts_its_hits()
    {
        var url = RemoteUrl();
        broker.Loader.Set(url, new JsonObject { ["@context"] = Terms.DeepClone() }.ToJsonString());
        Assert.Equal(HttpStatusCode.Created, (await CreateCarAsync(EntityId(), url)).StatusCode);
        Assert.Contains(url, await ListAsync("?kind=Cached"));
        Assert.Contains(url, await ListAsync());

        var details = await DetailsAsync(url);
        Assert.Equal("Cached", details["kind"]!.GetValue<string>());
        Assert.Equal(url, details["URL"]!.GetValue<string>());
        Assert.Equal(1, details["numberOfHits"]!.GetValue<long>());
        Assert.NotNull(details["expiresAt"]);
        Assert.NotNull(details["lastUsage"]);
        Assert.Equal(HttpStatusCode.Created, (await CreateCarAsync(EntityId(), url)).StatusCode);
        Assert.Equal(2, (await DetailsAsync(url))["numberOfHits"]!.GetValue<long>());
        Assert.Equal(2, (await DetailsAsync(details["localId"]!.GetValue<string>()))["numberOfHits"]!.GetValue<long>());
        Assert.Equal(1, broker.Loader.CallsTo(url));
        // Only Hosted and ImplicitlyCreated contexts are served (clause 5.13.4).
        await AssertProblemAsync(await GetAsync($"{Base}/{Uri.EscapeDataString(url)}"), HttpStatusCode.UnprocessableEntity, "OperationNotSupported");
    }

    [Fact]
    public async Task Deleting_a_cached_context_evicts_it_and_the_next_use_fetches_it_again()
    {
        var url = RemoteUrl();
        broker.Loader.Set(url, new JsonObject { ["@context"] = Terms.DeepClone() }.ToJsonString());
        await CreateCarAsync(EntityId(), url);
        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync(url)).StatusCode);
        Assert.DoesNotContain(url, await ListAsync());
        await AssertProblemAsync(await DeleteAsync(url), HttpStatusCode.NotFound, "ResourceNotFound");
        await CreateCarAsync(EntityId(), url);
        Assert.Equal(2, broker.Loader.CallsTo(url));
        Assert.Equal(1, (await DetailsAsync(url))["numberOfHits"]!.GetValue<long>());
    }

    [Fact]
    public async Task Reloading_a_cached_context_fetches_it_again_and_new_requests_use_the_new_copy()
    {
        var url = RemoteUrl();
        var id = EntityId();
        broker.Loader.Set(url, """{ "@context": { "speed": "https://example.org/vocab/speed" } }""");
        await CreateCarAsync(id, url);
        broker.Loader.Set(url, """{ "@context": { "velocity": "https://example.org/vocab/speed" } }""");
        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync(url, "?reload=true")).StatusCode);
        Assert.Equal(2, broker.Loader.CallsTo(url));
        Assert.Contains(url, await ListAsync("?kind=Cached"));
        var car = await RetrieveCarAsync(id, url);
        Assert.Equal(42, car["velocity"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_failed_reload_answers_503_and_keeps_the_cached_copy()
    {
        var url = RemoteUrl();
        var id = EntityId();
        broker.Loader.Set(url, new JsonObject { ["@context"] = Terms.DeepClone() }.ToJsonString());
        await CreateCarAsync(id, url);
        broker.Loader.Remove(url);
        await AssertProblemAsync(await DeleteAsync(url, "?reload=true"), HttpStatusCode.ServiceUnavailable, "LdContextNotAvailable");
        Assert.Equal("Cached", (await DetailsAsync(url))["kind"]!.GetValue<string>());
        Assert.Equal(42, (await RetrieveCarAsync(id, url))["speed"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_hosted_context_is_used_through_its_url_in_a_link_header_without_fetching()
    {
        var nested = RemoteUrl();
        broker.Loader.Set(nested, """{ "@context": { "brand": "https://example.org/vocab/brand" } }""");
        var localId = await AddAsync(new JsonArray(nested, Terms.DeepClone()));
        // Any host: the broker recognises its own jsonldContexts path.
        var url = $"http://broker.example:9999/ngsi-ld/v1/jsonldContexts/{localId}";
        var id = EntityId();
        Assert.Equal(HttpStatusCode.Created, (await CreateCarAsync(id, url)).StatusCode);
        Assert.Equal(0, broker.Loader.CallsTo(url));

        var car = await RetrieveCarAsync(id, url);
        Assert.Equal(42, car["speed"]!.GetValue<int>());
        Assert.Equal("Car", car["type"]!.GetValue<string>());
        var expanded = await RetrieveCarAsync(id, null);
        Assert.Equal(42, expanded["https://example.org/vocab/speed"]!.GetValue<int>());

        var details = await DetailsAsync(localId);
        Assert.Equal(2, details["numberOfHits"]!.GetValue<long>());
        Assert.NotNull(details["lastUsage"]);
        // The URL inside the hosted context became a Cached context.
        Assert.Equal("Cached", (await DetailsAsync(nested))["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_relative_reference_to_a_hosted_context_in_an_inline_context_resolves_against_the_request_url()
    {
        var localId = await AddAsync(Terms);
        var id = EntityId();
        using var client = broker.CreateClient();
        var body = $$"""{ "id": "{{id}}", "type": "Car", "speed": { "type": "Property", "value": 5 }, "@context": "{{Base}}/{{localId}}" }""";
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/ngsi-ld/v1/entities", Json(body, "application/ld+json"))).StatusCode);
        Assert.Equal(1, (await DetailsAsync(localId))["numberOfHits"]!.GetValue<long>());
        Assert.Equal(5, (await RetrieveCarAsync(id, null))["https://example.org/vocab/speed"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_deleted_hosted_context_is_no_longer_used()
    {
        var localId = await AddAsync(Terms);
        var url = $"http://localhost/ngsi-ld/v1/jsonldContexts/{localId}";
        Assert.Equal(HttpStatusCode.Created, (await CreateCarAsync(EntityId(), url)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync(localId)).StatusCode);
        // Now the URL is an ordinary remote one, which the fake loader does not know.
        await AssertProblemAsync(await CreateCarAsync(EntityId(), url), HttpStatusCode.ServiceUnavailable, "LdContextNotAvailable");
    }

    [Fact]
    public async Task Implicitly_created_contexts_are_listed_served_and_deleted_but_not_reloaded()
    {
        var registry = broker.Services.GetRequiredService<ContextRegistry>();
        var inline = JsonSerializer.SerializeToElement(new JsonArray(RemoteUrl(), Terms.DeepClone()));
        var implicitContext = registry.RegisterImplicit(inline, "");
        Assert.Same(implicitContext, registry.RegisterImplicit(inline, ""));

        var listed = await ListDetailsAsync("?details=true&kind=ImplicitlyCreated");
        var entry = listed.Single(c => c!["localId"]!.GetValue<string>() == implicitContext.LocalId)!;
        Assert.Equal("ImplicitlyCreated", entry["kind"]!.GetValue<string>());
        Assert.DoesNotContain(entry["URL"]!.GetValue<string>(), await ListAsync("?kind=Hosted"));
        var served = await BodyAsync(await GetAsync($"{Base}/{implicitContext.LocalId}"));
        Assert.Equal(2, served["@context"]!.AsArray().Count);
        await AssertProblemAsync(await DeleteAsync(implicitContext.LocalId, "?reload=true"), HttpStatusCode.BadRequest, "BadRequestData");
        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync(implicitContext.LocalId)).StatusCode);
        await AssertProblemAsync(await GetAsync($"{Base}/{implicitContext.LocalId}"), HttpStatusCode.NotFound, "ResourceNotFound");
    }

    [Fact]
    public async Task A_hosted_context_is_listed_described_and_deleted_only_in_the_tenant_that_added_it_and_served_to_anyone()
    {
        HttpRequestMessage InTenant(HttpMethod method, string path, string tenant, string? body = null)
        {
            var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
            request.Headers.Add("NGSILD-Tenant", tenant);
            if (body is not null)
                request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
            return request;
        }
        using var client = broker.CreateClient();
        using var added = await client.SendAsync(InTenant(HttpMethod.Post, Base, "contexts-luebeck", new JsonObject { ["@context"] = Terms.DeepClone() }.ToJsonString()));
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var localId = added.Headers.Location!.OriginalString[(Base.Length + 1)..];

        async Task<string> ListIn(string tenant) => await (await client.SendAsync(InTenant(HttpMethod.Get, Base + "?kind=Hosted", tenant))).Content.ReadAsStringAsync();
        Assert.Contains(localId, await ListIn("contexts-luebeck"), StringComparison.Ordinal);
        Assert.DoesNotContain(localId, await ListIn("contexts-schwartau"), StringComparison.Ordinal);
        Assert.DoesNotContain(await ListAsync("?kind=Hosted"), url => url.EndsWith(localId, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(InTenant(HttpMethod.Get, $"{Base}/{localId}?details=true", "contexts-schwartau"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(InTenant(HttpMethod.Delete, $"{Base}/{localId}", "contexts-schwartau"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync($"{Base}/{localId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.SendAsync(InTenant(HttpMethod.Delete, $"{Base}/{localId}", "contexts-luebeck"))).StatusCode);
    }

    [Fact]
    public async Task Unknown_parameters_are_refused() =>
        await AssertProblemAsync(await GetAsync(Base + "?detail=true"), HttpStatusCode.BadRequest, "InvalidRequest");
}

/// <summary>Hosted @contexts survive a restart of the broker (clause 5.13.2: the broker stores them).</summary>
public sealed class ContextsPersistenceTests
{
    [Fact]
    public async Task Hosted_contexts_survive_a_restart()
    {
        var folder = Path.Combine(Path.GetTempPath(), "ngsi-contexts-" + Guid.NewGuid().ToString("N"));
        try
        {
            string localId;
            string createdAt;
            var id = $"urn:ngsi-ld:Car:{Guid.NewGuid():N}";
            var terms = """{ "@context": { "speed": "https://example.org/vocab/speed" } }""";
            using (var first = new ContextsBroker(folder, ownsFolder: false))
            {
                using var client = first.CreateClient();
                var response = await client.PostAsync("/ngsi-ld/v1/jsonldContexts", new StringContent(terms, Encoding.UTF8, "application/ld+json"));
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                localId = response.Headers.Location!.OriginalString.Split('/')[^1];
                createdAt = JsonNode.Parse(await client.GetStringAsync($"/ngsi-ld/v1/jsonldContexts/{localId}?details=true"))!["createdAt"]!.GetValue<string>();
                using var create = new HttpRequestMessage(HttpMethod.Post, "/ngsi-ld/v1/entities")
                {
                    Content = new StringContent($$"""{ "id": "{{id}}", "type": "Car", "speed": { "type": "Property", "value": 7 } }""", Encoding.UTF8, "application/json"),
                };
                create.Headers.Add("Link", $"<http://localhost/ngsi-ld/v1/jsonldContexts/{localId}>; rel=\"http://www.w3.org/ns/json-ld#context\"");
                Assert.Equal(HttpStatusCode.Created, (await client.SendAsync(create)).StatusCode);
            }
            Assert.Empty(Directory.GetFiles(Path.Combine(folder, "contexts"), "*.tmp"));

            using var second = new ContextsBroker(folder, ownsFolder: true);
            using var again = second.CreateClient();
            var served = JsonNode.Parse(await again.GetStringAsync($"/ngsi-ld/v1/jsonldContexts/{localId}"))!;
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(terms), served));
            var details = JsonNode.Parse(await again.GetStringAsync($"/ngsi-ld/v1/jsonldContexts/{localId}?details=true"))!;
            Assert.Equal("Hosted", details["kind"]!.GetValue<string>());
            Assert.Equal(createdAt, details["createdAt"]!.GetValue<string>());
            using var retrieve = new HttpRequestMessage(HttpMethod.Get, $"/ngsi-ld/v1/entities/{id}?options=keyValues");
            retrieve.Headers.Add("Link", $"<http://localhost/ngsi-ld/v1/jsonldContexts/{localId}>; rel=\"http://www.w3.org/ns/json-ld#context\"");
            var car = JsonNode.Parse(await (await again.SendAsync(retrieve)).Content.ReadAsStringAsync())!;
            Assert.Equal(7, car["speed"]!.GetValue<int>());
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task An_unreadable_context_file_is_skipped_at_start()
    {
        var folder = Path.Combine(Path.GetTempPath(), "ngsi-contexts-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(folder, "contexts"));
        await File.WriteAllTextAsync(Path.Combine(folder, "contexts", "broken.json"), "{ not json");
        using var broker = new ContextsBroker(folder, ownsFolder: true);
        using var client = broker.CreateClient();
        var response = await client.PostAsync("/ngsi-ld/v1/jsonldContexts", new StringContent("""{ "@context": { "a": "urn:a" } }""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var hosted = JsonNode.Parse(await client.GetStringAsync("/ngsi-ld/v1/jsonldContexts?kind=Hosted"))!.AsArray();
        Assert.Single(hosted);
    }
}
