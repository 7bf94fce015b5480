using Npgsql;
using Xunit;

namespace Broker.StoreTests;

/// <summary>
/// The PostgreSQL server of the tests, from the libpq variables that <c>pg_virtualenv</c> exports (PGHOST, PGPORT,
/// PGUSER, PGPASSWORD, PGDATABASE). Each fixture creates its own database, so runs and classes never share data.
/// </summary>
public static class TestDatabase
{
    private static readonly Lazy<string?> Unreachable = new(Probe);

    /// <summary>The connection string of the server's maintenance database.</summary>
    public static string ServerConnectionString
    {
        get
        {
            var builder = new NpgsqlConnectionStringBuilder
            {
                Host = Environment.GetEnvironmentVariable("PGHOST") is { Length: > 0 } host ? host : "localhost",
                Port = int.TryParse(Environment.GetEnvironmentVariable("PGPORT"), out var port) ? port : 5432,
                Username = Environment.GetEnvironmentVariable("PGUSER") ?? "postgres",
                Password = Environment.GetEnvironmentVariable("PGPASSWORD"),
                Database = Environment.GetEnvironmentVariable("PGDATABASE") ?? "postgres",
                Timeout = 5,
            };
            return builder.ConnectionString;
        }
    }

    /// <summary>Why the tests are skipped (no database on a developer box), or null to run them.</summary>
    /// <remarks>With CI=true they are never skipped: they run and fail, so a missing database cannot pass silently.</remarks>
    public static string? SkipReason =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase) ? null : Unreachable.Value;

    private static string? Probe()
    {
        try
        {
            using var connection = new NpgsqlConnection(ServerConnectionString);
            connection.Open();
            return null;
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException or InvalidOperationException)
        {
            return "No PostgreSQL server reachable through PGHOST/PGPORT (" + e.Message + "); run under scripts/with-postgres.sh.";
        }
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public static string CreateDatabase(string prefix)
    {
        var name = prefix + "_" + Guid.NewGuid().ToString("N")[..12];
        using (var connection = new NpgsqlConnection(ServerConnectionString))
        {
            connection.Open();
            using var command = new NpgsqlCommand("CREATE DATABASE \"" + name + "\"", connection);
            command.ExecuteNonQuery();
        }
        return new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = name, Timeout = 5 }.ConnectionString;
    }

    public static void DropDatabase(string connectionString)
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

/// <summary>A fact that needs PostgreSQL: skipped on a developer box without one, failing in CI (CI=true).</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute() => Skip = TestDatabase.SkipReason;
}

/// <summary>A theory that needs PostgreSQL: skipped on a developer box without one, failing in CI (CI=true).</summary>
public sealed class PostgresTheoryAttribute : TheoryAttribute
{
    public PostgresTheoryAttribute() => Skip = TestDatabase.SkipReason;
}
