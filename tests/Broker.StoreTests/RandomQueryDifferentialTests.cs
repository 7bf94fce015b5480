using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Broker.Geo;
using Broker.Query.Ast;
using Broker.Query.Parsing;
using Broker.Storage;
using Broker.Storage.Postgres;
using Broker.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using NetTopologySuite.Geometries;
using Ontology.Model;
using Xunit;

namespace Broker.StoreTests;

/// <summary>
/// The query corpus entities and entities with hostile values in one PostgreSQL database, and the same entities as the
/// store reads them back (what the evaluator sees when it checks rows).
/// </summary>
public sealed class RandomQueryStore : IDisposable
{
    public const string DefaultContext = "https://uri.etsi.org/ngsi-ld/default-context/";

    /// <summary>Values chosen to find differences between SQL and the evaluator: precision, types, escapes, dates, Unicode.</summary>
    public static readonly string[] HostileEntities =
    [
        """{"id":"urn:ngsi-ld:Hostile:numbers","type":"Hostile","scope":["/Hostile/a","/Hostile/b/c"],"v":{"type":"Property","value":1e300},"w":{"type":"Property","value":0.1000000000000000000000000000001},"x":{"type":"Property","value":-0.0},"y":{"type":"Property","value":12345678901234567890123456789012},"z":{"type":"Property","value":1e-30}}""",
        """{"id":"urn:ngsi-ld:Hostile:arrays","type":"Hostile","v":{"type":"Property","value":[1,"2",true,[3,4],{"@value":5},{"a":6}]},"w":{"type":"Property","value":{"@value":"2026-11-20T10:00:00Z"}},"x":{"type":"Property","value":[]},"location":{"type":"GeoProperty","value":{"type":"LineString","coordinates":[[10.67,53.86],[10.69,53.87]]}}}""",
        """{"id":"urn:ngsi-ld:Hostile:strings","type":"Hostile","scope":"/Hostile/x😀","v":{"type":"Property","value":"😀"},"w":{"type":"Property","value":"\"; DROP TABLE entities; --"},"x":{"type":"Property","value":"2026-11-20T10:00:00+01:00"},"y":{"type":"Property","value":"10:00:00"},"z":{"type":"Property","value":"2026-11-20"},"status":{"type":"Property","value":"e\u0301"}}""",
        """{"id":"urn:ngsi-ld:Hostile:more-strings","type":["Hostile","ParkingSpot"],"v":{"type":"Property","value":"$v0 @? \\ 'a'"},"w":{"type":"Property","value":""},"x":{"type":"Property","value":"10:00:00Z"},"y":{"type":"Property","value":true},"z":{"type":"Property","value":false},"status":{"type":"Property","value":"é"}}""",
        """{"id":"urn:ngsi-ld:Hostile:relationships","type":"Hostile","v":{"type":"Relationship","object":"urn:ngsi-ld:Thing:1"},"w":{"type":"ListRelationship","objectList":[{"object":"urn:ngsi-ld:Thing:1"},{"object":"urn:ngsi-ld:Thing:2"}]},"x":{"type":"Relationship","object":"urn:ngsi-ld:Thing:2","observedAt":"2026-11-20T10:00:00.1234567Z","since":{"type":"Property","value":5,"unitCode":"SEC"}}}""",
        """{"id":"urn:ngsi-ld:Hostile:languages","type":"Hostile","v":{"type":"LanguageProperty","languageMap":{"en":"free","de":"frei"}},"w":{"type":"VocabProperty","vocab":"free"},"x":{"type":"VocabProperty","vocab":["free","occupied"]},"y":{"type":"ListProperty","valueList":[1,2.5,"free"]}}""",
        """{"id":"urn:ngsi-ld:Hostile:instances","type":"Hostile","v":[{"type":"Property","value":10,"datasetId":"urn:ngsi-ld:Dataset:a","observedAt":"2026-11-20T09:00:00Z"},{"type":"Property","value":"10","datasetId":"urn:ngsi-ld:Dataset:b","q":{"type":"Property","value":0.5,"r":{"type":"Property","value":"deep"}}}],"location":[{"type":"GeoProperty","value":{"type":"Point","coordinates":[10.6797,53.866]}},{"type":"GeoProperty","value":{"type":"Point","coordinates":[10.7,53.9]},"datasetId":"urn:ngsi-ld:Dataset:far"}]}""",
        """{"id":"urn:ngsi-ld:Hostile:geometry","type":"Hostile","location":{"type":"GeoProperty","value":{"type":"Polygon","coordinates":[[[10.67,53.86],[10.69,53.87],[10.69,53.86],[10.67,53.87],[10.67,53.86]]]}},"observationSpace":{"type":"GeoProperty","value":{"type":"MultiPoint","coordinates":[[10.68,53.866],[10.6797,53.866]]}}}""",
        """{"id":"urn:ngsi-ld:Hostile:antimeridian","type":"Hostile","v":{"type":"Property","value":-1},"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[180,0]}}}""",
    ];

    public TestBroker? Broker { get; }

    public PostgresEntityStore? Store { get; }

    public IReadOnlyList<Entity> Entities { get; } = [];

    private readonly string? _connectionString;

    public RandomQueryStore()
    {
        if (TestDatabase.SkipReason is not null)
            return;
        _connectionString = TestDatabase.CreateDatabase("random");
        Broker = new TestBroker(_connectionString);
        using var client = Broker.Client();
        var response = client.PostAsync("/ngsi-ld/v1/entityOperations/create", TestBroker.Json(QueryCorpus.EntitiesJson())).GetAwaiter().GetResult();
        if (response.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException("Loading the corpus failed: " + response.StatusCode);
        foreach (var entity in HostileEntities)
        {
            response = client.PostAsync("/ngsi-ld/v1/entities", TestBroker.Json(entity)).GetAwaiter().GetResult();
            if (response.StatusCode != HttpStatusCode.Created)
                throw new InvalidOperationException($"{entity} answered {response.StatusCode}: {response.Content.ReadAsStringAsync().GetAwaiter().GetResult()}");
        }
        Store = (PostgresEntityStore)Broker.Services.GetRequiredService<IEntityStore>();
        Entities = Store.QueryAsync(PostgresEntityStore.DefaultTenant, new EntityQuery { Limit = 10_000 }, default).AsTask().GetAwaiter().GetResult().Entities;
    }

    public void Dispose()
    {
        Broker?.Dispose();
        if (_connectionString is not null)
            TestDatabase.DropDatabase(_connectionString);
    }
}

/// <summary>
/// Randomly generated q, scopeQ and geo-queries (with types, id patterns, paging and count) over the corpus and hostile
/// entities: the PostgreSQL store must give the ids and the count <see cref="EntityQueryMatcher"/> gives. A failure prints
/// the seed (set RANDOM_QUERY_SEED to replay it), the query, the SQL and both answers.
/// </summary>
public sealed class RandomQueryDifferentialTests(RandomQueryStore fixture) : IClassFixture<RandomQueryStore>
{
    private const int QueriesPerSeed = 400;

    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        if (int.TryParse(Environment.GetEnvironmentVariable("RANDOM_QUERY_SEED"), CultureInfo.InvariantCulture, out var seed))
            data.Add(seed);
        else
        {
            foreach (var fixedSeed in (int[])[20261122, 4711, 1, 77, 31337])
                data.Add(fixedSeed);
        }
        return data;
    }

    [PostgresTheory]
    [MemberData(nameof(Seeds))]
    public async Task Random_queries_give_the_evaluators_ids_and_count(int seed)
    {
        var generator = new QueryGenerator(new Random(seed), fixture.Entities);
        for (var i = 0; i < QueriesPerSeed; i++)
            await AssertSameAsync(seed, i, generator.Next());
    }

    /// <summary>near with the distance of an entity point from another, and 0.4 mm less and more: the boundaries of ST_DWithin and Vincenty.</summary>
    [PostgresTheory]
    [MemberData(nameof(Seeds))]
    public async Task Near_at_the_distance_of_an_entity_point_gives_the_evaluators_ids(int seed)
    {
        var random = new Random(seed);
        var points = fixture.Entities
            .SelectMany(e => e.Attributes.Get(NgsiLd.Location) ?? [])
            .Select(i => GeoJson.TryParse(i.Value, out var g, out _) ? g as Point : null)
            .OfType<Point>().ToList();
        for (var i = 0; i < 40; i++)
        {
            var reference = points[random.Next(points.Count)];
            var other = points[random.Next(points.Count)];
            var distance = Geodesy.Distance(reference.X, reference.Y, other.X, other.Y);
            foreach (var delta in (double[])[-0.0004, 0, 0.0004])
            {
                var bound = Math.Max(0, distance + delta);
                await AssertSameAsync(seed, i, new EntityQuery { Geo = new GeoQuery(GeoRelation.Near, reference, NgsiLd.Location, MaxDistance: bound), Limit = 1000, Count = true });
                await AssertSameAsync(seed, i, new EntityQuery { Geo = new GeoQuery(GeoRelation.Near, reference, NgsiLd.Location, MinDistance: bound), Limit = 1000, Count = true });
            }
        }
    }

    private async Task AssertSameAsync(int seed, int i, EntityQuery query)
    {
        var expected = fixture.Entities.Where(e => EntityQueryMatcher.Matches(e, query)).Select(e => e.Id).Order(StringComparer.Ordinal).ToList();
        var page = await fixture.Store!.QueryAsync(PostgresEntityStore.DefaultTenant, query, default);
        var expectedPage = expected.Skip(query.Offset).Take(query.Limit).ToList();
        var actual = page.Entities.Select(e => e.Id).ToList();
        if (!expectedPage.SequenceEqual(actual) || (query.Count && page.TotalCount != expected.Count))
        {
            Assert.Fail($"""
                Seed {seed}, query {i} (replay: RANDOM_QUERY_SEED={seed}): {Describe(query)}
                SQL: {fixture.Store.LastQuerySql}
                evaluator:  [{string.Join(", ", expectedPage)}] (count {expected.Count})
                PostgreSQL: [{string.Join(", ", actual)}] (count {page.TotalCount})
                """);
        }
    }

    private static string Describe(EntityQuery query)
    {
        var parts = new List<string>();
        if (query.Types is { } types)
            parts.Add("type=" + types);
        if (query.IdPattern is { } pattern)
            parts.Add("idPattern=" + pattern);
        if (query.Q is { } q)
            parts.Add("q=" + QueryParser.Print(q, Compact));
        if (query.ScopeQ is { } scopeQ)
            parts.Add("scopeQ=" + scopeQ);
        if (query.Geo is { } geo)
            parts.Add(FormattableString.Invariant($"georel={geo.Relation};max={geo.MaxDistance};min={geo.MinDistance} geometry={geo.Geometry.AsText()} geoproperty={geo.GeoProperty}"));
        parts.Add(FormattableString.Invariant($"limit={query.Limit} offset={query.Offset} count={query.Count}"));
        return string.Join(" ", parts);
    }

    private static string Compact(string iri) => iri.StartsWith(RandomQueryStore.DefaultContext, StringComparison.Ordinal) ? iri[RandomQueryStore.DefaultContext.Length..] : iri;
}

/// <summary>Random queries over the names, values, scopes and geometries of the given entities, with hostile literals mixed in.</summary>
internal sealed class QueryGenerator
{
    private static readonly string[] Specials = [SpecialMembers.ObservedAt, SpecialMembers.UnitCode, SpecialMembers.DatasetId, SpecialMembers.CreatedAt, SpecialMembers.ModifiedAt];

    private static readonly Literal[] HostileLiterals =
    [
        NumberLiteral.Of(0m), NumberLiteral.Of(-0.0), NumberLiteral.Of(1e300), NumberLiteral.Of(1e-30),
        new NumberLiteral(0.1000000000000000000000000000m, 0.1, "0.1000000000000000000000000000001"),
        new NumberLiteral(null, 1.2345678901234568E+31, "12345678901234567890123456789012"),
        new StringLiteral("😀"), new StringLiteral("\"; DROP TABLE entities; --"), new StringLiteral("$v0 @? \\ 'a'"), new StringLiteral(""),
        new StringLiteral("é"), new StringLiteral("e\u0301"), new StringLiteral("free", RandomQueryStore.DefaultContext + "free"),
        new StringLiteral("10"), new UriLiteral("urn:ngsi-ld:Thing:1"), new UriLiteral("null"),
        new BooleanLiteral(true), new BooleanLiteral(false),
        new DateTimeLiteral(new DateTimeOffset(2026, 11, 20, 9, 0, 0, TimeSpan.Zero)),
        new DateTimeLiteral(new DateTimeOffset(2026, 11, 20, 10, 0, 0, 123, TimeSpan.Zero).AddTicks(4567)),
        new DateLiteral(new DateOnly(2026, 11, 20)), new TimeLiteral(new TimeOnly(10, 0)), new TimeLiteral(new TimeOnly(9, 59, 59)),
    ];

    private readonly Random _random;
    private readonly List<string> _attributes = [];
    private readonly List<string> _subAttributes = [];
    private readonly List<string> _members = [];
    private readonly List<string> _types = [];
    private readonly List<Literal> _literals = [];
    private readonly List<string[]> _scopes = [];
    private readonly List<Point> _points = [];

    public QueryGenerator(Random random, IReadOnlyList<Entity> entities)
    {
        _random = random;
        foreach (var entity in entities)
        {
            _types.AddRange(entity.Types);
            foreach (var scope in entity.Scopes ?? [])
                _scopes.Add(scope.Split('/', StringSplitOptions.RemoveEmptyEntries));
            foreach (var (name, instances) in entity.Attributes)
            {
                _attributes.Add(name);
                foreach (var instance in instances)
                    Collect(instance);
            }
        }
        _attributes.Add(NgsiLd.CreatedAt);
        _attributes.Add(NgsiLd.ModifiedAt);
        _attributes.Add("https://example.org/absent");
        _literals.AddRange(HostileLiterals);
    }

    private void Collect(AttributeInstance instance)
    {
        foreach (var (name, subInstances) in instance.SubAttributes)
        {
            _subAttributes.Add(name);
            foreach (var sub in subInstances)
                Collect(sub);
        }
        if (instance.ObservedAt is { } observedAt)
            AddString(observedAt);
        if (instance.DatasetId is { } datasetId)
            _literals.Add(new UriLiteral(datasetId));
        if (instance.Value is JsonObject obj && GeoJson.TryParse(obj, out var geometry, out _) && geometry is not null)
        {
            foreach (var coordinate in geometry.Coordinates)
                _points.Add(GeoJson.Factory.CreatePoint(coordinate.Copy()));
            return;
        }
        CollectValue(instance.Value);
    }

    private void CollectValue(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj)
                {
                    _members.Add(key);
                    CollectValue(child);
                }
                break;
            case JsonArray array:
                foreach (var element in array)
                    CollectValue(element);
                break;
            case JsonValue value when value.GetValueKind() == System.Text.Json.JsonValueKind.Number:
                var text = value.ToJsonString();
                if (LiteralParser.ParseNumber(text) is { } number)
                {
                    _literals.Add(number);
                    _literals.Add(NumberLiteral.Of(number.Approximate + 1));
                    _literals.Add(NumberLiteral.Of(number.Approximate - 0.5));
                }
                break;
            case JsonValue value when value.GetValueKind() == System.Text.Json.JsonValueKind.String:
                AddString(value.GetValue<string>());
                break;
        }
    }

    private void AddString(string text)
    {
        if (text.StartsWith(RandomQueryStore.DefaultContext, StringComparison.Ordinal))
            _literals.Add(new StringLiteral(text[RandomQueryStore.DefaultContext.Length..], text));
        else
            _literals.Add(new StringLiteral(text));
        if (text.Contains(':', StringComparison.Ordinal))
            _literals.Add(new UriLiteral(text));
        if (text.Contains('T', StringComparison.Ordinal) && LiteralParser.TryParseDateTime(text, out var instant))
        {
            _literals.Add(new DateTimeLiteral(instant));
            _literals.Add(new DateTimeLiteral(instant.AddTicks(1)));
            _literals.Add(new DateTimeLiteral(instant.AddMinutes(-30)));
            _literals.Add(new DateLiteral(DateOnly.FromDateTime(instant.UtcDateTime)));
        }
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            _literals.Add(new DateLiteral(day.AddDays(_random.Next(-1, 2))));
    }

    public EntityQuery Next()
    {
        var shape = _random.Next(10);
        var query = new EntityQuery
        {
            Q = shape < 7 ? Q(0) : null,
            ScopeQ = shape is 3 or 7 or 9 || Chance(0.05) ? Scope(0) : null,
            Geo = shape is 5 or 8 or 9 || Chance(0.05) ? Geo() : null,
            Types = Chance(0.15) ? new TypeName(Pick(_types)) : null,
            IdPattern = Chance(0.1) ? new Regex(Pick(["^urn:ngsi-ld:Hostile:", "Parking", "^urn:ngsi-ld:[A-Z]", "(?i)holstentor$", "^urn:ngsi-ld:Park.*:HT-0", "Hostile:.+s$", "e.*1$", "HT-1+0$", "^$", "", "a.c", "^urn:ngsi-ld:Museum:.*"]), RegexOptions.None, TimeSpan.FromSeconds(1)) : null,
            Count = Chance(0.7),
            Limit = Chance(0.5) ? 1000 : _random.Next(1, 6),
            Offset = Chance(0.7) ? 0 : _random.Next(0, 8),
        };
        return query;
    }

    private QueryExpression Q(int depth)
    {
        if (depth < 3 && Chance(0.3))
        {
            var operands = Enumerable.Range(0, _random.Next(2, 4)).Select(_ => Q(depth + 1)).ToList();
            return Chance(0.5) ? new AndExpression(operands) : new OrExpression(operands);
        }
        var path = Path();
        var kind = _random.Next(20);
        if (kind < 2)
            return new ExistsExpression(path);
        if (kind < 4)
            return new NotExistsExpression(path);
        if (kind < 5)
            return new PatternExpression(path, new Regex(Pick(["^f", "(?i)FREE", "e$", "^$", "."]), RegexOptions.None, TimeSpan.FromSeconds(1)), Chance(0.5));
        var op = (ComparisonOperator)_random.Next(6);
        Operand operand = op is ComparisonOperator.Equal or ComparisonOperator.NotEqual && Chance(0.4)
            ? Chance(0.5)
                ? new ValueListOperand([Literal(), Literal(), Literal()])
                : new RangeOperand(Literal(), Literal())
            : new SingleValueOperand(Literal());
        return new ComparisonExpression(path, op, operand);
    }

    private AttributePath Path()
    {
        var attribute = Pick(_attributes);
        var subAttributes = new List<string>();
        var members = new List<string>();
        if (Chance(0.3) && _subAttributes.Count > 0)
        {
            subAttributes.Add(Chance(0.5) ? Pick(Specials) : Pick(_subAttributes));
            if (Chance(0.3))
                subAttributes.Add(Chance(0.5) ? Pick(Specials) : Pick(_subAttributes));
        }
        if (Chance(0.08) && _members.Count > 0)
            members.Add(Chance(0.2) ? "*" : Pick(_members));
        return new AttributePath(attribute, subAttributes, members, attribute);
    }

    private Literal Literal() => Pick(_literals);

    private ScopeExpression Scope(int depth)
    {
        if (depth < 2 && Chance(0.25))
        {
            var operands = Enumerable.Range(0, 2).Select(_ => Scope(depth + 1)).ToList();
            return Chance(0.5) ? new ScopeAnd(operands) : new ScopeOr(operands);
        }
        var levels = _scopes.Count > 0 ? [.. Pick(_scopes)] : new List<string> { "a" };
        var keep = _random.Next(0, levels.Count + 1);
        var segments = levels.Take(keep).ToList();
        for (var i = 0; i < segments.Count; i++)
        {
            if (Chance(0.15))
                segments[i] = ScopePattern.OneLevel;
        }
        if (Chance(0.4) || segments.Count == 0)
            segments.Add(ScopePattern.AnyLevels);
        return new ScopePattern(segments);
    }

    private GeoQuery Geo()
    {
        var relation = (GeoRelation)_random.Next(7);
        var center = Pick(_points);
        var geoProperty = Chance(0.85) ? NgsiLd.Location : Chance(0.5) ? NgsiLd.ObservationSpace : "https://example.org/absent";
        if (relation == GeoRelation.Near)
        {
            var reference = Chance(0.5) ? center : GeoJson.Factory.CreatePoint(new Coordinate(center.X + Offset(0.01), center.Y + Offset(0.01)));
            // A distance equal to that of some entity point tests the boundary.
            var other = Pick(_points);
            var distance = Chance(0.4)
                ? Geodesy.Distance(reference.X, reference.Y, other.X, other.Y) + Pick([0.0, 0.0004, -0.0004, 0.01])
                : Pick([1.0, 15, 100, 500, 1000, 5000, 20_000, 2_000_000]);
            Geometry nearGeometry = Chance(0.85) ? reference : Box(reference, 0.002);
            return Chance(0.7)
                ? new GeoQuery(relation, nearGeometry, geoProperty, MaxDistance: Math.Max(distance, 0))
                : new GeoQuery(relation, nearGeometry, geoProperty, MinDistance: Math.Max(distance, 0));
        }
        Geometry geometry = _random.Next(4) switch
        {
            0 => center,
            1 => GeoJson.Factory.CreateLineString([new Coordinate(center.X - 0.005, center.Y - 0.002), new Coordinate(center.X + 0.005, center.Y + 0.002)]),
            _ => Box(GeoJson.Factory.CreatePoint(new Coordinate(center.X + Offset(0.005), center.Y + Offset(0.005))), 0.001 + _random.NextDouble() * 0.03),
        };
        return new GeoQuery(relation, geometry, geoProperty);
    }

    private static Polygon Box(Point center, double half) => GeoJson.Factory.CreatePolygon(
    [
        new Coordinate(center.X - half, center.Y - half), new Coordinate(center.X + half, center.Y - half),
        new Coordinate(center.X + half, center.Y + half), new Coordinate(center.X - half, center.Y + half),
        new Coordinate(center.X - half, center.Y - half),
    ]);

    private double Offset(double size) => (_random.NextDouble() * 2 - 1) * size;

    private bool Chance(double probability) => _random.NextDouble() < probability;

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];
}
