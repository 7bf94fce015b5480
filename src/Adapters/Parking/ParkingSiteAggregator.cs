using System.Globalization;
using System.Text.Json.Nodes;
using Adapters.Core;

namespace Adapters.Parking;

/// <summary>
/// Keeps each site's OffStreetParking counts consistent with its spots. The mapping says which spots a site has
/// (<see cref="ParkingMapping.SpotEntitiesOf"/>); the aggregator remembers the latest state of each spot, by the
/// status's observedAt, so a duplicate or a late older reading changes nothing. When a site's counts change (not on a reading that repeats a spot's state), it
/// emits the site's totalSpotNumber (the mapped spots), availableSpotNumber (spots last seen free),
/// occupiedSpotNumber and occupancy, observed at the newest of the readings they come from. Spots never seen count
/// as neither free nor occupied. Readings without observedAt cannot be ordered and are left out.
/// </summary>
public sealed class ParkingSiteAggregator(ParkingMapping mapping)
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, SpotState> spots = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (int Total, int Free, int Occupied)> emitted = new(StringComparer.Ordinal);

    /// <summary>Takes the ParkingSpot entities of a translation; returns the OffStreetParking updates they cause.</summary>
    public IReadOnlyList<AdapterEntity> Observe(IReadOnlyList<AdapterEntity> entities)
    {
        lock (gate)
        {
            var touched = new List<ParkingSiteMapping>();
            foreach (var entity in entities)
            {
                if (entity.Type != "ParkingSpot" || Reading(entity) is not { } reading)
                    continue;
                if (mapping.SiteOfSpotEntity(entity.Id) is not { } site)
                    continue;
                if (spots.TryGetValue(entity.Id, out var known) && known.ObservedAt >= reading.ObservedAt)
                    continue;
                spots[entity.Id] = reading;
                if (!touched.Contains(site))
                    touched.Add(site);
            }

            var updates = new List<AdapterEntity>(touched.Count);
            foreach (var site in touched)
            {
                var counts = Count(site);
                var numbers = (counts.Total, counts.Free, counts.Occupied);
                if (emitted.TryGetValue(site.EntityId!, out var before) && before == numbers)
                    continue;
                emitted[site.EntityId!] = numbers;
                updates.Add(Entity(site, counts));
            }
            return updates;
        }
    }

    /// <summary>The latest observed status of a mapped spot and when it was observed; null when none was seen since the start.</summary>
    public (string Status, string ObservedAt)? LatestStatus(string spotEntityId)
    {
        lock (gate)
            return spots.TryGetValue(spotEntityId, out var state) ? (state.Status, ParkingEntities.Instant(state.ObservedAt)) : null;
    }

    private SiteCounts Count(ParkingSiteMapping site)
    {
        var members = mapping.SpotEntitiesOf(site);
        int free = 0, occupied = 0;
        var newest = DateTimeOffset.MinValue;
        foreach (var spot in members)
        {
            if (!spots.TryGetValue(spot, out var state))
                continue;
            if (state.Status == "free")
                free++;
            else if (state.Status == "occupied")
                occupied++;
            if (state.ObservedAt > newest)
                newest = state.ObservedAt;
        }
        return new SiteCounts(members.Count, free, occupied, newest);
    }

    private static AdapterEntity Entity(ParkingSiteMapping site, SiteCounts counts)
    {
        var observedAt = ParkingEntities.Instant(counts.ObservedAt);
        var body = new JsonObject { ["id"] = site.EntityId, ["type"] = "OffStreetParking" };
        ParkingEntities.AddProperty(body, "name", site.Name);
        ParkingEntities.AddLocation(body, ParkingEntities.MappedPosition(site.Longitude, site.Latitude));
        ParkingEntities.AddProperty(body, "totalSpotNumber", counts.Total, observedAt);
        ParkingEntities.AddProperty(body, "availableSpotNumber", counts.Free, observedAt);
        ParkingEntities.AddProperty(body, "occupiedSpotNumber", counts.Occupied, observedAt);
        ParkingEntities.AddProperty(body, "occupancy", Math.Round((double)counts.Occupied / counts.Total, 4), observedAt);
        return new AdapterEntity(body, ParkingEntities.DataModel);
    }

    private static SpotState? Reading(AdapterEntity spot)
    {
        if (spot.Body["status"] is not JsonObject status
            || status["value"]?.GetValue<string>() is not { } value
            || status["observedAt"]?.GetValue<string>() is not { } observedAt)
            return null;
        return new SpotState(value, DateTimeOffset.Parse(observedAt, CultureInfo.InvariantCulture));
    }

    private readonly record struct SpotState(string Status, DateTimeOffset ObservedAt);

    private readonly record struct SiteCounts(int Total, int Free, int Occupied, DateTimeOffset ObservedAt);
}
