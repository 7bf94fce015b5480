using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Benchmarks.Load.Scenarios;

/// <summary>The ids of the ceiling scenarios and the store names.</summary>
public static class Ceilings
{
    public const string Http = "C1";
    public const string PostgresInsert = "C2";
    public const string PostgresCopy = "C3";
    public const string SqliteBatch = "C4";
}

public static class Stores
{
    public const string Embedded = "embedded";
    public const string Postgres = "postgres";
}

/// <summary>C1: the HTTP ceiling, GET of a fixed 300-byte JSON body from a bare Kestrel app (benchmarks/Ceiling).</summary>
public sealed class HttpCeiling : IScenario
{
    public string Id => Ceilings.Http;

    public string Name => "HTTP ceiling: Kestrel, fixed 300-byte JSON";

    public Target Target => Target.HttpCeiling;

    public IReadOnlyList<string> TargetArguments => [];

    public string? CeilingFor(string store) => null;

    public Task SetupAsync(ScenarioContext context, CancellationToken ct) => Task.CompletedTask;

    public async ValueTask<int> ExecuteAsync(ScenarioContext context, Client client, CancellationToken ct)
    {
        await context.SendAsync(context.Request(HttpMethod.Get, "/"), 200, ct).ConfigureAwait(false);
        return 1;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>The common part of the raw PostgreSQL ceilings: a table of its own (id text, doc jsonb), dropped at the end.</summary>
public abstract class PostgresCeiling : IScenario
{
    private NpgsqlDataSource? _dataSource;

    protected string Table { get; private set; } = "";

    protected string[] Documents { get; private set; } = [];

    public abstract string Id { get; }

    public abstract string Name { get; }

    public Target Target => Target.Postgres;

    public IReadOnlyList<string> TargetArguments => [];

    public string? CeilingFor(string store) => null;

    public async Task SetupAsync(ScenarioContext context, CancellationToken ct)
    {
        _dataSource = context.Postgres ?? throw new InvalidOperationException("No PostgreSQL connection string.");
        Table = "bench_ceiling_" + context.RunId.Replace('-', '_');
        await using (var command = _dataSource.CreateCommand($"CREATE TABLE {Table} (id text PRIMARY KEY, doc jsonb NOT NULL)"))
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        var random = new Random(3);
        Documents = [.. Enumerable.Range(0, 1000).Select(n =>
            System.Text.Encoding.UTF8.GetString(Payloads.Entity("urn:ngsi-ld:Sensor:" + n.ToString(CultureInfo.InvariantCulture), "Sensor", random)))];
    }

    public abstract ValueTask<int> ExecuteAsync(ScenarioContext context, Client client, CancellationToken ct);

    protected static string RowId(Client client, int item) =>
        string.Create(CultureInfo.InvariantCulture, $"{client.Index}-{client.Sequence}-{item}");

    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        if (_dataSource is not null && Table.Length > 0)
        {
            await using var command = _dataSource.CreateCommand($"DROP TABLE IF EXISTS {Table}");
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>C2: one INSERT of one jsonb row per operation (autocommit, so one durable commit each).</summary>
public sealed class PostgresInsertCeiling : PostgresCeiling
{
    public override string Id => Ceilings.PostgresInsert;

    public override string Name => "PostgreSQL ceiling: single-row jsonb INSERT";

    public override async ValueTask<int> ExecuteAsync(ScenarioContext context, Client client, CancellationToken ct)
    {
        await using var command = context.Postgres!.CreateCommand($"INSERT INTO {Table} (id, doc) VALUES ($1, $2)");
        command.Parameters.Add(new NpgsqlParameter { Value = RowId(client, 0) });
        command.Parameters.Add(new NpgsqlParameter { Value = Documents[client.Random.Next(Documents.Length)], NpgsqlDbType = NpgsqlDbType.Jsonb });
        client.Sequence++;
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return 1;
    }
}

/// <summary>C3: binary COPY of 1000 jsonb rows per operation.</summary>
public sealed class PostgresCopyCeiling : PostgresCeiling
{
    private const int Rows = 1000;

    public override string Id => Ceilings.PostgresCopy;

    public override string Name => $"PostgreSQL ceiling: binary COPY ({Rows} jsonb rows/op)";

    public override async ValueTask<int> ExecuteAsync(ScenarioContext context, Client client, CancellationToken ct)
    {
        await using var connection = await context.Postgres!.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using (var importer = await connection.BeginBinaryImportAsync($"COPY {Table} (id, doc) FROM STDIN (FORMAT BINARY)", ct).ConfigureAwait(false))
        {
            for (var i = 0; i < Rows; i++)
            {
                await importer.StartRowAsync(ct).ConfigureAwait(false);
                await importer.WriteAsync(RowId(client, i), NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await importer.WriteAsync(Documents[i], NpgsqlDbType.Jsonb, ct).ConfigureAwait(false);
            }
            await importer.CompleteAsync(ct).ConfigureAwait(false);
        }
        client.Sequence++;
        return Rows;
    }
}

/// <summary>
/// C4: the embedded store's writes without the broker: per entity one change row carrying the stored document and one
/// entity row, 1000 entities per transaction, in SQLite with WAL and synchronous=FULL (so each commit is fsynced), one
/// writer at a time as in the store. Ids cycle over 100 000 like S2, so after the first pass every row is an update.
/// The documents have the stored form of S2's entities (expanded names, timestamps on every attribute).
/// </summary>
public sealed class SqliteBatchCeiling : IScenario
{
    private const int Rows = 1000;
    private const int Ids = 100_000;

    private readonly SemaphoreSlim _writer = new(1, 1);
    private SqliteConnection? _connection;
    private byte[][] _documents = [];
    private long _next;

    public string Id => Ceilings.SqliteBatch;

    public string Name => $"SQLite ceiling: the embedded store's rows ({Rows} entities/transaction)";

    public Target Target => Target.Sqlite;

    public IReadOnlyList<string> TargetArguments => [];

    public string? CeilingFor(string store) => null;

    public Task SetupAsync(ScenarioContext context, CancellationToken ct)
    {
        var folder = context.DataPath ?? throw new InvalidOperationException("No data folder.");
        Directory.CreateDirectory(folder);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "ceiling.db"), Pooling = false }.ToString());
        _connection.Open();
        Execute("""
            PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
            CREATE TABLE changes (seq INTEGER PRIMARY KEY, tenant TEXT NOT NULL, entity_id TEXT NOT NULL, kind TEXT NOT NULL,
                at TEXT NOT NULL, attributes TEXT NOT NULL, after TEXT);
            CREATE TABLE entities (tenant TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, seq INTEGER NOT NULL,
                PRIMARY KEY (tenant, id)) WITHOUT ROWID;
            """);
        var random = new Random(3);
        _documents = [.. Enumerable.Range(0, Rows).Select(n => StoredForm("urn:ngsi-ld:Sensor:" + n.ToString(CultureInfo.InvariantCulture), random))];
        return Task.CompletedTask;
    }

    public async ValueTask<int> ExecuteAsync(ScenarioContext context, Client client, CancellationToken ct)
    {
        await _writer.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            using var transaction = _connection!.BeginTransaction();
            using var change = Command("INSERT INTO changes (tenant, entity_id, kind, at, attributes, after) VALUES ('', $id, 'Update', $at, $attributes, $after)", transaction, "$id", "$at", "$attributes", "$after");
            using var entity = Command("INSERT INTO entities (tenant, id, version, seq) VALUES ('', $id, 1, last_insert_rowid()) ON CONFLICT (tenant, id) DO UPDATE SET version = version + 1, seq = excluded.seq", transaction, "$id");
            var at = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture);
            for (var i = 0; i < Rows; i++)
            {
                var id = "urn:ngsi-ld:Sensor:c4-" + (_next++ % Ids).ToString(CultureInfo.InvariantCulture);
                change.Parameters[0].Value = id;
                change.Parameters[1].Value = at;
                change.Parameters[2].Value = """["https://uri.etsi.org/ngsi-ld/default-context/intensity"]""";
                change.Parameters[3].Value = _documents[i];
                change.ExecuteNonQuery();
                entity.Parameters[0].Value = id;
                entity.ExecuteNonQuery();
            }
            transaction.Commit();
        }
        finally
        {
            _writer.Release();
        }
        return Rows;
    }

    private SqliteCommand Command(string sql, SqliteTransaction transaction, params string[] parameters)
    {
        var command = _connection!.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var name in parameters)
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        command.Prepare();
        return command;
    }

    private void Execute(string sql)
    {
        using var command = _connection!.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>An S2 entity in the store's form: expanded attribute names and createdAt/modifiedAt on the entity and each attribute.</summary>
    private static byte[] StoredForm(string id, Random random)
    {
        var compact = JsonNode.Parse(Payloads.Entity(id, "Sensor", random))!.AsObject();
        const string Stamp = "2026-11-22T04:40:00.123456Z";
        var stored = new JsonObject { ["id"] = id, ["type"] = new JsonArray("https://uri.etsi.org/ngsi-ld/default-context/Sensor") };
        foreach (var (name, value) in compact)
        {
            if (name is "id" or "type")
                continue;
            var attribute = value!.DeepClone().AsObject();
            attribute["createdAt"] = Stamp;
            attribute["modifiedAt"] = Stamp;
            stored[name == "location" ? "https://uri.etsi.org/ngsi-ld/location" : "https://uri.etsi.org/ngsi-ld/default-context/" + name] = attribute;
        }
        stored["createdAt"] = Stamp;
        stored["modifiedAt"] = Stamp;
        stored["version"] = 1;
        return System.Text.Encoding.UTF8.GetBytes(stored.ToJsonString());
    }

    public ValueTask DisposeAsync()
    {
        _connection?.Dispose();
        _writer.Dispose();
        return ValueTask.CompletedTask;
    }
}
