namespace Broker.StoreTests;

/// <summary>A fresh PostgreSQL database for one test class; brokers on it are made by the tests.</summary>
public sealed class PostgresDatabaseFixture : IDisposable
{
    public string? ConnectionString { get; } = TestDatabase.SkipReason is null ? TestDatabase.CreateDatabase("http") : null;

    public void Dispose()
    {
        if (ConnectionString is not null)
            TestDatabase.DropDatabase(ConnectionString);
    }
}
