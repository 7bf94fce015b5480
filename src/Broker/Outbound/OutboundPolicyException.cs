namespace Broker.Outbound;

/// <summary>
/// A connection the <see cref="OutboundAddressPolicy"/> refused. An <see cref="IOException"/>, like any other failure to
/// connect: HttpClient reports it as the inner exception of its <see cref="HttpRequestException"/>.
/// </summary>
public sealed class OutboundPolicyException : IOException
{
    public OutboundPolicyException(string host, string reason)
        : base($"The outbound policy refuses a connection to {host}: {reason}.")
    {
        Host = host;
        Reason = reason;
    }

    /// <summary>The host as the caller gave it: a name or an IP address.</summary>
    public string Host { get; }

    /// <summary>Why, for people: which address matched which rule.</summary>
    public string Reason { get; }
}
