namespace Broker.Storage;

/// <summary>
/// Where context source registrations (clause 5.9) are kept, per tenant, durably. Registrations are documents to the
/// store; what they mean is the registration service's business. Writes check a revision, so that of two concurrent
/// updates of one registration the second fails instead of overwriting the first.
/// </summary>
public interface IRegistrationStore : IAsyncDisposable
{
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Stores a new registration; false when the tenant already has one with its id.</summary>
    ValueTask<bool> InsertAsync(StoredRegistration registration, CancellationToken cancellationToken);

    ValueTask<StoredRegistration?> GetAsync(string tenant, string id, CancellationToken cancellationToken);

    /// <summary>Every registration of the tenant, in id order.</summary>
    ValueTask<IReadOnlyList<StoredRegistration>> ListAsync(string tenant, CancellationToken cancellationToken);

    /// <summary>Replaces the document when the registration still has <paramref name="expectedRevision"/>; false when it changed or is gone.</summary>
    ValueTask<bool> UpdateAsync(string tenant, string id, string document, long expectedRevision, CancellationToken cancellationToken);

    /// <summary>Deletes the registration; false when there is none.</summary>
    ValueTask<bool> DeleteAsync(string tenant, string id, CancellationToken cancellationToken);

    /// <summary>Adds the outcome of distributed operations to the registration's status; nothing when it is gone.</summary>
    ValueTask AddStatusAsync(string tenant, string id, StoredRegistrationStatus delta, CancellationToken cancellationToken);
}

/// <summary>A registration as the store keeps it: its document, the revision of its last change, its status.</summary>
public sealed record StoredRegistration(string Tenant, string Id, string Document)
{
    /// <summary>Increases with every change of the registration; set by the store.</summary>
    public long Revision { get; init; }

    public StoredRegistrationStatus Status { get; init; } = StoredRegistrationStatus.None;
}

/// <summary>The counts and instants of distributed operations sent for a registration (the status members of clause 5.2.9).</summary>
public sealed record StoredRegistrationStatus(long TimesSent, long TimesFailed, DateTimeOffset? LastSuccess, DateTimeOffset? LastFailure)
{
    public static readonly StoredRegistrationStatus None = new(0, 0, null, null);
}
