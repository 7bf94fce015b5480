using Broker.Storage;
using Broker.Storage.Embedded;
using Broker.Storage.Postgres;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Xunit;

namespace Broker.StoreTests;

/// <summary>An embedded store in a temporary folder, shared by the tests of one class.</summary>
public sealed class EmbeddedStoreFixture : IAsyncLifetime
{
    public string DataPath { get; } = Path.Combine(Path.GetTempPath(), "ngsi-contract-" + Guid.NewGuid().ToString("N"));

    public EmbeddedEntityStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Store = new EmbeddedEntityStore(new EmbeddedStoreOptions { DataPath = DataPath }, NullLogger<EmbeddedEntityStore>.Instance);
        await Store.InitializeAsync(default);
    }

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(DataPath, recursive: true);
    }
}

/// <summary>A PostgreSQL store on a fresh database; null store when no server is reachable on a developer box.</summary>
public class PostgresStoreFixture : IAsyncLifetime
{
    /// <summary>From how many changes a commit is one set-based statement (<see cref="PostgresStoreOptions.SetBasedWriteThreshold"/>).</summary>
    protected virtual int SetBasedWriteThreshold => new PostgresStoreOptions { ConnectionString = "" }.SetBasedWriteThreshold;

    public string? ConnectionString { get; private set; }

    public PostgresEntityStore? Store { get; private set; }

    public async Task InitializeAsync()
    {
        if (TestDatabase.SkipReason is not null)
            return;
        ConnectionString = TestDatabase.CreateDatabase("contract");
        Store = new PostgresEntityStore(new PostgresStoreOptions { ConnectionString = ConnectionString, SetBasedWriteThreshold = SetBasedWriteThreshold }, NullLogger<PostgresEntityStore>.Instance);
        await Store.InitializeAsync(default);
    }

    public async Task DisposeAsync()
    {
        if (Store is not null)
            await Store.DisposeAsync();
        if (ConnectionString is not null)
            TestDatabase.DropDatabase(ConnectionString);
    }
}

public sealed class EmbeddedStoreContractTests(EmbeddedStoreFixture fixture) : StoreContractTests, IClassFixture<EmbeddedStoreFixture>
{
    protected override IEntityStore? Store => fixture.Store;

    protected override async Task<List<(string Kind, string EntityId, string Attributes, bool HasAfter)>> ChangesAsync(string tenant)
    {
        var changes = new List<(string, string, string, bool)>();
        await using var connection = new SqliteConnection("Data Source=" + Path.Combine(fixture.DataPath, "broker.db") + ";Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT kind, entity_id, attributes, after IS NOT NULL FROM changes WHERE tenant = $tenant ORDER BY seq";
        command.Parameters.AddWithValue("$tenant", tenant);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            changes.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetBoolean(3)));
        return changes;
    }
}

/// <summary>A PostgreSQL store that writes every commit of two or more creates and updates with the set-based statement.</summary>
public sealed class PostgresSetBasedStoreFixture : PostgresStoreFixture
{
    protected override int SetBasedWriteThreshold => 2;
}

/// <summary>The contract on PostgreSQL. Without a server on a developer box its tests pass empty (CI=true makes them run and fail).</summary>
public sealed class PostgresStoreContractTests(PostgresStoreFixture fixture) : PostgresContractTests(fixture), IClassFixture<PostgresStoreFixture>;

/// <summary>The contract on PostgreSQL with set-based writes for every batch (SetBasedWrite).</summary>
public sealed class PostgresSetBasedStoreContractTests(PostgresSetBasedStoreFixture fixture) : PostgresContractTests(fixture), IClassFixture<PostgresSetBasedStoreFixture>;

public abstract class PostgresContractTests(PostgresStoreFixture fixture) : StoreContractTests
{
    protected override IEntityStore? Store => fixture.Store;

    protected override async Task<List<(string Kind, string EntityId, string Attributes, bool HasAfter)>> ChangesAsync(string tenant)
    {
        var changes = new List<(string, string, string, bool)>();
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT kind, entity_id, attributes::text, after IS NOT NULL FROM changes WHERE tenant = $1 ORDER BY seq", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            changes.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetBoolean(3)));
        return changes;
    }
}
