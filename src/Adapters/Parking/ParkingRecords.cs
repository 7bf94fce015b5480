using Adapters.Core;

namespace Adapters.Parking;

/// <summary>
/// The records of one document of a parking feed, resolved against the mapping: a record whose id is a mapped spot
/// becomes its ParkingSpot, one whose id is a mapped site its OffStreetParking (unless it says nothing the model can
/// hold). Ids in neither are collected, and the document is malformed with all of them listed.
/// </summary>
internal sealed class ParkingRecords(ParkingMapping mapping, string format)
{
    private readonly List<AdapterEntity> entities = [];
    private readonly List<string> unknown = [];

    /// <summary>The site or spot the mapping says <paramref name="id"/> is.</summary>
    public void Resolve(string id, Func<ParkingSiteMapping, SiteObservation> asSite, Func<ParkingSpotMapping, ParkingSiteMapping, SpotObservation> asSpot)
    {
        if (mapping.FindSpot(id) is not null)
            ResolveSpot(id, asSpot);
        else
            ResolveSite(id, asSite);
    }

    /// <summary>A record that can only be of a spot (a spot sensor's report).</summary>
    public void ResolveSpot(string id, Func<ParkingSpotMapping, ParkingSiteMapping, SpotObservation> asSpot)
    {
        if (mapping.FindSpot(id) is { } spot)
            entities.Add(ParkingEntities.Spot(asSpot(spot, mapping.FindSite(spot.Site!)!)));
        else
            unknown.Add(id);
    }

    /// <summary>A record that can only be of a site (a site's counts).</summary>
    public void ResolveSite(string id, Func<ParkingSiteMapping, SiteObservation> asSite)
    {
        if (mapping.FindSite(id) is not { } site)
        {
            unknown.Add(id);
            return;
        }
        var entity = ParkingEntities.Site(asSite(site), mapping);
        if (entity.Body.Count > 2)
            entities.Add(entity);
    }

    /// <exception cref="MalformedSourceException">Some ids are not in the mapping.</exception>
    public IReadOnlyList<AdapterEntity> Entities() => unknown.Count == 0 ? entities : throw new MalformedSourceException(
        $"{format}: {unknown.Count} id(s) not in the parking mapping (parking.sites or parking.spots): {string.Join(", ", unknown.Take(10))}{(unknown.Count > 10 ? ", …" : "")}");
}
