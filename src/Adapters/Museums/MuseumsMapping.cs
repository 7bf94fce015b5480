using System.Globalization;
using Adapters.Core;

namespace Adapters.Museums;

/// <summary>
/// The "museums" section of the mapping file: where the museums are whose LIDO records do not say (a repositoryLocation
/// without gml, or none). A Museum (dataModel.PointOfInterest) must have a location; a position in the record wins.
/// </summary>
/// <example>
/// <code>
/// museums:
///   positions:
///     - entityId: "urn:ngsi-ld:Museum:DE-MUS-059918"   # the Museum's id: from the legalBodyID (ISIL), else the name
///       longitude: 10.0107
///       latitude: 53.5516
/// </code>
/// </example>
public sealed class MuseumsMapping : ISourceMapping
{
    public const string SectionName = "museums";

    private const string EntityIdPrefix = "urn:ngsi-ld:" + MuseumIds.MuseumType + ":";

    public List<MuseumPosition> Positions { get; set; } = [];

    private Dictionary<string, MuseumPosition>? byEntityId;

    /// <summary>The mapped position of a Museum entity, or null.</summary>
    public MuseumPosition? Find(string museumEntityId)
    {
        byEntityId ??= Positions.Where(p => p.EntityId is not null).DistinctBy(p => p.EntityId).ToDictionary(p => p.EntityId!, StringComparer.Ordinal);
        return byEntityId.GetValueOrDefault(museumEntityId);
    }

    public IEnumerable<string> Validate(string path)
    {
        var entityIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Positions.Count; i++)
        {
            var at = string.Create(CultureInfo.InvariantCulture, $"{path}.positions[{i}]");
            var position = Positions[i];
            if (string.IsNullOrWhiteSpace(position.EntityId))
                yield return $"{at}.entityId: missing";
            else if (!position.EntityId.StartsWith(EntityIdPrefix, StringComparison.Ordinal) || position.EntityId.Length == EntityIdPrefix.Length)
                yield return $"{at}.entityId: '{position.EntityId}' does not start with {EntityIdPrefix} followed by a local id";
            else if (!entityIds.Add(position.EntityId))
                yield return $"{at}.entityId: '{position.EntityId}' is mapped twice";
            if (position.Longitude is not { } longitude)
                yield return $"{at}.longitude: missing";
            else if (longitude is < -180 or > 180)
                yield return string.Create(CultureInfo.InvariantCulture, $"{at}.longitude: {longitude} is outside -180..180");
            if (position.Latitude is not { } latitude)
                yield return $"{at}.latitude: missing";
            else if (latitude is < -90 or > 90)
                yield return string.Create(CultureInfo.InvariantCulture, $"{at}.latitude: {latitude} is outside -90..90");
        }
    }
}

/// <summary>Where a museum is (WGS 84).</summary>
public sealed class MuseumPosition
{
    public string? EntityId { get; set; }

    public double? Longitude { get; set; }

    public double? Latitude { get; set; }
}
