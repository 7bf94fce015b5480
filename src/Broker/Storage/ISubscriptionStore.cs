namespace Broker.Storage;

/// <summary>
/// Where subscriptions (clause 5.8) and the notifications they owe are kept: the subscriptions with their delivery
/// status, the outbox of notifications matched but not yet delivered, and the change feed positions of the consumers.
/// Subscriptions are documents to the store; what they mean is the subscription service's business.
/// </summary>
public interface ISubscriptionStore : IAsyncDisposable
{
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>True when other broker nodes may change subscriptions: the dispatcher then looks for their changes.</summary>
    bool SharedByNodes { get; }

    /// <summary>Stores a new subscription; false when the tenant already has one with its id.</summary>
    ValueTask<bool> InsertAsync(StoredSubscription subscription, CancellationToken cancellationToken);

    ValueTask<StoredSubscription?> GetAsync(string tenant, string id, CancellationToken cancellationToken);

    /// <summary>A page of the tenant's subscriptions in id order, and how many it has.</summary>
    ValueTask<SubscriptionPage> ListAsync(string tenant, int offset, int limit, CancellationToken cancellationToken);

    /// <summary>Replaces the document when the subscription still has <paramref name="expectedRevision"/>; false when it changed or is gone.</summary>
    ValueTask<bool> UpdateAsync(string tenant, string id, string document, long expectedRevision, CancellationToken cancellationToken);

    /// <summary>Deletes the subscription and its pending notifications; false when there is none.</summary>
    ValueTask<bool> DeleteAsync(string tenant, string id, CancellationToken cancellationToken);

    /// <summary>Every subscription of every tenant created, changed or deleted (<see cref="StoredSubscription.Deleted"/>) after <paramref name="revision"/>.</summary>
    ValueTask<IReadOnlyList<StoredSubscription>> ChangedSinceAsync(long revision, CancellationToken cancellationToken);

    /// <summary>
    /// The right to match changes and deliver notifications, held by one broker node at a time; null when another node
    /// holds it. It ends when disposed, or by itself (<see cref="IDispatchLease.Lost"/>) when the store loses it.
    /// </summary>
    ValueTask<IDispatchLease?> TryLeadAsync(CancellationToken cancellationToken);

    /// <summary>The saved position of the named feed consumer; null before its first save.</summary>
    ValueTask<ChangeFeedPosition?> ReadPositionAsync(string consumer, CancellationToken cancellationToken);

    /// <summary>Saves the consumer's first position, unless it has one (another node may have saved it first).</summary>
    ValueTask InitializePositionAsync(string consumer, ChangeFeedPosition position, CancellationToken cancellationToken);

    /// <summary>Adds the notifications to the outbox (each once) and saves the consumer's position, if given, in one transaction.</summary>
    ValueTask AppendAsync(IReadOnlyList<OutboxEntry> entries, string consumer, ChangeFeedPosition? position, CancellationToken cancellationToken);

    /// <summary>Each subscription with notifications in the outbox, and how many (a new leader's starting point).</summary>
    ValueTask<IReadOnlyList<OutboxSummary>> SummarizeOutboxAsync(CancellationToken cancellationToken);

    /// <summary>At most <paramref name="max"/> of a subscription's notifications in the outbox after <paramref name="afterSequence"/>, in sequence order.</summary>
    ValueTask<IReadOnlyList<OutboxEntry>> ReadOutboxAsync(string tenant, string subscriptionId, long afterSequence, int max, CancellationToken cancellationToken);

    /// <summary>Applies delivery outcomes: removes what was delivered or dropped, reschedules what failed, counts into each status.</summary>
    ValueTask CompleteAsync(IReadOnlyList<DeliveryReport> reports, CancellationToken cancellationToken);
}

/// <summary>A subscription as the store keeps it: its document, the revision of its last change, its delivery status.</summary>
public sealed record StoredSubscription(string Tenant, string Id, string Document, DateTimeOffset CreatedAt)
{
    /// <summary>Increases with every change of any subscription of the store; set by the store.</summary>
    public long Revision { get; init; }

    public bool Deleted { get; init; }

    public DeliveryStatus Status { get; init; } = DeliveryStatus.None;
}

/// <summary>The read-only status members of a subscription's notification parameters (clause 5.2.14).</summary>
public sealed record DeliveryStatus(long TimesSent, long TimesFailed, DateTimeOffset? LastNotification, DateTimeOffset? LastSuccess, DateTimeOffset? LastFailure)
{
    public static readonly DeliveryStatus None = new(0, 0, null, null, null);

    public DeliveryStatus Add(DeliveryStatus delta) => new(
        TimesSent + delta.TimesSent,
        TimesFailed + delta.TimesFailed,
        Latest(LastNotification, delta.LastNotification),
        Latest(LastSuccess, delta.LastSuccess),
        Latest(LastFailure, delta.LastFailure));

    private static DateTimeOffset? Latest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;
}

public sealed record SubscriptionPage(IReadOnlyList<StoredSubscription> Subscriptions, long Total);

/// <summary>A notification owed: subscription <paramref name="SubscriptionId"/> matched change record <paramref name="Sequence"/>.</summary>
public sealed record OutboxEntry(string Tenant, string SubscriptionId, long Sequence, string EntityId, int Attempts, DateTimeOffset Due);

public sealed record OutboxSummary(string Tenant, string SubscriptionId, long Count);

/// <summary>
/// What happened to some notifications of one subscription: <paramref name="Removed"/> (delivered, or given up) leave the
/// outbox, <paramref name="Rescheduled"/> stay with their attempts and next due time, <paramref name="Status"/> is added
/// to the subscription's.
/// </summary>
public sealed record DeliveryReport(string Tenant, string SubscriptionId, IReadOnlyList<long> Removed, IReadOnlyList<OutboxEntry> Rescheduled, DeliveryStatus Status);

/// <summary>The dispatch right of one node (see <see cref="ISubscriptionStore.TryLeadAsync"/>).</summary>
public interface IDispatchLease : IAsyncDisposable
{
    /// <summary>Cancelled when the node no longer holds the right (its database session ended).</summary>
    CancellationToken Lost { get; }
}
