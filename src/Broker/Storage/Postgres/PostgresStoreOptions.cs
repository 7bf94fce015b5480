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

    /// <summary>
    /// How many entities this node keeps as the entity before its next write (<see cref="WriteCache"/>), so a write
    /// need not read it first; 0 reads before every write.
    /// </summary>
    public int WriteCacheCapacity { get; init; } = 10_000;
}
