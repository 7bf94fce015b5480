using System.Net;
using Broker.Outbound;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Broker.Tests.Outbound;

/// <summary>Properties over random IPv4 addresses (FsCheck), biased towards the ranges the policy names.</summary>
public sealed class EmbeddedAddressPropertyTests
{
    private static readonly Gen<IPAddress> Ipv4Addresses =
        from first in Gen.OneOf(Gen.Choose(0, 255), Gen.Elements(0, 10, 100, 127, 169, 172, 192, 198, 203, 224, 239, 255))
        from second in Gen.OneOf(Gen.Choose(0, 255), Gen.Elements(0, 16, 31, 100, 168, 254, 255))
        from third in Gen.Choose(0, 255)
        from fourth in Gen.Choose(0, 255)
        select new IPAddress([(byte)first, (byte)second, (byte)third, (byte)fourth]);

    private static readonly OutboundAddressPolicy[] Policies =
    [
        new(new OutboundPolicyOptions()),
        new(new OutboundPolicyOptions { AllowLoopback = true, AllowPrivateNetworks = false }),
        new(new OutboundPolicyOptions { Allow = ["10.0.0.0/8", "198.51.100.0/24"], Deny = ["10.20.0.0/16"] }),
    ];

    private static IPAddress WithPrefix(ReadOnlySpan<byte> prefix, IPAddress ipv4)
    {
        Span<byte> bytes = stackalloc byte[16];
        prefix.CopyTo(bytes);
        ipv4.TryWriteBytes(bytes[12..], out _);
        return new IPAddress(bytes);
    }

    [Fact]
    public void An_IPv4_address_is_judged_alike_in_its_mapped_compatible_and_NAT64_forms()
    {
        Prop.ForAll(Ipv4Addresses.ToArbitrary(), ipv4 =>
        {
            IPAddress[] forms =
            [
                ipv4.MapToIPv6(),
                WithPrefix([0, 0x64, 0xff, 0x9b], ipv4),
                .. ipv4.Equals(IPAddress.Any) || ipv4.Equals(IPAddress.Parse("0.0.0.1")) ? Array.Empty<IPAddress>() : [WithPrefix([], ipv4)],
            ];
            foreach (var policy in Policies)
            {
                var expected = policy.IsAllowed(ipv4, out _);
                foreach (var form in forms)
                {
                    if (policy.IsAllowed(form, out _) != expected)
                        return false;
                }
            }
            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Every_address_of_a_Deny_range_is_denied_and_an_Allow_range_admits_nothing_outside_it()
    {
        var cases =
            from address in Ipv4Addresses
            from other in Ipv4Addresses
            from prefix in Gen.Choose(8, 32)
            select (address, other, prefix);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var range = new IPNetwork(c.address, c.prefix);
            var denying = new OutboundAddressPolicy(new OutboundPolicyOptions { Deny = [range.ToString()] });
            if (denying.IsAllowed(c.address, out _) || (range.Contains(c.other) && denying.IsAllowed(c.other, out _)))
                return false;
            OutboundAddressPolicy allowing;
            try
            {
                allowing = new OutboundAddressPolicy(new OutboundPolicyOptions { Allow = [range.ToString()], AllowLoopback = true });
            }
            catch (InvalidOperationException)
            {
                // The range lies in a never-allowed one.
                return !new OutboundAddressPolicy(new OutboundPolicyOptions { AllowLoopback = true }).IsAllowed(c.address, out _);
            }
            return range.Contains(c.other) || !allowing.IsAllowed(c.other, out _);
        }).QuickCheckThrowOnFailure();
    }
}
