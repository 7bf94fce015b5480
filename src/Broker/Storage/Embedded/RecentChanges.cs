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
    private readonly Queue<FeedChange> _changes = new();
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
            foreach (var change in committed)
                _changes.Enqueue(change);
            while (_changes.Count > capacity)
                _changes.Dequeue();
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
            while (_changes.Count > 0 && _changes.Peek().Sequence <= everyoneRead)
                _changes.Dequeue();
            if (afterSequence >= LastSequence)
                return true;
            if (_changes.Count == 0 || _changes.Peek().Sequence > afterSequence + 1)
                return false;
            foreach (var change in _changes)
            {
                if (change.Sequence <= afterSequence)
                    continue;
                if (into.Count == max)
                    break;
                into.Add(change);
            }
            return true;
        }
    }

    /// <summary>Completes when a change after <paramref name="afterSequence"/> is committed.</summary>
    public Task WaitAsync(long afterSequence)
    {
        lock (_lock)
            return LastSequence > afterSequence ? Task.CompletedTask : _appended.Task;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
