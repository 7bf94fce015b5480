namespace Broker.Federation.Distributed;

/// <summary>The Federation section: how this broker forwards requests to registered context sources (clause 4.3.6).</summary>
public sealed class FederationOptions
{
    public const string SectionName = "Federation";

    /// <summary>How long one context source may take to answer a forwarded request; a slower one's part is left out.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The name this broker gives itself in the Via header of forwarded requests, and recognises there to end a loop.
    /// Default: the host name and the process id, so two brokers on one host are told apart. Set to the host and port
    /// other brokers reach this one at (the authority of their registrations' endpoint), a request is also never
    /// forwarded back to a broker it has passed.
    /// </summary>
    public string? BrokerId { get; set; }

    /// <summary>
    /// The most entities a distributed query takes from each source (this broker included) before merging and paging:
    /// limit, offset and count hold over what these bounded legs return.
    /// </summary>
    public int MaxEntitiesPerSource { get; set; } = 1000;

    public string ResolvedBrokerId => string.IsNullOrWhiteSpace(BrokerId) ? $"{System.Net.Dns.GetHostName()}-{Environment.ProcessId}" : BrokerId;
}
