using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace Benchmarks.Load.Scenarios;

/// <summary>The ids of the ceiling scenarios and the store names.</summary>
public static class Ceilings
{
    public const string Http = "C1";
    public const string PostgresInsert = "C2";
    public const string PostgresCopy = "C3";
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
