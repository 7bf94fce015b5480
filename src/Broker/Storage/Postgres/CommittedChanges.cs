namespace Broker.Storage.Postgres;

/// <summary>
/// The changes this node committed lately, so that its feed consumers (the history, the notification dispatcher) take
/// them as written instead of parsing their documents from the feed's rows again. A row is recognised by its tenant,
/// entity, kind and the entity's version after it, which the version check of every write makes unique, and its time
/// (within the microsecond PostgreSQL keeps it to), which tells an entity deleted and created again from the one before;
/// rows written by other nodes are not here and are parsed. Bounded: the oldest go first.
/// </summary>
internal sealed class CommittedChanges(int capacity)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Key, EntityChange> _changes = [];
    private readonly Queue<Key> _order = new();

    private readonly record struct Key(string Tenant, string EntityId, ChangeKind Kind, long Version);

    private static long Microseconds(DateTimeOffset at) => at.UtcTicks / TimeSpan.TicksPerMicrosecond;

    public void Add(string tenant, EntityChange change)
    {
        if (change.After is not { } after)
            return;
        var key = new Key(tenant, change.EntityId, change.Kind, after.Version);
        lock (_lock)
        {
            _changes[key] = change;
            _order.Enqueue(key);
            while (_order.Count > capacity)
                _changes.Remove(_order.Dequeue());
        }
    }

    public EntityChange? Find(string tenant, string entityId, ChangeKind kind, DateTimeOffset at, long version)
    {
        EntityChange? change;
        lock (_lock)
            change = _changes.GetValueOrDefault(new Key(tenant, entityId, kind, version));
        return change is not null && Math.Abs(Microseconds(change.At) - Microseconds(at)) <= 1 ? change : null;
    }
}
