using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Broker.Storage.Embedded;

/// <summary>
/// The change feed of the embedded store: the sequence numbers of <c>changes</c> are its positions (one writer, so they
/// are in commit order). A consumer that keeps up is served from <see cref="RecentChanges"/>; one that fell behind, or
/// starts after a restart, reads SQLite through a connection of its own (WAL lets it read beside the writer).
/// </summary>
public sealed partial class EmbeddedEntityStore
{
    private readonly RecentChanges _recent = new(capacity: 65_536);
    private readonly SemaphoreSlim _feedReader = new(1, 1);
    private SqliteConnection? _feedConnection;

    private void StartFeed()
    {
        var last = Scalar("SELECT max(seq) FROM changes") as long? ?? 0;
        _recent.Start(last);
    }

    public ValueTask<ChangeFeedPosition> HeadAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult(new ChangeFeedPosition(0, 0, _recent.LastSequence));

    public ValueTask<ChangeFeedPosition> CommittedAsync(CancellationToken cancellationToken) => HeadAsync(cancellationToken);

    public async ValueTask<ChangeFeedPage> ReadAsync(string consumer, ChangeFeedPosition after, int max, CancellationToken cancellationToken)
    {
        var changes = new List<FeedChange>();
        if (_recent.TryRead(consumer, after.Sequence, max, changes))
            return new ChangeFeedPage(changes, changes.Count == 0 ? after : after with { Sequence = changes[^1].Sequence });
        changes.Clear();
        // Rows that are not changes (migration snapshots) are not given, but the position moves past them.
        var last = await ReadRowsAsync("WHERE seq > $after ORDER BY seq LIMIT $max", command =>
        {
            command.Parameters.AddWithValue("$after", after.Sequence);
            command.Parameters.AddWithValue("$max", max);
        }, changes, cancellationToken).ConfigureAwait(false);
        return new ChangeFeedPage(changes, last is { } sequence ? after with { Sequence = sequence } : after);
    }

    public async ValueTask<IReadOnlyList<FeedChange>> ReadChangesAsync(IReadOnlyList<long> sequences, CancellationToken cancellationToken)
    {
        var changes = new List<FeedChange>(sequences.Count);
        if (sequences.Count == 0)
            return changes;
        await ReadRowsAsync("WHERE seq IN (SELECT value FROM json_each($sequences)) ORDER BY seq", command =>
            command.Parameters.AddWithValue("$sequences", "[" + string.Join(',', sequences.Select(s => s.ToString(CultureInfo.InvariantCulture))) + "]"),
            changes, cancellationToken).ConfigureAwait(false);
        return changes;
    }

    public async Task WaitAsync(ChangeFeedPosition after, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var appended = _recent.WaitAsync(after.Sequence);
        if (appended.IsCompleted)
            return;
        try
        {
            await appended.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }

    /// <summary>Deletes, in the writer's transactions of at most 5000 rows each, change records that hold no entity's current document.</summary>
    public async ValueTask<int> CompactAsync(ChangeFeedPosition consumed, long? lowestReferenced, DateTimeOffset olderThan, CancellationToken cancellationToken)
    {
        var below = Math.Min(consumed.Sequence, lowestReferenced ?? long.MaxValue);
        var before = Entities.Representation.Timestamps.Format6(olderThan);
        var total = 0;
        while (true)
        {
            var deleted = await MaintainAsync(connection =>
            {
                using var command = connection.CreateCommand();
                command.CommandText = """
                    DELETE FROM changes WHERE seq IN (
                        SELECT c.seq FROM changes c WHERE c.seq < $below AND c.at < $before
                        AND NOT EXISTS (SELECT 1 FROM entities e WHERE e.tenant = c.tenant AND e.id = c.entity_id AND e.seq = c.seq)
                        ORDER BY c.seq LIMIT 5000)
                    """;
                command.Parameters.AddWithValue("$below", below);
                command.Parameters.AddWithValue("$before", before);
                return command.ExecuteNonQuery();
            }, cancellationToken).ConfigureAwait(false);
            total += deleted;
            if (deleted < 5000)
                return total;
        }
    }

    /// <summary>Runs <paramref name="work"/> on the writer's connection, in a transaction of its own between group commits.</summary>
    private async Task<int> MaintainAsync(Func<SqliteConnection, int> work, CancellationToken cancellationToken)
    {
        var pending = new PendingMaintenance(work, new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously));
        await _queue.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
        return await pending.Completion.Task.ConfigureAwait(false);
    }

    /// <summary>Reads change records into <paramref name="into"/>; returns the sequence number of the last row read, if any.</summary>
    private async Task<long?> ReadRowsAsync(string where, Action<SqliteCommand> bind, List<FeedChange> into, CancellationToken cancellationToken)
    {
        long? last = null;
        await _feedReader.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_feedConnection is null)
            {
                var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _databasePath, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                _feedConnection = connection;
            }
            using var command = _feedConnection.CreateCommand();
            command.CommandText = "SELECT seq, tenant, entity_id, kind, at, attributes, after, previous FROM changes " + where;
            bind(command);
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var change = ChangeRecords.Read(reader.GetString(3), reader.GetString(2),
                    DateTimeOffset.Parse(reader.GetString(4), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal),
                    reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7));
                last = reader.GetInt64(0);
                if (change is not null)
                    into.Add(new FeedChange(last.Value, reader.GetString(1), change));
            }
            return last;
        }
        finally
        {
            _feedReader.Release();
        }
    }
}
