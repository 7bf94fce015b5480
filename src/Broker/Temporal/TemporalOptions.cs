namespace Broker.Temporal;

/// <summary>Temporal API settings (configuration section Temporal; see README).</summary>
public sealed class TemporalOptions
{
    /// <summary>
    /// Whether the broker records the history and serves the temporal API. Off, writes record no history (nothing to
    /// catch up with), and every /temporal/ resource answers 501.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Instances older than this (by observedAt, else modifiedAt) are dropped; null keeps the history for ever.</summary>
    public TimeSpan? Retention { get; set; }

    /// <summary>How often retention and partition housekeeping run.</summary>
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The most instances a response gives per attribute; the rest is announced by Content-Range (clause 6.3.?).</summary>
    public int InstanceLimit { get; set; } = 1000;

    /// <summary>How long a temporal query waits for the history to record the writes acknowledged before it.</summary>
    public TimeSpan ReadYourWritesTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
