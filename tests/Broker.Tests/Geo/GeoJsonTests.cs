using System.Text.Json.Nodes;
using Broker.Geo;
using NetTopologySuite.Geometries;
using Xunit;

namespace Broker.Tests.Geo;

public sealed class GeoJsonTests
{
    [Theory]
    [InlineData("""{"type":"Point","coordinates":[10.6797,53.866]}""", "Point")]
    [InlineData("""{"type":"Point","coordinates":[10.6797,53.866,12.5]}""", "Point")]
    [InlineData("""{"type":"MultiPoint","coordinates":[[10.6797,53.866],[10.69,53.87]]}""", "MultiPoint")]
    [InlineData("""{"type":"LineString","coordinates":[[10.6797,53.866],[10.69,53.87]]}""", "LineString")]
    [InlineData("""{"type":"MultiLineString","coordinates":[[[10.6797,53.866],[10.69,53.87]],[[10,53],[11,54]]]}""", "MultiLineString")]
    [InlineData("""{"type":"Polygon","coordinates":[[[10,53],[11,53],[11,54],[10,54],[10,53]],[[10.2,53.2],[10.4,53.2],[10.4,53.4],[10.2,53.2]]]}""", "Polygon")]
    [InlineData("""{"type":"MultiPolygon","coordinates":[[[[10,53],[11,53],[11,54],[10,53]]],[[[12,53],[13,53],[13,54],[12,53]]]]}""", "MultiPolygon")]
    [InlineData("""{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[10,53]},{"type":"LineString","coordinates":[[10,53],[11,54]]}]}""", "GeometryCollection")]
    public void Parses_and_writes_back_every_geometry_type(string json, string type)
    {
        Assert.True(GeoJson.TryParse(JsonNode.Parse(json), out var geometry, out var error), error);
        Assert.Equal(type, geometry!.GeometryType);
        Assert.Equal(4326, geometry.SRID);

        var written = GeoJson.ToJsonNode(geometry);

        Assert.True(JsonNode.DeepEquals(NormalizeNumbers(JsonNode.Parse(json)), NormalizeNumbers(written)), written.ToJsonString());
    }

    [Fact]
    public void X_is_longitude_and_y_is_latitude()
    {
        GeoJson.TryParse(JsonNode.Parse("""{"type":"Point","coordinates":[10.6797,53.866]}"""), out var geometry, out _);
        var point = (Point)geometry!;
        Assert.Equal(10.6797, point.X);
        Assert.Equal(53.866, point.Y);
    }

    [Theory]
    [InlineData("null", "must be a JSON object")]
    [InlineData("""[10,53]""", "must be a JSON object")]
    [InlineData("""{"coordinates":[10,53]}""", "'type'")]
    [InlineData("""{"type":"Circle","coordinates":[10,53]}""", "unknown geometry type 'Circle'")]
    [InlineData("""{"type":"Point"}""", "a position must be an array of 2 or 3 numbers")]
    [InlineData("""{"type":"Point","coordinates":[10]}""", "a position must be an array of 2 or 3 numbers")]
    [InlineData("""{"type":"Point","coordinates":[10,53,1,2]}""", "a position must be an array of 2 or 3 numbers")]
    [InlineData("""{"type":"Point","coordinates":[180.5,53]}""", "longitude 180.5 is outside [-180, 180]")]
    [InlineData("""{"type":"Point","coordinates":[10,-90.5]}""", "latitude -90.5 is outside [-90, 90]")]
    [InlineData("""{"type":"Point","coordinates":["10",53]}""", "a coordinate must be a number")]
    [InlineData("""{"type":"LineString","coordinates":[[10,53]]}""", "expected at least 2 positions, found 1")]
    [InlineData("""{"type":"Polygon","coordinates":[[[10,53],[11,53],[10,53]]]}""", "expected at least 4 positions, found 3")]
    [InlineData("""{"type":"Polygon","coordinates":[[[10,53],[11,53],[11,54],[10,54]]]}""", "linear ring 0 is not closed")]
    [InlineData("""{"type":"Polygon","coordinates":[[[10,53],[11,53],[11,54],[10,53]],[[10.2,53.2],[10.4,53.2],[10.4,53.4],[10.3,53.3]]]}""", "linear ring 1 is not closed")]
    [InlineData("""{"type":"Polygon","coordinates":[]}""", "expected at least 1 linear rings")]
    [InlineData("""{"type":"MultiPolygon","coordinates":[[[10,53],[11,53],[11,54],[10,53]]]}""", "expected at least 4 positions, found 2")]
    [InlineData("""{"type":"GeometryCollection"}""", "'geometries'")]
    public void Rejects_invalid_geometries_with_a_reason(string json, string reason)
    {
        Assert.False(GeoJson.TryParse(JsonNode.Parse(json), out var geometry, out var error));
        Assert.Null(geometry);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    private static JsonNode? NormalizeNumbers(JsonNode? node) => node switch
    {
        JsonArray array => new JsonArray(array.Select(NormalizeNumbers).ToArray()),
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, NormalizeNumbers(p.Value)))),
        JsonValue value when value.GetValueKind() == System.Text.Json.JsonValueKind.Number => JsonValue.Create(value.GetValue<double>()),
        _ => node?.DeepClone(),
    };
}
