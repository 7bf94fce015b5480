using System.Globalization;
using System.Text.Json.Nodes;
using Broker.Query.Ast;
using Broker.Query.Evaluation;
using Broker.Query.Parsing;
using Broker.Storage.Embedded;
using Broker.Tests.Query;
using Ontology.Model;
using Xunit;

namespace Broker.Tests.Storage;

/// <summary>The grid only narrows: every entity the evaluator matches is a candidate, exactly once.</summary>
public sealed class SpatialGridTests
{
    private static Entity Located(string id, string geometry, string property = NgsiLd.Location)
    {
        var entity = new Entity { Id = id, Types = ["https://example.org/T"] };
        entity.Attributes.Put(property, new AttributeInstance { Kind = AttributeKind.GeoProperty, Value = JsonNode.Parse(geometry) });
        return entity;
    }

    private static string Point(double longitude, double latitude) =>
        string.Create(CultureInfo.InvariantCulture, $$"""{"type":"Point","coordinates":[{{longitude}},{{latitude}}]}""");

    private static GeoQuery Geo(string georel, string geometry, string coordinates, string? geoproperty = null)
    {
        var result = GeoQueryParser.Parse(georel, geometry, coordinates, geoproperty, CorpusEntityLoader.Expand);
        Assert.True(result.Success, result.Error?.Message);
        return result.Value!;
    }

    private static List<string> Candidates(SpatialGrid grid, GeoQuery query)
    {
        var candidates = new List<Entity>();
        Assert.True(grid.TryGetCandidates(query, null, candidates));
        return [.. candidates.Select(e => e.Id)];
    }

    /// <summary>The candidates hold every match once, and are a narrowing of the scan.</summary>
    private static void AssertNarrows(SpatialGrid grid, IEnumerable<Entity> entities, GeoQuery query)
    {
        var candidates = Candidates(grid, query);
        Assert.Equal(candidates.Count, candidates.Distinct().Count());
        foreach (var entity in entities)
        {
            if (GeoEvaluator.Matches(entity, query))
                Assert.Contains(entity.Id, candidates);
        }
    }

    [Theory]
    [InlineData(10.0, 53.0)]
    [InlineData(10.001, 53.001)]
    [InlineData(10.01, 53.01)]
    [InlineData(-0.001, -0.001)]
    [InlineData(0, 0)]
    [InlineData(-10.1, -53.1)]
    [InlineData(179.999, 10)]
    [InlineData(-180, -10)]
    public void Points_on_cell_borders_are_found(double longitude, double latitude)
    {
        var grid = new SpatialGrid();
        var entity = Located("urn:a", Point(longitude, latitude));
        grid.Update(entity.Id, entity);
        var coordinates = string.Create(CultureInfo.InvariantCulture, $"[{longitude},{latitude}]");
        var near = new List<Entity>();
        // At the antimeridian the area of near reaches past ±180: the store scans instead.
        if (grid.TryGetCandidates(Geo("near;maxDistance==1", "Point", coordinates), null, near) || Math.Abs(longitude) < 179.99)
            Assert.Equal(["urn:a"], near.Select(e => e.Id));
        Assert.Equal(["urn:a"], Candidates(grid, Geo("equals", "Point", coordinates)));
        Assert.Equal(["urn:a"], Candidates(grid, Geo("intersects", "Point", coordinates)));
    }

    [Fact]
    public void A_moved_entity_is_a_candidate_at_its_new_place_only_and_a_deleted_one_nowhere()
    {
        var grid = new SpatialGrid();
        grid.Update("urn:a", Located("urn:a", Point(10.6797, 53.866)));
        var old = Geo("near;maxDistance==100", "Point", "[10.6797,53.866]");
        var moved = Geo("near;maxDistance==100", "Point", "[10.87,53.96]");
        Assert.Equal(["urn:a"], Candidates(grid, old));
        grid.Update("urn:a", Located("urn:a", Point(10.87, 53.96)));
        Assert.Empty(Candidates(grid, old));
        Assert.Equal(["urn:a"], Candidates(grid, moved));
        grid.Update("urn:a", null);
        Assert.Empty(Candidates(grid, moved));
        Assert.Equal(0, grid.Count);
    }

    [Fact]
    public void An_entity_whose_location_is_removed_leaves_the_grid()
    {
        var grid = new SpatialGrid();
        grid.Update("urn:a", Located("urn:a", Point(10, 50)));
        grid.Update("urn:a", Located("urn:a", Point(10, 50), "https://example.org/other"));
        Assert.Equal(0, grid.Count);
        Assert.Empty(Candidates(grid, Geo("near;maxDistance==100", "Point", "[10,50]")));
    }

    [Fact]
    public void Areas_of_every_size_are_found_once()
    {
        var grid = new SpatialGrid();
        var entities = new List<Entity>
        {
            Located("urn:small", """{"type":"Polygon","coordinates":[[[10.0005,50.0005],[10.0015,50.0005],[10.0015,50.0015],[10.0005,50.0015],[10.0005,50.0005]]]}"""),
            Located("urn:block", """{"type":"Polygon","coordinates":[[[10.001,50.001],[10.02,50.001],[10.02,50.02],[10.001,50.02],[10.001,50.001]]]}"""),
            Located("urn:city", """{"type":"LineString","coordinates":[[9.5,49.5],[10.5,50.5]]}"""),
            Located("urn:country", """{"type":"Polygon","coordinates":[[[0,40],[20,40],[20,60],[0,60],[0,40]]]}"""),
        };
        foreach (var entity in entities)
            grid.Update(entity.Id, entity);
        var query = Geo("intersects", "Polygon", "[[[10.0,50.0],[10.03,50.0],[10.03,50.03],[10.0,50.03],[10.0,50.0]]]");
        Assert.Equal(["urn:block", "urn:city", "urn:country", "urn:small"], Candidates(grid, query).Order(StringComparer.Ordinal));
        AssertNarrows(grid, entities, query);
        Assert.Equal(["urn:country"], Candidates(grid, Geo("near;maxDistance==1000", "Point", "[1,41]")));
    }

    [Fact]
    public void Several_location_instances_are_found_by_any_of_them()
    {
        var grid = new SpatialGrid();
        var entity = Located("urn:a", Point(10, 50));
        entity.Attributes.Put(NgsiLd.Location, new AttributeInstance { Kind = AttributeKind.GeoProperty, DatasetId = "urn:d", Value = JsonNode.Parse(Point(11, 51)) });
        grid.Update(entity.Id, entity);
        Assert.Equal(["urn:a"], Candidates(grid, Geo("near;maxDistance==10", "Point", "[11,51]")));
        Assert.Equal(["urn:a"], Candidates(grid, Geo("near;maxDistance==10", "Point", "[10,50]")));
    }

    [Theory]
    [InlineData("near;maxDistance==500", "Point", "[10,50]", "https://example.org/other")]
    [InlineData("disjoint", "Point", "[10,50]", null)]
    [InlineData("near;minDistance==500", "Point", "[10,50]", null)]
    [InlineData("near;maxDistance==50000", "Point", "[179.9,50]", null)]
    [InlineData("near;maxDistance==50000", "Point", "[-179.9,50]", null)]
    [InlineData("near;maxDistance==50000", "Point", "[10,89.9]", null)]
    [InlineData("near;maxDistance==50000", "Point", "[10,-89.9]", null)]
    public void Queries_it_cannot_narrow_are_left_to_a_scan(string georel, string geometry, string coordinates, string? geoproperty)
    {
        var grid = new SpatialGrid();
        grid.Update("urn:a", Located("urn:a", Point(10, 50)));
        var query = Geo(georel, geometry, coordinates, geoproperty);
        Assert.False(grid.TryGetCandidates(query, null, []));
    }

    [Fact]
    public void Random_points_and_queries_agree_with_the_evaluator()
    {
        var random = new Random(7);
        var grid = new SpatialGrid();
        var entities = new List<Entity>();
        for (var i = 0; i < 3000; i++)
        {
            var entity = Located($"urn:p{i}", Point(Math.Round(10.6797 + (random.NextDouble() * 2 - 1) * 0.05, 4), Math.Round(53.866 + (random.NextDouble() * 2 - 1) * 0.03, 4)));
            entities.Add(entity);
            grid.Update(entity.Id, entity);
        }
        for (var q = 0; q < 50; q++)
        {
            var coordinates = string.Create(CultureInfo.InvariantCulture, $"[{10.6797 + (random.NextDouble() * 2 - 1) * 0.05},{53.866 + (random.NextDouble() * 2 - 1) * 0.03}]");
            AssertNarrows(grid, entities, Geo($"near;maxDistance=={random.Next(1, 3000)}", "Point", coordinates));
            var x = 10.6797 + (random.NextDouble() * 2 - 1) * 0.05;
            var y = 53.866 + (random.NextDouble() * 2 - 1) * 0.03;
            var box = string.Create(CultureInfo.InvariantCulture, $"[[[{x},{y}],[{x + 0.01},{y}],[{x + 0.01},{y + 0.005}],[{x},{y + 0.005}],[{x},{y}]]]");
            AssertNarrows(grid, entities, Geo("within", "Polygon", box));
        }
    }

    private static Broker.Query.Ast.QueryExpression Q(string q)
    {
        var parsed = QueryParser.Parse(q, CorpusEntityLoader.Expand, QueryParser.DefaultRegexTimeout);
        Assert.True(parsed.Success, parsed.Error?.Message);
        return parsed.Value!;
    }

    [Fact]
    public void A_number_term_only_removes_entities_the_evaluator_rejects()
    {
        string[] values =
        [
            """{"type":"Property","value":VALUE}""",
            """{"type":"Property","value":"VALUE"}""",
            """{"type":"Property","value":[1,VALUE]}""",
            """{"type":"Property","value":{"@value":VALUE}}""",
            """[{"type":"Property","value":3},{"type":"Property","value":VALUE,"datasetId":"urn:d"}]""",
            """{"type":"Relationship","object":"urn:x:VALUE"}""",
            """{"type":"Property","value":VALUE,"n2":{"type":"Property","value":1}}""",
        ];
        var random = new Random(11);
        var grid = new SpatialGrid();
        var entities = new List<Entity>();
        for (var i = 0; i < 400; i++)
        {
            var json = $$"""{"id":"urn:p{{i}}","type":"T","location":{"type":"GeoProperty","value":{{Point(10 + random.NextDouble() * 0.01, 50 + random.NextDouble() * 0.01)}}}""";
            if (random.Next(8) != 0)
                json += ",\"n\":" + values[random.Next(values.Length)].Replace("VALUE", random.Next(1000).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
            var entity = CorpusEntityLoader.ReadEntity(JsonNode.Parse(json + "}")!.AsObject());
            entities.Add(entity);
            grid.Update(entity.Id, entity);
        }
        var geo = Geo("near;maxDistance==600", "Point", "[10.005,50.005]");
        foreach (var text in new[] { "n>800", "n==3", "n<=100;n2==1", "n>=500|n<10", "n>1e30", "createdAt>2020-01-01T00:00:00Z;n<5", "n[a]>1", "n==1.5" })
        {
            var q = Q(text);
            var candidates = new List<Entity>();
            Assert.True(grid.TryGetCandidates(geo, QueryEvaluator.NumberTerm(q), candidates));
            foreach (var entity in entities)
            {
                if (QueryEvaluator.Matches(entity, q) && GeoEvaluator.Matches(entity, geo))
                    Assert.Contains(entity, candidates);
            }
            // Asked twice: the second answer comes from what the entries kept.
            var again = new List<Entity>();
            Assert.True(grid.TryGetCandidates(geo, QueryEvaluator.NumberTerm(q), again));
            Assert.Equal(candidates, again);
        }
        var strict = new List<Entity>();
        Assert.True(grid.TryGetCandidates(geo, QueryEvaluator.NumberTerm(Q("n>800")), strict));
        var all = new List<Entity>();
        Assert.True(grid.TryGetCandidates(geo, null, all));
        Assert.True(strict.Count < all.Count / 2);
    }

    [Fact]
    public void A_changed_number_is_seen_by_the_next_query()
    {
        var grid = new SpatialGrid();
        Entity With(int n) => CorpusEntityLoader.ReadEntity(JsonNode.Parse($$$"""{"id":"urn:a","type":"T","n":{"type":"Property","value":{{{n}}}},"location":{"type":"GeoProperty","value":{{{Point(10, 50)}}}}}""")!.AsObject());
        var geo = Geo("near;maxDistance==10", "Point", "[10,50]");
        var term = QueryEvaluator.NumberTerm(Q("n>800"));
        grid.Update("urn:a", With(900));
        var candidates = new List<Entity>();
        Assert.True(grid.TryGetCandidates(geo, term, candidates));
        Assert.Single(candidates);
        grid.Update("urn:a", With(100));
        candidates.Clear();
        Assert.True(grid.TryGetCandidates(geo, term, candidates));
        Assert.Empty(candidates);
    }
}
