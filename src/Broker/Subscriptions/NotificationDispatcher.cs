using Broker.Storage;
using Broker.Subscriptions.Delivery;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Ontology.JsonLd;
using Ontology.Model;

namespace Broker.Subscriptions;

/// <summary>
/// Turns committed changes into notifications (clause 5.8.6). While this node holds the dispatch lease (always with the
/// embedded store; one node at a time with PostgreSQL), it reads the change feed after its saved position, matches each
/// change against the subscriptions the index proposes and hands the notifications owed to the subscriptions' delivery
/// lanes. Every few hundred milliseconds it saves the position together with what the lanes still owe of the changes up
/// to it (the outbox), so nothing matched is lost: after a crash the changes after the saved position are matched again
/// (and may be notified twice). It also sends the periodic notifications and compacts the change records no one needs.
/// </summary>
public sealed partial class NotificationDispatcher(
    IEntityStore entities,
    IChangeFeed feed,
    ISubscriptionStore subscriptions,
    IEnumerable<INotificationSender> senders,
    IEnumerable<IChangeFeedConsumer> otherConsumers,
    ContextResolver resolver,
    NotificationOptions options,
    TimeProvider clock,
    ILogger<NotificationDispatcher> logger) : BackgroundService
{
    /// <summary>The name under which the dispatcher keeps its feed position.</summary>
    public const string Consumer = "notifications";

    private const int PageSize = 512;

    /// <summary>The shortest wait for more changes while a save is due or being written.</summary>
    private static readonly TimeSpan MinimumWait = TimeSpan.FromMilliseconds(5);

    private readonly INotificationSender[] _senders = [.. senders];
    private volatile Leadership? _leadership;

    /// <summary>The state of a term of leadership: gone when the lease is.</summary>
    private sealed class Leadership(DeliveryServices services, CancellationToken lost)
    {
        public Lock Lock { get; } = new();

        public SubscriptionIndex Index { get; } = new();

        public Dictionary<(string Tenant, string Id), DeliveryLane> Lanes { get; } = [];

        public Dictionary<(string Tenant, string Id), DateTimeOffset> NextPeriodic { get; } = [];

        public DeliveryServices Services { get; } = services;

        public CancellationToken Lost { get; } = lost;

        public long Revision { get; set; }

        /// <summary>Subscriptions this node deleted, and when: a refresh that read one before its deletion was stored does not bring it back.</summary>
        public Dictionary<(string Tenant, string Id), DateTimeOffset> Removed { get; } = [];

        public TaskCompletionSource SubscriptionsChanged { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>True while this node matches and delivers.</summary>
    public bool Leading => _leadership is not null;

    /// <summary>A subscription created or changed on this node: matched from now on (before the request is answered).</summary>
    public void Apply(Subscription subscription, DeliveryStatus status)
    {
        if (_leadership is not { } leadership)
            return;
        lock (leadership.Lock)
            Put(leadership, subscription, status);
    }

    /// <summary>A subscription deleted on this node: nothing more is matched or delivered for it.</summary>
    public void Remove(string tenant, string id)
    {
        if (_leadership is not { } leadership)
            return;
        lock (leadership.Lock)
        {
            Drop(leadership, tenant, id);
            var now = clock.GetUtcNow();
            leadership.Removed[(tenant, id)] = now;
            foreach (var (key, at) in leadership.Removed)
            {
                if (now - at > TimeSpan.FromMinutes(1))
                    leadership.Removed.Remove(key);
            }
        }
    }

    /// <summary>The delivery status this node has of the subscription, fresher than the stored one; null when it does not lead.</summary>
    public DeliveryStatus? LiveStatus(string tenant, string id)
    {
        if (_leadership is not { } leadership)
            return null;
        lock (leadership.Lock)
            return leadership.Lanes.TryGetValue((tenant, id), out var lane) ? lane.Status : null;
    }

    /// <summary>
    /// Before the broker accepts requests: a dispatcher that never ran starts from the feed's head as it is now, so that
    /// every change the broker acknowledges is after its position, however late it takes the lead.
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await InitializePositionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // The store does not answer now; the first term of leadership tries again.
            LogDispatchFailed(logger, e);
        }
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task InitializePositionAsync(CancellationToken cancellationToken)
    {
        if (await subscriptions.ReadPositionAsync(Consumer, cancellationToken).ConfigureAwait(false) is null)
            await subscriptions.InitializePositionAsync(Consumer, await feed.HeadAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            IDispatchLease? lease = null;
            try
            {
                lease = await subscriptions.TryLeadAsync(stoppingToken).ConfigureAwait(false);
                if (lease is null)
                {
                    await Task.Delay(TimeSpan.FromSeconds(2), clock, stoppingToken).ConfigureAwait(false);
                    continue;
                }
                using var term = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, lease.Lost);
                await LeadAsync(term.Token, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogDispatchFailed(logger, e);
                await Task.Delay(TimeSpan.FromSeconds(1), clock, CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                if (lease is not null)
                    await lease.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <param name="term">Ends with the term: at shutdown (<paramref name="stopping"/>) or when the lease is lost.</param>
    private async Task LeadAsync(CancellationToken term, CancellationToken stopping)
    {
        var services = new DeliveryServices(options, clock, logger, subscriptions, feed, _senders, resolver, entities);
        var leadership = new Leadership(services, term);
        ChangeFeedPosition? position = null;
        var unsaved = new Dictionary<DeliveryLane, List<LaneItem>>(ReferenceEqualityComparer.Instance);
        try
        {
            await LoadAsync(leadership, term).ConfigureAwait(false);
            _leadership = leadership;
            LogLeading(logger, leadership.Index.Count);
            await InitializePositionAsync(term).ConfigureAwait(false);
            position = await subscriptions.ReadPositionAsync(Consumer, term).ConfigureAwait(false)
                ?? throw new InvalidOperationException("The dispatcher's feed position could not be saved.");
            var saved = position.Value;
            var saving = (Task: Task.CompletedTask, Position: saved);
            var nextSave = clock.GetUtcNow() + options.PollInterval;
            var nextCompaction = clock.GetUtcNow() + options.CompactionInterval;
            var nextRefresh = clock.GetUtcNow();
            while (!term.IsCancellationRequested)
            {
                var page = await feed.ReadAsync("notifications", position.Value, PageSize, term).ConfigureAwait(false);
                // After the page was read: every subscription another node committed before one of its changes is
                // loaded now. This node's own changes to subscriptions reach the index directly (Apply, Remove).
                if (subscriptions.SharedByNodes && page.Changes.Count > 0 || clock.GetUtcNow() >= nextRefresh)
                {
                    await RefreshAsync(leadership, term).ConfigureAwait(false);
                    nextRefresh = clock.GetUtcNow() + options.PollInterval;
                }
                var now = clock.GetUtcNow();
                await DeliverAsync(leadership, Match(leadership, page.Changes, now), unsaved, term).ConfigureAwait(false);
                position = page.Next;
                if (saving.Task.IsCompleted)
                {
                    // The loop went on while the last save was written; compaction uses only a position whose save completed.
                    await saving.Task.ConfigureAwait(false);
                    saved = saving.Position;
                    if (now >= nextSave && (unsaved.Count > 0 || position != saved))
                    {
                        // Written behind: what the lanes still owe of the changes up to the position, with the position.
                        saving = (services.SaveAsync([.. unsaved.Select(u => (u.Key, u.Value))], position), position.Value);
                        unsaved = new Dictionary<DeliveryLane, List<LaneItem>>(ReferenceEqualityComparer.Instance);
                        nextSave = now + options.PollInterval;
                    }
                }
                await SendPeriodicAsync(leadership, now, term).ConfigureAwait(false);
                if (now >= nextCompaction)
                {
                    nextCompaction = now + options.CompactionInterval;
                    await CompactAsync(leadership, saved, now, term).ConfigureAwait(false);
                }
                if (page.Changes.Count < PageSize)
                {
                    var changed = leadership.SubscriptionsChanged.Task;
                    var wait = unsaved.Count > 0 || position != saved
                        ? TimeSpan.FromTicks(Math.Clamp((nextSave - now).Ticks, MinimumWait.Ticks, options.PollInterval.Ticks))
                        : options.PollInterval;
                    await Task.WhenAny(feed.WaitAsync(position.Value, wait, term), changed).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _leadership = null;
            if (position is { } last && stopping.IsCancellationRequested)
            {
                // At shutdown, with the lease still held, the term saves what it can, so that the next leader notifies
                // fewer changes twice; if the store fails now, the last save that completed holds.
                try
                {
                    await services.SaveAsync([.. unsaved.Select(u => (u.Key, u.Value))], last).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogDispatchFailed(logger, e);
                }
            }
            lock (leadership.Lock)
            {
                foreach (var lane in leadership.Lanes.Values)
                    lane.Stop();
            }
            await services.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Every subscription, and the lanes of those with notifications waiting in the outbox.</summary>
    private async Task LoadAsync(Leadership leadership, CancellationToken term)
    {
        await RefreshAsync(leadership, term).ConfigureAwait(false);
        foreach (var pending in await subscriptions.SummarizeOutboxAsync(term).ConfigureAwait(false))
        {
            lock (leadership.Lock)
            {
                if (leadership.Lanes.TryGetValue((pending.Tenant, pending.SubscriptionId), out var lane))
                    lane.Spilled(0, stored: pending.Count);
            }
        }
    }

    /// <summary>Applies subscriptions created, changed or deleted since the last look (by any node).</summary>
    private async Task RefreshAsync(Leadership leadership, CancellationToken term)
    {
        var changed = await subscriptions.ChangedSinceAsync(leadership.Revision, term).ConfigureAwait(false);
        if (changed.Count == 0)
            return;
        lock (leadership.Lock)
        {
            foreach (var stored in changed)
            {
                leadership.Revision = Math.Max(leadership.Revision, stored.Revision);
                if (stored.Deleted)
                {
                    Drop(leadership, stored.Tenant, stored.Id);
                    continue;
                }
                Subscription subscription;
                try
                {
                    subscription = SubscriptionDocument.Read(stored);
                }
                catch (Exception e) when (e is Problems.NgsiLdException or System.Text.Json.JsonException or FormatException or InvalidOperationException)
                {
                    LogUnreadable(logger, e, stored.Id);
                    continue;
                }
                if (leadership.Removed.TryGetValue((stored.Tenant, stored.Id), out var removedAt) && subscription.ModifiedAt <= removedAt)
                    continue;
                Put(leadership, subscription, stored.Status);
            }
        }
    }

    private void Put(Leadership leadership, Subscription subscription, DeliveryStatus status)
    {
        var key = (subscription.Tenant, subscription.Id);
        var existing = leadership.Index.Find(subscription.Tenant, subscription.Id);
        if (existing is not null && existing.ModifiedAt > subscription.ModifiedAt)
            return;
        leadership.Index.Put(subscription);
        if (leadership.Lanes.TryGetValue(key, out var lane))
            lane.Update(subscription);
        else
            leadership.Lanes[key] = new DeliveryLane(subscription, status, leadership.Services, leadership.Lost);
        if (subscription.TimeInterval is { } interval)
        {
            if (existing?.TimeInterval != interval || !leadership.NextPeriodic.ContainsKey(key))
                leadership.NextPeriodic[key] = Later(subscription.ActiveSince, clock.GetUtcNow(), interval);
        }
        else
        {
            leadership.NextPeriodic.Remove(key);
        }
        leadership.SubscriptionsChanged.TrySetResult();
        leadership.SubscriptionsChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>The first periodic notification is due one interval after the subscription became active (not at once).</summary>
    private static DateTimeOffset Later(DateTimeOffset activeSince, DateTimeOffset now, double interval)
    {
        var step = TimeSpan.FromSeconds(interval);
        var next = activeSince + step;
        return next > now ? next : now + step;
    }

    private static void Drop(Leadership leadership, string tenant, string id)
    {
        leadership.Index.Remove(tenant, id);
        leadership.NextPeriodic.Remove((tenant, id));
        if (leadership.Lanes.Remove((tenant, id), out var lane))
            lane.Discard();
    }

    /// <summary>The notifications the changes owe, each with its outbox entry and its reason.</summary>
    private static List<LaneItem> Match(Leadership leadership, IReadOnlyList<FeedChange> changes, DateTimeOffset now)
    {
        var owed = new List<LaneItem>();
        if (changes.Count == 0)
            return owed;
        var candidates = new HashSet<Subscription>(ReferenceEqualityComparer.Instance);
        lock (leadership.Lock)
        {
            foreach (var change in changes)
            {
                var analysis = new ChangeAnalysis(change);
                if (analysis.Subject is not { } subject)
                    continue;
                candidates.Clear();
                leadership.Index.Candidates(change.Tenant, subject, analysis.Touched, candidates);
                foreach (var subscription in candidates)
                {
                    var fired = ChangeMatcher.Match(subscription, analysis, now);
                    if (fired == NotificationTriggers.None)
                        continue;
                    owed.Add(new LaneItem
                    {
                        Entry = new OutboxEntry(change.Tenant, subscription.Id, change.Sequence, change.Change.EntityId, 0, now),
                        Change = new NotifiedChange(analysis, fired),
                    });
                }
            }
        }
        return owed;
    }

    /// <summary>
    /// Hands the notifications to their lanes. What a lane has no room for is written to the outbox first; the rest is
    /// remembered until the next save, which writes what is still undelivered then.
    /// </summary>
    private static async Task DeliverAsync(Leadership leadership, List<LaneItem> owed, Dictionary<DeliveryLane, List<LaneItem>> unsaved, CancellationToken term)
    {
        if (owed.Count == 0)
            return;
        var rejected = new List<(DeliveryLane Lane, List<LaneItem> Items)>();
        lock (leadership.Lock)
        {
            foreach (var group in owed.GroupBy(item => (item.Entry!.Tenant, item.Entry.SubscriptionId)))
            {
                if (!leadership.Lanes.TryGetValue(group.Key, out var lane))
                    continue;
                List<LaneItem> items = [.. group];
                var overflow = lane.Reserve(items);
                if (overflow.Count > 0)
                    rejected.Add((lane, overflow));
                if (!unsaved.TryGetValue(lane, out var pending))
                    unsaved[lane] = pending = [];
                pending.AddRange(items.Count == overflow.Count ? [] : items.Except(overflow));
            }
        }
        if (rejected.Count == 0)
            return;
        await leadership.Services.SaveAsync(rejected, null).WaitAsync(term).ConfigureAwait(false);
        foreach (var (lane, items) in rejected)
            lane.Spilled(items.Count);
    }

    /// <summary>Periodic subscriptions (timeInterval) that are due get the current state of the entities they select, if any.</summary>
    private async Task SendPeriodicAsync(Leadership leadership, DateTimeOffset now, CancellationToken term)
    {
        List<(DeliveryLane Lane, Subscription Subscription)> due = [];
        lock (leadership.Lock)
        {
            foreach (var (key, next) in leadership.NextPeriodic)
            {
                if (next > now || !leadership.Lanes.TryGetValue(key, out var lane))
                    continue;
                due.Add((lane, lane.Subscription));
            }
            foreach (var (lane, subscription) in due)
                leadership.NextPeriodic[(subscription.Tenant, subscription.Id)] = now + TimeSpan.FromSeconds(subscription.TimeInterval!.Value);
        }
        foreach (var (lane, subscription) in due)
        {
            if (subscription.StatusAt(now) != "active")
                continue;
            var selected = await SelectAsync(subscription, term).ConfigureAwait(false);
            if (selected.Count > 0)
                lane.EnqueueSnapshot(selected);
        }
    }

    /// <summary>The entities a periodic subscription selects: every entity selector, with q, scopeQ and geoQ, by the store's query.</summary>
    private async Task<List<Entity>> SelectAsync(Subscription subscription, CancellationToken term)
    {
        var found = new Dictionary<string, Entity>(StringComparer.Ordinal);
        foreach (var selector in subscription.Entities ?? [])
        {
            var query = subscription.Filter with
            {
                Ids = selector.Id is { } id ? [id] : null,
                IdPattern = selector.Id is null ? selector.IdPattern : null,
                Types = selector.Type,
                Limit = options.MaxEntitiesPerNotification,
            };
            var page = await entities.QueryAsync(subscription.Tenant, query, term).ConfigureAwait(false);
            foreach (var entity in page.Entities)
                found.TryAdd(entity.Id, entity);
        }
        return [.. found.Values.Take(options.MaxEntitiesPerNotification)];
    }

    /// <summary>Deletes change records that every consumer (this one and the others, the temporal history) has read and no pending notification needs.</summary>
    private async Task CompactAsync(Leadership leadership, ChangeFeedPosition saved, DateTimeOffset now, CancellationToken term)
    {
        long? lowest = null;
        lock (leadership.Lock)
        {
            foreach (var lane in leadership.Lanes.Values)
            {
                if (lane.LowestPendingSequence is { } sequence && (lowest is null || sequence < lowest))
                    lowest = sequence;
            }
        }
        try
        {
            var consumed = saved;
            foreach (var consumer in otherConsumers)
                consumed = ChangeFeedPosition.Earlier(consumed, await consumer.ConsumedAsync(term).ConfigureAwait(false));
            var deleted = await feed.CompactAsync(consumed, lowest, now - options.ChangeRetention, term).ConfigureAwait(false);
            if (deleted > 0)
                LogCompacted(logger, deleted);
        }
        catch (StoreUnavailableException e)
        {
            LogDispatchFailed(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "This node matches changes and delivers notifications ({Count} subscriptions)")]
    private static partial void LogLeading(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "The notification dispatcher stopped on an error; it starts again")]
    private static partial void LogDispatchFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "The stored subscription {SubscriptionId} cannot be read; it is left out")]
    private static partial void LogUnreadable(ILogger logger, Exception exception, string subscriptionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Compacted {Count} change records")]
    private static partial void LogCompacted(ILogger logger, int count);
}
