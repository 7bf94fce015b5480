using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using NetTopologySuite.Geometries;
using Ontology.Model;

namespace Broker.Geo;

/// <summary>
/// GeoJSON geometries (IETF RFC 7946, referenced by NGSI-LD clause 4.7.1) to and from NetTopologySuite, SRID 4326,
/// x = longitude, y = latitude. Validates what NGSI-LD requires: known type, positions of 2 or 3 numbers,
/// longitude in [-180, 180], latitude in [-90, 90], line strings of at least 2 positions, polygon rings closed
/// with at least 4 positions.
/// </summary>
public static class GeoJson
{
    /// <summary>The factory of every geometry the broker builds: WGS84 lon/lat, floating precision.</summary>
    public static readonly GeometryFactory Factory = new(new PrecisionModel(), 4326);

    /// <summary>The geometry types accepted in the <c>geometry</c> parameter of a geo-query (clause 4.10).</summary>
    public static bool IsQueryGeometryType(string type) =>
        type is "Point" or "MultiPoint" or "LineString" or "MultiLineString" or "Polygon" or "MultiPolygon";

    /// <summary>Reads a GeoJSON geometry object such as <c>{"type":"Point","coordinates":[10.68,53.87]}</c>.</summary>
    public static bool TryParse(JsonNode? node, out Geometry? geometry, out string? error) =>
        TryParse(Element(node), out geometry, out error);

    /// <summary>Reads a GeoJSON geometry object such as <c>{"type":"Point","coordinates":[10.68,53.87]}</c>.</summary>
    public static bool TryParse(JsonElement json, out Geometry? geometry, out string? error)
    {
        geometry = null;
        if (json.ValueKind != JsonValueKind.Object)
        {
            error = "a GeoJSON geometry must be a JSON object";
            return false;
        }
        if (!json.TryGetProperty("type"u8, out var typeValue) || typeValue.ValueKind != JsonValueKind.String)
        {
            error = "a GeoJSON geometry needs a string member 'type'";
            return false;
        }
        var type = typeValue.GetString()!;
        if (type == "GeometryCollection")
        {
            if (!json.TryGetProperty("geometries"u8, out var members) || members.ValueKind != JsonValueKind.Array)
            {
                error = "a GeometryCollection needs an array member 'geometries'";
                return false;
            }
            var parts = new Geometry[members.GetArrayLength()];
            var i = 0;
            foreach (var member in members.EnumerateArray())
            {
                if (!TryParse(member, out var part, out error))
                    return false;
                parts[i++] = part!;
            }
            geometry = Factory.CreateGeometryCollection(parts);
            error = null;
            return true;
        }
        return TryCreate(type, json.TryGetProperty("coordinates"u8, out var coordinates) ? coordinates : default, out geometry, out error);
    }

    /// <summary>
    /// The geometry of a GeoProperty instance: the one its reader kept in <see cref="AttributeInstance.DerivedValue"/>,
    /// or parsed from its value and kept there; null when the value is not a valid geometry.
    /// </summary>
    public static Geometry? GeometryOf(AttributeInstance instance)
    {
        if (instance.DerivedValue is Geometry kept)
            return kept;
        if (instance.DerivedValue is not null || !TryParse(instance.Value, out var geometry, out _))
            return null;
        instance.DerivedValue = geometry;
        return geometry;
    }

    /// <summary>Builds a geometry of a GeoJSON type from its coordinates array (undefined when there is none).</summary>
    public static bool TryCreate(string type, JsonElement coordinates, out Geometry? geometry, out string? error)
    {
        geometry = null;
        try
        {
            geometry = type switch
            {
                "Point" => Factory.CreatePoint(Position(coordinates)),
                "MultiPoint" => Factory.CreateMultiPointFromCoords(Positions(coordinates, 1)),
                "LineString" => Factory.CreateLineString(Positions(coordinates, 2)),
                "MultiLineString" => Factory.CreateMultiLineString(Array(coordinates, "lines", 1).EnumerateArray().Select(l => Factory.CreateLineString(Positions(l, 2))).ToArray()),
                "Polygon" => Polygon(coordinates),
                "MultiPolygon" => Factory.CreateMultiPolygon(Array(coordinates, "polygons", 1).EnumerateArray().Select(Polygon).ToArray()),
                _ => throw new FormatException($"unknown geometry type '{type}'"),
            };
            error = null;
            return true;
        }
        catch (FormatException e)
        {
            error = e.Message;
            return false;
        }
    }

    /// <summary>The element a node stands for (undefined for null), so that both forms are read by one parser.</summary>
    private static JsonElement Element(JsonNode? node) =>
        node is null ? default : JsonSerializer.SerializeToElement(node, Api.Http.JsonNodeContext.Default.JsonNode);

    private static JsonElement Array(JsonElement node, string what, int minimum)
    {
        if (node.ValueKind != JsonValueKind.Array)
            throw new FormatException($"expected an array of {what}");
        var count = node.GetArrayLength();
        if (count < minimum)
            throw new FormatException($"expected at least {minimum} {what}, found {count}");
        return node;
    }

    private static Coordinate Position(JsonElement node)
    {
        if (node.ValueKind != JsonValueKind.Array || node.GetArrayLength() is var count && count is < 2 or > 3)
            throw new FormatException("a position must be an array of 2 or 3 numbers");
        var lon = Number(node[0]);
        var lat = Number(node[1]);
        if (lon is < -180 or > 180 || double.IsNaN(lon))
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"longitude {lon} is outside [-180, 180]"));
        if (lat is < -90 or > 90 || double.IsNaN(lat))
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"latitude {lat} is outside [-90, 90]"));
        return count == 3 ? new CoordinateZ(lon, lat, Number(node[2])) : new Coordinate(lon, lat);
    }

    private static double Number(JsonElement node)
    {
        if (node.ValueKind == JsonValueKind.Number)
            return node.GetDouble();
        throw new FormatException("a coordinate must be a number");
    }

    /// <summary>The most positions one array of a geometry may hold (a city boundary has tens of thousands).</summary>
    public const int MaxPositions = 100_000;

    private static Coordinate[] Positions(JsonElement node, int minimum)
    {
        var array = Array(node, "positions", minimum);
        if (array.GetArrayLength() > MaxPositions)
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"more than {MaxPositions} positions in one array"));
        var positions = new Coordinate[array.GetArrayLength()];
        var i = 0;
        // Enumerated, not indexed: indexing an array of arrays scans it from the start each time.
        foreach (var position in array.EnumerateArray())
            positions[i++] = Position(position);
        return positions;
    }

    private static Polygon Polygon(JsonElement node)
    {
        var rings = Array(node, "linear rings", 1);
        var linear = new LinearRing[rings.GetArrayLength()];
        var i = 0;
        foreach (var ring in rings.EnumerateArray())
        {
            var positions = Positions(ring, 4);
            if (!positions[0].Equals2D(positions[^1]))
                throw new FormatException($"linear ring {i} is not closed: its first and last positions differ");
            linear[i++] = Factory.CreateLinearRing(positions);
        }
        return Factory.CreatePolygon(linear[0], linear[1..]);
    }

    public static JsonNode ToJsonNode(Geometry geometry)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
            Write(writer, geometry);
        return JsonNode.Parse(buffer.ToArray())!;
    }

    public static void Write(Utf8JsonWriter writer, Geometry geometry)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(geometry);
        writer.WriteStartObject();
        writer.WriteString("type"u8, geometry.GeometryType);
        switch (geometry)
        {
            case Point point:
                writer.WritePropertyName("coordinates"u8);
                WritePosition(writer, point.Coordinate);
                break;
            case LineString line:
                writer.WritePropertyName("coordinates"u8);
                WritePositions(writer, line.Coordinates);
                break;
            case Polygon polygon:
                writer.WritePropertyName("coordinates"u8);
                WritePolygon(writer, polygon);
                break;
            case MultiPoint or MultiLineString or MultiPolygon:
                writer.WritePropertyName("coordinates"u8);
                writer.WriteStartArray();
                for (var i = 0; i < geometry.NumGeometries; i++)
                {
                    switch (geometry.GetGeometryN(i))
                    {
                        case Point p: WritePosition(writer, p.Coordinate); break;
                        case LineString l: WritePositions(writer, l.Coordinates); break;
                        case Polygon p: WritePolygon(writer, p); break;
                    }
                }
                writer.WriteEndArray();
                break;
            case GeometryCollection collection:
                writer.WritePropertyName("geometries"u8);
                writer.WriteStartArray();
                for (var i = 0; i < collection.NumGeometries; i++)
                    Write(writer, collection.GetGeometryN(i));
                writer.WriteEndArray();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(geometry));
        }
        writer.WriteEndObject();
    }

    private static void WritePosition(Utf8JsonWriter writer, Coordinate c)
    {
        writer.WriteStartArray();
        writer.WriteNumberValue(c.X);
        writer.WriteNumberValue(c.Y);
        if (!double.IsNaN(c.Z))
            writer.WriteNumberValue(c.Z);
        writer.WriteEndArray();
    }

    private static void WritePositions(Utf8JsonWriter writer, Coordinate[] coordinates)
    {
        writer.WriteStartArray();
        foreach (var c in coordinates)
            WritePosition(writer, c);
        writer.WriteEndArray();
    }

    private static void WritePolygon(Utf8JsonWriter writer, Polygon polygon)
    {
        writer.WriteStartArray();
        WritePositions(writer, polygon.ExteriorRing.Coordinates);
        foreach (var hole in polygon.InteriorRings)
            WritePositions(writer, hole.Coordinates);
        writer.WriteEndArray();
    }
}
