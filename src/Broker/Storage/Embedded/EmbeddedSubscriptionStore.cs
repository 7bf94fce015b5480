using System.Globalization;
using Broker.Entities.Representation;
using Microsoft.Data.Sqlite;

namespace Broker.Storage.Embedded;

/// <summary>
/// Subscriptions, their outbox and the feed positions of the embedded store, in a SQLite database of their own
/// (<c>subscriptions.db</c> beside <c>broker.db</c>), so their writes never wait for the entity writer's group commits.
/// </summary>
/// <remarks>
/// WAL; subscriptions are written with synchronous=FULL, like the entities. The outbox, the feed position and the
/// delivery reports are written with synchronous=NORMAL: they survive a killed process, and a power loss can only take
/// back the last of them, outbox and position together, so the dispatcher reads those changes again from the fully
/// durable change feed and notifies them again (at least once). One connection, taken in turns; deleted subscriptions
/// stay a while as tombstones so that <see cref="ChangedSinceAsync"/> reports them.
/// </remarks>
public sealed class EmbeddedSubscriptionStore(EmbeddedStoreOptions options, TimeProvider clock) : ISubscriptionStore
{
    public bool SharedByNodes => false;

    /// <summary>How long a deleted subscription stays as a tombstone.</summary>
    private static readonly TimeSpan TombstoneLifetime = TimeSpan.FromHours(1);

    private readonly SemaphoreSlim _turn = new(1, 1);
    private SqliteConnection? _connection;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var folder = Path.GetFullPath(options.DataPath);
        Directory.CreateDirectory(folder);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "subscriptions.db"), Pooling = false }.ToString());
        await _connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = _connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
            CREATE TABLE IF NOT EXISTS subscriptions (
                tenant TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, created TEXT NOT NULL, revision INTEGER NOT NULL,
                deleted INTEGER NOT NULL DEFAULT 0, deleted_at TEXT,
                times_sent INTEGER NOT NULL DEFAULT 0, times_failed INTEGER NOT NULL DEFAULT 0,
                last_notification TEXT, last_success TEXT, last_failure TEXT,
                PRIMARY KEY (tenant, id)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS subscriptions_revision ON subscriptions (revision);
            CREATE TABLE IF NOT EXISTS outbox (
                tenant TEXT NOT NULL, subscription_id TEXT NOT NULL, seq INTEGER NOT NULL, entity_id TEXT NOT NULL,
                attempts INTEGER NOT NULL, due TEXT NOT NULL,
                PRIMARY KEY (tenant, subscription_id, seq)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS revisions (last INTEGER NOT NULL);
            INSERT INTO revisions (last) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM revisions);
            CREATE TABLE IF NOT EXISTS positions (
                consumer TEXT PRIMARY KEY, horizon INTEGER NOT NULL, window_end INTEGER NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID;
            """;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<bool> InsertAsync(StoredSubscription subscription, CancellationToken cancellationToken) =>
        InTurnAsync(connection =>
        {
            using var transaction = connection.BeginTransaction();
            using var command = Command(connection, """
                INSERT INTO subscriptions (tenant, id, doc, created, revision) VALUES ($tenant, $id, $doc, $created, $revision)
                ON CONFLICT (tenant, id) DO UPDATE SET doc = excluded.doc, created = excluded.created, revision = excluded.revision,
                    deleted = 0, deleted_at = NULL, times_sent = 0, times_failed = 0, last_notification = NULL, last_success = NULL, last_failure = NULL
                WHERE subscriptions.deleted = 1
                """);
            command.Parameters.AddWithValue("$tenant", subscription.Tenant);
            command.Parameters.AddWithValue("$id", subscription.Id);
            command.Parameters.AddWithValue("$doc", subscription.Document);
            command.Parameters.AddWithValue("$created", Timestamps.Format6(subscription.CreatedAt));
            command.Parameters.AddWithValue("$revision", NextRevision(connection));
            var inserted = command.ExecuteNonQuery() == 1;
            transaction.Commit();
            return inserted;
        }, cancellationToken);

    public ValueTask<StoredSubscription?> GetAsync(string tenant, string id, CancellationToken cancellationToken) =>
        InTurnAsync(connection =>
        {
            using var command = Command(connection, Select + " WHERE tenant = $tenant AND id = $id AND deleted = 0");
            command.Parameters.AddWithValue("$tenant", tenant);
            command.Parameters.AddWithValue("$id", id);
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadSubscription(reader) : null;
        }, cancellationToken);

    public ValueTask<SubscriptionPage> ListAsync(string tenant, int offset, int limit, CancellationToken cancellationToken) =>
        InTurnAsync(connection =>
        {
            var page = new List<StoredSubscription>();
            using (var command = Command(connection, Select + " WHERE tenant = $tenant AND deleted = 0 ORDER BY id LIMIT $limit OFFSET $offset"))
            {
                command.Parameters.AddWithValue("$tenant", tenant);
                command.Parameters.AddWithValue("$limit", limit);
                command.Parameters.AddWithValue("$offset", offset);
                using var reader = command.ExecuteReader();
                while (reader.Read())
                    page.Add(ReadSubscription(reader));
            }
            using var count = Command(connection, "SELECT count(*) FROM subscriptions WHERE tenant = $tenant AND deleted = 0");
            count.Parameters.AddWithValue("$tenant", tenant);
            return new SubscriptionPage(page, (long)count.ExecuteScalar()!);
        }, cancellationToken);

    public ValueTask<bool> UpdateAsync(string tenant, string id, string document, long expectedRevision, CancellationToken cancellationToken) =>
        InTurnAsync(connection =>
        {
            using var transaction = connection.BeginTransaction();
            using var command = Command(connection, "UPDATE subscriptions SET doc = $doc, revision = $revision WHERE tenant = $tenant AND id = $id AND revision = $expected AND deleted = 0");
            command.Parameters.AddWithValue("$tenant", tenant);
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$doc", document);
            command.Parameters.AddWithValue("$expected", expectedRevision);
            command.Parameters.AddWithValue("$revision", NextRevision(connection));
            var updated = command.ExecuteNonQuery() == 1;
            transaction.Commit();
            return updated;
        }, cancellationToken);

    public ValueTask<bool> DeleteAsync(string tenant, string id, CancellationToken cancellationToken) =>
        InTurnAsync(connection =>
        {
            var now = clock.GetUtcNow();
            using var transaction = connection.BeginTransaction();
            using var command = Command(connection, "UPDATE subscriptions SET deleted = 1, deleted_at = $now, revision = $revision WHERE tenant = $tenant AND id = $id AND deleted = 0");
            command.Parameters.AddWithValue("$tenant", tenant);
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$now", Timestamps.Format6(now));
            command.Parameters.AddWithValue("$revision", NextRevision(connection));
            if (command.ExecuteNonQuery() == 0)
                return false;
            using var cleanup = Command(connection, """
                DELETE FROM outbox WHERE tenant = $tenant AND subscription_id = $id;
                DELETE FROM subscriptions WHERE deleted = 1 AND deleted_at < $expired;
                """);
            cleanup.Parameters.AddWithValue("$tenant", tenant);
            cleanup.Parameters.AddWithValue("$id", id);
            cleanup.Parameters.AddWithValue("$expired", Timestamps.Format6(now - TombstoneLifetime));
            cleanup.ExecuteNonQuery();
            transaction.Commit();
            return true;
        }, cancellationToken);

    public ValueTask<IReadOnlyList<StoredSubscription>> ChangedSinceAsync(long revision, CancellationToken cancellationToken) =>
        InTurnAsync<IReadOnlyList<StoredSubscription>>(connection =>
        {
            var changed = new List<StoredSubscription>();
            using var command = Command(connection, Select + " WHERE revision > $revision ORDER BY revision");
            command.Parameters.AddWithValue("$revision", revision);
            using var reader = command.ExecuteReader();
            while (reader.Read())
                changed.Add(ReadSubscription(reader));
            return changed;
        }, cancellationToken);

    /// <summary>One process owns the data folder, so its dispatcher always leads.</summary>
    public ValueTask<IDispatchLease?> TryLeadAsync(CancellationToken cancellationToken) => ValueTask.FromResult<IDispatchLease?>(new ProcessLease());

    private sealed class ProcessLease : IDispatchLease
    {
        public CancellationToken Lost => CancellationToken.None;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    public ValueTask<ChangeFeedPosition?> ReadPositionAsync(string consumer, CancellationToken cancellationToken) =>
        InTurnAsync<ChangeFeedPosition?>(connection =>
        {
            using var command = Command(connection, "SELECT horizon, window_end, seq FROM positions WHERE consumer = $consumer");
            command.Parameters.AddWithValue("$consumer", consumer);
            using var reader = command.ExecuteReader();
            return reader.Read() ? new ChangeFeedPosition(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2)) : null;
        }, cancellationToken);

    public async ValueTask InitializePositionAsync(string consumer, ChangeFeedPosition position, CancellationToken cancellationToken) =>
        await InTurnAsync(connection =>
        {
            using var save = Command(connection, "INSERT OR IGNORE INTO positions (consumer, horizon, window_end, seq) VALUES ($consumer, $horizon, $end, $seq)");
            save.Parameters.AddWithValue("$consumer", consumer);
            save.Parameters.AddWithValue("$horizon", position.Horizon);
            save.Parameters.AddWithValue("$end", position.WindowEnd);
            save.Parameters.AddWithValue("$seq", position.Sequence);
            return save.ExecuteNonQuery();
        }, cancellationToken).ConfigureAwait(false);

    public async ValueTask AppendAsync(IReadOnlyList<OutboxEntry> entries, string consumer, ChangeFeedPosition? position, CancellationToken cancellationToken) =>
        await InTurnAsync(connection =>
        {
            using var transaction = connection.BeginTransaction();
            using (var insert = Command(connection, "INSERT OR IGNORE INTO outbox (tenant, subscription_id, seq, entity_id, attempts, due) VALUES ($tenant, $id, $seq, $entity, $attempts, $due)"))
            {
                var tenant = insert.Parameters.Add("$tenant", SqliteType.Text);
                var id = insert.Parameters.Add("$id", SqliteType.Text);
                var seq = insert.Parameters.Add("$seq", SqliteType.Integer);
                var entity = insert.Parameters.Add("$entity", SqliteType.Text);
                var attempts = insert.Parameters.Add("$attempts", SqliteType.Integer);
                var due = insert.Parameters.Add("$due", SqliteType.Text);
                foreach (var entry in entries)
                {
                    (tenant.Value, id.Value, seq.Value, entity.Value, attempts.Value, due.Value) =
                        (entry.Tenant, entry.SubscriptionId, entry.Sequence, entry.EntityId, entry.Attempts, Timestamps.Format6(entry.Due));
                    insert.ExecuteNonQuery();
                }
            }
            if (position is { } saved)
            {
                using var save = Command(connection, """
                    INSERT INTO positions (consumer, horizon, window_end, seq) VALUES ($consumer, $horizon, $end, $seq)
                    ON CONFLICT (consumer) DO UPDATE SET horizon = excluded.horizon, window_end = excluded.window_end, seq = excluded.seq
                    """);
                save.Parameters.AddWithValue("$consumer", consumer);
                save.Parameters.AddWithValue("$horizon", saved.Horizon);
                save.Parameters.AddWithValue("$end", saved.WindowEnd);
                save.Parameters.AddWithValue("$seq", saved.Sequence);
                save.ExecuteNonQuery();
            }
            transaction.Commit();
            return true;
        }, cancellationToken, fullSync: false).ConfigureAwait(false);

    public ValueTask<IReadOnlyList<OutboxSummary>> SummarizeOutboxAsync(CancellationToken cancellationToken) =>
        InTurnAsync<IReadOnlyList<OutboxSummary>>(connection =>
        {
            var summaries = new List<OutboxSummary>();
            using var command = Command(connection, "SELECT tenant, subscription_id, count(*) FROM outbox GROUP BY tenant, subscription_id");
            using var reader = command.ExecuteReader();
            while (reader.Read())
                summaries.Add(new OutboxSummary(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
            return summaries;
        }, cancellationToken);

    public ValueTask<IReadOnlyList<OutboxEntry>> ReadOutboxAsync(string tenant, string subscriptionId, long afterSequence, int max, CancellationToken cancellationToken) =>
        InTurnAsync<IReadOnlyList<OutboxEntry>>(connection =>
        {
            var entries = new List<OutboxEntry>();
            using var command = Command(connection, """
                SELECT tenant, subscription_id, seq, entity_id, attempts, due FROM outbox
                WHERE tenant = $tenant AND subscription_id = $id AND seq > $after ORDER BY seq LIMIT $max
                """);
            command.Parameters.AddWithValue("$tenant", tenant);
            command.Parameters.AddWithValue("$id", subscriptionId);
            command.Parameters.AddWithValue("$after", afterSequence);
            command.Parameters.AddWithValue("$max", max);
            using var reader = command.ExecuteReader();
            while (reader.Read())
                entries.Add(new OutboxEntry(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3), reader.GetInt32(4), ParseTime(reader.GetString(5))));
            return entries;
        }, cancellationToken);

    public async ValueTask CompleteAsync(IReadOnlyList<DeliveryReport> reports, CancellationToken cancellationToken)
    {
        if (reports.Count == 0)
            return;
        await InTurnAsync(connection =>
        {
            using var transaction = connection.BeginTransaction();
            using var remove = Command(connection, "DELETE FROM outbox WHERE tenant = $tenant AND subscription_id = $id AND seq = $seq");
            using var reschedule = Command(connection, "UPDATE outbox SET attempts = $attempts, due = $due WHERE tenant = $tenant AND subscription_id = $id AND seq = $seq");
            using var status = Command(connection, """
                UPDATE subscriptions SET times_sent = times_sent + $sent, times_failed = times_failed + $failed,
                    last_notification = max(coalesce(last_notification, ''), coalesce($notification, '')),
                    last_success = nullif(max(coalesce(last_success, ''), coalesce($success, '')), ''),
                    last_failure = nullif(max(coalesce(last_failure, ''), coalesce($failure, '')), '')
                WHERE tenant = $tenant AND id = $id
                """);
            foreach (var report in reports)
            {
                foreach (var sequence in report.Removed)
                {
                    remove.Parameters.Clear();
                    remove.Parameters.AddWithValue("$tenant", report.Tenant);
                    remove.Parameters.AddWithValue("$id", report.SubscriptionId);
                    remove.Parameters.AddWithValue("$seq", sequence);
                    remove.ExecuteNonQuery();
                }
                foreach (var entry in report.Rescheduled)
                {
                    reschedule.Parameters.Clear();
                    reschedule.Parameters.AddWithValue("$tenant", report.Tenant);
                    reschedule.Parameters.AddWithValue("$id", report.SubscriptionId);
                    reschedule.Parameters.AddWithValue("$seq", entry.Sequence);
                    reschedule.Parameters.AddWithValue("$attempts", entry.Attempts);
                    reschedule.Parameters.AddWithValue("$due", Timestamps.Format6(entry.Due));
                    reschedule.ExecuteNonQuery();
                }
                var delta = report.Status;
                if (delta == DeliveryStatus.None)
                    continue;
                status.Parameters.Clear();
                status.Parameters.AddWithValue("$tenant", report.Tenant);
                status.Parameters.AddWithValue("$id", report.SubscriptionId);
                status.Parameters.AddWithValue("$sent", delta.TimesSent);
                status.Parameters.AddWithValue("$failed", delta.TimesFailed);
                status.Parameters.AddWithValue("$notification", Text(delta.LastNotification));
                status.Parameters.AddWithValue("$success", Text(delta.LastSuccess));
                status.Parameters.AddWithValue("$failure", Text(delta.LastFailure));
                status.ExecuteNonQuery();
            }
            transaction.Commit();
            return true;
        }, cancellationToken, fullSync: false).ConfigureAwait(false);
    }

    private const string Select = "SELECT tenant, id, doc, created, revision, deleted, times_sent, times_failed, last_notification, last_success, last_failure FROM subscriptions";

    private static StoredSubscription ReadSubscription(SqliteDataReader reader) =>
        new(reader.GetString(0), reader.GetString(1), reader.GetString(2), ParseTime(reader.GetString(3)))
        {
            Revision = reader.GetInt64(4),
            Deleted = reader.GetInt64(5) != 0,
            Status = new DeliveryStatus(reader.GetInt64(6), reader.GetInt64(7), OptionalTime(reader, 8), OptionalTime(reader, 9), OptionalTime(reader, 10)),
        };

    private static DateTimeOffset? OptionalTime(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) || reader.GetString(ordinal).Length == 0 ? null : ParseTime(reader.GetString(ordinal));

    private static DateTimeOffset ParseTime(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);

    private static object Text(DateTimeOffset? instant) => instant is { } value ? Timestamps.Format6(value) : DBNull.Value;

    /// <summary>The next revision, from a counter of its own: a purged tombstone may have held the largest one.</summary>
    private static long NextRevision(SqliteConnection connection)
    {
        using var command = Command(connection, "UPDATE revisions SET last = last + 1 RETURNING last");
        return (long)command.ExecuteScalar()!;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    private bool _fullSync = true;

    private async ValueTask<T> InTurnAsync<T>(Func<SqliteConnection, T> work, CancellationToken cancellationToken, bool fullSync = true)
    {
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = _connection ?? throw new InvalidOperationException("The subscription store is not initialized.");
            if (_fullSync != fullSync)
            {
                using var pragma = Command(connection, fullSync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
                pragma.ExecuteNonQuery();
                _fullSync = fullSync;
            }
            return work(connection);
        }
        finally
        {
            _turn.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _turn.WaitAsync().ConfigureAwait(false);
        if (_connection is not null)
            await _connection.DisposeAsync().ConfigureAwait(false);
        _connection = null;
        _turn.Release();
    }
}
