using System.Globalization;
using Adapters.Core;

namespace Adapters.Parking;

/// <summary>
/// The "parking" section of the deployment's mapping file: which source id (a DATEX II parking record or facility,
/// a SENSIT area, a sensor-feed site or spot) is which entity, and which spots belong to which site. The mapping is
/// where the site's spots are known: a site that has spots here gets its occupancy from them
/// (<see cref="ParkingSiteAggregator"/>), never from site-level counts of a feed.
/// </summary>
/// <remarks>Source ids are unique in a deployment, whatever feed they come from.</remarks>
public sealed class ParkingMapping : ISourceMapping
{
    public const string SectionName = "parking";

    public List<ParkingSiteMapping> Sites { get; set; } = [];

    public List<ParkingSpotMapping> Spots { get; set; } = [];

    private ParkingIndex? index;

    public ParkingSiteMapping? FindSite(string sourceId) => Index.SitesBySource.GetValueOrDefault(sourceId);

    public ParkingSpotMapping? FindSpot(string sourceId) => Index.SpotsBySource.GetValueOrDefault(sourceId);

    /// <summary>The site of a spot entity, or null when the entity id is not a mapped spot.</summary>
    public ParkingSiteMapping? SiteOfSpotEntity(string spotEntityId) =>
        Index.SpotsByEntity.TryGetValue(spotEntityId, out var spot) ? FindSite(spot.Site!) : null;

    /// <summary>The entity ids of the spots mapped to a site, in mapping order.</summary>
    public IReadOnlyList<string> SpotEntitiesOf(ParkingSiteMapping site) =>
        Index.SpotEntitiesBySite.GetValueOrDefault(site.SourceId!) ?? [];

    public bool HasSpots(ParkingSiteMapping site) => SpotEntitiesOf(site).Count > 0;

    private ParkingIndex Index => index ??= new ParkingIndex(this);

    public IEnumerable<string> Validate(string path)
    {
        var siteSources = new HashSet<string>(StringComparer.Ordinal);
        var entityIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Sites.Count; i++)
        {
            var site = Sites[i];
            var at = $"{path}.sites[{i}]";
            foreach (var problem in ValidateSourceAndEntity(at, site.SourceId, site.EntityId, "OffStreetParking", siteSources, entityIds))
                yield return problem;
            foreach (var problem in ValidatePosition(at, site.Longitude, site.Latitude))
                yield return problem;
        }

        var spotSources = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Spots.Count; i++)
        {
            var spot = Spots[i];
            var at = $"{path}.spots[{i}]";
            foreach (var problem in ValidateSourceAndEntity(at, spot.SourceId, spot.EntityId, "ParkingSpot", spotSources, entityIds))
                yield return problem;
            if (spot.SourceId is not null && siteSources.Contains(spot.SourceId))
                yield return $"{at}.sourceId: '{spot.SourceId}' is also a site's source id";
            if (string.IsNullOrWhiteSpace(spot.Site))
                yield return $"{at}.site: missing (the source id of the site the spot belongs to)";
            else if (!siteSources.Contains(spot.Site))
                yield return $"{at}.site: '{spot.Site}' is not the source id of a site in {path}.sites";
            if (spot.Category is not ("onStreet" or "offStreet"))
                yield return $"{at}.category: '{spot.Category}' is not onStreet or offStreet";
            foreach (var problem in ValidatePosition(at, spot.Longitude, spot.Latitude))
                yield return problem;
        }
    }

    private static IEnumerable<string> ValidateSourceAndEntity(
        string at, string? sourceId, string? entityId, string type, HashSet<string> sources, HashSet<string> entities)
    {
        if (string.IsNullOrWhiteSpace(sourceId))
            yield return $"{at}.sourceId: missing";
        else if (!sources.Add(sourceId))
            yield return $"{at}.sourceId: '{sourceId}' is mapped twice";

        var prefix = $"urn:ngsi-ld:{type}:";
        if (string.IsNullOrWhiteSpace(entityId))
            yield return $"{at}.entityId: missing";
        else if (!entityId.StartsWith(prefix, StringComparison.Ordinal) || entityId.Length == prefix.Length)
            yield return $"{at}.entityId: '{entityId}' does not start with {prefix} followed by a local id";
        else if (!entities.Add(entityId))
            yield return $"{at}.entityId: '{entityId}' is used twice";
    }

    private static IEnumerable<string> ValidatePosition(string at, double? longitude, double? latitude)
    {
        if (longitude.HasValue != latitude.HasValue)
            yield return $"{at}: longitude and latitude go together (one of them is missing)";
        if (longitude is < -180 or > 180)
            yield return $"{at}.longitude: {longitude.Value.ToString(CultureInfo.InvariantCulture)} is outside -180..180";
        if (latitude is < -90 or > 90)
            yield return $"{at}.latitude: {latitude.Value.ToString(CultureInfo.InvariantCulture)} is outside -90..90";
    }

    private sealed class ParkingIndex
    {
        public ParkingIndex(ParkingMapping mapping)
        {
            foreach (var site in mapping.Sites)
                if (site.SourceId is not null)
                    SitesBySource.TryAdd(site.SourceId, site);
            foreach (var spot in mapping.Spots)
            {
                if (spot.SourceId is null || spot.EntityId is null || spot.Site is null)
                    continue;
                SpotsBySource.TryAdd(spot.SourceId, spot);
                SpotsByEntity.TryAdd(spot.EntityId, spot);
                if (!SpotEntitiesBySite.TryGetValue(spot.Site, out var spots))
                    SpotEntitiesBySite[spot.Site] = spots = [];
                spots.Add(spot.EntityId);
            }
        }

        public Dictionary<string, ParkingSiteMapping> SitesBySource { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, ParkingSpotMapping> SpotsBySource { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, ParkingSpotMapping> SpotsByEntity { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, List<string>> SpotEntitiesBySite { get; } = new(StringComparer.Ordinal);
    }
}

/// <summary>A parking site (car park, parking area): an OffStreetParking entity.</summary>
public sealed class ParkingSiteMapping
{
    /// <summary>The site's id in its feed: a DATEX II parkingRecord or parkingFacility id, a SENSIT id, a sensor-feed site id.</summary>
    public string? SourceId { get; set; }

    public string? EntityId { get; set; }

    /// <summary>The name, for feeds that carry none (sensor feeds, status publications).</summary>
    public string? Name { get; set; }

    /// <summary>The position (WGS 84), for feeds that carry none; OffStreetParking requires a location.</summary>
    public double? Longitude { get; set; }

    public double? Latitude { get; set; }
}

/// <summary>A single parking space watched by a sensor: a ParkingSpot entity that belongs to a site.</summary>
public sealed class ParkingSpotMapping
{
    public string? SourceId { get; set; }

    public string? EntityId { get; set; }

    /// <summary>The source id of the site (in <see cref="ParkingMapping.Sites"/>) the spot belongs to.</summary>
    public string? Site { get; set; }

    /// <summary>The ParkingSpot category: "onStreet" or "offStreet".</summary>
    public string Category { get; set; } = "offStreet";

    public double? Longitude { get; set; }

    public double? Latitude { get; set; }
}
