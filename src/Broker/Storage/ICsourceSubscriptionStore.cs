namespace Broker.Storage;

/// <summary>
/// Where context source registration subscriptions (clause 5.11) are kept, per tenant, durably, as documents (the
/// subscription document of clause 5.8, <see cref="Subscriptions.SubscriptionDocument"/>). Updates check a revision.
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

    /// <summary>Deletes the subscription; false when there is none.</summary>
    ValueTask<bool> DeleteAsync(string tenant, string id, CancellationToken cancellationToken);
}

/// <summary>A context source registration subscription as the store keeps it.</summary>
public sealed record StoredCsourceSubscription(string Tenant, string Id, string Document, DateTimeOffset CreatedAt)
{
    /// <summary>Increases with every change of the subscription; set by the store.</summary>
    public long Revision { get; init; }
}
