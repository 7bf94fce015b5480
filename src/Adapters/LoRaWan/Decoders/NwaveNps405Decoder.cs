using System.Globalization;
using System.Text.Json.Nodes;

namespace Adapters.LoRaWan.Decoders;

/// <summary>
/// Nwave NPS405 parking sensor. fPort 1 parking status, 2 heartbeat, 3 start-up, 6 debug, 10 user (tag) registration.
/// The status byte of ports 1 and 10 holds the occupancy in bit 0 and, in bits 1–7, how long the previous state lasted
/// (minutes, compressed: exact below 90, 5-minute steps to 240, hourly steps to 600, 127 for longer).
/// </summary>
public sealed class NwaveNps405Decoder : PayloadDecoder
{
    private static readonly string?[] ResetCauses =
        ["rejoining_lorawan_network", "watchdog", "power_on", "user_request", null, null, "brownout", "other"];

    public override string Family => "nwave-nps405";

    public override JsonObject Decode(int fPort, ReadOnlySpan<byte> payload)
    {
        switch (fPort)
        {
            case 1:
                RequireLength(fPort, payload, 1, "parking status");
                var status = new JsonObject { ["type"] = "parking_status", ["occupied"] = (payload[0] & 1) == 1 };
                AddPreviousState(status, payload[0] >> 1);
                return status;
            case 2:
                RequireLength(fPort, payload, 3, "heartbeat");
                var temperature = (sbyte)payload[2] / 2.0 + 10;
                var batteryMillivolts = 2500 + payload[1] * 4;
                return new JsonObject
                {
                    ["type"] = "heartbeat",
                    ["occupied"] = (payload[0] & 1) == 1,
                    // Bit 0 is the occupancy, as in the status byte; the health flags are the bits above it.
                    ["hw_health_status"] = payload[0] >> 1,
                    ["temperature"] = temperature,
                    ["battery_voltage"] = batteryMillivolts / 1000.0,
                    ["battery_health"] = BatteryHealth(batteryMillivolts, temperature),
                };
            case 3:
                RequireLength(fPort, payload, 5, "start-up message");
                var startup = new JsonObject
                {
                    ["type"] = "startup",
                    ["firmware_version"] = string.Create(CultureInfo.InvariantCulture, $"{payload[0]}.{payload[1]}.{payload[2]}"),
                };
                if (payload[3] < ResetCauses.Length && ResetCauses[payload[3]] is { } cause)
                    startup["reset_cause"] = cause;
                startup["occupied"] = (payload[4] & 1) == 1;
                return startup;
            case 6:
                return new JsonObject { ["type"] = "debug" };
            case 10:
                RequireLength(fPort, payload, 6, "user registration");
                var registration = new JsonObject { ["type"] = "user_registration" };
                if ((payload[0] & 1) == 1)
                {
                    registration["occupied"] = true;
                    AddPreviousState(registration, payload[0] >> 1);
                }
                registration["tag_battery_voltage"] = payload[1] / 10.0;
                registration["tag_id"] = Convert.ToHexString(payload.Slice(2, 4));
                return registration;
            default:
                return [];
        }
    }

    private static void AddPreviousState(JsonObject data, int compressed)
    {
        var (minutes, error) = compressed switch
        {
            < 90 => (compressed, 0),
            < 120 => (90 + (compressed - 90) * 5, 4),
            < 127 => (240 + (compressed - 120) * 60, 59),
            _ => (660, (int?)null),
        };
        data["previous_state_duration"] = minutes;
        data["previous_state_duration_error"] = error;
        data["previous_state_duration_overflow"] = compressed == 127;
    }

    /// <summary>The battery thresholds are lower below −5 °C, where a lithium cell's voltage sags.</summary>
    private static string BatteryHealth(int millivolts, double temperature)
    {
        var (critical, low) = temperature >= -5 ? (2900, 3000) : (2800, 2900);
        return millivolts >= low ? "normal" : millivolts >= critical ? "low" : "critical";
    }
}
