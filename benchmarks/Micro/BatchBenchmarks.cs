using BenchmarkDotNet.Attributes;
using Broker.Entities;
using Broker.Entities.Representation;
using Broker.Storage.Embedded;
using Microsoft.Extensions.Logging.Abstractions;
using Ontology.JsonLd;

namespace Benchmarks.Micro;

/// <summary>
/// Scenario S2 without HTTP: a batch upsert of 1000 five-attribute entities, read from the request body, planned by the
/// <see cref="BatchService"/> and committed durably by the embedded store (its SQLite database in a temporary folder).
/// Each invocation takes the next of 100 bodies, so after the first 100 every upsert replaces existing entities,
/// as in the load scenario. Time and allocations are per batch of 1000.
/// </summary>
[MemoryDiagnoser]
public class BatchBenchmarks
{
    private const int BatchSize = 1000;
    private const int Bodies = 100;

    private readonly List<byte[]> _bodies = [];
    private string _folder = "";
    private EmbeddedEntityStore _store = null!;
    private BatchService _batch = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "batch-bench-" + Guid.NewGuid().ToString("N"));
        _store = new EmbeddedEntityStore(new EmbeddedStoreOptions { DataPath = _folder }, NullLogger<EmbeddedEntityStore>.Instance);
        _store.InitializeAsync(CancellationToken.None).GetAwaiter().GetResult();
        _batch = new BatchService(_store, TimeProvider.System);
        var random = new Random(5);
        for (var b = 0; b < Bodies; b++)
            _bodies.Add(Benchmarks.Load.Payloads.Batch("urn:ngsi-ld:Sensor:bench-", "Sensor", b * BatchSize, BatchSize, random));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Description = "batch upsert of 1000 entities, embedded store (read, plan, commit)")]
    public async Task<int> Upsert()
    {
        var body = _bodies[_next++ % Bodies];
        using var document = EntityReader.ParseBody(body, 64);
        var items = new List<BatchItem>(BatchSize);
        foreach (var element in document.RootElement.EnumerateArray())
        {
            var entity = new EntityReader(JsonLdContext.Core, ReadMode.Create).ReadEntity(element.Clone());
            items.Add(new BatchItem(entity.Id, entity, null));
        }
        var result = await _batch.ExecuteAsync("", BatchOperation.Upsert, items, CancellationToken.None);
        return result.Success.Count;
    }
}
