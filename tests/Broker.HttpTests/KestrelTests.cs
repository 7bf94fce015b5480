using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests;

/// <summary>The broker behind real Kestrel (a child process), where the body limit is also enforced by the server.</summary>
public sealed class KestrelTests : IAsyncLifetime
{
    private const int MaxBodyBytes = 2048;
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "broker-kestrel-" + Guid.NewGuid().ToString("N"));
    private BrokerProcess? _broker;
    private HttpClient? _client;

    private HttpClient Client => _client!;

    public async Task InitializeAsync()
    {
        _broker = await BrokerProcess.StartAsync(_dataPath, TimeSpan.FromSeconds(60), "--Broker:MaxBodyBytes", MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _client = new HttpClient { BaseAddress = _broker.BaseAddress };
        _client.DefaultRequestHeaders.Add("NGSILD-Tenant", "kestrel");
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_broker is not null)
            await _broker.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dataPath))
            Directory.Delete(_dataPath, recursive: true);
    }

    private static string Entity(string id, int size)
    {
        var head = $$$"""{"id":"{{{id}}}","type":"Blob","data":{"type":"Property","value":" """;
        return head + new string('x', Math.Max(0, size - head.Length - 3)) + "\"}}";
    }

    private async Task AssertTooLargeAndAbsent(HttpResponseMessage response, string id)
    {
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.StartsWith("https://uri.etsi.org/ngsi-ld/errors/", (string?)problem["type"], StringComparison.Ordinal);
        using var read = await Client.GetAsync(new Uri($"/ngsi-ld/v1/entities/{Uri.EscapeDataString(id)}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
    }

    [Fact]
    public async Task A_body_over_MaxBodyBytes_with_Content_Length_is_413_ProblemDetails()
    {
        var id = $"urn:ngsi-ld:Blob:{Guid.NewGuid():N}";

        using var response = await Client.PostAsync(new Uri("/ngsi-ld/v1/entities", UriKind.Relative), new StringContent(Entity(id, 4 * MaxBodyBytes), Encoding.UTF8, "application/json"));

        await AssertTooLargeAndAbsent(response, id);
    }

    [Fact]
    public async Task A_chunked_body_over_MaxBodyBytes_is_413_ProblemDetails()
    {
        var id = $"urn:ngsi-ld:Blob:{Guid.NewGuid():N}";
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(Entity(id, 4 * MaxBodyBytes))));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/ngsi-ld/v1/entities") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await Client.SendAsync(request);

        await AssertTooLargeAndAbsent(response, id);
    }

    [Fact]
    public async Task A_body_within_MaxBodyBytes_is_accepted()
    {
        var id = $"urn:ngsi-ld:Blob:{Guid.NewGuid():N}";

        using var response = await Client.PostAsync(new Uri("/ngsi-ld/v1/entities", UriKind.Relative), new StringContent(Entity(id, MaxBodyBytes - 10), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }
}
