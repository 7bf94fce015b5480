using Microsoft.Extensions.Logging;
using Npgsql;

namespace Broker.Storage.Postgres;

/// <summary>Context source registration subscriptions in PostgreSQL (migration 12), shared by every broker node.</summary>
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
            await using var command = new NpgsqlCommand("DELETE FROM csource_subscriptions WHERE tenant = $1 AND id = $2", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken);

    private const string Select = "SELECT tenant, id, doc::text, created, revision FROM csource_subscriptions";

    private static StoredCsourceSubscription ReadSubscription(NpgsqlDataReader reader) =>
        new(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3)) { Revision = reader.GetInt64(4) };

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
