using System.Collections.Concurrent;
using System.Threading.Channels;
using Broker.Storage;
using Microsoft.Extensions.Logging;
using Ontology.JsonLd;

namespace Broker.Subscriptions.Delivery;

/// <summary>
/// What the delivery lanes share: the senders, a concurrency limit per endpoint, the @context resolver, and the one writer
/// of the outbox. It takes the lanes' delivery reports and the dispatcher's saves in the order they come and stores
/// whatever queued in few transactions (reports of one subscription merged): a save claims its items when it is
/// written, so a report of an item written by an earlier save always comes after it.
/// </summary>
internal sealed partial class DeliveryServices : IAsyncDisposable
{
    private readonly IReadOnlyList<INotificationSender> _senders;
    private readonly ContextResolver _resolver;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _endpoints = new(StringComparer.Ordinal);
    private readonly Channel<object> _writes = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;

    public DeliveryServices(NotificationOptions options, TimeProvider clock, ILogger logger, ISubscriptionStore subscriptions, IChangeFeed feed,
        IReadOnlyList<INotificationSender> senders, ContextResolver resolver, IEntityStore entities)
    {
        Entities = entities;
        Options = options;
        Clock = clock;
        Logger = logger;
        Subscriptions = subscriptions;
        Feed = feed;
        _senders = senders;
        _resolver = resolver;
        _writer = Task.Run(WriteAsync);
    }

    public NotificationOptions Options { get; }

    public TimeProvider Clock { get; }

    public ILogger Logger { get; }

    public ISubscriptionStore Subscriptions { get; }

    public IChangeFeed Feed { get; }

    /// <summary>Where a join's linked entities are read (clause 4.5.23).</summary>
    public IEntityStore Entities { get; }

    public INotificationSender? SenderFor(Uri endpoint)
    {
        foreach (var sender in _senders)
        {
            if (sender.Handles(endpoint))
                return sender;
        }
        return null;
    }

    /// <summary>Waits for a turn at the endpoint (scheme, host and port); disposing the result ends the turn.</summary>
    public async Task<IDisposable> EnterEndpointAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        var key = endpoint.Scheme + "://" + endpoint.Authority;
        var turn = _endpoints.GetOrAdd(key, _ => new SemaphoreSlim(Options.MaxConcurrencyPerEndpoint, Options.MaxConcurrencyPerEndpoint));
        await turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Turn(turn);
    }

    private sealed class Turn(SemaphoreSlim semaphore) : IDisposable
    {
        private SemaphoreSlim? _semaphore = semaphore;

        public void Dispose() => Interlocked.Exchange(ref _semaphore, null)?.Release();
    }

    /// <summary>The @context notifications of the subscription are compacted with: jsonldContext, or the subscription's own.</summary>
    public Task<JsonLdContext> ResolveContextAsync(Subscription subscription, CancellationToken cancellationToken) =>
        NotificationContext.ResolveAsync(_resolver, subscription, cancellationToken);

    public void Report(DeliveryReport report) => _writes.Writer.TryWrite(report);

    /// <summary>A save: the items of <see cref="Items"/> still owed go to the outbox, with the feed position if given.</summary>
    private sealed record Save(IReadOnlyList<(DeliveryLane Lane, List<LaneItem> Items)> Items, ChangeFeedPosition? Position, TaskCompletionSource Done);

    /// <summary>Writes the items the lanes still owe to the outbox, and the position if given; completes once it is stored.</summary>
    public Task SaveAsync(IReadOnlyList<(DeliveryLane Lane, List<LaneItem> Items)> items, ChangeFeedPosition? position)
    {
        var save = new Save(items, position, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_writes.Writer.TryWrite(save))
            save.Done.TrySetException(new ObjectDisposedException(nameof(DeliveryServices)));
        return save.Done.Task;
    }

    /// <summary>The writer stores at most this often: reports of many notifications share a transaction and a status update.</summary>
    private static readonly TimeSpan WriteInterval = TimeSpan.FromMilliseconds(20);

    private async Task WriteAsync()
    {
        var reports = new List<DeliveryReport>();
        while (await _writes.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            if (!_writes.Reader.Completion.IsCompleted)
                await Task.Delay(WriteInterval, Clock).ConfigureAwait(false);
            while (_writes.Reader.TryPeek(out var next) && next is DeliveryReport && reports.Count < 1024)
            {
                _writes.Reader.TryRead(out _);
                reports.Add((DeliveryReport)next);
            }
            if (reports.Count > 0)
            {
                await StoreAsync(() => Subscriptions.CompleteAsync(Merge(reports), CancellationToken.None), reports.Count).ConfigureAwait(false);
                reports.Clear();
            }
            if (_writes.Reader.TryPeek(out var item) && item is Save save)
            {
                _writes.Reader.TryRead(out _);
                var entries = new List<OutboxEntry>();
                foreach (var (lane, items) in save.Items)
                    entries.AddRange(lane.ClaimForOutbox(items));
                try
                {
                    await StoreAsync(() => Subscriptions.AppendAsync(entries, NotificationDispatcher.Consumer, save.Position, CancellationToken.None), entries.Count).ConfigureAwait(false);
                    save.Done.TrySetResult();
                }
                catch (Exception e)
                {
                    save.Done.TrySetException(e);
                }
            }
        }
    }

    /// <summary>The reports of each subscription as one (what was removed, rescheduled, and the sum of their status).</summary>
    private static List<DeliveryReport> Merge(List<DeliveryReport> reports)
    {
        var merged = new Dictionary<(string, string), DeliveryReport>();
        foreach (var report in reports)
        {
            var key = (report.Tenant, report.SubscriptionId);
            merged[key] = merged.TryGetValue(key, out var earlier)
                ? new DeliveryReport(report.Tenant, report.SubscriptionId, [.. earlier.Removed, .. report.Removed],
                    [.. earlier.Rescheduled.Where(e => !report.Removed.Contains(e.Sequence) && !report.Rescheduled.Any(r => r.Sequence == e.Sequence)), .. report.Rescheduled],
                    earlier.Status.Add(report.Status))
                : report;
        }
        return [.. merged.Values];
    }

    /// <summary>Runs a store write, again after a second while the store is unavailable; gives up once the store has closed.</summary>
    private async Task StoreAsync(Func<ValueTask> write, int count)
    {
        while (true)
        {
            try
            {
                await write().ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
            {
                // The store closed (shutdown): the outbox keeps what was not reported, and the feed what was not saved.
                LogReportsFailed(Logger, e, count);
                throw;
            }
            catch (Exception e)
            {
                // Unavailable, or refused for now: the writer must not stop, or nothing more would be recorded.
                LogReportsFailed(Logger, e, count);
                await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Stores what is still queued.</summary>
    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        try
        {
            await _writer.ConfigureAwait(false);
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storing {Count} outbox changes failed; trying again")]
    private static partial void LogReportsFailed(ILogger logger, Exception exception, int count);
}
