using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Adapters.Core;

namespace Adapters.Traffic;

/// <summary>
/// The traffic-light feed of TLConfiguration and TLSignalState messages (Jena ILSA, eClass
/// http://jena.de/udp/trafficos/trafficlight/1.1.1#//…) into TrafficSignal entities of dataModel.LuebeckTrafficSignal,
/// one per signal group of a controller. A TLConfiguration describes the groups (type, position, intersection); a
/// TLSignalState gives a signal's lamps at an instant, mapped onto the SPATEM MovementPhaseState (the table is in the
/// model's README). A lamp state message names no controller: the transport names it, or the mapping has only one.
/// </summary>
public static partial class TrafficSignalTranslation
{
    public const string DataModel = "dataModel.LuebeckTrafficSignal";

    private static readonly HashSet<string> LampSignalTypes = ["RED_AMBER_GREEN", "RED_GREEN", "AMBER"];

    public static IReadOnlyList<AdapterEntity> Translate(string json, string? controllerId, TrafficMapping mapping)
    {
        var message = TrafficEntities.ParseObject(json, "TLSignalState/TLConfiguration");
        var eClass = TrafficEntities.Text(message["eClass"]);
        if (eClass?.EndsWith("//TLConfiguration", StringComparison.Ordinal) == true)
            return Configuration(message, mapping);
        if (eClass?.EndsWith("//TLSignalState", StringComparison.Ordinal) == true)
            return [SignalState(message, controllerId, mapping)];
        throw new MalformedSourceException($"TLSignalState/TLConfiguration: eClass '{eClass}' is neither …#//TLConfiguration nor …#//TLSignalState");
    }

    private static List<AdapterEntity> Configuration(JsonObject configuration, TrafficMapping mapping)
    {
        var controllerId = TrafficEntities.Text(configuration["intersectionId"])
            ?? throw new MalformedSourceException("TLConfiguration: intersectionId is missing");
        var controller = Controller(controllerId, mapping, "TLConfiguration");
        var intersectionName = TrafficEntities.Text(configuration["intersectionName"]);
        if (configuration["modules"] is not JsonArray modules)
            throw new MalformedSourceException($"TLConfiguration {controllerId}: modules is missing");

        var groups = new List<(string Group, string SignalType, JsonObject Signal)>();
        foreach (var (module, m) in modules.Select((module, m) => (module, m)))
        {
            if (module?["signals"] is not JsonArray signals)
                throw new MalformedSourceException($"TLConfiguration {controllerId}: modules[{m}].signals is missing");
            foreach (var (signal, s) in signals.Select((signal, s) => (signal as JsonObject, s)))
            {
                var at = $"TLConfiguration {controllerId}: modules[{m}].signals[{s}]";
                var group = TrafficEntities.Text(signal?["signalGroup"]?["id"]) ?? throw new MalformedSourceException($"{at}.signalGroup.id is missing");
                var type = TrafficEntities.Text(signal!["signalType"]) ?? throw new MalformedSourceException($"{at}.signalType is missing");
                if (LampSignalTypes.Contains(type) && !groups.Exists(g => g.Group == group))
                    groups.Add((group, type, signal));
            }
        }

        var entities = new List<AdapterEntity>(groups.Count);
        foreach (var (group, type, signal) in groups)
        {
            var body = Identity(controllerId, controller, group);
            TrafficEntities.AddProperty(body, "name", intersectionName is null ? group : $"{intersectionName} {group}");
            TrafficEntities.AddProperty(body, "signalType", type);
            if (signal["location"] is JsonArray { Count: > 0 } locations && locations[0] is JsonObject position)
            {
                if (position["latitude"] is JsonValue first && first.TryGetValue<double>(out var latitude)
                    && position["longitude"] is JsonValue second && second.TryGetValue<double>(out var longitude))
                {
                    if (controller.SwapLatitudeLongitude)
                        (latitude, longitude) = (longitude, latitude);
                    TrafficEntities.AddPoint(body, longitude, latitude);
                }
            }
            entities.Add(new AdapterEntity(body, DataModel));
        }
        return entities;
    }

    private static AdapterEntity SignalState(JsonObject state, string? controllerId, TrafficMapping mapping)
    {
        var signalId = TrafficEntities.Text(state["id"]) ?? throw new MalformedSourceException("TLSignalState: id is missing");
        var at = $"TLSignalState {signalId}";
        var group = TrafficEntities.Text(state["signalGroup"]?["id"]) ?? throw new MalformedSourceException($"{at}: signalGroup.id is missing");
        var timestamp = TrafficEntities.Text(state["timestamp"]) ?? throw new MalformedSourceException($"{at}: timestamp is missing");
        if (state["values"] is not JsonArray values || values.Count is 0 or > 3 || values.Any(v => v is not JsonValue value || !value.TryGetValue<bool>(out _)))
            throw new MalformedSourceException($"{at}: values must be 1 to 3 booleans (the lamps at positions 0 green, 1 amber, 2 red)");

        controllerId ??= mapping.Controllers.Count == 1 ? mapping.Controllers[0].ControllerId
            : throw new MalformedSourceException($"{at}: the message names no controller and the traffic mapping has {mapping.Controllers.Count}; give ?controller=");
        var controller = Controller(controllerId!, mapping, at);
        // The feed writes "…Z" followed by the sender's zone name (e.g. "2026-01-06T14:48:15.288ZCET"); the Z governs.
        var observedAt = TrafficEntities.Instant(TrailingZoneName().Replace(timestamp, "Z"), $"{at}: timestamp");

        bool Lit(int position) => position < values.Count && values[position]!.GetValue<bool>();
        string[] lamps = [.. new[] { (2, "red"), (1, "amber"), (0, "green") }.Where(l => Lit(l.Item1)).Select(l => l.Item2)];

        var body = Identity(controllerId!, controller, group);
        TrafficEntities.AddProperty(body, "phase", Phase(Lit(2), Lit(1), Lit(0)), observedAt);
        TrafficEntities.AddProperty(body, "lampState", new JsonArray([.. lamps.Select(l => JsonValue.Create(l))]), observedAt);
        return new AdapterEntity(body, DataModel);
    }

    /// <summary>The SPATEM MovementPhaseState of a German three-lamp signal (README of the model: the table and why).</summary>
    public static string Phase(bool red, bool amber, bool green) => (red, amber, green) switch
    {
        (false, false, false) => "dark",
        (true, false, false) => "stop-And-Remain",
        (true, true, false) => "pre-Movement",
        (false, false, true) => "permissive-Movement-Allowed",
        (false, true, false) => "permissive-clearance",
        _ => "unavailable",
    };

    private static JsonObject Identity(string controllerId, SignalControllerMapping controller, string group)
    {
        var body = new JsonObject
        {
            ["id"] = $"urn:ngsi-ld:TrafficSignal:{controllerId}-{Uri.EscapeDataString(group)}",
            ["type"] = "TrafficSignal",
            ["refIntersection"] = new JsonObject { ["type"] = "Relationship", ["object"] = controller.IntersectionId },
        };
        TrafficEntities.AddProperty(body, "controllerId", controllerId);
        TrafficEntities.AddProperty(body, "signalGroup", group);
        return body;
    }

    private static SignalControllerMapping Controller(string controllerId, TrafficMapping mapping, string at) =>
        mapping.FindController(controllerId)
        ?? throw new MalformedSourceException($"{at}: controller '{controllerId}' is not in the traffic mapping (traffic.controllers)");

    [GeneratedRegex("Z[A-Za-z]{2,5}$")]
    private static partial Regex TrailingZoneName();
}
