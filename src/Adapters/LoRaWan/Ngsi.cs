using System.Globalization;
using System.Text.Json.Nodes;

namespace Adapters.LoRaWan;

/// <summary>NGSI-LD normalized attributes.</summary>
internal static class Ngsi
{
    /// <summary>RFC 3339 in UTC with the fraction of the second to the microsecond, trailing zeros dropped.</summary>
    public static string Time(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFF'Z'", CultureInfo.InvariantCulture);

    public static JsonObject Property(JsonNode value, string? observedAt = null, string? unitCode = null)
    {
        var property = new JsonObject { ["type"] = "Property", ["value"] = value };
        if (observedAt is not null)
            property["observedAt"] = observedAt;
        if (unitCode is not null)
            property["unitCode"] = unitCode;
        return property;
    }

    public static JsonObject Property(string value, string? observedAt = null) => Property(JsonValue.Create(value), observedAt);

    public static JsonObject Property(double value, string? observedAt = null, string? unitCode = null) =>
        Property(JsonValue.Create(value), observedAt, unitCode);

    public static JsonObject Relationship(JsonNode target) => new() { ["type"] = "Relationship", ["object"] = target };

    public static JsonObject Relationship(string target) => Relationship(JsonValue.Create(target));

    public static JsonObject GeoPoint(double latitude, double longitude, string? observedAt = null)
    {
        var property = new JsonObject
        {
            ["type"] = "GeoProperty",
            ["value"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(longitude, latitude) },
        };
        if (observedAt is not null)
            property["observedAt"] = observedAt;
        return property;
    }
}
