using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Ontology.JsonLd;

namespace Broker.HttpTests;

/// <summary>
/// The real broker pipeline on a fresh data folder (deleted on dispose), with the remote @context loader replaced by
/// <see cref="StubContextLoader"/> so that no test reaches the network. When the tests run on the PostgreSQL store, each
/// factory has a database of its own: brokers on one database are nodes of one deployment, and one of them (whichever
/// leads) delivers every notification with its own settings.
/// </summary>
public class BrokerFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string> _settings;
    private readonly string? _database = PostgresDatabases.CreateIfConfigured();

    public BrokerFactory() : this([])
    {
    }

    protected BrokerFactory(Dictionary<string, string> settings)
    {
        _settings = settings;
        DataPath = Path.Combine(Path.GetTempPath(), "broker-httptests-" + Guid.NewGuid().ToString("N"));
    }

    public string DataPath { get; }

    public StubContextLoader ContextLoader { get; } = new();

    /// <summary>False keeps the broker's own HTTP loader, for the tests of unreachable context servers.</summary>
    protected virtual bool UseStubLoader => true;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Storage:DataPath", DataPath);
        if (_database is not null)
            builder.UseSetting("ConnectionStrings:Postgres", _database);
        foreach (var (key, value) in _settings)
            builder.UseSetting(key, value);
        if (!UseStubLoader)
            return;
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<IRemoteContextLoader>();
            services.AddSingleton<IRemoteContextLoader>(ContextLoader);
        });
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
            DeleteDataFolder();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        DeleteDataFolder();
        GC.SuppressFinalize(this);
    }

    private void DeleteDataFolder()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(DataPath))
            Directory.Delete(DataPath, recursive: true);
        if (_database is not null)
            PostgresDatabases.Drop(_database);
    }
}

/// <summary>Databases of their own for brokers on the PostgreSQL store (Storage__Provider=Postgres and ConnectionStrings__Postgres).</summary>
internal static class PostgresDatabases
{
    public static string? CreateIfConfigured()
    {
        if (Environment.GetEnvironmentVariable("Storage__Provider") != "Postgres" || Environment.GetEnvironmentVariable("ConnectionStrings__Postgres") is not { Length: > 0 } server)
            return null;
        var name = "httptests_" + Guid.NewGuid().ToString("N")[..12];
        using (var connection = new Npgsql.NpgsqlConnection(server))
        {
            connection.Open();
            using var command = new Npgsql.NpgsqlCommand("CREATE DATABASE \"" + name + "\"", connection);
            command.ExecuteNonQuery();
        }
        return new Npgsql.NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    public static void Drop(string connectionString)
    {
        var name = new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Database!;
        Npgsql.NpgsqlConnection.ClearAllPools();
        try
        {
            using var connection = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres" }.ConnectionString);
            connection.Open();
            using var command = new Npgsql.NpgsqlCommand("DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)", connection);
            command.ExecuteNonQuery();
        }
        catch (Npgsql.NpgsqlException)
        {
            // The cluster is thrown away after the run anyway.
        }
    }
}

/// <summary>A broker with small limits: 4 KiB bodies, JSON nesting of 8, at most 50 results a page.</summary>
public sealed class SmallLimitsBrokerFactory : BrokerFactory
{
    public const int MaxBodyBytes = 4096;
    public const int MaxJsonDepth = 8;
    public const int MaxLimit = 50;

    public SmallLimitsBrokerFactory() : base(new Dictionary<string, string>
    {
        ["Broker:MaxBodyBytes"] = MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Broker:MaxJsonDepth"] = MaxJsonDepth.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Broker:MaxLimit"] = MaxLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
    })
    {
    }
}

/// <summary>A broker that fetches remote @context documents over HTTP as in production.</summary>
public sealed class HttpLoaderBrokerFactory : BrokerFactory
{
    protected override bool UseStubLoader => false;
}
