namespace Broker.Storage.Postgres;

public sealed class PostgresStoreOptions
{
    /// <summary>The Npgsql connection string (configuration key ConnectionStrings:Postgres).</summary>
    public required string ConnectionString { get; init; }

    /// <summary>
    /// Commits of at least this many creates and updates (of distinct entities) are written by one set-based statement
    /// instead of one statement per change.
    /// </summary>
    public int SetBasedWriteThreshold { get; init; } = 65;
}
