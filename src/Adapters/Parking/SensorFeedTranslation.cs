using Adapters.Core;

namespace Adapters.Parking;

/// <summary>
/// The generic parking sensor feed (as Ulm publishes it): an array of records, each either a spot sensor's report
/// (id, timestamp, occupied; packettype Status on a change or Heartbeat, both carrying the current state) or a
/// site's counts (id, maxcarparkfull, currentcarparkfulltotal, timestamp). Spots become ParkingSpot, sites
/// OffStreetParking; observedAt is the record's timestamp.
/// </summary>
public static class SensorFeedTranslation
{
    private const string Format = "parking sensor feed";

    public static IReadOnlyList<AdapterEntity> Translate(string json, ParkingMapping mapping)
    {
        var records = new ParkingRecords(mapping, Format);
        foreach (var (at, record, id) in JsonFields.Records(json, Format))
        {
            var observedAt = ParkingEntities.Instant(JsonFields.Text(record, "timestamp", at), $"{at}.timestamp")
                ?? throw new MalformedSourceException($"{at}.timestamp is missing");

            if (record.ContainsKey("occupied"))
            {
                var occupied = JsonFields.Boolean(record, "occupied", at)!.Value;
                records.ResolveSpot(id, (spot, site) => new SpotObservation(spot, site)
                {
                    Status = occupied ? "occupied" : "free",
                    ObservedAt = observedAt,
                });
            }
            else if (record.ContainsKey("maxcarparkfull"))
            {
                var total = JsonFields.Count(record, "maxcarparkfull", at);
                var occupied = JsonFields.Count(record, "currentcarparkfulltotal", at)
                    ?? throw new MalformedSourceException($"{at}.currentcarparkfulltotal is missing");
                // A car park counting more cars than its capacity (entries without exits) is full, not negatively free.
                records.ResolveSite(id, site => new SiteObservation(site)
                {
                    TotalSpotNumber = total,
                    OccupiedSpotNumber = occupied,
                    AvailableSpotNumber = total is { } t ? Math.Max(0, t - occupied) : null,
                    Occupancy = total > 0 ? Math.Round(Math.Min(1, (double)occupied / total.Value), 4) : null,
                    ObservedAt = observedAt,
                });
            }
            else
            {
                throw new MalformedSourceException($"{at} ({id}): neither a spot report (occupied) nor site counts (maxcarparkfull)");
            }
        }
        return records.Entities();
    }
}
