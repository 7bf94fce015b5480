using Ontology.Model;

namespace Broker.Storage;

/// <summary>
/// The narrow interface every store implements (embedded SQLite, PostgreSQL). Entities are expanded; tenants are
/// names already validated by the API. Entities a store returns are snapshots: callers never mutate them.
/// </summary>
public interface IEntityStore : IAsyncDisposable
{
    /// <summary>Creates or migrates the schema and loads what the store keeps in memory.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>True when the store answers (readiness probe).</summary>
    Task<bool> IsReadyAsync(CancellationToken cancellationToken);

    /// <summary>A tenant exists once something was written to it (clause 4.14). The default tenant always exists.</summary>
    ValueTask<bool> TenantExistsAsync(string tenant, CancellationToken cancellationToken);

    ValueTask<Entity?> GetAsync(string tenant, string id, CancellationToken cancellationToken);

    /// <summary>
    /// The entity a write is about to change. A store may answer from the entities this node last read or wrote
    /// (<see cref="EntityForWrite.Cached"/>), which may be stale: the commit's optimistic check refuses a stale one
    /// (<see cref="CommitOutcome.Conflict"/>, after which the store answers from the database again), and a write that
    /// decides without committing (nothing to change, an error) asks again with <paramref name="fromDatabase"/>.
    /// </summary>
    async ValueTask<EntityForWrite> GetForWriteAsync(string tenant, string id, bool fromDatabase, CancellationToken cancellationToken) =>
        new(await GetAsync(tenant, id, cancellationToken).ConfigureAwait(false), Cached: false);

    /// <summary>The entities among <paramref name="ids"/> that exist, by id: a batch reads them at once.</summary>
    async ValueTask<IReadOnlyDictionary<string, Entity>> GetManyAsync(string tenant, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, Entity>(ids.Count, StringComparer.Ordinal);
        foreach (var id in ids)
        {
            if (await GetAsync(tenant, id, cancellationToken).ConfigureAwait(false) is { } entity)
                found[id] = entity;
        }
        return found;
    }

    /// <summary>Entities matching the query, ordered by id, with the total count when asked.</summary>
    ValueTask<EntityPage> QueryAsync(string tenant, EntityQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Commits the changes in one durable transaction; each change is checked on its own (optimistic concurrency on
    /// <see cref="EntityChange.ExpectedVersion"/>), so one conflict does not block the others. Returns once the store
    /// has made the committed changes durable, with one outcome per change in order.
    /// </summary>
    ValueTask<IReadOnlyList<CommitOutcome>> CommitAsync(string tenant, IReadOnlyList<EntityChange> changes, CancellationToken cancellationToken);

    /// <summary>
    /// Types and attributes (with their kinds) of every entity of the tenant, for type and attribute discovery (clause
    /// 5.7.5–5.7.10); entities of the same shape may be given as one shape with their count.
    /// </summary>
    ValueTask<IReadOnlyList<EntityShape>> GetShapesAsync(string tenant, CancellationToken cancellationToken);
}

public enum ChangeKind
{
    Create,
    Update,
    Delete,
}

/// <summary>
/// The change record of one write: the entity before and after, which attributes changed, and when. The store
/// commits it together with the write; notifications and the temporal history consume it.
/// </summary>
public sealed record EntityChange(ChangeKind Kind, string EntityId, Entity? Before, Entity? After, IReadOnlyList<string> ChangedAttributes, DateTimeOffset At)
{
    /// <summary>The version the entity must still have for the change to apply; null for a create (the entity must not exist).</summary>
    public long? ExpectedVersion => Before?.Version;
}

public enum CommitOutcome
{
    Committed,

    /// <summary>A create found an existing entity.</summary>
    AlreadyExists,

    /// <summary>An update or delete found no entity.</summary>
    NotFound,

    /// <summary>The entity changed since it was read: read again and retry.</summary>
    Conflict,

    /// <summary>The entity, before or after the change, is out of the reach of the client's role (see <see cref="EntityRestriction"/>).</summary>
    Forbidden,
}

/// <summary>The entity a write starts from (null when it does not exist), and whether it came from a node-local cache.</summary>
public readonly record struct EntityForWrite(Entity? Entity, bool Cached);

public sealed record EntityPage(IReadOnlyList<Entity> Entities, long? TotalCount);

/// <summary>The types and attribute instances (name and kind) shared by <paramref name="Count"/> entities.</summary>
public sealed record EntityShape(IReadOnlyList<string> Types, IReadOnlyList<(string Name, AttributeKind Kind)> Attributes, long Count = 1);

/// <summary>The store is not reachable; the API answers 503 and the request can be retried.</summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
