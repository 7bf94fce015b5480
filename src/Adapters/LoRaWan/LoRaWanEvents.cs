using System.Text.Json.Nodes;

namespace Adapters.LoRaWan;

/// <summary>
/// What a network server reported about a device, in the terms both ChirpStack and The Things Stack share.
/// <see cref="Time"/> is when the network server received it (see each parser for which of its fields that is).
/// </summary>
/// <param name="Context">The record in the source's terms, for error messages, e.g. "ChirpStack up event".</param>
/// <param name="DevEui">16 hex digits in lower case.</param>
/// <param name="DeviceName">The name the network server knows the device by.</param>
public abstract record LoRaWanEvent(string Context, string DevEui, string? DeviceName, DateTimeOffset Time);

/// <param name="Payload">The FRMPayload; empty for an uplink without one (MAC commands only).</param>
/// <param name="Decoded">The network server's decoded object, when its codec or formatter gave one.</param>
/// <param name="Reception">The best gateway's reception, if the network server reports gateways.</param>
/// <param name="BatteryPercent">The battery level the network server last learned (TTS last_battery_percentage).</param>
/// <param name="DeviceLocation">Where the network server places the device (TTS locations).</param>
public sealed record LoRaWanUplink(
    string Context, string DevEui, string? DeviceName, DateTimeOffset Time,
    int FPort, byte[] Payload, JsonObject? Decoded, GatewayReception? Reception, double? BatteryPercent, GeoPoint? DeviceLocation)
    : LoRaWanEvent(Context, DevEui, DeviceName, Time);

/// <summary>The answer to the network server's DevStatusReq (LoRaWAN 1.0 clause 5.5).</summary>
/// <param name="Margin">The demodulation margin (dB) of the request the device last received.</param>
/// <param name="BatteryPercent">0–100, or null when unavailable or on external power.</param>
public sealed record LoRaWanStatus(
    string Context, string DevEui, string? DeviceName, DateTimeOffset Time,
    int Margin, double? BatteryPercent, bool BatteryUnavailable, bool ExternalPowerSource)
    : LoRaWanEvent(Context, DevEui, DeviceName, Time);

public sealed record LoRaWanJoin(string Context, string DevEui, string? DeviceName, DateTimeOffset Time)
    : LoRaWanEvent(Context, DevEui, DeviceName, Time);

/// <summary>A location the network server resolved for the device (e.g. by TDOA or a geolocation service).</summary>
public sealed record LoRaWanLocated(string Context, string DevEui, string? DeviceName, DateTimeOffset Time, GeoPoint Location)
    : LoRaWanEvent(Context, DevEui, DeviceName, Time);

public sealed record GatewayReception(double Rssi, double Snr);

public sealed record GeoPoint(double Latitude, double Longitude);
