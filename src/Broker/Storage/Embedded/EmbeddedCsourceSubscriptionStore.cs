using System.Globalization;
using Broker.Entities.Representation;
using Microsoft.Data.Sqlite;

namespace Broker.Storage.Embedded;

/// <summary>
/// Context source registration subscriptions of the embedded store, in <c>csource-subscriptions.db</c> beside
/// <c>broker.db</c> (WAL, synchronous=FULL). One connection, taken in turns.
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
            """;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
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
            using var command = Command(connection, "DELETE FROM csource_subscriptions WHERE tenant = $tenant AND id = $id");
            command.Parameters.AddWithValue("$tenant", tenant);
            command.Parameters.AddWithValue("$id", id);
            return command.ExecuteNonQuery() == 1;
        }, cancellationToken);

    private const string Select = "SELECT tenant, id, doc, created, revision FROM csource_subscriptions";

    private static StoredCsourceSubscription ReadSubscription(SqliteDataReader reader) =>
        new(reader.GetString(0), reader.GetString(1), reader.GetString(2),
            DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal))
        {
            Revision = reader.GetInt64(4),
        };

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
