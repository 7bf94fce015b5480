using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Broker.Entities.Representation;
using Ontology.JsonLd;
using Ontology.Model;

namespace Benchmarks.Micro;

/// <summary>Reading a request body into the expanded model and writing a response, as the broker does per entity.</summary>
[MemoryDiagnoser]
public class EntityBenchmarks
{
    private byte[] _body = null!;
    private JsonLdContext _context = null!;
    private Entity _entity = null!;
    private EntityWriter _normalized = null!;
    private EntityWriter _keyValues = null!;
    private readonly ArrayBufferWriter<byte> _output = new(16 * 1024);

    [GlobalSetup]
    public void Setup()
    {
        _body = Fixtures.AirQualityObserved;
        _context = Fixtures.UserContext();
        _entity = Read();
        _normalized = EntityWriter.For(_context, new RepresentationOptions(EntityFormat.Normalized));
        _keyValues = EntityWriter.For(_context, new RepresentationOptions(EntityFormat.KeyValues));
    }

    [Benchmark(Description = "read AirQualityObserved (normalized, 25 attrs)")]
    public Entity Read() =>
        new EntityReader(_context, ReadMode.Create).ReadEntity(ReadBody(_body));

    /// <summary>What the API does with a body: parse it into a pooled document and give the reader a clone of the entity.</summary>
    internal static JsonElement ReadBody(byte[] body)
    {
        using var document = EntityReader.ParseBody(body, 64);
        return document.RootElement.Clone();
    }

    [Benchmark(Description = "write normalized")]
    public int WriteNormalized() => Write(_normalized);

    [Benchmark(Description = "write keyValues")]
    public int WriteKeyValues() => Write(_keyValues);

    private int Write(EntityWriter entityWriter)
    {
        _output.ResetWrittenCount();
        using var writer = new Utf8JsonWriter(_output);
        entityWriter.WriteEntity(writer, _entity);
        writer.Flush();
        return _output.WrittenCount;
    }
}
