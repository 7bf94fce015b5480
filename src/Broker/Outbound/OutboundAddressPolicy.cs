using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;

namespace Broker.Outbound;

/// <summary>
/// Decides which addresses the broker may connect to on a client's behalf (notification endpoints over HTTP and MQTT,
/// later context sources and remote @contexts), so that a subscription cannot point the broker at a cloud metadata
/// service or into the network it runs in (server-side request forgery). Immutable once built, so one instance serves
/// every connection.
/// </summary>
/// <remarks>
/// <para>
/// An address is judged by the first of these rules that matches:
/// an IPv6 address that carries the IPv4 address its packets go to (IPv4-mapped, IPv4-compatible, NAT64 64:ff9b::/96)
/// is judged as that IPv4 address; then
/// <see cref="AddressRanges.NeverAllowed"/> (metadata, link-local, unspecified, multicast, broadcast) is denied;
/// loopback is denied unless <see cref="OutboundPolicyOptions.AllowLoopback"/>;
/// private networks are denied unless <see cref="OutboundPolicyOptions.AllowPrivateNetworks"/>;
/// <see cref="OutboundPolicyOptions.Deny"/> is denied;
/// when <see cref="OutboundPolicyOptions.Allow"/> is not empty, what is outside it is denied;
/// the rest is allowed. The IPv4 relay of a 6to4 address (2002::/16) must pass the same denials.
/// </para>
/// <para>
/// <see cref="CheckEndpoint"/> is only the early answer at subscription time: names are not resolved there. What holds
/// is <see cref="ConnectAsync"/>, which judges the addresses it connects to, so a DNS answer that changes after the check
/// (DNS rebinding) cannot reach a denied address.
/// </para>
/// </remarks>
public sealed class OutboundAddressPolicy
{
    /// <summary>How long an HTTP connection is reused before it is opened (resolved and judged) again.</summary>
    public static readonly TimeSpan PooledConnectionLifetime = TimeSpan.FromMinutes(2);

    /// <summary>How long an HTTP connection may take to open, DNS resolution included.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private const string Section = OutboundPolicyOptions.SectionName;

    /// <summary>The denying rules in the order they are tried.</summary>
    private readonly DenyingRule[] _denials;

    private readonly AddressRange[] _allow;
    private readonly bool _allowLoopback;
    private readonly HostPatterns _allowedHosts;
    private readonly HostPatterns _deniedHosts;

    /// <summary>Ranges that deny, and the end of the sentence saying so.</summary>
    private readonly record struct DenyingRule(AddressRange[] Ranges, string Consequence);

    /// <exception cref="InvalidOperationException">An entry of the options is not valid, or an Allow entry can never match; the message names each such entry.</exception>
    public OutboundAddressPolicy(OutboundPolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        var deny = ParseRanges(options.Deny, nameof(options.Deny), errors);
        var allow = ParseRanges(options.Allow, nameof(options.Allow), errors);
        _allowedHosts = HostPatterns.Parse(options.AllowedHosts, $"{Section}:{nameof(options.AllowedHosts)}", errors);
        _deniedHosts = HostPatterns.Parse(options.DeniedHosts, $"{Section}:{nameof(options.DeniedHosts)}", errors);

        var denials = new List<DenyingRule> { new(AddressRanges.NeverAllowed, ", which is never allowed") };
        if (!options.AllowLoopback)
            denials.Add(new(AddressRanges.Loopback, $", which is allowed only when {Section}:AllowLoopback is true"));
        if (!options.AllowPrivateNetworks)
            denials.Add(new(AddressRanges.Private, $", which is allowed only when {Section}:AllowPrivateNetworks is true"));
        if (deny.Count > 0)
            denials.Add(new([.. deny.Select(d => d.Range)], ""));
        _denials = [.. denials];
        _allow = [.. allow.Select(a => a.Range)];
        _allowLoopback = options.AllowLoopback;

        foreach (var (entry, range) in allow)
        {
            if (CoveringDenial(range.Network) is { } denial)
                errors.Add($"{Section}:Allow entry '{entry}' can never match: it is {denial.Range.Description}{denial.Consequence}");
        }
        if (errors.Count > 0)
            throw new InvalidOperationException($"The {Section} configuration is not valid: {string.Join("; ", errors)}.");
    }

    private static List<(string Entry, AddressRange Range)> ParseRanges(IEnumerable<string?> entries, string name, List<string> errors)
    {
        var ranges = new List<(string, AddressRange)>();
        foreach (var entry in entries)
        {
            if (AddressRanges.TryParse(entry, out var network, out var error))
                ranges.Add((entry ?? "", new(network, $"in {network} of {Section}:{name}")));
            else
                errors.Add($"{Section}:{name} entry '{entry}' {error}");
        }
        return ranges;
    }

    private (AddressRange Range, string Consequence)? CoveringDenial(IPNetwork network)
    {
        foreach (var denial in _denials)
        {
            foreach (var range in denial.Ranges)
            {
                if (range.Covers(network))
                    return (range, denial.Consequence);
            }
        }
        return null;
    }

    /// <summary>Whether the broker may connect to <paramref name="address"/>.</summary>
    /// <param name="reason">Why not, for people (empty when the address is allowed).</param>
    public bool IsAllowed(IPAddress address, out string reason)
    {
        ArgumentNullException.ThrowIfNull(address);
        var embedded = AddressRanges.EmbeddedIPv4(address);
        var denial = embedded is null
            ? DenialOf(address, address.ToString(), judgeAllow: true)
            : DenialOf(embedded, $"{address} (the IPv4 address {embedded})", judgeAllow: true);
        if (denial is null && AddressRanges.SixToFourRelay(address) is { } relay)
            denial = DenialOf(relay, $"the 6to4 relay {relay} of {address}", judgeAllow: false);
        reason = denial ?? "";
        return denial is null;
    }

    private string? DenialOf(IPAddress address, string subject, bool judgeAllow)
    {
        foreach (var denial in _denials)
        {
            foreach (var range in denial.Ranges)
            {
                if (range.Contains(address))
                    return $"{subject} is {range.Description}{denial.Consequence}";
            }
        }
        if (!judgeAllow || _allow.Length == 0)
            return null;
        foreach (var range in _allow)
        {
            if (range.Contains(address))
                return null;
        }
        return $"{subject} is in no range of {Section}:Allow";
    }

    /// <summary>
    /// Whether <paramref name="uri"/> may be an endpoint, judged without resolving names: an IP-literal host by its
    /// address, a host name by AllowedHosts and DeniedHosts (and "localhost" names as loopback). For the subscription
    /// request's answer; <see cref="ConnectAsync"/> judges again when connecting.
    /// </summary>
    /// <returns>Null when acceptable, else why not, for people.</returns>
    public string? CheckEndpoint(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.IsAbsoluteUri)
            return $"{uri} is not an absolute URI";
        if (uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6)
            return AddressDenial(IPAddress.Parse(uri.Host.AsSpan().Trim("[]")));
        if (uri.IdnHost.Length == 0)
            return $"{uri} has no host";
        return HostDenial(uri.IdnHost);
    }

    /// <summary>
    /// Opens a TCP connection (NoDelay) to <paramref name="host"/>: an IP address is used as it is, a name is resolved,
    /// and the addresses the policy allows are tried one after the other, in the resolver's order, until one accepts.
    /// The one way the broker opens a connection on a client's behalf; <paramref name="ct"/> bounds how long it takes
    /// (<see cref="CreateHttpHandler"/> gives it <see cref="ConnectTimeout"/>).
    /// </summary>
    /// <exception cref="OutboundPolicyException">The host name is denied, or the policy allows none of its addresses.</exception>
    /// <exception cref="SocketException">The name does not resolve, or no allowed address accepted (the last address's error).</exception>
    public async ValueTask<Socket> ConnectAsync(string host, int port, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        IPAddress[] candidates;
        if (IPAddress.TryParse(host, out var literal))
        {
            if (AddressDenial(literal) is { } reason)
                throw new OutboundPolicyException(host, reason);
            candidates = [literal];
        }
        else
        {
            if (HostDenial(host) is { } reason)
                throw new OutboundPolicyException(host, reason);
            candidates = AllowedOnly(host, await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false));
        }

        ExceptionDispatchInfo? lastFailure = null;
        foreach (var candidate in candidates)
        {
            // An IPv6 socket is not dual-mode unless asked to be; the mapped address was judged as its IPv4 address anyway.
            var address = candidate.IsIPv4MappedToIPv6 ? candidate.MapToIPv4() : candidate;
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), ct).ConfigureAwait(false);
                return socket;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                lastFailure = ExceptionDispatchInfo.Capture(e);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        lastFailure!.Throw();
        throw new UnreachableException();
    }

    private IPAddress[] AllowedOnly(string host, IPAddress[] resolved)
    {
        if (resolved.Length == 0)
            throw new SocketException((int)SocketError.HostNotFound);
        var allowed = new List<IPAddress>(resolved.Length);
        var reasons = new List<string>();
        foreach (var address in resolved)
        {
            if (IsAllowed(address, out var reason))
                allowed.Add(address);
            else
                reasons.Add(reason);
        }
        return allowed.Count > 0
            ? [.. allowed]
            : throw new OutboundPolicyException(host, $"it resolves to no allowed address: {string.Join("; ", reasons)}");
    }

    private string? AddressDenial(IPAddress address)
    {
        if (!IsAllowed(address, out var reason))
            return reason;
        return _allowedHosts.IsEmpty ? null : $"{address} is an IP address, and {Section}:AllowedHosts admits host names only";
    }

    private string? HostDenial(string host)
    {
        // Uri keeps forms such as 0x7f.1 as names for schemes it does not know, and the resolver reads them as addresses.
        if (IPAddress.TryParse(host, out var address))
            return AddressDenial(address);
        var name = HostPatterns.Normalize(host);
        if (name is null)
            return $"{host} is not a valid host name";
        if (_deniedHosts.Match(name) is { } denied)
            return $"the host {name} matches {denied} of {Section}:DeniedHosts";
        if (!_allowedHosts.IsEmpty && _allowedHosts.Match(name) is null)
            return $"the host {name} matches nothing in {Section}:AllowedHosts";
        if (!_allowLoopback && (name == "localhost" || name.EndsWith(".localhost", StringComparison.Ordinal)))
            return $"the host {name} is a loopback name (RFC 6761 6.3), which is allowed only when {Section}:AllowLoopback is true";
        return null;
    }

    /// <summary>
    /// An HTTP handler that opens every connection through <see cref="ConnectAsync"/>, follows no redirects (a redirect
    /// is the endpoint's answer, not a new endpoint), uses no proxy (it would be the one judged, not the endpoint), keeps
    /// no cookies (the endpoints of different clients share it) and validates TLS certificates as by default.
    /// </summary>
    /// <remarks>
    /// HTTP/3 runs over QUIC, which does not go through the connect callback: requests through this handler must not
    /// let HTTP/3 be used (a version of 3.0, or <see cref="HttpVersionPolicy.RequestVersionOrHigher"/>). HttpClient's
    /// default, HTTP/1.1 with <see cref="HttpVersionPolicy.RequestVersionOrLower"/>, does not.
    /// </remarks>
    public SocketsHttpHandler CreateHttpHandler() => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        PooledConnectionLifetime = PooledConnectionLifetime,
        ConnectTimeout = ConnectTimeout,
        ConnectCallback = async (context, ct) =>
        {
            var socket = await ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, ct).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        },
        // Certificates are validated against the system's trust store; missing intermediates and revocation lists are not
        // downloaded, because those requests would go to addresses the certificate names, past this policy.
        SslOptions = new System.Net.Security.SslClientAuthenticationOptions
        {
            CertificateChainPolicy = new System.Security.Cryptography.X509Certificates.X509ChainPolicy
            {
                DisableCertificateDownloads = true,
                RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
            },
        },
    };
}
