using System.Text.Json.Nodes;

namespace MeinLuebeck;

/// <summary>What the page shows of a parking entity: a parking house or car park with its free spots, or one spot with its status.</summary>
/// <param name="Kind">offStreet (OffStreetParking), onStreet (OnStreetParking) or spot (ParkingSpot)</param>
/// <param name="Position">longitude and latitude: the location's point, or the first position of its line or polygon</param>
public sealed record ParkingPlace(string Id, string Kind, string? Name, int? Free, int? Total, string? Status, double[]? Position)
{
    public static readonly string[] EntityTypes = ["OffStreetParking", "OnStreetParking", "ParkingSpot"];

    /// <summary>A normalized or keyValues entity of one of <see cref="EntityTypes"/>; null for anything else.</summary>
    public static ParkingPlace? FromEntity(JsonObject entity)
    {
        if (entity["id"] is not JsonValue id || entity["type"] is not JsonValue type)
            return null;
        var kind = type.GetValue<string>() switch
        {
            "OffStreetParking" => "offStreet",
            "OnStreetParking" => "onStreet",
            "ParkingSpot" => "spot",
            _ => null,
        };
        if (kind is null)
            return null;
        return new ParkingPlace(id.GetValue<string>(), kind, Text(Value(entity, "name")), Number(Value(entity, "availableSpotNumber")),
            Number(Value(entity, "totalSpotNumber")), Text(Value(entity, "status")), PositionOf(Value(entity, "location")));
    }

    /// <summary>The value of an attribute, normalized ({"type": ..., "value": ...}) or keyValues.</summary>
    private static JsonNode? Value(JsonObject entity, string attribute) => entity[attribute] switch
    {
        JsonObject normalized when normalized.ContainsKey("type") && normalized["type"] is JsonValue kind
            && kind.GetValue<string>() is "Property" or "GeoProperty" or "VocabProperty" => normalized["value"] ?? normalized["vocab"],
        JsonArray instances when instances.FirstOrDefault() is JsonObject first => first["value"] ?? first["vocab"],
        var keyValue => keyValue,
    };

    private static string? Text(JsonNode? value) => value is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;

    private static int? Number(JsonNode? value) => value is JsonValue v && v.TryGetValue<double>(out var number) ? (int)number : null;

    private static double[]? PositionOf(JsonNode? geometry)
    {
        var coordinates = geometry?["coordinates"];
        while (coordinates is JsonArray array && array.FirstOrDefault() is JsonArray inner)
            coordinates = inner;
        return coordinates is JsonArray { Count: >= 2 } position && position[0] is JsonValue lon && position[1] is JsonValue lat
            ? [lon.GetValue<double>(), lat.GetValue<double>()]
            : null;
    }
}
