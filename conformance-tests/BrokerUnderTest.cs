using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Xunit;

namespace Conformance;

/// <summary>
/// The broker under test: the one at NGSILD_BROKER_URL if set, otherwise this repository's broker started in-process on
/// a temporary data folder. Tests use only HTTP, unique ids and their own tenants, so they can run against a shared broker.
/// </summary>
public sealed class BrokerUnderTest : IDisposable
{
    private readonly WebApplicationFactory<Program>? _factory;
    private readonly string? _dataPath;

    public BrokerUnderTest()
    {
        var url = Environment.GetEnvironmentVariable("NGSILD_BROKER_URL");
        if (!string.IsNullOrWhiteSpace(url))
        {
            BaseAddress = new Uri(url.TrimEnd('/') + "/");
            IsExternal = true;
            return;
        }
        _dataPath = Path.Combine(Path.GetTempPath(), "conformance-" + Guid.NewGuid().ToString("N"));
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b => b.UseSetting("Storage:DataPath", _dataPath).UseSetting("Outbound:AllowLoopback", "true"));
        BaseAddress = _factory.Server.BaseAddress;
    }

    public Uri BaseAddress { get; }

    public bool IsExternal { get; }

    /// <summary>A new client of the broker, with the tenant header if <paramref name="tenant"/> is given.</summary>
    public HttpClient CreateClient(string? tenant)
    {
        var client = _factory is null ? new HttpClient { BaseAddress = BaseAddress } : _factory.CreateClient();
        if (tenant is not null)
            client.DefaultRequestHeaders.Add("NGSILD-Tenant", tenant);
        return client;
    }

    public void Dispose()
    {
        _factory?.Dispose();
        if (_dataPath is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (Directory.Exists(_dataPath))
                Directory.Delete(_dataPath, recursive: true);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class BrokerCollection : ICollectionFixture<BrokerUnderTest>
{
    public const string Name = "broker";
}

/// <summary>Helpers of the conformance tests: a client of a tenant of this class and run, unique ids, ProblemDetails checks.</summary>
[Collection(BrokerCollection.Name)]
public abstract class ConformanceTest
{
    public const string Entities = "ngsi-ld/v1/entities";
    public const string ErrorBase = "https://uri.etsi.org/ngsi-ld/errors/";
    public const string ContextRel = "http://www.w3.org/ns/json-ld#context";

    protected ConformanceTest(BrokerUnderTest broker)
    {
        ArgumentNullException.ThrowIfNull(broker);
        Broker = broker;
        // One tenant per test: discovery answers are exact even on a shared broker.
        var name = $"ct-{GetType().Name.ToLowerInvariant().Replace('_', '-')}-{Guid.NewGuid():N}";
        Tenant = name.Length <= 100 ? name : name[..100];
        Client = broker.CreateClient(Tenant);
    }

    protected BrokerUnderTest Broker { get; }

    protected string Tenant { get; }

    protected HttpClient Client { get; }

    protected static string NewId(string type) => $"urn:ngsi-ld:{type}:{Guid.NewGuid():N}";

    protected static string EntityPath(string id) => $"{Entities}/{Uri.EscapeDataString(id)}";

    protected static Uri Relative(string path) => new(path, UriKind.Relative);

    protected static HttpRequestMessage Request(HttpMethod method, string path, string? body = null, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(method, Relative(path));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        return request;
    }

    protected Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? body = null, string contentType = "application/json") =>
        Client.SendAsync(Request(method, path, body, contentType));

    protected async Task<string> CreateAsync(string type, string attributes = "")
    {
        var id = NewId(type);
        var body = $$$"""{"id":"{{{id}}}","type":"{{{type}}}"{{{(attributes.Length == 0 ? "" : "," + attributes)}}}}""";
        await ExpectStatus(HttpStatusCode.Created, await SendAsync(HttpMethod.Post, Entities, body));
        return id;
    }

    protected async Task<JsonNode> GetJsonAsync(string path)
    {
        var response = await Client.GetAsync(Relative(path));
        await ExpectStatus(HttpStatusCode.OK, response);
        return await ReadJsonAsync(response);
    }

    protected static async Task<JsonNode> ReadJsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync()) ?? throw new Xunit.Sdk.XunitException("The body is null.");

    protected static async Task ExpectStatus(HttpStatusCode expected, HttpResponseMessage response)
    {
        if (response.StatusCode != expected)
            throw new Xunit.Sdk.XunitException($"Expected {(int)expected} but got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Clause 6.3.2: an error is a ProblemDetails with the NGSI-LD error type, a title and a detail.</summary>
    protected static async Task<JsonObject> ExpectProblem(HttpResponseMessage response, HttpStatusCode status, string errorType)
    {
        await ExpectStatus(status, response);
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        Assert.Contains(mediaType, new[] { "application/json", "application/problem+json" });
        var problem = Assert.IsType<JsonObject>(await ReadJsonAsync(response));
        Assert.Equal(ErrorBase + errorType, (string?)problem["type"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)problem["title"]));
        return problem;
    }

    /// <summary>After a refused write: the entity is not there (404 of either kind: the tenant may not exist yet).</summary>
    protected async Task ExpectAbsent(string id)
    {
        var response = await Client.GetAsync(Relative(EntityPath(id)));
        await ExpectStatus(HttpStatusCode.NotFound, response);
    }

    protected static string Link(string url) => $"<{url}>; rel=\"{ContextRel}\"; type=\"application/ld+json\"";

    protected static JsonNode? WithoutTimestamps(JsonNode? node)
    {
        var copy = node?.DeepClone();
        Strip(copy);
        return copy;

        static void Strip(JsonNode? node)
        {
            if (node is JsonObject o)
            {
                o.Remove("createdAt");
                o.Remove("modifiedAt");
                foreach (var (_, child) in o)
                    Strip(child);
            }
            else if (node is JsonArray a)
            {
                foreach (var child in a)
                    Strip(child);
            }
        }
    }

    protected static void ExpectJson(string expected, JsonNode? actual)
    {
        var parsed = JsonNode.Parse(expected);
        if (!JsonNode.DeepEquals(parsed, WithoutTimestamps(actual)))
            throw new Xunit.Sdk.XunitException($"JSON differs.\nExpected: {parsed?.ToJsonString()}\nActual:   {actual?.ToJsonString()}");
    }
}
