using Npgsql;

namespace Broker.Storage.Postgres;

/// <summary>
/// The change feed of the PostgreSQL store. Sequence numbers are drawn when a statement runs, so a transaction can commit
/// after another that drew a larger one: reading "seq greater than the last one read" would skip it. Each change record
/// carries the id of its transaction instead (<c>changes.xid</c>), and the feed reads windows of transaction ids below the
/// oldest transaction still running (<c>pg_snapshot_xmin</c>): every transaction in a window has ended, so the window's
/// rows are final. Within a window rows come in sequence order; a transaction that updates an entity after another has
/// waited for it, so it never lands in an earlier window, and the changes of one entity keep the order of its versions.
/// </summary>
/// <remarks>
/// A position is (horizon H, window end X, last sequence S): every transaction below H has been read, and of the window
/// [H, X) the rows up to S. X = H when no window is open. Several broker nodes share the feed; consumers keep their
/// positions in the database (<c>feed_cursors</c>).
/// </remarks>
public sealed partial class PostgresEntityStore : IChangeFeed
{
    private TaskCompletionSource _committed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void SignalCommitted() => Interlocked.Exchange(ref _committed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    public async ValueTask<ChangeFeedPosition> HeadAsync(CancellationToken cancellationToken)
    {
        var horizon = await OldestRunningAsync(cancellationToken).ConfigureAwait(false);
        return new ChangeFeedPosition(horizon, horizon, 0);
    }

    /// <summary>
    /// The next transaction id to be assigned: every transaction committed before this call has a smaller one, so a consumer
    /// whose horizon passed it has read them (it passes once the transactions still running below it have ended).
    /// </summary>
    public async ValueTask<ChangeFeedPosition> CommittedAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var command = _dataSource.CreateCommand("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint");
            var next = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            return new ChangeFeedPosition(next, next, 0);
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e))
        {
            throw Unavailable(e);
        }
    }

    public async ValueTask<ChangeFeedPage> ReadAsync(string consumer, ChangeFeedPosition after, int max, CancellationToken cancellationToken)
    {
        var position = after;
        if (position.WindowEnd <= position.Horizon)
        {
            var end = await OldestRunningAsync(cancellationToken).ConfigureAwait(false);
            if (end <= position.Horizon)
                return new ChangeFeedPage([], after);
            position = new ChangeFeedPosition(position.Horizon, end, 0);
        }
        try
        {
            // The rows first without their documents: a change this node committed is taken as it was written, and only
            // the others' documents are read (turning stored jsonb into text was the largest cost of reading the feed).
            var rows = new List<(long Sequence, string Tenant, EntityChange? Change)>(Math.Min(max, 1024));
            var unread = new List<long>();
            await using (var command = _dataSource.CreateCommand("""
                SELECT seq, tenant, entity_id, kind, at, (after->>'version')::bigint FROM changes
                WHERE xid >= $1 AND xid < $2 AND seq > $3 ORDER BY seq LIMIT $4
                """))
            {
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = position.Horizon });
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = position.WindowEnd });
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = position.Sequence });
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = max });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var sequence = reader.GetInt64(0);
                    var tenant = reader.GetString(1);
                    var change = ChangeRecords.KindOf(reader.GetString(3)) is { } kind && !reader.IsDBNull(5)
                        ? _committedHere.Find(tenant, reader.GetString(2), kind, reader.GetFieldValue<DateTimeOffset>(4), reader.GetInt64(5))
                        : null;
                    if (change is null)
                        unread.Add(sequence);
                    rows.Add((sequence, tenant, change));
                }
            }
            var read = unread.Count == 0 ? [] : (await ReadChangesAsync(unread, cancellationToken).ConfigureAwait(false)).ToDictionary(c => c.Sequence);
            var changes = new List<FeedChange>(rows.Count);
            foreach (var (sequence, tenant, change) in rows)
            {
                if (change is not null)
                    changes.Add(new FeedChange(sequence, tenant, change));
                else if (read.TryGetValue(sequence, out var stored))
                    changes.Add(stored);
            }
            var next = rows.Count < max
                ? new ChangeFeedPosition(position.WindowEnd, position.WindowEnd, 0)
                : position with { Sequence = rows[^1].Sequence };
            return new ChangeFeedPage(changes, next);
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e))
        {
            throw Unavailable(e);
        }
    }

    public async ValueTask<IReadOnlyList<FeedChange>> ReadChangesAsync(IReadOnlyList<long> sequences, CancellationToken cancellationToken)
    {
        var changes = new List<FeedChange>(sequences.Count);
        if (sequences.Count == 0)
            return changes;
        try
        {
            await using var command = _dataSource.CreateCommand("""
                SELECT seq, tenant, entity_id, kind, at, attributes::text, after::text, previous::text FROM changes
                WHERE seq = ANY($1) ORDER BY seq
                """);
            command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. sequences] });
            await ReadChangeRowsAsync(command, changes, cancellationToken).ConfigureAwait(false);
            return changes;
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e))
        {
            throw Unavailable(e);
        }
    }

    public async Task WaitAsync(ChangeFeedPosition after, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await Volatile.Read(ref _committed).Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }

    public async ValueTask<int> CompactAsync(ChangeFeedPosition consumed, long? lowestReferenced, DateTimeOffset olderThan, CancellationToken cancellationToken)
    {
        var total = 0;
        try
        {
            while (true)
            {
                await using var command = _dataSource.CreateCommand("""
                    DELETE FROM changes WHERE seq IN (
                        SELECT seq FROM changes WHERE (xid IS NULL OR xid < $1) AND seq < $2 AND at < $3 LIMIT 5000)
                    """);
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = consumed.Horizon });
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = lowestReferenced ?? long.MaxValue });
                command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = olderThan.UtcDateTime });
                var deleted = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                total += deleted;
                if (deleted < 5000)
                    return total;
            }
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e))
        {
            throw Unavailable(e);
        }
    }

    /// <summary>The id of the oldest transaction still running (or the next one to start): every transaction below it has ended.</summary>
    private async Task<long> OldestRunningAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var command = _dataSource.CreateCommand("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint");
            return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e))
        {
            throw Unavailable(e);
        }
    }

    private static async Task ReadChangeRowsAsync(NpgsqlCommand command, List<FeedChange> into, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var change = ChangeRecords.Read(reader.GetString(3), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(4),
                reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7));
            if (change is not null)
                into.Add(new FeedChange(reader.GetInt64(0), reader.GetString(1), change));
        }
    }
}
