using System.Text.Json;
using System.Text.Json.Nodes;

namespace Broker.Entities.Representation;

/// <summary>Structural validation of GeoJSON geometries (RFC 7946 section 3.1) for GeoProperty values.</summary>
public static class GeoJsonValidation
{
    public static bool IsValidGeometry(JsonNode? node, out string reason)
    {
        reason = "";
        if (node is not JsonObject geometry || geometry["type"] is not JsonValue typeNode || !typeNode.TryGetValue<string>(out var type))
        {
            reason = "a geometry is an object with a 'type' member.";
            return false;
        }
        if (type == "GeometryCollection")
        {
            if (geometry["geometries"] is not JsonArray members)
            {
                reason = "a GeometryCollection needs a 'geometries' array.";
                return false;
            }
            foreach (var member in members)
            {
                if (!IsValidGeometry(member, out reason))
                    return false;
            }
            return true;
        }
        var coordinates = geometry["coordinates"] as JsonArray;
        if (coordinates is null)
        {
            reason = $"a {type} needs a 'coordinates' array.";
            return false;
        }
        var ok = type switch
        {
            "Point" => IsPosition(coordinates),
            "MultiPoint" => AllOf(coordinates, IsPosition, 0),
            "LineString" => IsLine(coordinates),
            "MultiLineString" => AllOf(coordinates, IsLine, 0),
            "Polygon" => IsPolygon(coordinates),
            "MultiPolygon" => AllOf(coordinates, IsPolygon, 1),
            _ => false,
        };
        if (!ok)
            reason = EntityReader.IsGeometryType(type) ? $"the coordinates do not form a valid {type}." : $"'{type}' is not a GeoJSON geometry type.";
        return ok;
    }

    private static bool AllOf(JsonArray array, Func<JsonArray, bool> check, int minimum)
    {
        if (array.Count < minimum)
            return false;
        foreach (var item in array)
        {
            if (item is not JsonArray inner || !check(inner))
                return false;
        }
        return true;
    }

    private static bool IsPosition(JsonArray position)
    {
        if (position.Count is < 2 or > 3)
            return false;
        for (var i = 0; i < position.Count; i++)
        {
            if (position[i] is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)
                return false;
        }
        var lon = position[0]!.GetValue<double>();
        var lat = position[1]!.GetValue<double>();
        return lon is >= -180 and <= 180 && lat is >= -90 and <= 90;
    }

    private static bool IsLine(JsonArray line) => line.Count >= 2 && AllOf(line, IsPosition, 2);

    private static bool IsPolygon(JsonArray rings)
    {
        if (rings.Count == 0)
            return false;
        foreach (var ring in rings)
        {
            if (ring is not JsonArray positions || positions.Count < 4 || !AllOf(positions, IsPosition, 4))
                return false;
            if (!JsonNode.DeepEquals(positions[0], positions[^1]))
                return false;
        }
        return true;
    }
}
