using System.Text.Json.Nodes;
using Broker.Geo;
using Broker.Query.Ast;
using Broker.Query.Evaluation;
using Broker.Query.Parsing;
using Broker.Tests.Query;
using NetTopologySuite.Geometries;
using Ontology.Model;
using Xunit;

namespace Broker.Tests.Geo;

public sealed class GeoQueryTests
{
    private static GeoQuery Parse(string georel, string geometry, string coordinates, string? geoproperty = null)
    {
        var result = GeoQueryParser.Parse(georel, geometry, coordinates, geoproperty, CorpusEntityLoader.Expand);
        Assert.True(result.Success, result.Error?.Message);
        return result.Value!;
    }

    [Theory]
    [InlineData("near;maxDistance==500", GeoRelation.Near, 500.0, null)]
    [InlineData("near;minDistance==10", GeoRelation.Near, null, 10.0)]
    [InlineData("near;minDistance==10;maxDistance==20.5", GeoRelation.Near, 20.5, 10.0)]
    [InlineData("within", GeoRelation.Within, null, null)]
    [InlineData("contains", GeoRelation.Contains, null, null)]
    [InlineData("intersects", GeoRelation.Intersects, null, null)]
    [InlineData("equals", GeoRelation.Equals, null, null)]
    [InlineData("disjoint", GeoRelation.Disjoint, null, null)]
    [InlineData("overlaps", GeoRelation.Overlaps, null, null)]
    public void Georels(string georel, GeoRelation relation, double? max, double? min)
    {
        var query = Parse(georel, "Point", "[10.6797,53.8660]");
        Assert.Equal(relation, query.Relation);
        Assert.Equal(max, query.MaxDistance);
        Assert.Equal(min, query.MinDistance);
        Assert.Equal(NgsiLd.Location, query.GeoProperty);
        Assert.Equal(4326, query.Geometry.SRID);
    }

    [Fact]
    public void Percent_encoded_coordinates_are_decoded()
    {
        var query = Parse("within", "Polygon", "%5B%5B%5B10,53%5D,%5B11,53%5D,%5B11,54%5D,%5B10,53%5D%5D%5D");
        Assert.IsType<Polygon>(query.Geometry);
    }

    [Fact]
    public void Geoproperty_is_expanded()
    {
        Assert.Equal(NgsiLd.ObservationSpace, Parse("within", "Point", "[10,53]", "observationSpace").GeoProperty);
        Assert.Equal(NgsiLd.DefaultContextVocab + "area", Parse("within", "Point", "[10,53]", "area").GeoProperty);
    }

    [Fact]
    public void Any_instance_of_a_multi_instance_geoproperty_may_match()
    {
        var entity = CorpusEntityLoader.ReadEntity(JsonNode.Parse("""
            {"id":"urn:x","type":"T","location":[
              {"type":"GeoProperty","value":{"type":"Point","coordinates":[0,0]}},
              {"type":"GeoProperty","datasetId":"urn:ds:gps","value":{"type":"Point","coordinates":[10.6797,53.8660]}}]}
            """)!.AsObject());

        Assert.True(GeoEvaluator.Matches(entity, Parse("near;maxDistance==10", "Point", "[10.6797,53.8660]")));
        Assert.True(GeoEvaluator.Matches(entity, Parse("near;minDistance==1000", "Point", "[10.6797,53.8660]")));
    }

    [Fact]
    public void Invalid_or_absent_geometry_matches_no_relation_not_even_disjoint()
    {
        var invalid = CorpusEntityLoader.ReadEntity(JsonNode.Parse("""
            {"id":"urn:x","type":"T","location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[500,0]}}}
            """)!.AsObject());
        var absent = new Entity { Id = "urn:y" };
        var disjoint = Parse("disjoint", "Point", "[10,53]");

        Assert.False(GeoEvaluator.Matches(invalid, disjoint));
        Assert.False(GeoEvaluator.Matches(absent, disjoint));
    }

    [Fact]
    public void Boundary_points_intersect_but_are_not_within()
    {
        var square = Parse("within", "Polygon", "[[[10,53],[11,53],[11,54],[10,54],[10,53]]]").Geometry;
        var onEdge = GeoJson.Factory.CreatePoint(new Coordinate(10.5, 53));

        Assert.False(GeoEvaluator.Matches(onEdge, new GeoQuery(GeoRelation.Within, square, NgsiLd.Location)));
        Assert.True(GeoEvaluator.Matches(onEdge, new GeoQuery(GeoRelation.Intersects, square, NgsiLd.Location)));
        Assert.False(GeoEvaluator.Matches(square, new GeoQuery(GeoRelation.Contains, onEdge, NgsiLd.Location)));
    }
}
