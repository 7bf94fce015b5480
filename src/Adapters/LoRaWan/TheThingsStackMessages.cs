using System.Text.Json.Nodes;
using Adapters.Core;

namespace Adapters.LoRaWan;

/// <summary>
/// The Things Stack v3 webhook messages (ApplicationUp in JSON): <c>uplink_message</c> and <c>join_accept</c>; the
/// downlink, location-solved and service-data messages are not translated.
/// </summary>
/// <remarks>
/// The time of an uplink is <c>uplink_message.received_at</c>, when the Network Server received it; the gateways'
/// <c>rx_metadata[].time</c> is of "undefined accuracy" and the top-level <c>received_at</c> is the Application Server's,
/// used only when the Network Server's is absent.
/// </remarks>
public static class TheThingsStackMessages
{
    /// <summary>The message, or null for a message kind that is not translated.</summary>
    /// <exception cref="MalformedSourceException">The body is not an ApplicationUp message.</exception>
    public static LoRaWanEvent? Parse(string json)
    {
        var root = new SourceJson("The Things Stack message").ParseObject(json);
        var kind = root.ContainsKey("uplink_message") ? "uplink" : root.ContainsKey("join_accept") ? "join-accept" : null;
        if (kind is null)
            return null;
        var source = new SourceJson($"The Things Stack {kind} message");
        var ids = source.Object(root, "end_device_ids", "end_device_ids");
        var devEui = source.DevEui(ids, "dev_eui", "end_device_ids.dev_eui");
        var name = source.OptionalString(ids, "device_id", "end_device_ids.device_id");
        var applicationTime = source.OptionalTime(root, "received_at", "received_at");
        if (kind == "join-accept")
        {
            var join = source.Object(root, "join_accept", "join_accept");
            var joined = source.OptionalTime(join, "received_at", "join_accept.received_at") ?? applicationTime
                ?? throw source.Malformed("join_accept.received_at and received_at are missing");
            return new LoRaWanJoin(source.Context, devEui, name, joined);
        }

        var uplink = source.Object(root, "uplink_message", "uplink_message");
        var time = source.OptionalTime(uplink, "received_at", "uplink_message.received_at") ?? applicationTime
            ?? throw source.Malformed("uplink_message.received_at and received_at are missing");
        var fPort = source.OptionalNumber(uplink, "f_port", "uplink_message.f_port") ?? 0;
        if (fPort is < 0 or > 255 || fPort != Math.Floor(fPort))
            throw source.Malformed($"uplink_message.f_port {fPort} is not from 0 to 255");
        double? battery = null;
        if (source.OptionalObject(uplink, "last_battery_percentage", "uplink_message.last_battery_percentage") is { } lastBattery)
            battery = source.OptionalNumber(lastBattery, "value", "uplink_message.last_battery_percentage.value");
        return new LoRaWanUplink(source.Context, devEui, name, time, (int)fPort,
            source.OptionalBase64(uplink, "frm_payload", "uplink_message.frm_payload"),
            source.OptionalObject(uplink, "decoded_payload", "uplink_message.decoded_payload"),
            source.BestReception(uplink["rx_metadata"], "uplink_message.rx_metadata"), battery, UserLocation(source, uplink));
    }

    /// <summary>The location set for the device in the registry (<c>locations.user</c>), if any.</summary>
    private static GeoPoint? UserLocation(SourceJson source, JsonObject uplink)
    {
        if (source.OptionalObject(uplink, "locations", "uplink_message.locations") is not { } locations
            || source.OptionalObject(locations, "user", "uplink_message.locations.user") is not { } user)
            return null;
        return new GeoPoint(
            source.OptionalNumber(user, "latitude", "uplink_message.locations.user.latitude") ?? throw source.Malformed("uplink_message.locations.user.latitude is missing"),
            source.OptionalNumber(user, "longitude", "uplink_message.locations.user.longitude") ?? throw source.Malformed("uplink_message.locations.user.longitude is missing"));
    }
}
