using Ontology.Model;

namespace Broker.Storage;

/// <summary>
/// Collects the matches of a query in any order and keeps only those that can be on the page: the offset + limit
/// least ids (ordinal), in a bounded max-heap, so a broad query costs O(n log k) instead of sorting every match.
/// </summary>
internal sealed class PageCollector
{
    private static readonly Comparison<Entity> ById = static (a, b) => string.CompareOrdinal(a.Id, b.Id);

    private readonly int _offset;
    private readonly int _limit;
    private readonly int _keep;
    private readonly List<Entity> _heap = [];

    public PageCollector(int offset, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        _offset = offset;
        _limit = limit;
        _keep = (int)Math.Min(int.MaxValue, (long)offset + limit);
    }

    /// <summary>Every match added so far (the total count).</summary>
    public int Matches { get; private set; }

    public void Add(Entity entity)
    {
        Matches++;
        if (_keep == 0)
            return;
        if (_heap.Count < _keep)
        {
            _heap.Add(entity);
            SiftUp(_heap.Count - 1);
            return;
        }
        if (string.CompareOrdinal(entity.Id, _heap[0].Id) >= 0)
            return;
        _heap[0] = entity;
        SiftDown(0);
    }

    /// <summary>The page: the kept matches in id order, after the offset.</summary>
    public List<Entity> ToPage()
    {
        if (_heap.Count <= _offset)
            return [];
        _heap.Sort(ById);
        return _heap.GetRange(_offset, Math.Min(_limit, _heap.Count - _offset));
    }

    private void SiftUp(int i)
    {
        var item = _heap[i];
        while (i > 0)
        {
            var parent = (i - 1) / 2;
            if (string.CompareOrdinal(_heap[parent].Id, item.Id) >= 0)
                break;
            _heap[i] = _heap[parent];
            i = parent;
        }
        _heap[i] = item;
    }

    private void SiftDown(int i)
    {
        var item = _heap[i];
        var count = _heap.Count;
        while (true)
        {
            var child = 2 * i + 1;
            if (child >= count)
                break;
            if (child + 1 < count && string.CompareOrdinal(_heap[child + 1].Id, _heap[child].Id) > 0)
                child++;
            if (string.CompareOrdinal(_heap[child].Id, item.Id) <= 0)
                break;
            _heap[i] = _heap[child];
            i = child;
        }
        _heap[i] = item;
    }
}
