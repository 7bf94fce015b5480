namespace Broker.Outbound;

/// <summary>
/// Which addresses the broker may connect to on a client's behalf (configuration section Outbound), judged by
/// <see cref="OutboundAddressPolicy"/>. Metadata, link-local, unspecified, multicast and broadcast addresses are never
/// allowed, whatever is configured here.
/// </summary>
public sealed class OutboundPolicyOptions
{
    public const string SectionName = "Outbound";

    /// <summary>
    /// CIDR ranges or single addresses (<c>203.0.113.0/24</c>, <c>2001:db8::/32</c>, <c>198.51.100.7</c>). When not empty,
    /// only addresses in one of them are allowed, and the other rules still deny what they deny.
    /// </summary>
    public IList<string> Allow { get; set; } = [];

    /// <summary>CIDR ranges or single addresses denied in addition to the built-in ones.</summary>
    public IList<string> Deny { get; set; } = [];

    /// <summary>Whether 127.0.0.0/8 and ::1 (the broker's own host) may be reached; for tests and single-host setups.</summary>
    public bool AllowLoopback { get; set; }

    /// <summary>Whether the private ranges 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 and fc00::/7 may be reached.</summary>
    public bool AllowPrivateNetworks { get; set; } = true;

    /// <summary>
    /// Host names (<c>notify.example.org</c>) or suffix patterns (<c>*.example.org</c>, which does not match
    /// example.org itself). When not empty, only hosts that match one may be reached, so endpoints written as IP
    /// addresses are refused.
    /// </summary>
    public IList<string> AllowedHosts { get; set; } = [];

    /// <summary>Host names or suffix patterns, as in <see cref="AllowedHosts"/>, that may not be reached.</summary>
    public IList<string> DeniedHosts { get; set; } = [];
}
