using Microsoft.Extensions.Logging;
using Npgsql;

namespace Broker.Storage.Postgres;

/// <summary>Context source registrations in PostgreSQL (migration 11), shared by every broker node.</summary>
public sealed partial class PostgresRegistrationStore(PostgresStoreOptions options, ILogger<PostgresRegistrationStore> logger) : IRegistrationStore
{
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(options.ConnectionString);

    /// <summary>The schema is migrated by <see cref="PostgresEntityStore.InitializeAsync"/>, which runs first.</summary>
    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask<bool> InsertAsync(StoredRegistration registration, CancellationToken cancellationToken) =>
        RunAsync(async connection =>
        {
            await using var command = new NpgsqlCommand(
                "INSERT INTO csource_registrations (tenant, id, doc, revision) VALUES ($1, $2, $3::jsonb, 1) ON CONFLICT (tenant, id) DO NOTHING", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = registration.Tenant });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = registration.Id });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = registration.Document });
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken);

    public ValueTask<StoredRegistration?> GetAsync(string tenant, string id, CancellationToken cancellationToken) =>
        RunAsync(async connection =>
        {
            await using var command = new NpgsqlCommand(Select + " WHERE tenant = $1 AND id = $2", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadRegistration(reader) : null;
        }, cancellationToken);

    public ValueTask<IReadOnlyList<StoredRegistration>> ListAsync(string tenant, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<StoredRegistration>>(async connection =>
        {
            var registrations = new List<StoredRegistration>();
            await using var command = new NpgsqlCommand(Select + " WHERE tenant = $1 ORDER BY id", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                registrations.Add(ReadRegistration(reader));
            return registrations;
        }, cancellationToken);

    public ValueTask<bool> UpdateAsync(string tenant, string id, string document, long expectedRevision, CancellationToken cancellationToken) =>
        RunAsync(async connection =>
        {
            await using var command = new NpgsqlCommand(
                "UPDATE csource_registrations SET doc = $3::jsonb, revision = revision + 1 WHERE tenant = $1 AND id = $2 AND revision = $4", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = document });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = expectedRevision });
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken);

    public ValueTask<bool> DeleteAsync(string tenant, string id, CancellationToken cancellationToken) =>
        RunAsync(async connection =>
        {
            await using var command = new NpgsqlCommand("DELETE FROM csource_registrations WHERE tenant = $1 AND id = $2", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken);

    public async ValueTask AddStatusAsync(string tenant, string id, StoredRegistrationStatus delta, CancellationToken cancellationToken) =>
        await RunAsync(async connection =>
        {
            await using var command = new NpgsqlCommand("""
                UPDATE csource_registrations SET times_sent = times_sent + $3, times_failed = times_failed + $4,
                    last_success = greatest(last_success, $5), last_failure = greatest(last_failure, $6)
                WHERE tenant = $1 AND id = $2
                """, connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = delta.TimesSent });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = delta.TimesFailed });
            command.Parameters.Add(Time(delta.LastSuccess));
            command.Parameters.Add(Time(delta.LastFailure));
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

    private const string Select = "SELECT tenant, id, doc::text, revision, times_sent, times_failed, last_success, last_failure FROM csource_registrations";

    private static StoredRegistration ReadRegistration(NpgsqlDataReader reader) =>
        new(reader.GetString(0), reader.GetString(1), reader.GetString(2))
        {
            Revision = reader.GetInt64(3),
            Status = new StoredRegistrationStatus(reader.GetInt64(4), reader.GetInt64(5), OptionalTime(reader, 6), OptionalTime(reader, 7)),
        };

    private static DateTimeOffset? OptionalTime(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    private static NpgsqlParameter Time(DateTimeOffset? instant) =>
        new() { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz, Value = instant is { } value ? value.UtcDateTime : DBNull.Value };

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
            throw Problems.NgsiLdException.BadRequestData("The registration holds a value PostgreSQL cannot store: " + e.MessageText);
        }
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL registration store unavailable")]
    private static partial void LogUnavailable(ILogger logger, Exception exception);
}
