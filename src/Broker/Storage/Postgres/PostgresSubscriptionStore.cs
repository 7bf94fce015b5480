using Microsoft.Extensions.Logging;
using Npgsql;

namespace Broker.Storage.Postgres;

/// <summary>
/// Subscriptions, the outbox and the feed positions in PostgreSQL (migration 8), shared by every broker node. One node
/// at a time matches changes and delivers notifications: the one holding a session advisory lock on a connection of its
/// own (<see cref="TryLeadAsync"/>). When that node stops, or its connection breaks, PostgreSQL releases the lock and
/// another node takes over from the outbox and the saved feed position.
/// </summary>
public sealed partial class PostgresSubscriptionStore(PostgresStoreOptions options, TimeProvider clock, ILogger<PostgresSubscriptionStore> logger) : ISubscriptionStore
{
    /// <summary>The advisory lock key of the dispatch right ("NGSN" in ASCII).</summary>
    private const long DispatchLockKey = 0x4E47534E;

    private static readonly TimeSpan TombstoneLifetime = TimeSpan.FromHours(1);

    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(options.ConnectionString);

    public bool SharedByNodes => true;

    /// <summary>The schema is migrated by <see cref="PostgresEntityStore.InitializeAsync"/>, which runs first.</summary>
    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask<bool> InsertAsync(StoredSubscription subscription, CancellationToken cancellationToken) =>
        RunAsync(async connection =>
        {
            await using var command = new NpgsqlCommand("""
                INSERT INTO subscriptions (tenant, id, doc, created, revision) VALUES ($1, $2, $3::jsonb, $4, nextval('subscription_revisions'))
                ON CONFLICT (tenant, id) DO UPDATE SET doc = excluded.doc, created = excluded.created, revision = excluded.revision,
                    deleted = NULL, times_sent = 0, times_failed = 0, last_notification = NULL, last_success = NULL, last_failure = NULL
                WHERE subscriptions.deleted IS NOT NULL
                """, connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subscription.Tenant });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subscription.Id });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subscription.Document });
            command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = subscription.CreatedAt.UtcDateTime });
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken);

    public ValueTask<StoredSubscription?> GetAsync(string tenant, string id, CancellationToken cancellationToken) =>
        RunAsync(async connection =>
        {
            await using var command = new NpgsqlCommand(Select + " WHERE tenant = $1 AND id = $2 AND deleted IS NULL", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadSubscription(reader) : null;
        }, cancellationToken);

    public ValueTask<SubscriptionPage> ListAsync(string tenant, int offset, int limit, CancellationToken cancellationToken) =>
        RunAsync(async connection =>
        {
            var page = new List<StoredSubscription>();
            await using (var command = new NpgsqlCommand(Select + " WHERE tenant = $1 AND deleted IS NULL ORDER BY id LIMIT $2 OFFSET $3", connection))
            {
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = offset });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    page.Add(ReadSubscription(reader));
            }
            await using var count = new NpgsqlCommand("SELECT count(*) FROM subscriptions WHERE tenant = $1 AND deleted IS NULL", connection);
            count.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            return new SubscriptionPage(page, (long)(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!);
        }, cancellationToken);

    public ValueTask<bool> UpdateAsync(string tenant, string id, string document, long expectedRevision, CancellationToken cancellationToken) =>
        RunAsync(async connection =>
        {
            await using var command = new NpgsqlCommand("""
                UPDATE subscriptions SET doc = $3::jsonb, revision = nextval('subscription_revisions')
                WHERE tenant = $1 AND id = $2 AND revision = $4 AND deleted IS NULL
                """, connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = document });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = expectedRevision });
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken);

    public ValueTask<bool> DeleteAsync(string tenant, string id, CancellationToken cancellationToken) =>
        RunAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var batch = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands =
                {
                    Command("UPDATE subscriptions SET deleted = now(), revision = nextval('subscription_revisions') WHERE tenant = $1 AND id = $2 AND deleted IS NULL", tenant, id),
                    Command("DELETE FROM notification_outbox WHERE tenant = $1 AND subscription_id = $2", tenant, id),
                },
            };
            var purge = new NpgsqlBatchCommand("DELETE FROM subscriptions WHERE deleted < $1");
            purge.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = (clock.GetUtcNow() - TombstoneLifetime).UtcDateTime });
            batch.BatchCommands.Add(purge);
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            var deleted = batch.BatchCommands[0].RecordsAffected == 1;
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return deleted;
        }, cancellationToken);

    public ValueTask<IReadOnlyList<StoredSubscription>> ChangedSinceAsync(long revision, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<StoredSubscription>>(async connection =>
        {
            var changed = new List<StoredSubscription>();
            await using var command = new NpgsqlCommand(Select + " WHERE revision > $1 ORDER BY revision", connection);
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = revision });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                changed.Add(ReadSubscription(reader));
            return changed;
        }, cancellationToken);

    public async ValueTask<IDispatchLease?> TryLeadAsync(CancellationToken cancellationToken)
    {
        // A connection outside the pool: closing it ends the session, and with it the lock.
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(options.ConnectionString) { Pooling = false, KeepAlive = 5 }.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(" + DispatchLockKey + ")", connection);
            if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true)
                return new DispatchLease(connection, logger);
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e))
        {
            LogUnavailable(logger, e);
        }
        await connection.DisposeAsync().ConfigureAwait(false);
        return null;
    }

    /// <summary>Holds the lock's connection and checks it every few seconds; a failed check means the lock is gone.</summary>
    private sealed class DispatchLease : IDispatchLease
    {
        private readonly NpgsqlConnection _connection;
        private readonly CancellationTokenSource _lost = new();
        private readonly Task _watch;

        public DispatchLease(NpgsqlConnection connection, ILogger logger)
        {
            _connection = connection;
            _watch = WatchAsync(logger);
        }

        public CancellationToken Lost => _lost.Token;

        private async Task WatchAsync(ILogger logger)
        {
            try
            {
                while (!_lost.IsCancellationRequested)
                {
                    await Task.Delay(TimeSpan.FromSeconds(2), _lost.Token).ConfigureAwait(false);
                    await using var command = new NpgsqlCommand("SELECT 1", _connection);
                    await command.ExecuteScalarAsync(_lost.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (_lost.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                LogLeaseLost(logger, e);
                await _lost.CancelAsync().ConfigureAwait(false);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _lost.CancelAsync().ConfigureAwait(false);
            await _watch.ConfigureAwait(false);
            await _connection.DisposeAsync().ConfigureAwait(false);
            _lost.Dispose();
        }
    }

    public ValueTask<ChangeFeedPosition?> ReadPositionAsync(string consumer, CancellationToken cancellationToken) =>
        RunAsync<ChangeFeedPosition?>(async connection =>
        {
            await using var command = new NpgsqlCommand("SELECT horizon, window_end, seq FROM feed_cursors WHERE name = $1", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = consumer });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? new ChangeFeedPosition(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2))
                : null;
        }, cancellationToken);

    public async ValueTask InitializePositionAsync(string consumer, ChangeFeedPosition position, CancellationToken cancellationToken) =>
        await RunAsync(async connection =>
        {
            await using var save = new NpgsqlCommand(
                "INSERT INTO feed_cursors (name, horizon, window_end, seq) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING", connection);
            save.Parameters.Add(new NpgsqlParameter<string> { TypedValue = consumer });
            save.Parameters.Add(new NpgsqlParameter<long> { TypedValue = position.Horizon });
            save.Parameters.Add(new NpgsqlParameter<long> { TypedValue = position.WindowEnd });
            save.Parameters.Add(new NpgsqlParameter<long> { TypedValue = position.Sequence });
            return await save.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

    public async ValueTask AppendAsync(IReadOnlyList<OutboxEntry> entries, string consumer, ChangeFeedPosition? position, CancellationToken cancellationToken) =>
        await RunAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var batch = new NpgsqlBatch(connection, transaction);
            if (entries.Count > 0)
            {
                var insert = new NpgsqlBatchCommand("""
                    INSERT INTO notification_outbox (tenant, subscription_id, seq, entity_id, attempts, due)
                    SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::int[], $6::timestamptz[]) ON CONFLICT DO NOTHING
                    """);
                insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. entries.Select(e => e.Tenant)] });
                insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. entries.Select(e => e.SubscriptionId)] });
                insert.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. entries.Select(e => e.Sequence)] });
                insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. entries.Select(e => e.EntityId)] });
                insert.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. entries.Select(e => e.Attempts)] });
                insert.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = [.. entries.Select(e => e.Due.UtcDateTime)] });
                batch.BatchCommands.Add(insert);
            }
            if (position is { } saved)
            {
                var save = new NpgsqlBatchCommand("""
                    INSERT INTO feed_cursors (name, horizon, window_end, seq) VALUES ($1, $2, $3, $4)
                    ON CONFLICT (name) DO UPDATE SET horizon = excluded.horizon, window_end = excluded.window_end, seq = excluded.seq
                    """);
                save.Parameters.Add(new NpgsqlParameter<string> { TypedValue = consumer });
                save.Parameters.Add(new NpgsqlParameter<long> { TypedValue = saved.Horizon });
                save.Parameters.Add(new NpgsqlParameter<long> { TypedValue = saved.WindowEnd });
                save.Parameters.Add(new NpgsqlParameter<long> { TypedValue = saved.Sequence });
                batch.BatchCommands.Add(save);
            }
            if (batch.BatchCommands.Count > 0)
                await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);

    public ValueTask<IReadOnlyList<OutboxSummary>> SummarizeOutboxAsync(CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<OutboxSummary>>(async connection =>
        {
            var summaries = new List<OutboxSummary>();
            await using var command = new NpgsqlCommand("SELECT tenant, subscription_id, count(*) FROM notification_outbox GROUP BY tenant, subscription_id", connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                summaries.Add(new OutboxSummary(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
            return summaries;
        }, cancellationToken);

    public ValueTask<IReadOnlyList<OutboxEntry>> ReadOutboxAsync(string tenant, string subscriptionId, long afterSequence, int max, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<OutboxEntry>>(async connection =>
        {
            var entries = new List<OutboxEntry>();
            await using var command = new NpgsqlCommand("""
                SELECT tenant, subscription_id, seq, entity_id, attempts, due FROM notification_outbox
                WHERE tenant = $1 AND subscription_id = $2 AND seq > $3 ORDER BY seq LIMIT $4
                """, connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subscriptionId });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = afterSequence });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = max });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                entries.Add(new OutboxEntry(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3), reader.GetInt32(4),
                    reader.GetFieldValue<DateTimeOffset>(5)));
            }
            return entries;
        }, cancellationToken);

    public async ValueTask CompleteAsync(IReadOnlyList<DeliveryReport> reports, CancellationToken cancellationToken)
    {
        if (reports.Count == 0)
            return;
        await RunAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var batch = new NpgsqlBatch(connection, transaction);
            // Each subscription's row before its outbox rows, and the subscriptions in key order: DeleteAsync takes the row
            // first too, so a delete meeting a report waits instead of deadlocking.
            foreach (var report in reports.OrderBy(r => r.Tenant, StringComparer.Ordinal).ThenBy(r => r.SubscriptionId, StringComparer.Ordinal))
            {
                var delta = report.Status;
                if (delta != DeliveryStatus.None)
                {
                    var status = Command("""
                        UPDATE subscriptions SET times_sent = times_sent + $3, times_failed = times_failed + $4,
                            last_notification = greatest(last_notification, $5), last_success = greatest(last_success, $6), last_failure = greatest(last_failure, $7)
                        WHERE tenant = $1 AND id = $2
                        """, report.Tenant, report.SubscriptionId);
                    status.Parameters.Add(new NpgsqlParameter<long> { TypedValue = delta.TimesSent });
                    status.Parameters.Add(new NpgsqlParameter<long> { TypedValue = delta.TimesFailed });
                    status.Parameters.Add(Time(delta.LastNotification));
                    status.Parameters.Add(Time(delta.LastSuccess));
                    status.Parameters.Add(Time(delta.LastFailure));
                    batch.BatchCommands.Add(status);
                }
                else if (report.Removed.Count > 0 || report.Rescheduled.Count > 0)
                {
                    batch.BatchCommands.Add(Command("SELECT 1 FROM subscriptions WHERE tenant = $1 AND id = $2 FOR UPDATE", report.Tenant, report.SubscriptionId));
                }
                if (report.Removed.Count > 0)
                {
                    var remove = Command("DELETE FROM notification_outbox WHERE tenant = $1 AND subscription_id = $2 AND seq = ANY($3)", report.Tenant, report.SubscriptionId);
                    remove.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. report.Removed] });
                    batch.BatchCommands.Add(remove);
                }
                if (report.Rescheduled.Count > 0)
                {
                    var reschedule = Command("""
                        UPDATE notification_outbox o SET attempts = x.attempts, due = x.due
                        FROM unnest($3::bigint[], $4::int[], $5::timestamptz[]) AS x(seq, attempts, due)
                        WHERE o.tenant = $1 AND o.subscription_id = $2 AND o.seq = x.seq
                        """, report.Tenant, report.SubscriptionId);
                    reschedule.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. report.Rescheduled.Select(e => e.Sequence)] });
                    reschedule.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. report.Rescheduled.Select(e => e.Attempts)] });
                    reschedule.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = [.. report.Rescheduled.Select(e => e.Due.UtcDateTime)] });
                    batch.BatchCommands.Add(reschedule);
                }
            }
            if (batch.BatchCommands.Count > 0)
                await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    private static NpgsqlParameter Time(DateTimeOffset? instant) =>
        new() { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz, Value = instant is { } value ? value.UtcDateTime : DBNull.Value };

    private const string Select = "SELECT tenant, id, doc::text, created, revision, deleted IS NOT NULL, times_sent, times_failed, last_notification, last_success, last_failure FROM subscriptions";

    private static StoredSubscription ReadSubscription(NpgsqlDataReader reader) =>
        new(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3))
        {
            Revision = reader.GetInt64(4),
            Deleted = reader.GetBoolean(5),
            Status = new DeliveryStatus(reader.GetInt64(6), reader.GetInt64(7), OptionalTime(reader, 8), OptionalTime(reader, 9), OptionalTime(reader, 10)),
        };

    private static DateTimeOffset? OptionalTime(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    private static NpgsqlBatchCommand Command(string sql, string tenant, string id)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        return command;
    }

    /// <summary>Runs <paramref name="work"/> on a pooled connection; again (a few times) when PostgreSQL broke a deadlock or a serialization conflict by rolling it back.</summary>
    private async ValueTask<T> RunAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                    return await work(connection).ConfigureAwait(false);
                }
                catch (Exception e) when (attempt < 5 && PostgresErrors.IsRetryableConflict(e))
                {
                    await Task.Delay(Random.Shared.Next(5, 20 * attempt), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e))
        {
            LogUnavailable(logger, e);
            throw new StoreUnavailableException("The PostgreSQL database is not reachable; retry later.", e);
        }
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL subscription store unavailable")]
    private static partial void LogUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The dispatch lease's connection failed; another node may take over")]
    private static partial void LogLeaseLost(ILogger logger, Exception exception);
}
