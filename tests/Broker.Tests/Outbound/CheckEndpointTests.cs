using Broker.Outbound;
using Xunit;

namespace Broker.Tests.Outbound;

/// <summary><see cref="OutboundAddressPolicy.CheckEndpoint"/>: the answer at subscription time, without resolving names.</summary>
public sealed class CheckEndpointTests
{
    private static readonly OutboundAddressPolicy Defaults = new(new OutboundPolicyOptions());

    private static string Refusal(OutboundAddressPolicy policy, string uri)
    {
        var reason = policy.CheckEndpoint(new Uri(uri));
        Assert.False(string.IsNullOrWhiteSpace(reason), $"{uri} is accepted");
        return reason;
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/", "cloud metadata")]
    [InlineData("http://[::ffff:169.254.169.254]/", "cloud metadata")]
    [InlineData("http://[::ffff:a9fe:a9fe]/", "cloud metadata")]
    [InlineData("http://[64:ff9b::a9fe:a9fe]/", "cloud metadata")]
    [InlineData("http://[fd00:ec2::254]/latest/meta-data/", "AWS metadata")]
    [InlineData("http://100.100.100.200/latest/meta-data/", "Alibaba")]
    [InlineData("http://[fe80::1%25eth0]:8080/", "link-local")]
    [InlineData("http://0.0.0.0:1026/", "'this network'")]
    [InlineData("http://[::]:1026/", "unspecified")]
    [InlineData("http://127.0.0.1:1026/ngsi-ld/v1/entities", "loopback")]
    [InlineData("http://[::1]:1026/", "loopback")]
    [InlineData("http://2130706433/", "loopback")]
    [InlineData("http://0x7f.1/", "loopback")]
    [InlineData("http://127.1/", "loopback")]
    [InlineData("mqtt://127.0.0.1:1883/notifications", "loopback")]
    [InlineData("mqtt://0x7f.1:1883/notifications", "loopback")]
    [InlineData("http://localhost:1026/", "loopback name")]
    [InlineData("http://LocalHost./", "loopback name")]
    [InlineData("http://broker.localhost/", "loopback name")]
    public void An_endpoint_the_default_policy_refuses_gets_a_reason(string uri, string named) =>
        Assert.Contains(named, Refusal(Defaults, uri), StringComparison.Ordinal);

    [Theory]
    [InlineData("https://notify.example.org/ngsi-ld/notify")]
    [InlineData("http://203.0.113.7:8080/")]
    [InlineData("http://[2001:db8::1]:8080/")]
    [InlineData("http://10.1.2.3/")]
    [InlineData("mqtt://broker.example.org:1883/notifications")]
    [InlineData("mqtts://[2606:4700::1111]:8883/notifications")]
    [InlineData("http://bücher.example/")]
    public void An_acceptable_endpoint_gets_null(string uri) =>
        Assert.Null(Defaults.CheckEndpoint(new Uri(uri)));

    [Theory]
    [InlineData("http://127.0.0.1:1026/")]
    [InlineData("http://[::1]:1026/")]
    [InlineData("http://localhost:1026/")]
    public void Loopback_endpoints_are_accepted_with_AllowLoopback(string uri) =>
        Assert.Null(new OutboundAddressPolicy(new OutboundPolicyOptions { AllowLoopback = true }).CheckEndpoint(new Uri(uri)));

    [Fact]
    public void Private_network_endpoints_are_refused_without_AllowPrivateNetworks()
    {
        var policy = new OutboundAddressPolicy(new OutboundPolicyOptions { AllowPrivateNetworks = false });

        Assert.Contains("AllowPrivateNetworks", Refusal(policy, "http://192.168.1.20/"), StringComparison.Ordinal);
        Assert.Contains("AllowPrivateNetworks", Refusal(policy, "http://[fd12:3456::1]/"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("urn:ngsi-ld:Subscription:1")]
    [InlineData("file:///etc/passwd")]
    public void An_endpoint_without_a_host_is_refused(string uri) =>
        Assert.Contains("has no host", Refusal(Defaults, uri), StringComparison.Ordinal);

    [Fact]
    public void A_relative_endpoint_is_refused() =>
        Assert.Contains("not an absolute URI", Defaults.CheckEndpoint(new Uri("/notify", UriKind.Relative)), StringComparison.Ordinal);

    [Theory]
    [InlineData("http://api.internal.example/", "*.internal.example")]
    [InlineData("http://API.Internal.Example./", "*.internal.example")]
    [InlineData("http://a.b.internal.example/", "*.internal.example")]
    [InlineData("http://metadata.google.internal/computeMetadata/v1/", "metadata.google.internal")]
    [InlineData("http://xn--bcher-kva.example/", "xn--bcher-kva.example")]
    [InlineData("http://BÜCHER.example/", "xn--bcher-kva.example")]
    public void A_host_on_DeniedHosts_is_refused(string uri, string pattern)
    {
        var policy = new OutboundAddressPolicy(new OutboundPolicyOptions { DeniedHosts = ["*.internal.example", "Metadata.Google.Internal.", "bücher.example"] });

        Assert.Contains($"matches {pattern} of Outbound:DeniedHosts", Refusal(policy, uri), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://internal.example/")]
    [InlineData("http://notinternal.example/")]
    [InlineData("http://internal.example.org/")]
    [InlineData("http://google.internal/")]
    public void Hosts_next_to_the_DeniedHosts_patterns_are_accepted(string uri) =>
        Assert.Null(new OutboundAddressPolicy(new OutboundPolicyOptions { DeniedHosts = ["*.internal.example", "metadata.google.internal"] }).CheckEndpoint(new Uri(uri)));

    [Theory]
    [InlineData("https://notify.example.org/", null)]
    [InlineData("https://NOTIFY.example.org./", null)]
    [InlineData("mqtt://a.hooks.example.net/t", null)]
    [InlineData("https://a.b.hooks.example.net/", null)]
    [InlineData("https://hooks.example.net/", "matches nothing in Outbound:AllowedHosts")]
    [InlineData("https://example.org/", "matches nothing in Outbound:AllowedHosts")]
    [InlineData("https://notify.example.org.evil.example/", "matches nothing in Outbound:AllowedHosts")]
    [InlineData("http://203.0.113.7/", "admits host names only")]
    [InlineData("http://[2001:db8::1]/", "admits host names only")]
    [InlineData("http://169.254.169.254/", "cloud metadata")]
    public void A_non_empty_AllowedHosts_admits_only_the_hosts_it_matches(string uri, string? refusal)
    {
        var policy = new OutboundAddressPolicy(new OutboundPolicyOptions { AllowedHosts = ["notify.example.org", "*.hooks.example.net"] });

        var reason = policy.CheckEndpoint(new Uri(uri));

        if (refusal is null)
            Assert.Null(reason);
        else
            Assert.Contains(refusal, reason, StringComparison.Ordinal);
    }
}
