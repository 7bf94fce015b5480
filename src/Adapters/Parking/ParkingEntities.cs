using System.Globalization;
using System.Text.Json.Nodes;
using Adapters.Core;

namespace Adapters.Parking;

/// <summary>What a feed says about a parking site, in the terms of OffStreetParking.</summary>
internal sealed record SiteObservation(ParkingSiteMapping Site)
{
    public string? Name { get; init; }
    public string? Description { get; init; }
    public GeoPoint? Position { get; init; }
    public int? TotalSpotNumber { get; init; }
    public int? AvailableSpotNumber { get; init; }
    public int? OccupiedSpotNumber { get; init; }
    /// <summary>Occupied share, 0..1.</summary>
    public double? Occupancy { get; init; }
    public IReadOnlyList<string> Status { get; init; } = [];
    public IReadOnlyList<string> Layout { get; init; } = [];
    public IReadOnlyList<string> Category { get; init; } = [];
    /// <summary>When the dynamic attributes were observed (UTC, ISO 8601); null for static descriptions.</summary>
    public string? ObservedAt { get; init; }
}

/// <summary>What a feed says about a single parking space.</summary>
internal sealed record SpotObservation(ParkingSpotMapping Spot, ParkingSiteMapping Site)
{
    public string? Name { get; init; }
    public GeoPoint? Position { get; init; }
    /// <summary>"free", "occupied", "closed" or "unknown"; null when the record describes the spot only.</summary>
    public string? Status { get; init; }
    public string? ObservedAt { get; init; }
}

internal readonly record struct GeoPoint(double Longitude, double Latitude);

/// <summary>Builds the normalized OffStreetParking and ParkingSpot entities of dataModel.Parking.</summary>
internal static class ParkingEntities
{
    public const string DataModel = "dataModel.Parking";

    /// <summary>
    /// A site's entity. A site whose spots are in the mapping gets its counts from them (the aggregator), so the
    /// feed's own counts are left out here. A capacity of 0 is how feeds say they have no counts (Aachen's closed car
    /// parks: override, vacant and occupied all 0; Stuttgart's facilities without sensors: 0 occupied and 0 vacant
    /// at 1970-01-01), and a site of no spaces is not one the model allows (totalSpotNumber is at least 1): its
    /// counts are left out too.
    /// </summary>
    public static AdapterEntity Site(SiteObservation observation, ParkingMapping mapping)
    {
        var site = observation.Site;
        var body = new JsonObject { ["id"] = site.EntityId, ["type"] = "OffStreetParking" };
        AddProperty(body, "name", observation.Name ?? site.Name);
        if (observation.Description is not null)
            AddProperty(body, "description", observation.Description);
        AddLocation(body, observation.Position ?? MappedPosition(site.Longitude, site.Latitude));
        if (observation.Category.Count > 0)
            AddProperty(body, "category", Strings(observation.Category));
        if (observation.Layout.Count > 0)
            AddProperty(body, "layout", Strings(observation.Layout));
        if (!mapping.HasSpots(site) && observation.TotalSpotNumber != 0)
        {
            AddProperty(body, "totalSpotNumber", observation.TotalSpotNumber, observation.ObservedAt);
            AddProperty(body, "availableSpotNumber", observation.AvailableSpotNumber, observation.ObservedAt);
            AddProperty(body, "occupiedSpotNumber", observation.OccupiedSpotNumber, observation.ObservedAt);
            AddProperty(body, "occupancy", observation.Occupancy, observation.ObservedAt);
        }
        if (observation.Status.Count > 0)
            AddProperty(body, "status", Strings(observation.Status), observation.ObservedAt);
        return new AdapterEntity(body, DataModel);
    }

    public static AdapterEntity Spot(SpotObservation observation)
    {
        var spot = observation.Spot;
        var body = new JsonObject { ["id"] = spot.EntityId, ["type"] = "ParkingSpot" };
        AddProperty(body, "name", observation.Name);
        AddLocation(body, observation.Position ?? MappedPosition(spot.Longitude, spot.Latitude));
        AddProperty(body, "category", Strings([spot.Category]));
        body["refParkingSite"] = new JsonObject { ["type"] = "Relationship", ["object"] = observation.Site.EntityId };
        AddProperty(body, "status", observation.Status, observation.ObservedAt);
        return new AdapterEntity(body, DataModel);
    }

    public static GeoPoint? MappedPosition(double? longitude, double? latitude) =>
        longitude is { } lon && latitude is { } lat ? new GeoPoint(lon, lat) : null;

    public static void AddProperty(JsonObject body, string name, JsonNode? value, string? observedAt = null)
    {
        if (value is null)
            return;
        var property = new JsonObject { ["type"] = "Property", ["value"] = value };
        if (observedAt is not null)
            property["observedAt"] = observedAt;
        body[name] = property;
    }

    public static void AddLocation(JsonObject body, GeoPoint? position)
    {
        if (position is not { } point)
            return;
        body["location"] = new JsonObject
        {
            ["type"] = "GeoProperty",
            ["value"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(point.Longitude, point.Latitude) },
        };
    }

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(value => JsonValue.Create(value))]);

    /// <summary>An instant of a feed as NGSI-LD wants it: UTC, ISO 8601 with milliseconds.</summary>
    public static string? Instant(string? text, string what)
    {
        if (text is null)
            return null;
        if (!DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant))
            throw new MalformedSourceException($"{what}: '{text}' is not an ISO 8601 date-time");
        return Instant(instant);
    }

    public static string Instant(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static int? Count(int? value, string what) => value switch
    {
        null => null,
        < 0 => throw new MalformedSourceException($"{what}: {value} is negative"),
        _ => value,
    };
}
