using System.Globalization;
using System.Text.Json.Nodes;
using Adapters.Core;

namespace Adapters.Traffic;

/// <summary>
/// DATEX II v3 measured data in its JSON encoding (payload.roaMeasuredDataPublication, RoadTrafficData schema) into
/// TrafficFlowObserved of dataModel.Transportation: one entity per mapped counter (measurement site, or site and
/// index for a lane), with intensity (vehicles in the period: vehicleFlowRate × the period's hours), averageVehicleSpeed
/// (km/h), occupancy (0..1) and the period as dateObservedFrom/To. Values flagged dataError are left out. The flows
/// of several indices mapped to one entity add up; its speed and occupancy are those of the last index that has one.
/// </summary>
public static class TrafficCountTranslation
{
    public const string DataModel = "dataModel.Transportation";
    private const string Format = "DATEX II v3 MeasuredDataPublication";

    public static IReadOnlyList<AdapterEntity> Translate(string json, TrafficMapping mapping)
    {
        var document = TrafficEntities.ParseObject(json, Format);
        var publication = document["payload"]?["roaMeasuredDataPublication"] as JsonObject
            ?? throw new MalformedSourceException($"{Format}: payload.roaMeasuredDataPublication is missing");
        if (publication["siteMeasurements"] is not JsonArray sites)
            throw new MalformedSourceException($"{Format}: siteMeasurements is missing");

        var entities = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        var unknown = new List<string>();
        foreach (var (site, s) in sites.Select((site, s) => (site, s)))
        {
            var at = $"{Format} siteMeasurements[{s}]";
            var siteId = TrafficEntities.Text(site?["measurementSiteReference"]?["idG"])
                ?? throw new MalformedSourceException($"{at}.measurementSiteReference.idG is missing");
            var time = site!["measurementTimeDefault"] as JsonObject
                ?? throw new MalformedSourceException($"{at} ({siteId}): measurementTimeDefault is missing");
            var start = TrafficEntities.Text(time["period"]?["startOfPeriod"]);
            var end = TrafficEntities.Text(time["period"]?["endOfPeriod"]);
            if (start is null || end is null)
                throw new MalformedSourceException($"{at} ({siteId}): measurementTimeDefault.period needs startOfPeriod and endOfPeriod (the counts are over that period)");
            var from = TrafficEntities.Instant(start, $"{at}.measurementTimeDefault.period.startOfPeriod");
            var to = TrafficEntities.Instant(end, $"{at}.measurementTimeDefault.period.endOfPeriod");
            var hours = (DateTimeOffset.Parse(to, CultureInfo.InvariantCulture) - DateTimeOffset.Parse(from, CultureInfo.InvariantCulture)).TotalHours;
            if (hours <= 0)
                throw new MalformedSourceException($"{at} ({siteId}): the period ends before it starts");

            foreach (var (quantity, q) in (site["physicalQuantity"] as JsonArray ?? []).Select((quantity, q) => (quantity, q)))
            {
                var where = $"{at}.physicalQuantity[{q}]";
                var index = quantity?["index"] is JsonValue i && i.TryGetValue<int>(out var number) ? number
                    : throw new MalformedSourceException($"{where}.index is missing");
                var basic = quantity["physicalQuantity"]?["roaSinglePhysicalQuantity"]?["basicData"] as JsonObject;
                if (basic is null)
                    continue;
                if (mapping.FindCounter(siteId, index) is not { } counter)
                {
                    unknown.Add($"{siteId}#{index}");
                    continue;
                }
                var entity = entities.TryGetValue(counter.EntityId!, out var known) ? known : entities[counter.EntityId!] = New(counter, from, to);

                if (Value(basic["roaTrafficFlow"]?["vehicleFlow"], "vehicleFlowRate", $"{where}.basicData.roaTrafficFlow.vehicleFlow") is { } rate)
                {
                    // Indices sharing an entity are lanes (or vehicle classes) of one counter: their vehicles add up.
                    var earlier = entity["intensity"]?["value"]?.GetValue<double>() ?? 0;
                    TrafficEntities.AddProperty(entity, "intensity", Math.Round(earlier + rate * hours, 2), to);
                }
                if (Value(basic["roaTrafficSpeed"]?["averageVehicleSpeed"], "speed", $"{where}.basicData.roaTrafficSpeed.averageVehicleSpeed") is { } speed)
                    TrafficEntities.AddProperty(entity, "averageVehicleSpeed", speed, to, "KMH");
                if (Value(basic["roaTrafficConcentration"]?["occupancy"], "percentage", $"{where}.basicData.roaTrafficConcentration.occupancy") is { } percentage)
                {
                    if (percentage > 100)
                        throw new MalformedSourceException($"{where}: occupancy {percentage.ToString(CultureInfo.InvariantCulture)} % is over 100");
                    TrafficEntities.AddProperty(entity, "occupancy", Math.Round(percentage / 100, 4), to);
                }
            }
        }
        if (unknown.Count > 0)
            throw new MalformedSourceException($"{Format}: measurement site(s) not in the traffic mapping (traffic.counters): {string.Join(", ", unknown.Distinct())}");
        return [.. entities.Values.Select(body => new AdapterEntity(body, DataModel))];
    }

    private static JsonObject New(TrafficCounterMapping counter, string from, string to)
    {
        var body = new JsonObject { ["id"] = counter.EntityId, ["type"] = "TrafficFlowObserved" };
        TrafficEntities.AddProperty(body, "dateObserved", $"{from}/{to}");
        TrafficEntities.AddProperty(body, "dateObservedFrom", from);
        TrafficEntities.AddProperty(body, "dateObservedTo", to);
        TrafficEntities.AddProperty(body, "laneId", counter.LaneId);
        if (counter.RefRoadSegment is not null)
            body["refRoadSegment"] = new JsonObject { ["type"] = "Relationship", ["object"] = counter.RefRoadSegment };
        if (counter.Longitude is { } longitude && counter.Latitude is { } latitude)
            TrafficEntities.AddPoint(body, longitude, latitude);
        return body;
    }

    /// <summary>A DATEX data value's number, null when the value is absent or flagged dataError; negative is malformed.</summary>
    private static double? Value(JsonNode? dataValue, string member, string at)
    {
        if (dataValue is not JsonObject value || value["dataError"] is JsonValue error && error.TryGetValue<bool>(out var flagged) && flagged)
            return null;
        var number = value[member] is JsonValue v && v.TryGetValue<double>(out var n) ? n
            : throw new MalformedSourceException($"{at}.{member} is missing or not a number");
        return number < 0 ? throw new MalformedSourceException($"{at}.{member}: {number.ToString(CultureInfo.InvariantCulture)} is negative") : number;
    }
}
