using System.Globalization;
using Broker.Entities.Representation;
using Microsoft.Data.Sqlite;

namespace Broker.Storage.Embedded;

/// <summary>
/// Context source registration subscriptions of the embedded store, with their delivery status and their outbox, in
/// <c>csource-subscriptions.db</c> beside <c>broker.db</c> (WAL, synchronous=FULL). One connection, taken in turns.
/// </summary>
public sealed class EmbeddedCsourceSubscriptionStore(EmbeddedStoreOptions options) : ICsourceSubscriptionStore
{
    private readonly SemaphoreSlim _turn = new(1, 1);
    private SqliteConnection? _connection;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var folder = Path.GetFullPath(options.DataPath);
        Directory.CreateDirectory(folder);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "csource-subscriptions.db"), Pooling = false }.ToString());
        await _connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = _connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
            CREATE TABLE IF NOT EXISTS csource_subscriptions (
                tenant TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, created TEXT NOT NULL, revision INTEGER NOT NULL,
                PRIMARY KEY (tenant, id)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS csource_outbox (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, subscription_id TEXT NOT NULL,
                trigger_reason TEXT NOT NULL, registrations TEXT NOT NULL, attempts INTEGER NOT NULL, due TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS csource_outbox_subscription ON csource_outbox (tenant, subscription_id);
            """;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await AddStatusColumnsAsync(_connection, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The delivery status columns, which databases written before them lack.</summary>
    private static async Task AddStatusColumnsAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        using var check = Command(connection, "SELECT count(*) FROM pragma_table_info('csource_subscriptions') WHERE name = 'times_sent'");
        if ((long)(await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! > 0)
            return;
        using var add = Command(connection, """
            ALTER TABLE csource_subscriptions ADD COLUMN times_sent INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE csource_subscriptions ADD COLUMN times_failed INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE csource_subscriptions ADD COLUMN last_notification TEXT;
            ALTER TABLE csource_subscriptions ADD COLUMN last_success TEXT;
            ALTER TABLE csource_subscriptions ADD COLUMN last_failure TEXT;
            """);
        await add.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<bool> InsertAsync(StoredCsourceSubscription subscription, CancellationToken cancellationToken) =>
        InTurnAsync(connection =>
        {
            using var command = Command(connection, "INSERT INTO csource_subscriptions (tenant, id, doc, created, revision) VALUES ($tenant, $id, $doc, $created, 1) ON CONFLICT (tenant, id) DO NOTHING");
            command.Parameters.AddWithValue("$tenant", subscription.Tenant);
            command.Parameters.AddWithValue("$id", subscription.Id);
            command.Parameters.AddWithValue("$doc", subscription.Document);
            command.Parameters.AddWithValue("$created", Timestamps.Format6(subscription.CreatedAt));
            return command.ExecuteNonQuery() == 1;
        }, cancellationToken);

    public ValueTask<StoredCsourceSubscription?> GetAsync(string tenant, string id, CancellationToken cancellationToken) =>
        InTurnAsync(connection =>
        {
            using var command = Command(connection, Select + " WHERE tenant = $tenant AND id = $id");
            command.Parameters.AddWithValue("$tenant", tenant);
            command.Parameters.AddWithValue("$id", id);
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadSubscription(reader) : null;
        }, cancellationToken);

    public ValueTask<IReadOnlyList<StoredCsourceSubscription>> ListAsync(string tenant, CancellationToken cancellationToken) =>
        InTurnAsync<IReadOnlyList<StoredCsourceSubscription>>(connection =>
        {
            var subscriptions = new List<StoredCsourceSubscription>();
            using var command = Command(connection, Select + " WHERE tenant = $tenant ORDER BY id");
            command.Parameters.AddWithValue("$tenant", tenant);
            using var reader = command.ExecuteReader();
            while (reader.Read())
                subscriptions.Add(ReadSubscription(reader));
            return subscriptions;
        }, cancellationToken);

    public ValueTask<bool> UpdateAsync(string tenant, string id, string document, long expectedRevision, CancellationToken cancellationToken) =>
        InTurnAsync(connection =>
        {
            using var command = Command(connection, "UPDATE csource_subscriptions SET doc = $doc, revision = revision + 1 WHERE tenant = $tenant AND id = $id AND revision = $expected");
            command.Parameters.AddWithValue("$tenant", tenant);
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$doc", document);
            command.Parameters.AddWithValue("$expected", expectedRevision);
            return command.ExecuteNonQuery() == 1;
        }, cancellationToken);

    public ValueTask<bool> DeleteAsync(string tenant, string id, CancellationToken cancellationToken) =>
        InTurnAsync(connection =>
        {
            using var transaction = connection.BeginTransaction();
            using var command = Command(connection, "DELETE FROM csource_subscriptions WHERE tenant = $tenant AND id = $id");
            command.Parameters.AddWithValue("$tenant", tenant);
            command.Parameters.AddWithValue("$id", id);
            var deleted = command.ExecuteNonQuery() == 1;
            using var owed = Command(connection, "DELETE FROM csource_outbox WHERE tenant = $tenant AND subscription_id = $id");
            owed.Parameters.AddWithValue("$tenant", tenant);
            owed.Parameters.AddWithValue("$id", id);
            owed.ExecuteNonQuery();
            transaction.Commit();
            return deleted;
        }, cancellationToken);

    public ValueTask<IReadOnlyList<StoredCsourceSubscription>> ListAllAsync(CancellationToken cancellationToken) =>
        InTurnAsync<IReadOnlyList<StoredCsourceSubscription>>(connection =>
        {
            var subscriptions = new List<StoredCsourceSubscription>();
            using var command = Command(connection, Select + " ORDER BY tenant, id");
            using var reader = command.ExecuteReader();
            while (reader.Read())
                subscriptions.Add(ReadSubscription(reader));
            return subscriptions;
        }, cancellationToken);

    public async ValueTask AppendNoticesAsync(IReadOnlyList<StoredCsourceNotice> notices, CancellationToken cancellationToken)
    {
        if (notices.Count == 0)
            return;
        await InTurnAsync(connection =>
        {
            using var transaction = connection.BeginTransaction();
            using var insert = Command(connection, """
                INSERT INTO csource_outbox (tenant, subscription_id, trigger_reason, registrations, attempts, due)
                SELECT $tenant, $id, $reason, $registrations, $attempts, $due
                WHERE EXISTS (SELECT 1 FROM csource_subscriptions WHERE tenant = $tenant AND id = $id)
                """);
            foreach (var notice in notices)
            {
                insert.Parameters.Clear();
                insert.Parameters.AddWithValue("$tenant", notice.Tenant);
                insert.Parameters.AddWithValue("$id", notice.SubscriptionId);
                insert.Parameters.AddWithValue("$reason", notice.TriggerReason);
                insert.Parameters.AddWithValue("$registrations", notice.Registrations);
                insert.Parameters.AddWithValue("$attempts", notice.Attempts);
                insert.Parameters.AddWithValue("$due", Timestamps.Format6(notice.Due));
                insert.ExecuteNonQuery();
            }
            transaction.Commit();
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<IReadOnlyList<StoredCsourceNotice>> ReadNoticesAsync(int max, CancellationToken cancellationToken) =>
        InTurnAsync<IReadOnlyList<StoredCsourceNotice>>(connection =>
        {
            var notices = new List<StoredCsourceNotice>();
            using var command = Command(connection, "SELECT seq, tenant, subscription_id, trigger_reason, registrations, attempts, due FROM csource_outbox ORDER BY seq LIMIT $max");
            command.Parameters.AddWithValue("$max", max);
            using var reader = command.ExecuteReader();
            while (reader.Read())
                notices.Add(new StoredCsourceNotice(reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetInt32(5), ParseTime(reader.GetString(6)))
                {
                    Sequence = reader.GetInt64(0),
                });
            return notices;
        }, cancellationToken);

    public async ValueTask CompleteNoticesAsync(IReadOnlyList<DeliveryReport> reports, CancellationToken cancellationToken)
    {
        if (reports.Count == 0)
            return;
        await InTurnAsync(connection =>
        {
            using var transaction = connection.BeginTransaction();
            using var remove = Command(connection, "DELETE FROM csource_outbox WHERE seq = $seq");
            using var reschedule = Command(connection, "UPDATE csource_outbox SET attempts = $attempts, due = $due WHERE seq = $seq");
            using var status = Command(connection, """
                UPDATE csource_subscriptions SET times_sent = times_sent + $sent, times_failed = times_failed + $failed,
                    last_notification = nullif(max(coalesce(last_notification, ''), coalesce($notification, '')), ''),
                    last_success = nullif(max(coalesce(last_success, ''), coalesce($success, '')), ''),
                    last_failure = nullif(max(coalesce(last_failure, ''), coalesce($failure, '')), '')
                WHERE tenant = $tenant AND id = $id
                """);
            foreach (var report in reports)
            {
                foreach (var sequence in report.Removed)
                {
                    remove.Parameters.Clear();
                    remove.Parameters.AddWithValue("$seq", sequence);
                    remove.ExecuteNonQuery();
                }
                foreach (var entry in report.Rescheduled)
                {
                    reschedule.Parameters.Clear();
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
        }, cancellationToken).ConfigureAwait(false);
    }

    private const string Select =
        "SELECT tenant, id, doc, created, revision, times_sent, times_failed, last_notification, last_success, last_failure FROM csource_subscriptions";

    private static StoredCsourceSubscription ReadSubscription(SqliteDataReader reader) =>
        new(reader.GetString(0), reader.GetString(1), reader.GetString(2), ParseTime(reader.GetString(3)))
        {
            Revision = reader.GetInt64(4),
            Status = new DeliveryStatus(reader.GetInt64(5), reader.GetInt64(6), OptionalTime(reader, 7), OptionalTime(reader, 8), OptionalTime(reader, 9)),
        };

    private static DateTimeOffset? OptionalTime(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) || reader.GetString(ordinal).Length == 0 ? null : ParseTime(reader.GetString(ordinal));

    private static DateTimeOffset ParseTime(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);

    private static object Text(DateTimeOffset? instant) => instant is { } value ? Timestamps.Format6(value) : DBNull.Value;

    private static SqliteCommand Command(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    private async ValueTask<T> InTurnAsync<T>(Func<SqliteConnection, T> work, CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return work(_connection ?? throw new InvalidOperationException("The csource subscription store is not initialized."));
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
