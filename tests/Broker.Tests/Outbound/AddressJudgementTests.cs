using System.Net;
using Broker.Outbound;
using Xunit;

namespace Broker.Tests.Outbound;

/// <summary>How <see cref="OutboundAddressPolicy.IsAllowed"/> judges addresses, rule by rule.</summary>
public sealed class AddressJudgementTests
{
    private static readonly OutboundAddressPolicy Defaults = new(new OutboundPolicyOptions());

    /// <summary>The most permissive policy there is: what it denies is never allowed.</summary>
    private static readonly OutboundAddressPolicy Permissive = new(new OutboundPolicyOptions
    {
        AllowLoopback = true,
        AllowPrivateNetworks = true,
        Allow = ["0.0.0.0/0", "::/0"],
    });

    private static readonly OutboundAddressPolicy NoPrivateNetworks = new(new OutboundPolicyOptions { AllowPrivateNetworks = false });

    internal static string DenialReason(OutboundAddressPolicy policy, string address)
    {
        Assert.False(policy.IsAllowed(IPAddress.Parse(address), out var reason), $"{address} is allowed");
        Assert.False(string.IsNullOrWhiteSpace(reason));
        return reason;
    }

    internal static void AssertAllowed(OutboundAddressPolicy policy, string address)
    {
        Assert.True(policy.IsAllowed(IPAddress.Parse(address), out var reason), $"{address} is denied: {reason}");
        Assert.Equal("", reason);
    }

    [Theory]
    [InlineData("169.254.169.254", "cloud metadata")]
    [InlineData("::ffff:169.254.169.254", "cloud metadata")]
    [InlineData("::ffff:a9fe:a9fe", "cloud metadata")]
    [InlineData("::169.254.169.254", "cloud metadata")]
    [InlineData("64:ff9b::169.254.169.254", "cloud metadata")]
    [InlineData("2002:a9fe:a9fe::1", "6to4 relay 169.254.169.254")]
    [InlineData("fd00:ec2::254", "AWS metadata")]
    [InlineData("100.100.100.200", "Alibaba Cloud metadata")]
    [InlineData("::ffff:100.100.100.200", "Alibaba Cloud metadata")]
    [InlineData("169.254.0.0", "IPv4 link-local")]
    [InlineData("169.254.0.1", "IPv4 link-local")]
    [InlineData("169.254.255.255", "IPv4 link-local")]
    [InlineData("::ffff:169.254.1.1", "IPv4 link-local")]
    [InlineData("fe80::1", "IPv6 link-local")]
    [InlineData("fe80::1%2", "IPv6 link-local")]
    [InlineData("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "IPv6 link-local")]
    [InlineData("0.0.0.0", "'this network'")]
    [InlineData("0.255.255.255", "'this network'")]
    [InlineData("::ffff:0.0.0.0", "'this network'")]
    [InlineData("::2", "'this network'")]
    [InlineData("::", "unspecified")]
    [InlineData("224.0.0.0", "IPv4 multicast")]
    [InlineData("239.255.255.255", "IPv4 multicast")]
    [InlineData("::ffff:224.0.0.251", "IPv4 multicast")]
    [InlineData("ff02::1", "IPv6 multicast")]
    [InlineData("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "IPv6 multicast")]
    [InlineData("255.255.255.255", "broadcast")]
    [InlineData("::ffff:255.255.255.255", "broadcast")]
    public void Never_allowed_addresses_are_denied_by_the_most_permissive_policy(string address, string named)
    {
        var reason = DenialReason(Permissive, address);

        Assert.Contains(named, reason, StringComparison.Ordinal);
        Assert.EndsWith("never allowed", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("169.253.255.255")]
    [InlineData("169.255.0.0")]
    [InlineData("1.0.0.0")]
    [InlineData("223.255.255.255")]
    [InlineData("255.255.255.254")]
    [InlineData("100.100.100.199")]
    [InlineData("100.100.100.201")]
    [InlineData("fe7f:ffff::1")]
    [InlineData("fec0::1")]
    [InlineData("fd00:ec2::253")]
    [InlineData("feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")]
    [InlineData("8.8.8.8")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::8.8.8.8")]
    [InlineData("2002:808:808::1")]
    [InlineData("2606:4700:4700::1111")]
    public void Addresses_next_to_the_never_allowed_ranges_are_allowed_by_default(string address) =>
        AssertAllowed(Defaults, address);

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.0")]
    [InlineData("127.255.255.255")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::127.0.0.1")]
    [InlineData("64:ff9b::7f00:1")]
    [InlineData("2002:7f00:1::1")]
    public void Loopback_is_denied_unless_AllowLoopback(string address)
    {
        var reason = DenialReason(Defaults, address);
        Assert.Contains("loopback", reason, StringComparison.Ordinal);
        Assert.Contains("Outbound:AllowLoopback", reason, StringComparison.Ordinal);

        AssertAllowed(new OutboundAddressPolicy(new OutboundPolicyOptions { AllowLoopback = true }), address);
    }

    [Fact]
    public void The_reason_for_an_IPv4_mapped_address_names_both_forms() =>
        Assert.StartsWith("::ffff:127.0.0.1 (the IPv4 address 127.0.0.1) is loopback", DenialReason(Defaults, "::ffff:127.0.0.1"), StringComparison.Ordinal);

    [Theory]
    [InlineData("10.0.0.0", "10.0.0.0/8")]
    [InlineData("10.255.255.255", "10.0.0.0/8")]
    [InlineData("172.16.0.0", "172.16.0.0/12")]
    [InlineData("172.31.255.255", "172.16.0.0/12")]
    [InlineData("192.168.0.0", "192.168.0.0/16")]
    [InlineData("192.168.255.255", "192.168.0.0/16")]
    [InlineData("::ffff:10.1.2.3", "10.0.0.0/8")]
    [InlineData("::192.168.1.1", "192.168.0.0/16")]
    [InlineData("64:ff9b::a01:203", "10.0.0.0/8")]
    [InlineData("2002:c0a8:101::1", "192.168.0.0/16")]
    [InlineData("fc00::", "fc00::/7")]
    [InlineData("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fc00::/7")]
    [InlineData("fd00:ec2::253", "fc00::/7")]
    public void Private_networks_are_allowed_by_default_and_denied_without_AllowPrivateNetworks(string address, string range)
    {
        AssertAllowed(Defaults, address);

        var reason = DenialReason(NoPrivateNetworks, address);
        Assert.Contains(range, reason, StringComparison.Ordinal);
        Assert.Contains("Outbound:AllowPrivateNetworks", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("9.255.255.255")]
    [InlineData("11.0.0.0")]
    [InlineData("172.15.255.255")]
    [InlineData("172.32.0.0")]
    [InlineData("192.167.255.255")]
    [InlineData("192.169.0.0")]
    [InlineData("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")]
    [InlineData("fe00::1")]
    public void Addresses_next_to_the_private_networks_are_allowed_without_AllowPrivateNetworks(string address) =>
        AssertAllowed(NoPrivateNetworks, address);

    [Fact]
    public void The_AWS_IPv6_metadata_address_stays_denied_when_private_networks_are_allowed() =>
        Assert.Contains("AWS metadata", DenialReason(Defaults, "fd00:ec2::254"), StringComparison.Ordinal);

    [Theory]
    [InlineData("203.0.113.0", true)]
    [InlineData("203.0.113.255", true)]
    [InlineData("::ffff:203.0.113.9", true)]
    [InlineData("64:ff9b::cb00:7109", true)]
    [InlineData("2001:db8:1::5", true)]
    [InlineData("203.0.112.255", false)]
    [InlineData("203.0.114.0", false)]
    [InlineData("8.8.8.8", false)]
    [InlineData("10.0.0.1", false)]
    [InlineData("2001:db8:2::1", false)]
    [InlineData("2002:cb00:7109::1", false)]
    public void A_non_empty_Allow_list_admits_only_its_ranges(string address, bool allowed)
    {
        var policy = new OutboundAddressPolicy(new OutboundPolicyOptions { Allow = ["203.0.113.0/24", "2001:db8:1::/48"] });

        if (allowed)
            AssertAllowed(policy, address);
        else
            Assert.EndsWith("is in no range of Outbound:Allow", DenialReason(policy, address), StringComparison.Ordinal);
    }

    [Fact]
    public void An_Allow_entry_without_a_prefix_is_one_address()
    {
        var policy = new OutboundAddressPolicy(new OutboundPolicyOptions { Allow = ["198.51.100.7", "2001:db8::7"] });

        AssertAllowed(policy, "198.51.100.7");
        AssertAllowed(policy, "2001:db8::7");
        DenialReason(policy, "198.51.100.8");
        DenialReason(policy, "198.51.100.6");
        DenialReason(policy, "2001:db8::8");
    }

    [Fact]
    public void The_Allow_list_does_not_lift_the_other_rules()
    {
        var policy = new OutboundAddressPolicy(new OutboundPolicyOptions
        {
            Allow = ["0.0.0.0/0", "100.100.100.0/24", "10.0.0.0/8"],
            Deny = ["10.9.0.0/16"],
        });

        Assert.Contains("cloud metadata", DenialReason(policy, "169.254.169.254"), StringComparison.Ordinal);
        Assert.Contains("Alibaba", DenialReason(policy, "100.100.100.200"), StringComparison.Ordinal);
        Assert.Contains("loopback", DenialReason(policy, "127.0.0.1"), StringComparison.Ordinal);
        Assert.Contains("Outbound:Deny", DenialReason(policy, "10.9.1.1"), StringComparison.Ordinal);
        AssertAllowed(policy, "10.8.1.1");
    }

    [Theory]
    [InlineData("198.51.100.0")]
    [InlineData("198.51.100.255")]
    [InlineData("::ffff:198.51.100.9")]
    [InlineData("64:ff9b::c633:6409")]
    [InlineData("2002:c633:6409::1")]
    [InlineData("2001:db8::1")]
    [InlineData("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")]
    [InlineData("203.0.113.7")]
    public void Deny_adds_its_ranges_to_the_denied_ones(string address)
    {
        var policy = new OutboundAddressPolicy(new OutboundPolicyOptions { Deny = ["198.51.100.0/24", "2001:db8::/32", "203.0.113.7"] });

        Assert.Contains("of Outbound:Deny", DenialReason(policy, address), StringComparison.Ordinal);
        AssertAllowed(Defaults, address);
    }

    [Theory]
    [InlineData("198.51.99.255")]
    [InlineData("198.51.101.0")]
    [InlineData("2001:db9::1")]
    [InlineData("203.0.113.6")]
    [InlineData("203.0.113.8")]
    public void Deny_leaves_the_addresses_around_its_ranges_allowed(string address) =>
        AssertAllowed(new OutboundAddressPolicy(new OutboundPolicyOptions { Deny = ["198.51.100.0/24", "2001:db8::/32", "203.0.113.7"] }), address);

    [Fact]
    public void Deny_wins_over_an_Allow_range_that_holds_it()
    {
        var policy = new OutboundAddressPolicy(new OutboundPolicyOptions { Allow = ["203.0.113.0/24"], Deny = ["203.0.113.128/25"] });

        AssertAllowed(policy, "203.0.113.127");
        Assert.Contains("203.0.113.128/25 of Outbound:Deny", DenialReason(policy, "203.0.113.128"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_Allow_list_judges_a_6to4_address_itself_and_the_denials_its_relay()
    {
        var policy = new OutboundAddressPolicy(new OutboundPolicyOptions { Allow = ["2002::/16"], AllowPrivateNetworks = false });

        AssertAllowed(policy, "2002:808:808::1");
        Assert.Contains("the 6to4 relay 10.0.0.1 of 2002:a00:1::1", DenialReason(policy, "2002:a00:1::1"), StringComparison.Ordinal);
    }
}
