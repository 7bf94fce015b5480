using Adapters.Core;

namespace Adapters.LoRaWan;

/// <summary>
/// ChirpStack v4 integration events in their JSON encoding (integration.proto: UplinkEvent, StatusEvent, JoinEvent,
/// LocationEvent), as its HTTP integration POSTs them with <c>?event=&lt;type&gt;</c> and its MQTT integration publishes
/// them to <c>application/{application_id}/device/{dev_eui}/event/{type}</c>.
/// </summary>
/// <remarks>
/// The time of an event is its <c>time</c>: for an uplink, ChirpStack takes the first gateway's GPS time, else the first
/// gateway's clock, else its own reception time, so it is the time of reception as the network server reckons it.
/// </remarks>
public static class ChirpStackEvents
{
    /// <summary>The event types that say something about a device's state; ack, txack, log and integration events do not.</summary>
    public static IReadOnlySet<string> Translated { get; } = new HashSet<string>(StringComparer.Ordinal) { "up", "status", "join", "location" };

    /// <summary>The event, or null for an event type that is not translated.</summary>
    /// <exception cref="MalformedSourceException">The body is not such an event.</exception>
    public static LoRaWanEvent? Parse(string eventType, string json)
    {
        if (!Translated.Contains(eventType))
            return null;
        var source = new SourceJson($"ChirpStack {eventType} event");
        var root = source.ParseObject(json);
        var deviceInfo = source.Object(root, "deviceInfo", "deviceInfo");
        var devEui = source.DevEui(deviceInfo, "devEui", "deviceInfo.devEui");
        var name = source.OptionalString(deviceInfo, "deviceName", "deviceInfo.deviceName");
        var time = source.OptionalTime(root, "time", "time") ?? throw source.Malformed("time is missing");
        switch (eventType)
        {
            case "up":
                var fPort = source.OptionalNumber(root, "fPort", "fPort") ?? 0;
                if (fPort is < 0 or > 255 || fPort != Math.Floor(fPort))
                    throw source.Malformed($"fPort {fPort} is not from 0 to 255");
                return new LoRaWanUplink(source.Context, devEui, name, time, (int)fPort,
                    source.OptionalBase64(root, "data", "data"),
                    source.OptionalObject(root, "object", "object"),
                    source.BestReception(root["rxInfo"], "rxInfo"), BatteryPercent: null, DeviceLocation: null);
            case "status":
                var unavailable = source.OptionalBoolean(root, "batteryLevelUnavailable", "batteryLevelUnavailable");
                var external = source.OptionalBoolean(root, "externalPowerSource", "externalPowerSource");
                var battery = source.OptionalNumber(root, "batteryLevel", "batteryLevel") ?? 0;
                if (battery is < 0 or > 100)
                    throw source.Malformed($"batteryLevel {battery} is not from 0 to 100");
                return new LoRaWanStatus(source.Context, devEui, name, time,
                    (int)(source.OptionalNumber(root, "margin", "margin") ?? 0),
                    unavailable || external ? null : battery, unavailable, external);
            case "join":
                return new LoRaWanJoin(source.Context, devEui, name, time);
            default:
                var location = source.Object(root, "location", "location");
                return new LoRaWanLocated(source.Context, devEui, name, time, new GeoPoint(
                    source.OptionalNumber(location, "latitude", "location.latitude") ?? throw source.Malformed("location.latitude is missing"),
                    source.OptionalNumber(location, "longitude", "location.longitude") ?? throw source.Malformed("location.longitude is missing")));
        }
    }
}
