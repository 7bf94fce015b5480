using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Subscriptions;

/// <summary>
/// With the default outbound policy (Outbound:AllowLoopback false) a subscription cannot point the broker at its own
/// host: an endpoint on loopback is refused when the subscription is created or updated, as are the addresses that are
/// never allowed (cloud metadata, link-local).
/// </summary>
public sealed class LoopbackEndpointTests(LoopbackRefusedBrokerFactory factory, NotificationReceiver receiver)
    : SubscriptionTest<LoopbackRefusedBrokerFactory>(factory, receiver)
{
    /// <summary>A host that exists nowhere (RFC 6761): accepted, and never notified, since no entity matches its subscription.</summary>
    private const string Elsewhere = "http://receiver.invalid/notify";

    private static string To(string endpoint) =>
        $$$"""{"type":"Subscription","entities":[{"type":"Bridge"}],"notification":{"endpoint":{"uri":"{{{endpoint}}}"}} }""";

    [Theory]
    [InlineData("http://127.0.0.1:{port}/notify")]
    [InlineData("http://127.8.9.10:{port}/notify")]
    [InlineData("http://localhost:{port}/notify")]
    [InlineData("http://[::1]:{port}/notify")]
    [InlineData("http://[::ffff:127.0.0.1]:{port}/notify")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    public async Task A_loopback_or_link_local_endpoint_is_refused_on_create_and_on_update(string endpoint)
    {
        endpoint = endpoint.Replace("{port}", Receiver.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var existing = await SubscribeAsync(To(Elsewhere));

        var created = await SendAsync(HttpMethod.Post, Subscriptions, To(endpoint));
        var updated = await SendAsync(HttpMethod.Patch, SubscriptionPath(existing), $$$"""{"notification":{"endpoint":{"uri":"{{{endpoint}}}"}} }""");

        await AssertProblem(created, HttpStatusCode.BadRequest, "BadRequestData");
        await AssertProblem(updated, HttpStatusCode.BadRequest, "BadRequestData");
        Assert.Equal(Elsewhere, (string?)(await GetSubscriptionAsync(existing))["notification"]!["endpoint"]!["uri"]);
        var all = Assert.IsType<JsonArray>(await GetJsonAsync(Subscriptions + "?limit=1000"));
        Assert.DoesNotContain(all, s => (string?)s!["notification"]!["endpoint"]!["uri"] == endpoint);
    }
}
