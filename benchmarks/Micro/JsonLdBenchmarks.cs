using BenchmarkDotNet.Attributes;
using Ontology.JsonLd;

namespace Benchmarks.Micro;

/// <summary>Term expansion and IRI compaction: the look-ups done for every attribute name of every request and response.</summary>
[MemoryDiagnoser]
public class JsonLdBenchmarks
{
    private static readonly string[] Terms = ["temperature", "airQualityLevel", "no2", "location", "dateObserved", "notInTheContext"];
    private JsonLdContext _user = null!;
    private string[] _iris = null!;

    [GlobalSetup]
    public void Setup()
    {
        _user = Fixtures.UserContext();
        _iris = [.. Terms.Select(_user.ExpandTerm)];
    }

    [Benchmark(Description = "expand 6 terms, user context")]
    public int ExpandUser()
    {
        var total = 0;
        foreach (var term in Terms)
            total += _user.ExpandTerm(term).Length;
        return total;
    }

    [Benchmark(Description = "expand 6 terms, core context")]
    public int ExpandCore()
    {
        var total = 0;
        foreach (var term in Terms)
            total += JsonLdContext.Core.ExpandTerm(term).Length;
        return total;
    }

    [Benchmark(Description = "compact 6 IRIs, user context")]
    public int CompactUser()
    {
        var total = 0;
        foreach (var iri in _iris)
            total += _user.CompactIri(iri).Length;
        return total;
    }

    [Benchmark(Description = "compact 6 IRIs, core context")]
    public int CompactCore()
    {
        var total = 0;
        foreach (var iri in _iris)
            total += JsonLdContext.Core.CompactIri(iri).Length;
        return total;
    }
}
