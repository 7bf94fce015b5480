using Adapters.Core;

namespace Adapters.Parking;

/// <summary>
/// Nedap SENSIT parking-area status (an array of areas: id, name, actualStatus with parkingCapacity, vacantSpaces and
/// full, location). An area mapped as a site becomes an OffStreetParking; an area of one sensor-watched bay mapped as a
/// spot becomes a ParkingSpot. The status carries no time, so the entities carry no observedAt.
/// </summary>
public static class SensitTranslation
{
    private const string Format = "Nedap SENSIT status";

    public static IReadOnlyList<AdapterEntity> Translate(string json, ParkingMapping mapping)
    {
        var records = new ParkingRecords(mapping, Format);
        foreach (var (at, area, id) in JsonFields.Records(json, Format))
        {
            var status = area["actualStatus"] is null ? null : JsonFields.Record(area["actualStatus"], $"{at}.actualStatus");
            var capacity = status is null ? null : JsonFields.Count(status, "parkingCapacity", $"{at}.actualStatus");
            var vacant = status is null ? null : JsonFields.Count(status, "vacantSpaces", $"{at}.actualStatus");
            var full = status is null ? null : JsonFields.Boolean(status, "full", $"{at}.actualStatus");
            var name = JsonFields.Text(area, "name", at);
            var position = Position(area, at);
            int? occupied = capacity is { } c && vacant is { } v ? Math.Max(0, c - v) : null;
            records.Resolve(
                id,
                site => new SiteObservation(site)
                {
                    Name = name,
                    Position = position,
                    TotalSpotNumber = capacity,
                    AvailableSpotNumber = vacant,
                    OccupiedSpotNumber = occupied,
                    Occupancy = capacity > 0 ? Math.Round((double)occupied!.Value / capacity.Value, 4) : null,
                    Status = full switch { true => ["full"], false => ["spacesAvailable"], null => [] },
                },
                (spot, site) => new SpotObservation(spot, site)
                {
                    Name = name,
                    Position = position,
                    Status = vacant > 0 ? "free" : full == true || vacant == 0 ? "occupied" : "unknown",
                });
        }
        return records.Entities();
    }

    /// <summary>The area's position; SENSIT writes 0/0 when none is configured.</summary>
    private static GeoPoint? Position(System.Text.Json.Nodes.JsonObject area, string at)
    {
        if (area["location"] is null)
            return null;
        var location = JsonFields.Record(area["location"], $"{at}.location");
        var latitude = JsonFields.Number(location, "latitude", $"{at}.location");
        var longitude = JsonFields.Number(location, "longitude", $"{at}.location");
        if (latitude is null || longitude is null || (latitude == 0 && longitude == 0))
            return null;
        if (latitude is < -90 or > 90 || longitude is < -180 or > 180)
            throw new MalformedSourceException($"{at}.location: latitude {latitude} / longitude {longitude} is not a WGS 84 position");
        return new GeoPoint(longitude.Value, latitude.Value);
    }
}
