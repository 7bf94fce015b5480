using System.Globalization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Broker.HttpTests.Subscriptions;

/// <summary>
/// A broker that may notify endpoints on loopback (where <see cref="NotificationReceiver"/> listens), with short retry
/// delays so that a failed delivery is tried again within a test. On PostgreSQL (Storage__Provider=Postgres) it gets a
/// database of its own: the broker nodes on one database share one dispatch lease, and the node that holds it, with its
/// settings, would deliver for all of them.
/// </summary>
public class SubscriptionBrokerFactory : BrokerFactory
{
    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMilliseconds(400);

    private readonly Lazy<string?> _database = new(OwnDatabase.Create);

    public SubscriptionBrokerFactory() : this([])
    {
    }

    protected SubscriptionBrokerFactory(Dictionary<string, string> settings) : base(WithDefaults(settings))
    {
    }

    /// <summary>The connection string of this broker's own PostgreSQL database; null on the embedded store.</summary>
    public string? PostgresConnectionString => _database.Value;

    private static Dictionary<string, string> WithDefaults(Dictionary<string, string> settings)
    {
        var all = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Outbound:AllowLoopback"] = "true",
            ["Notifications:FirstRetryDelay"] = FirstRetryDelay.ToString("c", CultureInfo.InvariantCulture),
            ["Notifications:MaxRetryDelay"] = MaxRetryDelay.ToString("c", CultureInfo.InvariantCulture),
            ["Notifications:RetryFor"] = "00:00:10",
        };
        foreach (var (key, value) in settings)
            all[key] = value;
        return all;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        if (PostgresConnectionString is { } connectionString)
        {
            builder.ConfigureAppConfiguration(configuration =>
                configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = connectionString }));
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && _database.IsValueCreated && _database.Value is { } connectionString)
            OwnDatabase.Drop(connectionString);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_database.IsValueCreated && _database.Value is { } connectionString)
            OwnDatabase.Drop(connectionString);
        GC.SuppressFinalize(this);
    }
}

/// <summary>A subscription broker without <c>Outbound:AllowLoopback</c>: the default policy, which refuses loopback endpoints.</summary>
public sealed class LoopbackRefusedBrokerFactory : SubscriptionBrokerFactory
{
    public LoopbackRefusedBrokerFactory() : base(new() { ["Outbound:AllowLoopback"] = "false" })
    {
    }
}

/// <summary>A subscription broker that gives up a notification after <see cref="Timeout"/> without an answer.</summary>
public sealed class ShortTimeoutBrokerFactory : SubscriptionBrokerFactory
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(500);

    public ShortTimeoutBrokerFactory() : base(new() { ["Notifications:Timeout"] = Timeout.ToString("c", CultureInfo.InvariantCulture) })
    {
    }
}

/// <summary>A subscription broker that keeps only <see cref="QueueCapacity"/> notifications of a subscription in memory; the others wait in the outbox.</summary>
public sealed class SmallQueueBrokerFactory : SubscriptionBrokerFactory
{
    public const int QueueCapacity = 4;

    public SmallQueueBrokerFactory() : base(new() { ["Notifications:QueueCapacity"] = QueueCapacity.ToString(CultureInfo.InvariantCulture) })
    {
    }
}

/// <summary>
/// A PostgreSQL database of one's own, on the server that Storage__Provider=Postgres and ConnectionStrings__Postgres name
/// (as scripts/postgres-tests.sh sets them).
/// </summary>
public static class OwnDatabase
{
    /// <summary>The connection string the environment gives the broker, or null when it runs on the embedded store.</summary>
    public static string? ServerConnectionString =>
        string.Equals(Environment.GetEnvironmentVariable("Storage__Provider"), "Postgres", StringComparison.OrdinalIgnoreCase)
            ? Environment.GetEnvironmentVariable("ConnectionStrings__Postgres")
                ?? throw new InvalidOperationException("Storage__Provider is Postgres but ConnectionStrings__Postgres is not set.")
            : null;

    /// <summary>Creates an empty database on the server and returns its connection string; null on the embedded store.</summary>
    public static string? Create()
    {
        if (ServerConnectionString is not { } server)
            return null;
        var name = "subtests_" + Guid.NewGuid().ToString("N")[..12];
        using (var connection = new NpgsqlConnection(server))
        {
            connection.Open();
            using var command = new NpgsqlCommand("CREATE DATABASE \"" + name + "\"", connection);
            command.ExecuteNonQuery();
        }
        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    public static void Drop(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        NpgsqlConnection.ClearAllPools();
        try
        {
            using var connection = new NpgsqlConnection(ServerConnectionString);
            connection.Open();
            using var command = new NpgsqlCommand("DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)", connection);
            command.ExecuteNonQuery();
        }
        catch (NpgsqlException)
        {
            // The cluster is thrown away after the run anyway.
        }
    }
}
