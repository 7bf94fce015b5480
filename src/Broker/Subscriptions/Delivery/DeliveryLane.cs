using Broker.Storage;
using Microsoft.Extensions.Logging;
using Ontology.JsonLd;
using Ontology.Model;

namespace Broker.Subscriptions.Delivery;

/// <summary>One notification owed by a lane: an outbox entry (with its change, once read) or a periodic snapshot.</summary>
internal sealed class LaneItem
{
    public OutboxEntry? Entry { get; set; }

    public NotifiedChange? Change { get; set; }

    /// <summary>The entities of a periodic notification (not in the outbox: a missed one is superseded by the next).</summary>
    public IReadOnlyList<Entity>? Snapshot { get; init; }

    public DateTimeOffset Due => Entry?.Due ?? DateTimeOffset.MinValue;

    public string EntityId => Entry?.EntityId ?? "";

    /// <summary>In the outbox (read from it, or written there by a save); guarded by its lane's lock.</summary>
    public bool Persisted { get; set; }

    /// <summary>Delivered or given up: a save leaves it out; guarded by its lane's lock.</summary>
    public bool Done { get; set; }
}

/// <summary>
/// The notifications of one subscription, delivered one notification at a time, in the order of the changes, so that
/// notifications of one entity never overtake each other. A lane waits for its throttling window, for the backoff after
/// a failure and for its endpoint's turn; lanes never wait for each other, so a slow endpoint delays only its own
/// subscriptions. At most <see cref="NotificationOptions.QueueCapacity"/> entries are held in memory (64 while the
/// endpoint fails); the others wait in the outbox, from which the lane reads them back as it drains.
/// </summary>
/// <remarks>
/// The outbox is written behind: what a lane holds in memory reaches the outbox only if it is still there at the
/// dispatcher's next save, which also saves the feed position (a change at or before a saved position is delivered or in
/// the outbox). What the lane cannot hold is written to the outbox before the lane counts it (<see cref="Reserve"/>).
/// </remarks>
internal sealed partial class DeliveryLane
{
    private const int FailingCapacity = 64;

    private readonly DeliveryServices _services;
    private readonly Lock _lock = new();
    private readonly Queue<LaneItem> _queue = new();
    private readonly CancellationTokenSource _stopped;
    private List<LaneItem>? _retry;
    private LaneItem? _snapshot;
    private bool _running;
    private bool _discarded;
    private long _spilled;
    private int _spilling;
    private long _lastQueuedSequence;
    private DateTimeOffset _lastNotification = DateTimeOffset.MinValue;
    private DateTimeOffset _retryAt = DateTimeOffset.MinValue;
    private (Subscription Definition, JsonLdContext Context)? _context;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DeliveryLane(Subscription subscription, DeliveryStatus status, DeliveryServices services, CancellationToken leadership)
    {
        Subscription = subscription;
        Status = status;
        _services = services;
        _stopped = CancellationTokenSource.CreateLinkedTokenSource(leadership);
    }

    public Subscription Subscription { get; private set; }

    /// <summary>The subscription's delivery status as this node knows it now (the stored status plus what it delivered since).</summary>
    public DeliveryStatus Status { get; private set; }

    /// <summary>The lowest change sequence this lane still has to deliver (it is in the outbox), or null.</summary>
    public long? LowestPendingSequence
    {
        get
        {
            lock (_lock)
            {
                long? lowest = null;
                foreach (var item in (IEnumerable<LaneItem>?)_retry ?? [])
                    lowest = Min(lowest, item.Entry?.Sequence);
                foreach (var item in _queue)
                    lowest = Min(lowest, item.Entry?.Sequence);
                return lowest ?? (_spilled > 0 ? _lastQueuedSequence : null);
            }
        }
    }

    private static long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);

    public void Update(Subscription subscription)
    {
        lock (_lock)
        {
            Subscription = subscription;
            _context = null;
        }
        Wake();
    }

    /// <summary>The term of leadership ended: the lane delivers nothing more, but a last save still writes what it owes to the outbox.</summary>
    public void Stop() => _stopped.Cancel();

    /// <summary>The subscription is gone: the lane delivers nothing more and owes nothing.</summary>
    public void Discard()
    {
        lock (_lock)
            _discarded = true;
        _stopped.Cancel();
    }

    /// <summary>
    /// Takes the notifications the lane has room for (in order, none while older ones wait in the outbox) and returns the
    /// others, which the caller must write to the outbox and then hand back with <see cref="Spilled"/>.
    /// </summary>
    public List<LaneItem> Reserve(IReadOnlyList<LaneItem> items)
    {
        var rejected = new List<LaneItem>();
        lock (_lock)
        {
            var capacity = _retry is null ? _services.Options.QueueCapacity : Math.Min(FailingCapacity, _services.Options.QueueCapacity);
            foreach (var item in items)
            {
                if (_spilled > 0 || _spilling > 0 || rejected.Count > 0 || _queue.Count >= capacity)
                {
                    rejected.Add(item);
                    continue;
                }
                _queue.Enqueue(item);
                _lastQueuedSequence = Math.Max(_lastQueuedSequence, item.Entry?.Sequence ?? 0);
            }
            _spilling += rejected.Count;
            StartIfIdle();
        }
        Wake();
        return rejected;
    }

    /// <summary>Notifications that wait in the outbox for the lane: rejected by <see cref="Reserve"/> and now written, or a new leader's.</summary>
    public void Spilled(int written, long stored = 0)
    {
        lock (_lock)
        {
            _spilling -= written;
            _spilled += written + stored;
            StartIfIdle();
        }
        Wake();
    }

    /// <summary>Of these items, marks those not yet delivered as written to the outbox and returns their entries (a save writes them).</summary>
    public List<OutboxEntry> ClaimForOutbox(List<LaneItem> items)
    {
        var entries = new List<OutboxEntry>(items.Count);
        lock (_lock)
        {
            if (_discarded)
                return entries;
            foreach (var item in items)
            {
                if (item.Done || item.Persisted || item.Entry is not { } entry)
                    continue;
                item.Persisted = true;
                entries.Add(entry);
            }
        }
        return entries;
    }

    /// <summary>A periodic notification; replaces one not yet sent.</summary>
    public void EnqueueSnapshot(IReadOnlyList<Entity> entities)
    {
        lock (_lock)
        {
            _snapshot = new LaneItem { Snapshot = entities };
            StartIfIdle();
        }
        Wake();
    }

    private void StartIfIdle()
    {
        if (_running || _stopped.IsCancellationRequested)
            return;
        _running = true;
        _ = Task.Run(RunAsync);
    }

    private void Wake() => Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private async Task RunAsync()
    {
        var token = _stopped.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                if (await NextAsync(token).ConfigureAwait(false))
                    continue;
                lock (_lock)
                {
                    if (_retry is null && _snapshot is null && _queue.Count == 0 && _spilled == 0)
                    {
                        _running = false;
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            LogLaneFailed(_services.Logger, e, Subscription.Id);
            lock (_lock)
                _running = false;
            await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None).ConfigureAwait(false);
            lock (_lock)
                StartIfIdle();
            return;
        }
        lock (_lock)
            _running = false;
    }

    /// <summary>Delivers the next notification, or waits for its time; false when nothing is left.</summary>
    private async Task<bool> NextAsync(CancellationToken token)
    {
        Subscription subscription;
        long spilledSeen;
        DateTimeOffset due;
        bool queued;
        lock (_lock)
        {
            subscription = Subscription;
            spilledSeen = _spilled;
            queued = _retry is not null || _snapshot is not null || _queue.Count > 0;
            if (!queued && _spilled == 0)
                return false;
            due = queued ? DueLocked(subscription) : DateTimeOffset.MinValue;
        }
        if (!queued)
        {
            if (await RefillAsync(spilledSeen, token).ConfigureAwait(false))
                return true;
            lock (_lock)
            {
                if (_spilled != spilledSeen || _queue.Count > 0 || _snapshot is not null)
                    return true;
                _spilled = 0;
                return false;
            }
        }
        var wait = due - _services.Clock.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            var changed = Volatile.Read(ref _changed).Task;
            await Task.WhenAny(Task.Delay(wait, _services.Clock, token), changed).ConfigureAwait(false);
            token.ThrowIfCancellationRequested();
            return true;
        }
        await DeliverAsync(subscription, TakeBatch(subscription), token).ConfigureAwait(false);
        return true;
    }

    /// <summary>When the next notification may go: a retry after its backoff; queued changes once due and past the throttling window.</summary>
    private DateTimeOffset DueLocked(Subscription subscription)
    {
        if (_retry is not null)
            return _retryAt;
        if (_snapshot is not null)
            return DateTimeOffset.MinValue;
        var due = _queue.Peek().Due;
        if (subscription.Throttling is { } throttling && _lastNotification + TimeSpan.FromSeconds(throttling) > due)
            due = _lastNotification + TimeSpan.FromSeconds(throttling);
        return due;
    }

    /// <summary>
    /// The next notification's items: a retry as it was; a periodic snapshot; or consecutive queued changes, each entity
    /// once (a second change of an entity waits for the next notification). With throttling, whatever queued during the
    /// window goes in one notification, which shows each entity's latest change.
    /// </summary>
    private List<LaneItem> TakeBatch(Subscription subscription)
    {
        lock (_lock)
        {
            if (_retry is { } retry)
            {
                _retry = null;
                return retry;
            }
            if (_snapshot is { } snapshot)
            {
                _snapshot = null;
                return [snapshot];
            }
            var max = _services.Options.MaxEntitiesPerNotification;
            var coalesce = subscription.Throttling is not null;
            var batch = new List<LaneItem>();
            var entities = new HashSet<string>(StringComparer.Ordinal);
            while (_queue.TryPeek(out var next))
            {
                if (!entities.Add(next.EntityId))
                {
                    if (!coalesce)
                        break;
                }
                else if (entities.Count > max)
                {
                    break;
                }
                batch.Add(_queue.Dequeue());
            }
            return batch;
        }
    }

    private async Task<bool> RefillAsync(long spilledSeen, CancellationToken token)
    {
        if (spilledSeen == 0)
            return false;
        var subscription = Subscription;
        long after;
        lock (_lock)
            after = _lastQueuedSequence;
        var entries = await _services.Subscriptions.ReadOutboxAsync(subscription.Tenant, subscription.Id, after, _services.Options.QueueCapacity, token).ConfigureAwait(false);
        if (entries.Count == 0)
            return false;
        lock (_lock)
        {
            foreach (var entry in entries)
            {
                _queue.Enqueue(new LaneItem { Entry = entry, Persisted = true });
                _lastQueuedSequence = Math.Max(_lastQueuedSequence, entry.Sequence);
            }
            _spilled = Math.Max(0, _spilled - entries.Count);
        }
        return true;
    }

    private async Task DeliverAsync(Subscription subscription, List<LaneItem> batch, CancellationToken token)
    {
        var now = _services.Clock.GetUtcNow();
        var outboxItems = batch.FindAll(item => item.Entry is not null);
        if (subscription.StatusAt(now) != "active")
        {
            // Paused or expired: nothing matched earlier is delivered any more.
            Report(subscription, outboxItems, [], DeliveryStatus.None);
            return;
        }
        await LoadChangesAsync(subscription, outboxItems, token).ConfigureAwait(false);
        var changes = new List<NotifiedChange>();
        var latest = new Dictionary<string, NotifiedChange>(StringComparer.Ordinal);
        foreach (var item in outboxItems)
        {
            if (item.Change is { } change)
                latest[item.EntityId] = change;
        }
        foreach (var item in outboxItems)
        {
            if (item.Change is { } change && ReferenceEquals(latest[item.EntityId], change))
                changes.Add(change);
        }
        var snapshot = batch.Find(item => item.Snapshot is not null)?.Snapshot ?? [];
        if (changes.Count == 0 && snapshot.Count == 0)
        {
            Report(subscription, outboxItems, [], DeliveryStatus.None);
            return;
        }

        var endpoint = subscription.Notification.Endpoint;
        var sender = _services.SenderFor(endpoint.Uri);
        DeliveryAttempt attempt;
        if (sender is null)
        {
            attempt = DeliveryAttempt.Failed($"no binding sends to '{endpoint.Uri.Scheme}' endpoints");
        }
        else
        {
            var context = await ContextAsync(subscription, token).ConfigureAwait(false);
            var links = await NotificationRenderer.LinksAsync(subscription, _services.Entities, changes, snapshot, token).ConfigureAwait(false);
            var body = NotificationRenderer.Render(subscription, context, changes, snapshot, now, links);
            var timeout = endpoint.TimeoutMilliseconds is { } ms
                ? TimeSpan.FromMilliseconds(Math.Min(ms, _services.Options.MaxTimeout.TotalMilliseconds))
                : _services.Options.Timeout;
            var message = new NotificationMessage(endpoint.Uri, endpoint.MediaType, body, NotificationRenderer.Headers(subscription), endpoint.NotifierInfo, timeout);
            using (await _services.EnterEndpointAsync(endpoint.Uri, token).ConfigureAwait(false))
                attempt = await sender.SendAsync(message, token).ConfigureAwait(false);
        }

        var sentAt = _services.Clock.GetUtcNow();
        _lastNotification = sentAt;
        if (attempt.Delivered)
        {
            _retryAt = DateTimeOffset.MinValue;
            Report(subscription, outboxItems, [], new DeliveryStatus(1, 0, sentAt, sentAt, null));
            return;
        }
        LogDeliveryFailed(_services.Logger, subscription.Id, endpoint.Uri, attempt.Failure ?? "unknown");
        var failed = new DeliveryStatus(1, 1, sentAt, null, sentAt);
        if (outboxItems.Count == 0)
        {
            Report(subscription, [], [], failed);
            return;
        }
        var attempts = outboxItems.Max(i => i.Entry!.Attempts) + 1;
        var delay = _services.Options.RetryDelay(attempts, endpoint.CooldownMilliseconds);
        var firstDue = outboxItems.Min(i => i.Entry!.Due);
        if (attempts > 1 && sentAt - firstDue > _services.Options.RetryFor)
        {
            LogGivenUp(_services.Logger, subscription.Id, outboxItems.Count, attempts);
            Report(subscription, outboxItems, [], failed);
            return;
        }
        _retryAt = sentAt + delay;
        var rescheduled = new List<OutboxEntry>(outboxItems.Count);
        foreach (var item in outboxItems)
        {
            item.Entry = item.Entry! with { Attempts = attempts };
            rescheduled.Add(item.Entry with { Due = _retryAt });
        }
        lock (_lock)
            _retry = outboxItems;
        Report(subscription, [], rescheduled, failed);
    }

    /// <summary>Reads the changes of entries that came from the outbox (after a restart) and works out again why they match.</summary>
    private async Task LoadChangesAsync(Subscription subscription, List<LaneItem> items, CancellationToken token)
    {
        var missing = items.FindAll(item => item.Change is null);
        if (missing.Count == 0)
            return;
        var changes = await _services.Feed.ReadChangesAsync([.. missing.Select(item => item.Entry!.Sequence)], token).ConfigureAwait(false);
        var bySequence = changes.ToDictionary(c => c.Sequence);
        var now = _services.Clock.GetUtcNow();
        foreach (var item in missing)
        {
            if (!bySequence.TryGetValue(item.Entry!.Sequence, out var change))
                continue;
            var analysis = new ChangeAnalysis(change);
            var fired = ChangeMatcher.Match(subscription with { ActiveSince = DateTimeOffset.MinValue }, analysis, now);
            if (fired != NotificationTriggers.None)
                item.Change = new NotifiedChange(analysis, fired);
        }
    }

    private async Task<JsonLdContext> ContextAsync(Subscription subscription, CancellationToken token)
    {
        if (_context is { } cached && ReferenceEquals(cached.Definition, subscription))
            return cached.Context;
        var context = await _services.ResolveContextAsync(subscription, token).ConfigureAwait(false);
        _context = (subscription, context);
        return context;
    }

    /// <summary>
    /// Records what happened: <paramref name="removed"/> are done (those in the outbox leave it), the outbox copies of
    /// <paramref name="rescheduled"/> get their new attempt count and due time, and the status counts.
    /// </summary>
    private void Report(Subscription subscription, List<LaneItem> removed, List<OutboxEntry> rescheduled, DeliveryStatus status)
    {
        Status = Status.Add(status);
        var sequences = new List<long>(removed.Count);
        lock (_lock)
        {
            foreach (var item in removed)
            {
                item.Done = true;
                if (item.Persisted && item.Entry is { } entry)
                    sequences.Add(entry.Sequence);
            }
            if (rescheduled.Count > 0 && _retry is { } waiting)
            {
                var stored = waiting.Where(i => i.Persisted).Select(i => i.Entry!.Sequence).ToHashSet();
                rescheduled = rescheduled.FindAll(e => stored.Contains(e.Sequence));
            }
        }
        if (sequences.Count > 0 || rescheduled.Count > 0 || status != DeliveryStatus.None)
            _services.Report(new DeliveryReport(subscription.Tenant, subscription.Id, sequences, rescheduled, status));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification of subscription {SubscriptionId} to {Endpoint} failed: {Reason}")]
    private static partial void LogDeliveryFailed(ILogger logger, string subscriptionId, Uri endpoint, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Gave up {Count} notifications of subscription {SubscriptionId} after {Attempts} attempts")]
    private static partial void LogGivenUp(ILogger logger, string subscriptionId, int count, int attempts);

    [LoggerMessage(Level = LogLevel.Error, Message = "The delivery of subscription {SubscriptionId} stopped on an error; it starts again")]
    private static partial void LogLaneFailed(ILogger logger, Exception exception, string subscriptionId);
}
