namespace Broker.Storage.Postgres;

public sealed class PostgresStoreOptions
{
    /// <summary>The Npgsql connection string (configuration key ConnectionStrings:Postgres).</summary>
    public required string ConnectionString { get; init; }
}
