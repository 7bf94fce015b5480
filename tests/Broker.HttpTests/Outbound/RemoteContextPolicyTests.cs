using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Outbound;

/// <summary>The broker's own loader of remote @contexts, for these tests instead of the stub: its fetches pass the outbound-address policy.</summary>
public class RealLoaderBrokerFactory : BrokerFactory
{
    public RealLoaderBrokerFactory() : this([])
    {
    }

    protected RealLoaderBrokerFactory(Dictionary<string, string> settings) : base(settings)
    {
    }

    protected override bool UseStubLoader => false;
}

public sealed class LoopbackContextsBrokerFactory() : RealLoaderBrokerFactory(new() { ["Outbound:AllowLoopback"] = "true" });

/// <summary>A context server on loopback: /context.jsonld answers the document, /moved redirects to it.</summary>
public sealed class LoopbackContextServer : IDisposable
{
    private readonly LoopbackHttpServer _server = new(async context =>
    {
        if (context.Request.Url!.AbsolutePath == "/moved")
        {
            context.Response.StatusCode = 301;
            context.Response.RedirectLocation = "/context.jsonld";
            return;
        }
        context.Response.ContentType = "application/ld+json";
        await context.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes("""{"@context":{"occupancy":"https://luebeck.example/ontology#occupancy"}}"""));
    });

    public string BaseUrl => _server.BaseUrl;

    public void Dispose() => _server.Dispose();
}

public sealed class RemoteContextPolicyTests(RealLoaderBrokerFactory factory) : IClassFixture<RealLoaderBrokerFactory>, IDisposable
{
    private readonly LoopbackContextServer _server = new();

    internal static async Task<HttpResponseMessage> CreateWithLinkAsync(HttpClient client, string context)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/ngsi-ld/v1/entities", UriKind.Relative))
        {
            Content = new StringContent($$$"""{"id":"urn:ngsi-ld:ParkingSpot:{{{Guid.NewGuid():N}}}","type":"ParkingSpot","occupancy":{"type":"Property","value":1}}""",
                Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Link", $"<{context}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"");
        return await client.SendAsync(request);
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/context.jsonld")]
    [InlineData("http://[fe80::1]/context.jsonld")]
    [InlineData("http://0.0.0.0/context.jsonld")]
    public async Task A_context_on_a_metadata_link_local_or_unspecified_address_is_not_fetched(string context)
    {
        using var client = factory.CreateClient();
        using var response = await CreateWithLinkAsync(client, context);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{response.StatusCode}: {body}");
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/LdContextNotAvailable", (string?)JsonNode.Parse(body)!["type"]);
    }

    [Fact]
    public async Task A_context_on_loopback_is_not_fetched_by_default()
    {
        using var client = factory.CreateClient();
        using var response = await CreateWithLinkAsync(client, _server.BaseUrl + "/context.jsonld");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{response.StatusCode}: {body}");
        Assert.Contains("loopback", body, StringComparison.OrdinalIgnoreCase);
    }

    public void Dispose() => _server.Dispose();
}

public sealed class AllowedRemoteContextTests(LoopbackContextsBrokerFactory factory) : IClassFixture<LoopbackContextsBrokerFactory>, IDisposable
{
    private readonly LoopbackContextServer _server = new();

    [Theory]
    [InlineData("/context.jsonld")]
    [InlineData("/moved")]
    public async Task An_allowed_context_is_fetched_and_redirects_are_followed(string path)
    {
        using var client = factory.CreateClient();
        using var response = await RemoteContextPolicyTests.CreateWithLinkAsync(client, _server.BaseUrl + path);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var created = JsonNode.Parse(await client.GetStringAsync(response.Headers.Location))!;
        Assert.NotNull(created["https://luebeck.example/ontology#occupancy"]);
    }

    public void Dispose() => _server.Dispose();
}
