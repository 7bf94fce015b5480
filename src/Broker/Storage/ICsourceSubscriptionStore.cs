namespace Broker.Storage;

/// <summary>
/// Where context source registration subscriptions (clause 5.11) are kept, per tenant, durably, as documents (the
/// subscription document of clause 5.8, <see cref="Subscriptions.SubscriptionDocument"/>). Updates check a revision.
/// Beside them: each subscription's delivery status, and the outbox of the CsourceNotifications they owe, each with
/// the registrations it carries, so that what was owed when a registration changed is delivered after a restart.
/// </summary>
public interface ICsourceSubscriptionStore : IAsyncDisposable
{
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Stores a new subscription; false when the tenant already has one with its id.</summary>
    ValueTask<bool> InsertAsync(StoredCsourceSubscription subscription, CancellationToken cancellationToken);

    ValueTask<StoredCsourceSubscription?> GetAsync(string tenant, string id, CancellationToken cancellationToken);

    /// <summary>Every subscription of the tenant, in id order.</summary>
    ValueTask<IReadOnlyList<StoredCsourceSubscription>> ListAsync(string tenant, CancellationToken cancellationToken);

    /// <summary>Replaces the document when the subscription still has <paramref name="expectedRevision"/>; false when it changed or is gone.</summary>
    ValueTask<bool> UpdateAsync(string tenant, string id, string document, long expectedRevision, CancellationToken cancellationToken);

    /// <summary>Deletes the subscription and the notifications it owes; false when there is none.</summary>
    ValueTask<bool> DeleteAsync(string tenant, string id, CancellationToken cancellationToken);

    /// <summary>Every subscription of every tenant (the notifier's schedule of periodic notifications and expiries).</summary>
    ValueTask<IReadOnlyList<StoredCsourceSubscription>> ListAllAsync(CancellationToken cancellationToken);

    /// <summary>Adds the notifications to the outbox, durably, in one transaction; notifications of a subscription that is gone are left out.</summary>
    ValueTask AppendNoticesAsync(IReadOnlyList<StoredCsourceNotice> notices, CancellationToken cancellationToken);

    /// <summary>At most <paramref name="max"/> notifications of the outbox, of every tenant, in sequence order.</summary>
    ValueTask<IReadOnlyList<StoredCsourceNotice>> ReadNoticesAsync(int max, CancellationToken cancellationToken);

    /// <summary>
    /// Applies delivery outcomes as <see cref="ISubscriptionStore.CompleteAsync"/> does: removes the notifications
    /// delivered or given up, reschedules those that failed (<see cref="OutboxEntry.Sequence"/>, attempts and due), counts
    /// into each subscription's status.
    /// </summary>
    ValueTask CompleteNoticesAsync(IReadOnlyList<DeliveryReport> reports, CancellationToken cancellationToken);
}

/// <summary>
/// A CsourceNotification owed (clause 5.3.2): why, and the registrations it carries as their documents
/// (<see cref="Federation.RegistrationDocument"/>, a JSON array), kept with it since a deleted registration is gone.
/// </summary>
public sealed record StoredCsourceNotice(string Tenant, string SubscriptionId, string TriggerReason, string Registrations, int Attempts, DateTimeOffset Due)
{
    /// <summary>Increases with every notification appended; set by the store.</summary>
    public long Sequence { get; init; }
}

/// <summary>A context source registration subscription as the store keeps it.</summary>
public sealed record StoredCsourceSubscription(string Tenant, string Id, string Document, DateTimeOffset CreatedAt)
{
    /// <summary>Increases with every change of the subscription; set by the store.</summary>
    public long Revision { get; init; }

    public DeliveryStatus Status { get; init; } = DeliveryStatus.None;
}
