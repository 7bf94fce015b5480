using System.Net;
using System.Net.Sockets;
using System.Text;
using Broker.Outbound;
using Xunit;

namespace Broker.HttpTests.Outbound;

/// <summary>
/// Real connections through <see cref="OutboundAddressPolicy"/>: a listener on 127.0.0.1 stands for an endpoint, so
/// loopback is what the policy has to allow or refuse.
/// </summary>
public sealed class OutboundConnectionTests : IDisposable
{
    private static readonly OutboundAddressPolicy Defaults = new(new OutboundPolicyOptions());
    private static readonly OutboundAddressPolicy LoopbackAllowed = new(new OutboundPolicyOptions { AllowLoopback = true });

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(30));

    public OutboundConnectionTests() => _listener.Start();

    public void Dispose()
    {
        _listener.Stop();
        _timeout.Dispose();
    }

    private int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Accepts one connection, reads one request head and writes <paramref name="response"/>.</summary>
    private async Task<string> AnswerOneRequestAsync(string response)
    {
        using var socket = await _listener.AcceptSocketAsync(_timeout.Token);
        await using var stream = new NetworkStream(socket);
        var request = new StringBuilder();
        var buffer = new byte[4096];
        while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, _timeout.Token);
            if (read == 0)
                break;
            request.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        await stream.WriteAsync(Encoding.ASCII.GetBytes(response), _timeout.Token);
        return request.ToString();
    }

    [Fact]
    public async Task ConnectAsync_reaches_a_loopback_endpoint_when_AllowLoopback_is_true()
    {
        using var socket = await LoopbackAllowed.ConnectAsync("127.0.0.1", Port, _timeout.Token);
        using var accepted = await _listener.AcceptSocketAsync(_timeout.Token);

        Assert.True(socket.NoDelay);
        Assert.Equal(socket.LocalEndPoint, accepted.RemoteEndPoint);
    }

    [Fact]
    public async Task ConnectAsync_refuses_a_loopback_endpoint_by_default_without_connecting()
    {
        var refusal = await Assert.ThrowsAsync<OutboundPolicyException>(async () => await Defaults.ConnectAsync("127.0.0.1", Port, _timeout.Token));

        Assert.Contains("loopback", refusal.Reason, StringComparison.Ordinal);
        Assert.False(_listener.Pending());
    }

    [Fact]
    public async Task ConnectAsync_resolves_a_name_and_tries_its_allowed_addresses_until_one_accepts()
    {
        // localhost may resolve to ::1 as well, where nothing listens: that address is passed over for the next.
        using var socket = await LoopbackAllowed.ConnectAsync("localhost", Port, _timeout.Token);
        using var accepted = await _listener.AcceptSocketAsync(_timeout.Token);

        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)accepted.LocalEndPoint!).Address);
    }

    [Fact]
    public async Task ConnectAsync_refuses_a_name_whose_addresses_are_all_denied()
    {
        var policy = new OutboundAddressPolicy(new OutboundPolicyOptions { AllowLoopback = true, Deny = ["127.0.0.0/8", "::1"] });

        var refusal = await Assert.ThrowsAsync<OutboundPolicyException>(async () => await policy.ConnectAsync("localhost", Port, _timeout.Token));

        Assert.StartsWith("it resolves to no allowed address: ", refusal.Reason, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1 is in 127.0.0.0/8 of Outbound:Deny", refusal.Reason, StringComparison.Ordinal);
        Assert.False(_listener.Pending());
    }

    [Theory]
    [InlineData("http://127.0.0.1:{0}/")]
    [InlineData("http://[::1]:{0}/")]
    [InlineData("http://localhost:{0}/")]
    public async Task An_HttpClient_on_the_policy_handler_refuses_loopback_by_default(string endpoint)
    {
        using var client = new HttpClient(Defaults.CreateHttpHandler());

        var failure = await Assert.ThrowsAsync<HttpRequestException>(() =>
            client.GetAsync(new Uri(string.Format(System.Globalization.CultureInfo.InvariantCulture, endpoint, Port)), _timeout.Token));

        var refusal = Assert.IsType<OutboundPolicyException>(failure.InnerException);
        Assert.Contains("loopback", refusal.Reason, StringComparison.Ordinal);
        Assert.False(_listener.Pending());
    }

    [Fact]
    public async Task An_HttpClient_on_the_policy_handler_returns_a_redirect_instead_of_following_it()
    {
        using var client = new HttpClient(LoopbackAllowed.CreateHttpHandler());
        var endpoint = AnswerOneRequestAsync(
            "HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest/meta-data/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");

        using var response = await client.GetAsync(new Uri($"http://127.0.0.1:{Port}/notify"), _timeout.Token);

        Assert.StartsWith("GET /notify HTTP/1.1\r\n", await endpoint, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal(new Uri("http://169.254.169.254/latest/meta-data/"), response.Headers.Location);
        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(response.Headers.Location, _timeout.Token));
        Assert.Contains("cloud metadata", Assert.IsType<OutboundPolicyException>(failure.InnerException).Reason, StringComparison.Ordinal);
    }
}
