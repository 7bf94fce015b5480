using Adapters.Core;

namespace Adapters.Traffic;

/// <summary>
/// The "traffic" section of the deployment's mapping file: which signal controller is which intersection, and which
/// DATEX II measurement site (and index, i.e. lane) is which TrafficFlowObserved on which road segment. Several
/// indices of one site (flow, speed and occupancy of a lane) may share an entity.
/// </summary>
public sealed class TrafficMapping : ISourceMapping
{
    public const string SectionName = "traffic";

    public List<SignalControllerMapping> Controllers { get; set; } = [];

    public List<TrafficCounterMapping> Counters { get; set; } = [];

    public SignalControllerMapping? FindController(string controllerId) =>
        Controllers.FirstOrDefault(c => string.Equals(c.ControllerId, controllerId, StringComparison.Ordinal));

    /// <summary>The counter of a measurement site's index: the entry for that index, else the site's entry without an index.</summary>
    public TrafficCounterMapping? FindCounter(string measurementSiteId, int index) =>
        Counters.FirstOrDefault(c => c.MeasurementSiteId == measurementSiteId && c.Index == index)
        ?? Counters.FirstOrDefault(c => c.MeasurementSiteId == measurementSiteId && c.Index is null);

    public IEnumerable<string> Validate(string path)
    {
        var controllers = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Controllers.Count; i++)
        {
            var at = $"{path}.controllers[{i}]";
            var controller = Controllers[i];
            if (string.IsNullOrWhiteSpace(controller.ControllerId))
                yield return $"{at}.controllerId: missing";
            else if (!controllers.Add(controller.ControllerId))
                yield return $"{at}.controllerId: '{controller.ControllerId}' is mapped twice";
            if (!IsUrn(controller.IntersectionId))
                yield return $"{at}.intersectionId: '{controller.IntersectionId}' is not an entity id (urn:ngsi-ld:<type>:<id>)";
        }

        var counters = new HashSet<(string?, int?)>();
        var siteOfEntity = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i < Counters.Count; i++)
        {
            var at = $"{path}.counters[{i}]";
            var counter = Counters[i];
            if (string.IsNullOrWhiteSpace(counter.MeasurementSiteId))
                yield return $"{at}.measurementSiteId: missing";
            else if (!counters.Add((counter.MeasurementSiteId, counter.Index)))
                yield return $"{at}: measurement site '{counter.MeasurementSiteId}' index {counter.Index?.ToString() ?? "(any)"} is mapped twice";
            if (counter.EntityId is null || !counter.EntityId.StartsWith("urn:ngsi-ld:TrafficFlowObserved:", StringComparison.Ordinal) || counter.EntityId.Length == 32)
                yield return $"{at}.entityId: '{counter.EntityId}' does not start with urn:ngsi-ld:TrafficFlowObserved: followed by a local id";
            else if (!siteOfEntity.TryAdd(counter.EntityId, counter.MeasurementSiteId) && siteOfEntity[counter.EntityId] != counter.MeasurementSiteId)
                yield return $"{at}.entityId: '{counter.EntityId}' is already the counter of measurement site '{siteOfEntity[counter.EntityId]}'";
            if (counter.RefRoadSegment is not null && !Uri.IsWellFormedUriString(counter.RefRoadSegment, UriKind.Absolute))
                yield return $"{at}.refRoadSegment: '{counter.RefRoadSegment}' is not an absolute URI";
            if (counter.LaneId is < 1)
                yield return $"{at}.laneId: {counter.LaneId} is not 1 or more";
            if (counter.Longitude.HasValue != counter.Latitude.HasValue)
                yield return $"{at}: longitude and latitude go together (one of them is missing)";
            if (counter.Longitude is < -180 or > 180 || counter.Latitude is < -90 or > 90)
                yield return $"{at}: longitude/latitude outside -180..180 / -90..90";
        }
    }

    private static bool IsUrn(string? id) => id is not null && id.StartsWith("urn:ngsi-ld:", StringComparison.Ordinal) && id.Split(':').Length >= 4;
}

public sealed class SignalControllerMapping
{
    /// <summary>The controller's id in the feed: TLConfiguration.intersectionId, e.g. "K440".</summary>
    public string? ControllerId { get; set; }

    /// <summary>The entity the signals refer to as refIntersection.</summary>
    public string? IntersectionId { get; set; }

    /// <summary>The feed's positions have latitude and longitude the wrong way round (as the Jena ILSA configuration has).</summary>
    public bool SwapLatitudeLongitude { get; set; }
}

public sealed class TrafficCounterMapping
{
    /// <summary>The DATEX II measurementSiteReference idG.</summary>
    public string? MeasurementSiteId { get; set; }

    /// <summary>The physicalQuantity index (lane or vehicle class of the site's table); null for all indices of the site.</summary>
    public int? Index { get; set; }

    public string? EntityId { get; set; }

    public string? RefRoadSegment { get; set; }

    public int? LaneId { get; set; }

    public double? Longitude { get; set; }

    public double? Latitude { get; set; }
}
