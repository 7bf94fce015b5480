using Broker.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Broker.Temporal;

/// <summary>
/// Records the history from the change feed: reads the committed change records after the history's position, turns them
/// into instances (<see cref="ChangeProjection"/>) and hands them to the temporal store, which keeps them and the new
/// position in one transaction, so no change is recorded twice or missed, across restarts and with several nodes (the
/// store refuses a page another node recorded first). Temporal queries call <see cref="CatchUpAsync"/> first, so that
/// they see every write acknowledged before them.
/// </summary>
public sealed partial class TemporalProjector(
    IChangeFeed feed,
    ITemporalStore store,
    TemporalOptions options,
    TimeProvider clock,
    ILogger<TemporalProjector> logger) : BackgroundService, IChangeFeedConsumer
{
    private const int PageSize = 1000;

    /// <summary>
    /// How long changes gather before the projector records what it has not read yet, unless a page is full: one
    /// transaction (and one fsync) of the history for many writes instead of one for each, and one record per entity
    /// for all of its changes in it. Temporal queries do not wait for it (<see cref="CatchUpAsync"/> records on their time).
    /// </summary>
    private static readonly TimeSpan GatherTime = TimeSpan.FromMilliseconds(250);

    /// <summary>How long pages without changes may move the position in memory only.</summary>
    private static readonly TimeSpan EmptySaveInterval = TimeSpan.FromSeconds(2);

    private readonly SemaphoreSlim _turn = new(1, 1);

    /// <summary>The position the store holds, as this node last knew it; null until read.</summary>
    private ChangeFeedPosition? _saved;

    /// <summary>How far this node has read: past <see cref="_saved"/> only by pages without changes.</summary>
    private ChangeFeedPosition? _reached;

    private DateTimeOffset _lastSave;

    public async ValueTask<ChangeFeedPosition> ConsumedAsync(CancellationToken cancellationToken) =>
        await store.PositionAsync(cancellationToken).ConfigureAwait(false) ?? ChangeFeedPosition.Start;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await ProjectPageAsync(stoppingToken).ConfigureAwait(false) is var projected and < PageSize)
                {
                    if (projected == 0)
                        await feed.WaitAsync(_reached ?? ChangeFeedPosition.Start, TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
                    await Task.Delay(GatherTime, clock, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogProjectionFailed(logger, e);
                _saved = _reached = null;
                await Task.Delay(TimeSpan.FromSeconds(1), clock, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Waits until the history holds every change committed before the call, projecting on the caller's time; gives up
    /// after <see cref="TemporalOptions.ReadYourWritesTimeout"/> (a transaction that runs long holds the PostgreSQL feed
    /// back), and answers from what is recorded then.
    /// </summary>
    public async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        var target = await feed.CommittedAsync(cancellationToken).ConfigureAwait(false);
        var deadline = clock.GetUtcNow() + options.ReadYourWritesTimeout;
        while (_reached is not { } reached || !reached.Covers(target))
        {
            if (clock.GetUtcNow() > deadline)
            {
                LogCatchUpTimedOut(logger, options.ReadYourWritesTimeout);
                return;
            }
            if (await ProjectPageAsync(cancellationToken).ConfigureAwait(false) == 0)
                await Task.Delay(TimeSpan.FromMilliseconds(5), clock, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Projects one page of the feed; returns how many change records it read (0: nothing after the position).</summary>
    private async Task<int> ProjectPageAsync(CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_reached is null)
            {
                _saved = await store.PositionAsync(cancellationToken).ConfigureAwait(false);
                _reached = _saved ?? ChangeFeedPosition.Start;
            }
            var from = _reached.Value;
            var page = await feed.ReadAsync("temporal", from, PageSize, cancellationToken).ConfigureAwait(false);
            if (page.Next == from)
                return 0;
            var writes = new List<(string Tenant, TemporalWrite Write)>(page.Changes.Count);
            foreach (var change in page.Changes)
            {
                try
                {
                    if (ChangeProjection.Project(change.Change) is { } write)
                        writes.Add((change.Tenant, change.StoredAfter is { } stored && ReferenceEquals(write.State, change.Change.After) ? write with { StoredState = stored } : write));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A record that cannot be projected must not stop the history of everything after it.
                    LogChangeSkipped(logger, change.Sequence, change.Change.EntityId, e);
                }
            }
            var now = clock.GetUtcNow();
            if (writes.Count == 0 && now - _lastSave < EmptySaveInterval)
            {
                _reached = page.Next;
                return Math.Max(page.Changes.Count, 1);
            }
            if (await store.ProjectAsync(_saved, page.Next, writes, cancellationToken).ConfigureAwait(false))
            {
                _saved = _reached = page.Next;
                _lastSave = now;
            }
            else
            {
                // Another node recorded these changes (or moved on since this node last looked): start from its position.
                _saved = await store.PositionAsync(cancellationToken).ConfigureAwait(false);
                _reached = _saved ?? ChangeFeedPosition.Start;
            }
            return Math.Max(page.Changes.Count, 1);
        }
        finally
        {
            _turn.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Recording the temporal history failed; it starts again from the stored position")]
    private static partial void LogProjectionFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "The change record {Sequence} of entity {EntityId} cannot be recorded in the temporal history; it is left out")]
    private static partial void LogChangeSkipped(ILogger logger, long sequence, string entityId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A temporal query waited {Timeout} for the history to record earlier writes and answers from what is recorded")]
    private static partial void LogCatchUpTimedOut(ILogger logger, TimeSpan timeout);
}
