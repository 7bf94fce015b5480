using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Broker.Entities.Representation;
using Broker.Geo;
using Broker.Query.Ast;
using Broker.Query.Evaluation;
using Broker.Query.Parsing;
using NetTopologySuite.Geometries;
using Ontology.JsonLd;
using Ontology.Model;

namespace Benchmarks.Micro;

/// <summary>The q language and geo-queries: parsing once per request, evaluating once per candidate entity.</summary>
[MemoryDiagnoser]
public class QueryBenchmarks
{
    private const string Q = "temperature>10;(airQualityLevel==\"moderate\"|no2>100);refPointOfInterest==\"urn:ngsi-ld:PointOfInterest:28079004-Pza.deEspanya\"";
    private const string Point = """{"type":"Point","coordinates":[-3.712247222222222,40.423852777777775]}""";
    private const string Polygon = """{"type":"Polygon","coordinates":[[[-3.8,40.3],[-3.6,40.3],[-3.6,40.5],[-3.8,40.5],[-3.8,40.3]]]}""";

    private JsonLdContext _context = null!;
    private Func<string, string> _expand = null!;
    private Entity _entity = null!;
    private QueryExpression _q = null!;
    private GeoQuery _near = null!;
    private GeoQuery _within = null!;
    private Geometry _geometry = null!;

    [GlobalSetup]
    public void Setup()
    {
        _context = Fixtures.UserContext();
        _expand = _context.ExpandTerm;
        _entity = new EntityReader(_context, ReadMode.Create).ReadEntity(EntityBenchmarks.ReadBody(Fixtures.AirQualityObserved));
        _q = QueryParser.Parse(Q, _expand).Value!;
        if (!QueryEvaluator.Matches(_entity, _q))
            throw new InvalidOperationException("The benchmark query should match the entity.");
        _near = GeoQueryParser.Parse("near;maxDistance==500", "Point", "[-3.7122,40.4238]", null, _expand).Value!;
        _within = GeoQueryParser.Parse("within", "Polygon", "[[[-3.8,40.3],[-3.6,40.3],[-3.6,40.5],[-3.8,40.5],[-3.8,40.3]]]", null, _expand).Value!;
        if (!GeoEvaluator.Matches(_entity, _near) || !GeoEvaluator.Matches(_entity, _within))
            throw new InvalidOperationException("The benchmark geo-queries should match the entity.");
        GeoJson.TryParse(JsonNode.Parse(Point), out var geometry, out _);
        _geometry = geometry!;
    }

    [Benchmark(Description = "q parse (3 terms, nested)")]
    public QueryExpression? ParseQ() => QueryParser.Parse(Q, _expand).Value;

    [Benchmark(Description = "q evaluate")]
    public bool EvaluateQ() => QueryEvaluator.Matches(_entity, _q);

    [Benchmark(Description = "GeoJSON parse Point (from text)")]
    public Geometry? ParsePoint() => GeoJson.TryParse(JsonNode.Parse(Point), out var geometry, out _) ? geometry : null;

    [Benchmark(Description = "GeoJSON parse Polygon (from text)")]
    public Geometry? ParsePolygon() => GeoJson.TryParse(JsonNode.Parse(Polygon), out var geometry, out _) ? geometry : null;

    [Benchmark(Description = "geo-query parse near")]
    public GeoQuery? ParseNear() => GeoQueryParser.Parse("near;maxDistance==500", "Point", "[-3.7122,40.4238]", null, _expand).Value;

    [Benchmark(Description = "near check, parsed geometry")]
    public bool NearGeometry() => GeoEvaluator.Matches(_geometry, _near);

    [Benchmark(Description = "within check, parsed geometry")]
    public bool WithinGeometry() => GeoEvaluator.Matches(_geometry, _within);

    [Benchmark(Description = "near check on entity (parses its GeoProperty)")]
    public bool NearEntity() => GeoEvaluator.Matches(_entity, _near);

    [Benchmark(Description = "within check on entity (parses its GeoProperty)")]
    public bool WithinEntity() => GeoEvaluator.Matches(_entity, _within);
}
