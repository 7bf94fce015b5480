using System.Globalization;
using Broker.Entities.Representation;
using Microsoft.Data.Sqlite;

namespace Broker.Storage.Embedded;

/// <summary>
/// Context source registrations of the embedded store, in a SQLite database of their own (<c>registrations.db</c> beside
/// <c>broker.db</c>), WAL with synchronous=FULL: a registration acknowledged is on disk. One connection, taken in turns.
/// </summary>
public sealed class EmbeddedRegistrationStore(EmbeddedStoreOptions options) : IRegistrationStore
{
    private readonly SemaphoreSlim _turn = new(1, 1);
    private SqliteConnection? _connection;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var folder = Path.GetFullPath(options.DataPath);
        Directory.CreateDirectory(folder);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "registrations.db"), Pooling = false }.ToString());
        await _connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = _connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
            CREATE TABLE IF NOT EXISTS registrations (
                tenant TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, revision INTEGER NOT NULL,
                times_sent INTEGER NOT NULL DEFAULT 0, times_failed INTEGER NOT NULL DEFAULT 0,
                last_success TEXT, last_failure TEXT,
                PRIMARY KEY (tenant, id)) WITHOUT ROWID;
            """;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<bool> InsertAsync(StoredRegistration registration, CancellationToken cancellationToken) =>
        InTurnAsync(connection =>
        {
            using var command = Command(connection, "INSERT INTO registrations (tenant, id, doc, revision) VALUES ($tenant, $id, $doc, 1) ON CONFLICT (tenant, id) DO NOTHING");
            command.Parameters.AddWithValue("$tenant", registration.Tenant);
            command.Parameters.AddWithValue("$id", registration.Id);
            command.Parameters.AddWithValue("$doc", registration.Document);
            return command.ExecuteNonQuery() == 1;
        }, cancellationToken);

    public ValueTask<StoredRegistration?> GetAsync(string tenant, string id, CancellationToken cancellationToken) =>
        InTurnAsync(connection =>
        {
            using var command = Command(connection, Select + " WHERE tenant = $tenant AND id = $id");
            command.Parameters.AddWithValue("$tenant", tenant);
            command.Parameters.AddWithValue("$id", id);
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadRegistration(reader) : null;
        }, cancellationToken);

    public ValueTask<IReadOnlyList<StoredRegistration>> ListAsync(string tenant, CancellationToken cancellationToken) =>
        InTurnAsync<IReadOnlyList<StoredRegistration>>(connection =>
        {
            var registrations = new List<StoredRegistration>();
            using var command = Command(connection, Select + " WHERE tenant = $tenant ORDER BY id");
            command.Parameters.AddWithValue("$tenant", tenant);
            using var reader = command.ExecuteReader();
            while (reader.Read())
                registrations.Add(ReadRegistration(reader));
            return registrations;
        }, cancellationToken);

    public ValueTask<bool> UpdateAsync(string tenant, string id, string document, long expectedRevision, CancellationToken cancellationToken) =>
        InTurnAsync(connection =>
        {
            using var command = Command(connection, "UPDATE registrations SET doc = $doc, revision = revision + 1 WHERE tenant = $tenant AND id = $id AND revision = $expected");
            command.Parameters.AddWithValue("$tenant", tenant);
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$doc", document);
            command.Parameters.AddWithValue("$expected", expectedRevision);
            return command.ExecuteNonQuery() == 1;
        }, cancellationToken);

    public ValueTask<bool> DeleteAsync(string tenant, string id, CancellationToken cancellationToken) =>
        InTurnAsync(connection =>
        {
            using var command = Command(connection, "DELETE FROM registrations WHERE tenant = $tenant AND id = $id");
            command.Parameters.AddWithValue("$tenant", tenant);
            command.Parameters.AddWithValue("$id", id);
            return command.ExecuteNonQuery() == 1;
        }, cancellationToken);

    public async ValueTask AddStatusAsync(string tenant, string id, StoredRegistrationStatus delta, CancellationToken cancellationToken) =>
        await InTurnAsync(connection =>
        {
            using var command = Command(connection, """
                UPDATE registrations SET times_sent = times_sent + $sent, times_failed = times_failed + $failed,
                    last_success = nullif(max(coalesce(last_success, ''), coalesce($success, '')), ''),
                    last_failure = nullif(max(coalesce(last_failure, ''), coalesce($failure, '')), '')
                WHERE tenant = $tenant AND id = $id
                """);
            command.Parameters.AddWithValue("$tenant", tenant);
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$sent", delta.TimesSent);
            command.Parameters.AddWithValue("$failed", delta.TimesFailed);
            command.Parameters.AddWithValue("$success", Text(delta.LastSuccess));
            command.Parameters.AddWithValue("$failure", Text(delta.LastFailure));
            return command.ExecuteNonQuery();
        }, cancellationToken).ConfigureAwait(false);

    private const string Select = "SELECT tenant, id, doc, revision, times_sent, times_failed, last_success, last_failure FROM registrations";

    private static StoredRegistration ReadRegistration(SqliteDataReader reader) =>
        new(reader.GetString(0), reader.GetString(1), reader.GetString(2))
        {
            Revision = reader.GetInt64(3),
            Status = new StoredRegistrationStatus(reader.GetInt64(4), reader.GetInt64(5), OptionalTime(reader, 6), OptionalTime(reader, 7)),
        };

    private static DateTimeOffset? OptionalTime(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : DateTimeOffset.Parse(reader.GetString(ordinal), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);

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
            return work(_connection ?? throw new InvalidOperationException("The registration store is not initialized."));
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
