namespace Broker.Storage.Embedded;

/// <summary>
/// The newest committed changes with the entities they hold, so that consumers that keep up (notifications, the
/// history) read the feed without reading SQLite or parsing a document again. The writer appends after each commit, in
/// sequence order, with no gaps within a process; what every consumer has read is dropped. Bounded: when a consumer
/// does not read, the oldest entries go, and a consumer that falls behind reads them from SQLite.
/// </summary>
internal sealed class RecentChanges(int capacity)
{
    private readonly Lock _lock = new();
    /// <summary>The changes kept, in sequence order, from <see cref="_head"/> on (what is before it is dropped).</summary>
    private readonly List<FeedChange> _changes = [];
    private int _head;
    private readonly Dictionary<string, long> _readUpTo = new(StringComparer.Ordinal);
    private TaskCompletionSource _appended = NewSignal();

    /// <summary>The sequence number of the newest change committed (0 before any).</summary>
    public long LastSequence { get; private set; }

    public void Start(long lastSequence)
    {
        lock (_lock)
            LastSequence = lastSequence;
    }

    public void Append(List<FeedChange> committed)
    {
        if (committed.Count == 0)
            return;
        TaskCompletionSource signal;
        lock (_lock)
        {
            _changes.AddRange(committed);
            DropBefore(Math.Max(_head, _changes.Count - capacity));
            LastSequence = committed[^1].Sequence;
            signal = _appended;
            _appended = NewSignal();
        }
        signal.TrySetResult();
    }

    /// <summary>
    /// The changes after <paramref name="afterSequence"/>, when the queue holds all of them (true); false when some are
    /// older than the queue and must be read from SQLite. Drops what every consumer has read.
    /// </summary>
    public bool TryRead(string consumer, long afterSequence, int max, List<FeedChange> into)
    {
        lock (_lock)
        {
            _readUpTo[consumer] = afterSequence;
            var everyoneRead = _readUpTo.Values.Min();
            DropBefore(FirstAfter(everyoneRead));
            if (afterSequence >= LastSequence)
                return true;
            if (_head == _changes.Count || _changes[_head].Sequence > afterSequence + 1)
                return false;
            for (var i = FirstAfter(afterSequence); i < _changes.Count && into.Count < max; i++)
                into.Add(_changes[i]);
            return true;
        }
    }

    private void DropBefore(int index)
    {
        _head = index;
        if (_head > 1024 && _head * 2 > _changes.Count)
        {
            _changes.RemoveRange(0, _head);
            _head = 0;
        }
    }

    /// <summary>The index of the first change kept with a sequence number after <paramref name="sequence"/> (binary search: the list is in sequence order).</summary>
    private int FirstAfter(long sequence)
    {
        int low = _head, high = _changes.Count;
        while (low < high)
        {
            var middle = low + (high - low) / 2;
            if (_changes[middle].Sequence <= sequence)
                low = middle + 1;
            else
                high = middle;
        }
        return low;
    }

    /// <summary>Completes when a change after <paramref name="afterSequence"/> is committed.</summary>
    public Task WaitAsync(long afterSequence)
    {
        lock (_lock)
            return LastSequence > afterSequence ? Task.CompletedTask : _appended.Task;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
