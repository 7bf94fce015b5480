using Broker.Outbound;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace Broker.Tests.Outbound;

/// <summary>Reading <see cref="OutboundPolicyOptions"/>: what is not valid fails when the policy is built, naming the entry.</summary>
public sealed class PolicyConfigurationTests
{
    private static string ConstructionError(OutboundPolicyOptions options) =>
        Assert.Throws<InvalidOperationException>(() => new OutboundAddressPolicy(options)).Message;

    [Theory]
    [InlineData("10.0.0.1/8", "has bits set after its /8 prefix (the range is 10.0.0.0/8)")]
    [InlineData("2001:db8::1/32", "has bits set after its /32 prefix (the range is 2001:db8::/32)")]
    [InlineData("10.0.0.0/33", "prefix length that is not a number from 0 to 32")]
    [InlineData("2001:db8::/129", "prefix length that is not a number from 0 to 128")]
    [InlineData("10.0.0.0/-1", "prefix length")]
    [InlineData("10.0.0.0/+8", "prefix length")]
    [InlineData("10.0.0.0/", "prefix length")]
    [InlineData("10.0.0.0/8/8", "prefix length")]
    [InlineData("10/8", "is not an IP address or a CIDR range")]
    [InlineData("010.0.0.1", "is not an IP address or a CIDR range")]
    [InlineData("10.1", "is not an IP address or a CIDR range")]
    [InlineData("0x0a.0.0.1", "is not an IP address or a CIDR range")]
    [InlineData("example.org", "is not an IP address or a CIDR range")]
    [InlineData("fe80::1%eth0", "is not an IP address or a CIDR range")]
    [InlineData("", "is not an IP address or a CIDR range")]
    [InlineData("::ffff:10.0.0.0/104", "IPv6 form of IPv4 addresses: write the IPv4 range 10.0.0.0/8")]
    [InlineData("64:ff9b::c633:6400/120", "IPv6 form of IPv4 addresses: write the IPv4 range 198.51.100.0/24")]
    public void A_Deny_entry_that_is_not_a_range_fails_construction_naming_it(string entry, string problem)
    {
        var message = ConstructionError(new OutboundPolicyOptions { Deny = ["198.51.100.0/24", entry] });

        Assert.Contains($"Outbound:Deny entry '{entry}' ", message, StringComparison.Ordinal);
        Assert.Contains(problem, message, StringComparison.Ordinal);
        Assert.DoesNotContain("198.51.100.0/24'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_Allow_entry_that_is_not_a_range_fails_construction_naming_it() =>
        Assert.Contains("Outbound:Allow entry '203.0.113.0/33' has a prefix length", ConstructionError(new OutboundPolicyOptions { Allow = ["203.0.113.0/33"] }), StringComparison.Ordinal);

    [Fact]
    public void Entries_may_have_spaces_around_them()
    {
        var policy = new OutboundAddressPolicy(new OutboundPolicyOptions { Deny = [" 198.51.100.0/24 "] });

        AddressJudgementTests.DenialReason(policy, "198.51.100.1");
    }

    [Theory]
    [InlineData("169.254.169.254", false, true, "never allowed")]
    [InlineData("169.254.0.0/16", true, true, "never allowed")]
    [InlineData("fe80::/64", true, true, "never allowed")]
    [InlineData("224.0.0.0/8", true, true, "never allowed")]
    [InlineData("127.0.0.1", false, true, "Outbound:AllowLoopback")]
    [InlineData("::1", false, true, "Outbound:AllowLoopback")]
    [InlineData("10.1.0.0/16", true, false, "Outbound:AllowPrivateNetworks")]
    [InlineData("198.51.100.0/25", true, true, "198.51.100.0/24 of Outbound:Deny")]
    public void An_Allow_entry_the_other_rules_deny_entirely_fails_construction(string entry, bool allowLoopback, bool allowPrivateNetworks, string rule)
    {
        var message = ConstructionError(new OutboundPolicyOptions
        {
            Allow = [entry],
            Deny = ["198.51.100.0/24"],
            AllowLoopback = allowLoopback,
            AllowPrivateNetworks = allowPrivateNetworks,
        });

        Assert.Contains($"Outbound:Allow entry '{entry}", message, StringComparison.Ordinal);
        Assert.Contains("can never match", message, StringComparison.Ordinal);
        Assert.Contains(rule, message, StringComparison.Ordinal);
    }

    [Fact]
    public void Allow_entries_the_other_rules_deny_only_in_part_are_accepted()
    {
        var policy = new OutboundAddressPolicy(new OutboundPolicyOptions { Allow = ["0.0.0.0/0", "169.0.0.0/8", "126.0.0.0/7"] });

        AddressJudgementTests.AssertAllowed(policy, "126.0.0.1");
        AddressJudgementTests.DenialReason(policy, "127.0.0.1");
    }

    [Theory]
    [InlineData("*")]
    [InlineData("*.")]
    [InlineData("a.*.example.org")]
    [InlineData("*example.org")]
    [InlineData("**.example.org")]
    [InlineData("exa mple.org")]
    [InlineData("-example.org")]
    [InlineData("a..example.org")]
    [InlineData("https://example.org")]
    [InlineData("")]
    public void A_host_entry_that_is_not_a_name_or_pattern_fails_construction_naming_it(string entry)
    {
        var message = ConstructionError(new OutboundPolicyOptions { DeniedHosts = ["ok.example.org", entry] });

        Assert.Contains($"Outbound:DeniedHosts entry '{entry}' is not a host name or a *.suffix pattern", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("203.0.113.7")]
    [InlineData("2001:db8::1")]
    public void An_IP_address_among_the_host_names_fails_construction(string entry) =>
        Assert.Contains($"Outbound:AllowedHosts entry '{entry}' is an IP address", ConstructionError(new OutboundPolicyOptions { AllowedHosts = [entry] }), StringComparison.Ordinal);

    [Fact]
    public void Every_bad_entry_is_named_in_one_message()
    {
        var message = ConstructionError(new OutboundPolicyOptions
        {
            Allow = ["169.254.169.254"],
            Deny = ["not-a-range", "10.0.0.1/8"],
            AllowedHosts = ["*"],
        });

        Assert.Contains("'169.254.169.254'", message, StringComparison.Ordinal);
        Assert.Contains("'not-a-range'", message, StringComparison.Ordinal);
        Assert.Contains("'10.0.0.1/8'", message, StringComparison.Ordinal);
        Assert.Contains("'*'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_section_gives_the_defaults()
    {
        var options = new ConfigurationBuilder().Build().GetSection(OutboundPolicyOptions.SectionName).Get<OutboundPolicyOptions>()
            ?? new OutboundPolicyOptions();

        Assert.Empty(options.Allow);
        Assert.Empty(options.Deny);
        Assert.Empty(options.AllowedHosts);
        Assert.Empty(options.DeniedHosts);
        Assert.False(options.AllowLoopback);
        Assert.True(options.AllowPrivateNetworks);
    }

    [Fact]
    public void Every_option_binds_from_the_Outbound_section()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Outbound:Allow:0"] = "203.0.113.0/24",
            ["Outbound:Allow:1"] = "2001:db8::/32",
            ["Outbound:Deny:0"] = "203.0.113.128/25",
            ["Outbound:AllowLoopback"] = "true",
            ["Outbound:AllowPrivateNetworks"] = "false",
            ["Outbound:AllowedHosts:0"] = "*.example.org",
            ["Outbound:DeniedHosts:0"] = "internal.example.org",
        }).Build();

        var options = configuration.GetSection(OutboundPolicyOptions.SectionName).Get<OutboundPolicyOptions>()!;

        Assert.Equal(["203.0.113.0/24", "2001:db8::/32"], options.Allow);
        Assert.Equal(["203.0.113.128/25"], options.Deny);
        Assert.True(options.AllowLoopback);
        Assert.False(options.AllowPrivateNetworks);
        Assert.Equal(["*.example.org"], options.AllowedHosts);
        Assert.Equal(["internal.example.org"], options.DeniedHosts);
        _ = new OutboundAddressPolicy(options);
    }
}
