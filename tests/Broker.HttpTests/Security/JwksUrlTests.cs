using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Xunit;

namespace Broker.HttpTests.Security;

/// <summary>The identity provider's keys served at a JWKS URL (an issuer without OpenID metadata), fetched by the broker.</summary>
public sealed class JwksServer : IDisposable
{
    private readonly LoopbackHttpServer _server;
    private int _requests;

    public JwksServer()
    {
        _server = new LoopbackHttpServer(async context =>
        {
            Interlocked.Increment(ref _requests);
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(await File.ReadAllTextAsync(IdentityProvider.JwksFile)));
        });
        Url = _server.BaseUrl + "/realms/luebeck/protocol/openid-connect/certs";
    }

    public TestIdentityProvider IdentityProvider { get; } = new();

    public string Url { get; }

    public int Requests => Volatile.Read(ref _requests);

    public void Dispose()
    {
        _server.Dispose();
        IdentityProvider.Dispose();
    }
}

public sealed class JwksUrlBrokerFactory : BrokerFactory
{
    public JwksUrlBrokerFactory() : this(new JwksServer())
    {
    }

    private JwksUrlBrokerFactory(JwksServer server) : base(new Dictionary<string, string>
    {
        ["Security:Jwt:JwksUrl"] = server.Url,
        ["Security:Jwt:RequireHttpsMetadata"] = "false",
        ["Security:Jwt:Issuer"] = TestIdentityProvider.Issuer,
        ["Security:Jwt:Audience"] = TestIdentityProvider.Audience,
    }) => Jwks = server;

    public JwksServer Jwks { get; }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
            Jwks.Dispose();
    }
}

public sealed class JwksUrlTests(JwksUrlBrokerFactory factory) : IClassFixture<JwksUrlBrokerFactory>
{
    [Fact]
    public async Task Tokens_are_verified_with_the_keys_fetched_from_the_JWKS_URL()
    {
        using var client = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/ngsi-ld/v1/types", UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", factory.Jwks.IdentityProvider.Token("jwks-user", ["read"]));
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(factory.Jwks.Requests >= 1, "the JWKS URL was never fetched");

        using var forged = new HttpRequestMessage(HttpMethod.Get, new Uri("/ngsi-ld/v1/types", UriKind.Relative));
        forged.Headers.Authorization = new AuthenticationHeaderValue("Bearer", factory.Jwks.IdentityProvider.Token("forger", ["read"], TestIdentityProvider.Key.Untrusted));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(forged)).StatusCode);
    }
}
