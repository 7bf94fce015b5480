using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Adapters.Core;

namespace Adapters.Traffic;

internal static class TrafficEntities
{
    public static void AddProperty(JsonObject body, string name, JsonNode? value, string? observedAt = null, string? unitCode = null)
    {
        if (value is null)
            return;
        var property = new JsonObject { ["type"] = "Property", ["value"] = value };
        if (observedAt is not null)
            property["observedAt"] = observedAt;
        if (unitCode is not null)
            property["unitCode"] = unitCode;
        body[name] = property;
    }

    public static void AddPoint(JsonObject body, double longitude, double latitude) =>
        body["location"] = new JsonObject
        {
            ["type"] = "GeoProperty",
            ["value"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(longitude, latitude) },
        };

    public static string Instant(string text, string what)
    {
        if (!DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant))
            throw new MalformedSourceException($"{what}: '{text}' is not an ISO 8601 date-time");
        return instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
    }

    public static JsonObject ParseObject(string json, string format)
    {
        try
        {
            return JsonNode.Parse(json) as JsonObject ?? throw new MalformedSourceException($"{format}: expected a JSON object");
        }
        catch (JsonException e)
        {
            throw new MalformedSourceException($"{format}: not valid JSON ({e.Message})", e);
        }
    }

    public static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
