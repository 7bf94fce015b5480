using Ontology.Model;

namespace Broker.Storage.Postgres;

/// <summary>
/// The entities this node last read for a write or wrote, with the row version (<c>xmin</c>) they were stored under,
/// so a write need not read the entity it changes. Only the write path uses it, as the entity before the change: the
/// UPDATE's check on version and <c>xmin</c> refuses a stale entry (another node changed, or deleted and created
/// again, the row), and the store evicts the entry on any outcome but a commit. Least recently used entries go first.
/// </summary>
internal sealed class WriteCache(int capacity)
{
    public readonly record struct Entry(Entity Entity, uint RowVersion);

    private sealed record Slot(string Tenant, string Id, Entry Entry);

    private readonly Dictionary<(string Tenant, string Id), LinkedListNode<Slot>> _slots = [];
    private readonly LinkedList<Slot> _recency = [];
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
                return _slots.Count;
        }
    }

    public bool TryGet(string tenant, string id, out Entry entry)
    {
        lock (_lock)
        {
            if (_slots.TryGetValue((tenant, id), out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                entry = node.Value.Entry;
                return true;
            }
        }
        entry = default;
        return false;
    }

    public void Put(string tenant, string id, Entity entity, uint rowVersion)
    {
        if (capacity <= 0)
            return;
        lock (_lock)
        {
            if (_slots.TryGetValue((tenant, id), out var node))
            {
                _recency.Remove(node);
                node.Value = node.Value with { Entry = new Entry(entity, rowVersion) };
                _recency.AddFirst(node);
                return;
            }
            if (_slots.Count >= capacity)
            {
                var oldest = _recency.Last!;
                _recency.RemoveLast();
                _slots.Remove((oldest.Value.Tenant, oldest.Value.Id));
            }
            _slots[(tenant, id)] = _recency.AddFirst(new Slot(tenant, id, new Entry(entity, rowVersion)));
        }
    }

    public void Evict(string tenant, string id)
    {
        lock (_lock)
        {
            if (_slots.Remove((tenant, id), out var node))
                _recency.Remove(node);
        }
    }
}
