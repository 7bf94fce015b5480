using Broker.Outbound;
using Xunit;

namespace Broker.Tests.Outbound;

/// <summary>
/// What <see cref="OutboundAddressPolicy.ConnectAsync"/> refuses before it opens a socket or asks the resolver, and how
/// <see cref="OutboundAddressPolicy.CreateHttpHandler"/> is set up. The connections themselves are tested in Broker.HttpTests.
/// </summary>
public sealed class ConnectRefusalTests
{
    private static readonly OutboundAddressPolicy Defaults = new(new OutboundPolicyOptions());

    [Theory]
    [InlineData("169.254.169.254", "cloud metadata")]
    [InlineData("::ffff:169.254.169.254", "cloud metadata")]
    [InlineData("[fd00:ec2::254]", "AWS metadata")]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("0x7f.1", "loopback")]
    [InlineData("[::1]", "loopback")]
    [InlineData("localhost", "loopback name")]
    public async Task A_denied_host_is_refused_with_the_policy_exception(string host, string named)
    {
        var refusal = await Assert.ThrowsAsync<OutboundPolicyException>(async () => await Defaults.ConnectAsync(host, 80, CancellationToken.None));

        Assert.Equal(host, refusal.Host);
        Assert.Contains(named, refusal.Reason, StringComparison.Ordinal);
        Assert.Contains(refusal.Reason, refusal.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<IOException>(refusal);
    }

    [Fact]
    public async Task A_host_on_DeniedHosts_is_refused_before_it_is_resolved()
    {
        var policy = new OutboundAddressPolicy(new OutboundPolicyOptions { DeniedHosts = ["*.internal.invalid"] });

        var refusal = await Assert.ThrowsAsync<OutboundPolicyException>(async () => await policy.ConnectAsync("db.internal.invalid", 5432, CancellationToken.None));

        Assert.Contains("*.internal.invalid", refusal.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(65536)]
    public async Task A_port_out_of_range_is_an_argument_error(int port) =>
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await Defaults.ConnectAsync("203.0.113.7", port, CancellationToken.None));

    [Fact]
    public void The_HTTP_handler_connects_through_the_policy_and_follows_no_redirects()
    {
        using var handler = Defaults.CreateHttpHandler();

        Assert.NotNull(handler.ConnectCallback);
        Assert.False(handler.AllowAutoRedirect);
        Assert.False(handler.UseProxy);
        Assert.False(handler.UseCookies);
        Assert.InRange(handler.PooledConnectionLifetime, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(10));
        Assert.InRange(handler.ConnectTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        Assert.Null(handler.SslOptions.RemoteCertificateValidationCallback);
    }
}
