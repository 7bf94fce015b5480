namespace Broker.Api.Http;

/// <summary>Limits of the HTTP API (configuration section Broker).</summary>
public sealed class BrokerOptions
{
    /// <summary>Largest request body accepted, in bytes; larger bodies get 413.</summary>
    public long MaxBodyBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Deepest JSON nesting accepted in a request body.</summary>
    public int MaxJsonDepth { get; set; } = 64;

    /// <summary>Default page size of queries (clause 6.3.10).</summary>
    public int DefaultLimit { get; set; } = 20;

    /// <summary>Largest page size a client may ask for; beyond it the broker answers TooManyResults.</summary>
    public int MaxLimit { get; set; } = 1000;

    /// <summary>How many matching entities a query with orderBy may sort; a query matching more answers TooManyResults.</summary>
    public int MaxOrderedEntities { get; set; } = 100_000;

    /// <summary>
    /// How many batch operations run at a time (the others wait; see <see cref="AdmissionLimit"/>); 0 means twice the
    /// number of processors.
    /// </summary>
    public int MaxConcurrentBatches { get; set; }

    /// <summary>How long a read (GET, HEAD, a POST query) may take before it is stopped with 503; writes are never stopped halfway.</summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
