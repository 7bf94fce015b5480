using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Broker.Outbound;

/// <summary>A range of addresses with what it is, written to follow "is" in the reasons the policy gives.</summary>
internal readonly record struct AddressRange(IPNetwork Network, string Description)
{
    public bool Contains(IPAddress address) =>
        Network.BaseAddress.AddressFamily == address.AddressFamily && Network.Contains(address);

    /// <summary>Whether every address of <paramref name="other"/> is in this range.</summary>
    public bool Covers(IPNetwork other) =>
        Network.BaseAddress.AddressFamily == other.BaseAddress.AddressFamily
        && Network.PrefixLength <= other.PrefixLength
        && Network.Contains(other.BaseAddress);
}

/// <summary>The ranges the <see cref="OutboundAddressPolicy"/> knows, the IPv4 addresses inside IPv6 ones, and the parser of configured ranges.</summary>
internal static class AddressRanges
{
    /// <summary>
    /// Never reachable, whatever the options say. The metadata addresses come before the ranges that hold them, so that
    /// a reason names the service; connecting to 0.0.0.0 or :: reaches the broker's own host on Linux.
    /// </summary>
    public static readonly AddressRange[] NeverAllowed =
    [
        Range("169.254.169.254/32", "the cloud metadata service (AWS, Azure, Google Cloud, OpenStack and others)"),
        Range("fd00:ec2::254/128", "the AWS metadata service over IPv6"),
        Range("100.100.100.200/32", "the Alibaba Cloud metadata service"),
        Range("169.254.0.0/16", "IPv4 link-local (169.254.0.0/16)"),
        Range("fe80::/10", "IPv6 link-local (fe80::/10)"),
        Range("0.0.0.0/8", "in 'this network' (0.0.0.0/8), which reaches the broker's own host"),
        Range("::/128", "the unspecified IPv6 address (::), which reaches the broker's own host"),
        Range("224.0.0.0/4", "IPv4 multicast (224.0.0.0/4)"),
        Range("ff00::/8", "IPv6 multicast (ff00::/8)"),
        Range("255.255.255.255/32", "the IPv4 broadcast address"),
    ];

    public static readonly AddressRange[] Loopback =
    [
        Range("127.0.0.0/8", "loopback (127.0.0.0/8)"),
        Range("::1/128", "loopback (::1)"),
    ];

    /// <summary>RFC 1918 and RFC 4193.</summary>
    public static readonly AddressRange[] Private =
    [
        Range("10.0.0.0/8", "in a private network (10.0.0.0/8)"),
        Range("172.16.0.0/12", "in a private network (172.16.0.0/12)"),
        Range("192.168.0.0/16", "in a private network (192.168.0.0/16)"),
        Range("fc00::/7", "in an IPv6 unique local network (fc00::/7)"),
    ];

    private static AddressRange Range(string cidr, string description) => new(IPNetwork.Parse(cidr), description);

    private static ReadOnlySpan<byte> Ipv4MappedPrefix => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

    private static ReadOnlySpan<byte> Nat64WellKnownPrefix => [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>
    /// The IPv4 address that packets to <paramref name="address"/> really go to: IPv4-mapped (::ffff:0:0/96, RFC 4291
    /// 2.5.5.2), IPv4-compatible (::/96 but for :: and ::1, RFC 4291 2.5.5.1: deprecated, yet some stacks still route it)
    /// and NAT64 with the well-known prefix (64:ff9b::/96, RFC 6052 2.1); null for any other address.
    /// </summary>
    public static IPAddress? EmbeddedIPv4(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
            return null;
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        var head = bytes[..12];
        var tail = bytes[12..];
        var compatible = head.IndexOfAnyExcept((byte)0) < 0 && (tail[..3].IndexOfAnyExcept((byte)0) >= 0 || tail[3] > 1);
        return compatible || head.SequenceEqual(Ipv4MappedPrefix) || head.SequenceEqual(Nat64WellKnownPrefix)
            ? new IPAddress(tail)
            : null;
    }

    /// <summary>
    /// The IPv4 address of the relay that packets to a 6to4 address (2002::/16, RFC 3056 2) are tunnelled to, or null
    /// for any other address.
    /// </summary>
    public static IPAddress? SixToFourRelay(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
            return null;
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        return bytes[0] == 0x20 && bytes[1] == 0x02 ? new IPAddress(bytes[2..6]) : null;
    }

    /// <summary>
    /// Parses a configured range: CIDR notation or a single address. IPv4 addresses must be written as four decimal
    /// numbers (IPAddress also reads "10" as 0.0.0.10 and "010.0.0.1" as 8.0.0.1), and a range must not have bits set
    /// after its prefix, so that what is written is what is matched.
    /// </summary>
    public static bool TryParse(string? entry, out IPNetwork network, [NotNullWhen(false)] out string? error)
    {
        network = default;
        var text = entry?.Trim() ?? "";
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addressText, out var address)
            || (address.AddressFamily == AddressFamily.InterNetwork ? address.ToString() != addressText : address.ScopeId != 0))
        {
            error = "is not an IP address or a CIDR range";
            return false;
        }
        var longest = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var prefix = longest;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > longest))
        {
            error = $"has a prefix length that is not a number from 0 to {longest}";
            return false;
        }
        network = new IPNetwork(address, prefix);
        if (!network.BaseAddress.Equals(address))
        {
            error = $"has bits set after its /{prefix} prefix (the range is {network})";
            return false;
        }
        if (prefix >= 96 && EmbeddedIPv4(address) is { } ipv4)
        {
            // Such addresses are judged as the IPv4 address they carry, so an IPv6 range of them would never match.
            error = $"is an IPv6 form of IPv4 addresses: write the IPv4 range {new IPNetwork(ipv4, prefix - 96)}";
            return false;
        }
        error = null;
        return true;
    }
}
