using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests;

/// <summary>
/// Shared plumbing of the HTTP tests: a client bound to the class's own tenant, unique ids, requests with explicit media
/// types, ProblemDetails assertions and comparisons with the expected payloads of Data/.
/// </summary>
public abstract class BrokerTest<TFactory> : IClassFixture<TFactory>
    where TFactory : BrokerFactory
{
    public const string Entities = "/ngsi-ld/v1/entities";
    public const string CoreContextUrl = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";
    public const string ErrorBase = "https://uri.etsi.org/ngsi-ld/errors/";
    public const string DefaultVocabulary = "https://uri.etsi.org/ngsi-ld/default-context/";

    protected BrokerTest(TFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Factory = factory;
        Tenant = "t-" + GetType().Name.ToLowerInvariant();
        Client = factory.CreateClient();
        Client.DefaultRequestHeaders.Add("NGSILD-Tenant", Tenant);
    }

    protected TFactory Factory { get; }

    protected string Tenant { get; }

    /// <summary>A client of this class's tenant.</summary>
    protected HttpClient Client { get; }

    protected static string NewId(string kind = "Thing") => $"urn:ngsi-ld:{kind}:{Guid.NewGuid():N}";

    protected static string Path(string id) => $"{Entities}/{Uri.EscapeDataString(id).Replace("%3A", ":", StringComparison.Ordinal)}";

    protected static string AttrsPath(string id) => $"{Path(id)}/attrs";

    protected static string AttrPath(string id, string attr) => $"{Path(id)}/attrs/{Uri.EscapeDataString(attr)}";

    protected static HttpRequestMessage Request(HttpMethod method, string uri, string? body = null, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(method, uri);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        return request;
    }

    protected Task<HttpResponseMessage> SendAsync(HttpMethod method, string uri, string? body = null, string contentType = "application/json") =>
        Client.SendAsync(Request(method, uri, body, contentType));

    protected Task<HttpResponseMessage> SendAsync(HttpMethod method, string uri, JsonNode body, string contentType = "application/json") =>
        SendAsync(method, uri, body.ToJsonString(), contentType);

    protected async Task<HttpResponseMessage> CreateAsync(JsonObject entity)
    {
        var response = await SendAsync(HttpMethod.Post, Entities, entity);
        await AssertStatus(HttpStatusCode.Created, response);
        return response;
    }

    protected async Task<string> CreateAsync(string type, string attributes = "")
    {
        var id = NewId(type);
        var body = $$"""{"id":"{{id}}","type":"{{type}}"{{(attributes.Length == 0 ? "" : "," + attributes)}}}""";
        var response = await SendAsync(HttpMethod.Post, Entities, body);
        await AssertStatus(HttpStatusCode.Created, response);
        return id;
    }

    protected async Task<JsonNode> GetJsonAsync(string uri)
    {
        var response = await Client.GetAsync(new Uri(uri, UriKind.Relative));
        await AssertStatus(HttpStatusCode.OK, response);
        return await ReadJsonAsync(response);
    }

    protected async Task<JsonObject> GetEntityAsync(string id, string query = "") =>
        (JsonObject)await GetJsonAsync(Path(id) + query);

    protected async Task AssertEntityAbsent(string id)
    {
        // Before the class's first successful write its tenant does not exist yet: either 404 means "not stored".
        var response = await Client.GetAsync(new Uri(Path(id), UriKind.Relative));
        await AssertStatus(HttpStatusCode.NotFound, response);
        var type = (string?)(await ReadJsonAsync(response))["type"];
        Assert.Contains(type, new[] { ErrorBase + "ResourceNotFound", ErrorBase + "NonexistentTenant" });
    }

    protected static async Task<JsonNode> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonNode.Parse(text) ?? throw new Xunit.Sdk.XunitException($"The body is the JSON literal null: {text}");
    }

    protected static async Task AssertStatus(HttpStatusCode expected, HttpResponseMessage response)
    {
        if (response.StatusCode != expected)
        {
            var body = await response.Content.ReadAsStringAsync();
            throw new Xunit.Sdk.XunitException($"Expected {(int)expected} {expected} but got {(int)response.StatusCode} {response.StatusCode}: {body}");
        }
    }

    /// <summary>Asserts an NGSI-LD ProblemDetails (clause 6.3.2) of the given status and error type, and returns it.</summary>
    protected static async Task<JsonObject> AssertProblem(HttpResponseMessage response, HttpStatusCode status, string errorType)
    {
        await AssertStatus(status, response);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var problem = Assert.IsType<JsonObject>(await ReadJsonAsync(response));
        Assert.Equal(ErrorBase + errorType, (string?)problem["type"]);
        var title = (string?)problem["title"];
        var detail = (string?)problem["detail"];
        Assert.False(string.IsNullOrWhiteSpace(title), "title is empty");
        Assert.False(string.IsNullOrWhiteSpace(detail), "detail is empty");
        Assert.NotEqual(title, detail);
        if (problem["status"] is { } problemStatus)
            Assert.Equal((int)status, (int)problemStatus);
        return problem;
    }

    /// <summary>A copy without the volatile createdAt/modifiedAt members, at every depth.</summary>
    protected static JsonNode? WithoutTimestamps(JsonNode? node)
    {
        var copy = node?.DeepClone();
        Strip(copy);
        return copy;

        static void Strip(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o:
                    o.Remove("createdAt");
                    o.Remove("modifiedAt");
                    foreach (var (_, child) in o)
                        Strip(child);
                    break;
                case JsonArray a:
                    foreach (var child in a)
                        Strip(child);
                    break;
            }
        }
    }

    /// <summary>An expected payload of Data/, with {{id}} replaced by the test's entity id.</summary>
    protected static JsonNode Expected(string file, string id) =>
        JsonNode.Parse(File.ReadAllText(System.IO.Path.Combine(AppContext.BaseDirectory, "Data", file)).Replace("{{id}}", id, StringComparison.Ordinal))!;

    protected static void AssertJsonEqual(JsonNode? expected, JsonNode? actual)
    {
        if (!JsonNode.DeepEquals(expected, actual))
            throw new Xunit.Sdk.XunitException($"JSON differs.\nExpected: {expected?.ToJsonString()}\nActual:   {actual?.ToJsonString()}");
    }

    /// <summary>Compares with an expected payload of Data/, leaving out the volatile timestamps and the members in <paramref name="without"/>.</summary>
    protected static void AssertMatchesFile(string file, string id, JsonNode actual, params string[] without)
    {
        var expected = (JsonObject)WithoutTimestamps(Expected(file, id))!;
        foreach (var name in without)
            expected.Remove(name);
        AssertJsonEqual(expected, WithoutTimestamps(actual));
    }
}
