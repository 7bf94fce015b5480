namespace Broker.Subscriptions;

/// <summary>Delivery settings (configuration section Notifications; see README).</summary>
public sealed class NotificationOptions
{
    /// <summary>How long a notification may take when the endpoint sets no timeout; an endpoint's timeout is capped by <see cref="MaxTimeout"/>.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan MaxTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Notifications in flight to one endpoint (scheme, host and port) at a time, over all subscriptions.</summary>
    public int MaxConcurrencyPerEndpoint { get; set; } = 8;

    /// <summary>The first retry after a failed delivery; each further one waits twice as long, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a notification is retried before it is given up (and logged).</summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Entities one notification carries at most.</summary>
    public int MaxEntitiesPerNotification { get; set; } = 100;

    /// <summary>Notifications a subscription keeps in memory; more wait in the outbox and are read back as the queue drains.</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>How often the dispatcher looks for changes made by other broker nodes (PostgreSQL).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Change records are kept at least this long once every consumer has read them (the temporal history needs them).</summary>
    public TimeSpan ChangeRetention { get; set; } = TimeSpan.FromDays(7);

    public TimeSpan CompactionInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The wait before attempt <paramref name="attempts"/> + 1: exponential from the first retry delay, at least the endpoint's cooldown (clause 5.2.15).</summary>
    public TimeSpan RetryDelay(int attempts, double? cooldownMilliseconds)
    {
        var delay = FirstRetryDelay * Math.Pow(2, Math.Min(attempts - 1, 30));
        if (delay > MaxRetryDelay)
            delay = MaxRetryDelay;
        if (cooldownMilliseconds is { } cooldown && TimeSpan.FromMilliseconds(cooldown) > delay)
            delay = TimeSpan.FromMilliseconds(cooldown);
        return delay;
    }
}
