namespace Broker.Subscriptions.Delivery;

/// <summary>A rendered notification for one endpoint: the body, its media type, the headers of its binding.</summary>
public sealed record NotificationMessage(Uri Endpoint, string ContentType, byte[] Body, IReadOnlyList<KeyValuePair<string, string>> Headers,
    IReadOnlyList<KeyValue>? NotifierInfo, TimeSpan Timeout);

/// <summary>How one attempt to deliver went; <paramref name="Failure"/> says why it failed.</summary>
public readonly record struct DeliveryAttempt(bool Delivered, string? Failure)
{
    public static DeliveryAttempt Success { get; } = new(true, null);

    public static DeliveryAttempt Failed(string reason) => new(false, reason);
}

/// <summary>
/// Sends notifications over one binding (clause 6: HTTP; clause 7: MQTT). The matcher and the lanes never know how a
/// notification travels; a sender never decides what to send.
/// </summary>
public interface INotificationSender
{
    /// <summary>True for the URI schemes of its binding.</summary>
    bool Handles(Uri endpoint);

    /// <summary>One attempt, within <see cref="NotificationMessage.Timeout"/>; never throws for a failed delivery.</summary>
    Task<DeliveryAttempt> SendAsync(NotificationMessage message, CancellationToken cancellationToken);
}
