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
/// change against the subscriptions the index proposes, stores the notifications owed in the outbox together with the
/// new position (so a change is matched once, and nothing matched is lost), and hands them to the subscriptions'
/// delivery lanes. It also sends the periodic notifications and compacts the change records no one needs any more.
/// </summary>
public sealed partial class NotificationDispatcher(
    IEntityStore entities,
    IChangeFeed feed,
    ISubscriptionStore subscriptions,
    IEnumerable<INotificationSender> senders,
    ContextResolver resolver,
    NotificationOptions options,
    TimeProvider clock,
    ILogger<NotificationDispatcher> logger) : BackgroundService
{
    /// <summary>The name under which the dispatcher keeps its feed position.</summary>
    public const string Consumer = "notifications";

    private const int PageSize = 512;

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
                await LeadAsync(term.Token).ConfigureAwait(false);
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

    private async Task LeadAsync(CancellationToken term)
    {
        var services = new DeliveryServices(options, clock, logger, subscriptions, feed, _senders, resolver);
        var leadership = new Leadership(services, term);
        try
        {
            await LoadAsync(leadership, term).ConfigureAwait(false);
            _leadership = leadership;
            LogLeading(logger, leadership.Index.Count);
            var position = await subscriptions.ReadPositionAsync(Consumer, term).ConfigureAwait(false) ?? await feed.HeadAsync(term).ConfigureAwait(false);
            var saved = position;
            var lastSave = clock.GetUtcNow();
            var nextCompaction = clock.GetUtcNow() + options.CompactionInterval;
            while (!term.IsCancellationRequested)
            {
                var page = await feed.ReadAsync(position, PageSize, term).ConfigureAwait(false);
                // After the page was read: every subscription committed before one of its changes is loaded now.
                await RefreshAsync(leadership, term).ConfigureAwait(false);
                var now = clock.GetUtcNow();
                var owed = Match(leadership, page.Changes, now);
                if (owed.Count > 0 || (page.Next != saved && now - lastSave > TimeSpan.FromSeconds(1)))
                {
                    await subscriptions.AppendAsync([.. owed.Select(o => o.Entry!)], Consumer, page.Next, term).ConfigureAwait(false);
                    (saved, lastSave) = (page.Next, now);
                }
                Deliver(leadership, owed);
                position = page.Next;
                await SendPeriodicAsync(leadership, now, term).ConfigureAwait(false);
                if (now >= nextCompaction)
                {
                    nextCompaction = now + options.CompactionInterval;
                    await CompactAsync(leadership, saved, now, term).ConfigureAwait(false);
                }
                if (page.Changes.Count < PageSize)
                {
                    var changed = leadership.SubscriptionsChanged.Task;
                    await Task.WhenAny(feed.WaitAsync(position, options.PollInterval, term), changed).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _leadership = null;
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
                    lane.Enqueue([], spilled: pending.Count);
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
            lane.Stop();
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
                leadership.Index.Candidates(change.Tenant, subject, change.Change.ChangedAttributes, candidates);
                if (change.Change.Before is { } before && change.Change.Kind == ChangeKind.Update && !SameTypes(before, subject))
                    leadership.Index.Candidates(change.Tenant, before, [], candidates);
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

    private static bool SameTypes(Entity a, Entity b) => ReferenceEquals(a.Types, b.Types) || a.Types.SequenceEqual(b.Types, StringComparer.Ordinal);

    private static void Deliver(Leadership leadership, List<LaneItem> owed)
    {
        if (owed.Count == 0)
            return;
        lock (leadership.Lock)
        {
            foreach (var group in owed.GroupBy(item => (item.Entry!.Tenant, item.Entry.SubscriptionId)))
            {
                if (leadership.Lanes.TryGetValue(group.Key, out var lane))
                    lane.Enqueue([.. group]);
            }
        }
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

    /// <summary>Deletes change records that every consumer has read and no pending notification needs.</summary>
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
            var deleted = await feed.CompactAsync(saved, lowest, now - options.ChangeRetention, term).ConfigureAwait(false);
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
