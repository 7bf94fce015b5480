using Microsoft.Extensions.Logging;
using Npgsql;

namespace Broker.Storage.Postgres;

/// <summary>Context source registration subscriptions in PostgreSQL (migration 12), shared by every broker node, with their delivery status and outbox (migration 13).</summary>
public sealed partial class PostgresCsourceSubscriptionStore(PostgresStoreOptions options, ILogger<PostgresCsourceSubscriptionStore> logger) : ICsourceSubscriptionStore
{
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(options.ConnectionString);

    /// <summary>The schema is migrated by <see cref="PostgresEntityStore.InitializeAsync"/>, which runs first.</summary>
    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask<bool> InsertAsync(StoredCsourceSubscription subscription, CancellationToken cancellationToken) =>
        RunAsync(async connection =>
        {
            await using var command = new NpgsqlCommand(
                "INSERT INTO csource_subscriptions (tenant, id, doc, created, revision) VALUES ($1, $2, $3::jsonb, $4, 1) ON CONFLICT (tenant, id) DO NOTHING", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subscription.Tenant });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subscription.Id });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subscription.Document });
            command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = subscription.CreatedAt.UtcDateTime });
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken);

    public ValueTask<StoredCsourceSubscription?> GetAsync(string tenant, string id, CancellationToken cancellationToken) =>
        RunAsync(async connection =>
        {
            await using var command = new NpgsqlCommand(Select + " WHERE tenant = $1 AND id = $2", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadSubscription(reader) : null;
        }, cancellationToken);

    public ValueTask<IReadOnlyList<StoredCsourceSubscription>> ListAsync(string tenant, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<StoredCsourceSubscription>>(async connection =>
        {
            var subscriptions = new List<StoredCsourceSubscription>();
            await using var command = new NpgsqlCommand(Select + " WHERE tenant = $1 ORDER BY id", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                subscriptions.Add(ReadSubscription(reader));
            return subscriptions;
        }, cancellationToken);

    public ValueTask<bool> UpdateAsync(string tenant, string id, string document, long expectedRevision, CancellationToken cancellationToken) =>
        RunAsync(async connection =>
        {
            await using var command = new NpgsqlCommand(
                "UPDATE csource_subscriptions SET doc = $3::jsonb, revision = revision + 1 WHERE tenant = $1 AND id = $2 AND revision = $4", connection);
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
            await using var command = new NpgsqlCommand("DELETE FROM csource_subscriptions WHERE tenant = $1 AND id = $2", connection, transaction);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
            var deleted = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
            await using var owed = new NpgsqlCommand("DELETE FROM csource_outbox WHERE tenant = $1 AND subscription_id = $2", connection, transaction);
            owed.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            owed.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
            await owed.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return deleted;
        }, cancellationToken);

    public ValueTask<IReadOnlyList<StoredCsourceSubscription>> ListAllAsync(CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<StoredCsourceSubscription>>(async connection =>
        {
            var subscriptions = new List<StoredCsourceSubscription>();
            await using var command = new NpgsqlCommand(Select + " ORDER BY tenant, id", connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                subscriptions.Add(ReadSubscription(reader));
            return subscriptions;
        }, cancellationToken);

    public async ValueTask AppendNoticesAsync(IReadOnlyList<StoredCsourceNotice> notices, CancellationToken cancellationToken)
    {
        if (notices.Count == 0)
            return;
        await RunAsync(async connection =>
        {
            await using var command = new NpgsqlCommand("""
                INSERT INTO csource_outbox (tenant, subscription_id, trigger_reason, registrations, attempts, due)
                SELECT x.tenant, x.id, x.reason, x.registrations::jsonb, x.attempts, x.due
                FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::timestamptz[]) WITH ORDINALITY AS x(tenant, id, reason, registrations, attempts, due, n)
                WHERE EXISTS (SELECT 1 FROM csource_subscriptions s WHERE s.tenant = x.tenant AND s.id = x.id)
                ORDER BY x.n
                """, connection);
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. notices.Select(n => n.Tenant)] });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. notices.Select(n => n.SubscriptionId)] });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. notices.Select(n => n.TriggerReason)] });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. notices.Select(n => n.Registrations)] });
            command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. notices.Select(n => n.Attempts)] });
            command.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = [.. notices.Select(n => n.Due.UtcDateTime)] });
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<IReadOnlyList<StoredCsourceNotice>> ReadNoticesAsync(int max, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<StoredCsourceNotice>>(async connection =>
        {
            var notices = new List<StoredCsourceNotice>();
            await using var command = new NpgsqlCommand(
                "SELECT seq, tenant, subscription_id, trigger_reason, registrations::text, attempts, due FROM csource_outbox ORDER BY seq LIMIT $1", connection);
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = max });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                notices.Add(new StoredCsourceNotice(reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetInt32(5),
                    reader.GetFieldValue<DateTimeOffset>(6))
                { Sequence = reader.GetInt64(0) });
            return notices;
        }, cancellationToken);

    public async ValueTask CompleteNoticesAsync(IReadOnlyList<DeliveryReport> reports, CancellationToken cancellationToken)
    {
        if (reports.Count == 0)
            return;
        await RunAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var batch = new NpgsqlBatch(connection, transaction);
            foreach (var report in reports)
            {
                var delta = report.Status;
                if (delta != DeliveryStatus.None)
                {
                    var status = new NpgsqlBatchCommand("""
                        UPDATE csource_subscriptions SET times_sent = times_sent + $3, times_failed = times_failed + $4,
                            last_notification = greatest(last_notification, $5), last_success = greatest(last_success, $6), last_failure = greatest(last_failure, $7)
                        WHERE tenant = $1 AND id = $2
                        """);
                    status.Parameters.Add(new NpgsqlParameter<string> { TypedValue = report.Tenant });
                    status.Parameters.Add(new NpgsqlParameter<string> { TypedValue = report.SubscriptionId });
                    status.Parameters.Add(new NpgsqlParameter<long> { TypedValue = delta.TimesSent });
                    status.Parameters.Add(new NpgsqlParameter<long> { TypedValue = delta.TimesFailed });
                    status.Parameters.Add(Time(delta.LastNotification));
                    status.Parameters.Add(Time(delta.LastSuccess));
                    status.Parameters.Add(Time(delta.LastFailure));
                    batch.BatchCommands.Add(status);
                }
                if (report.Removed.Count > 0)
                {
                    var remove = new NpgsqlBatchCommand("DELETE FROM csource_outbox WHERE seq = ANY($1)");
                    remove.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. report.Removed] });
                    batch.BatchCommands.Add(remove);
                }
                if (report.Rescheduled.Count > 0)
                {
                    var reschedule = new NpgsqlBatchCommand("""
                        UPDATE csource_outbox o SET attempts = x.attempts, due = x.due
                        FROM unnest($1::bigint[], $2::int[], $3::timestamptz[]) AS x(seq, attempts, due)
                        WHERE o.seq = x.seq
                        """);
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

    private const string Select =
        "SELECT tenant, id, doc::text, created, revision, times_sent, times_failed, last_notification, last_success, last_failure FROM csource_subscriptions";

    private static StoredCsourceSubscription ReadSubscription(NpgsqlDataReader reader) =>
        new(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3))
        {
            Revision = reader.GetInt64(4),
            Status = new DeliveryStatus(reader.GetInt64(5), reader.GetInt64(6), OptionalTime(reader, 7), OptionalTime(reader, 8), OptionalTime(reader, 9)),
        };

    private static DateTimeOffset? OptionalTime(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    private async ValueTask<T> RunAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            return await work(connection).ConfigureAwait(false);
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e))
        {
            LogUnavailable(logger, e);
            throw new StoreUnavailableException("The PostgreSQL database is not reachable; retry later.", e);
        }
        catch (PostgresException e) when (PostgresErrors.IsUnstorableValue(e))
        {
            throw Problems.NgsiLdException.BadRequestData("The subscription holds a value PostgreSQL cannot store: " + e.MessageText);
        }
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL csource subscription store unavailable")]
    private static partial void LogUnavailable(ILogger logger, Exception exception);
}
