using System.Globalization;
using System.Text.Json.Nodes;

namespace Adapters.LoRaWan.Decoders;

/// <summary>
/// Bosch TPS110 parking lot sensor (firmware 0.29.2 format). fPort 1 parking status, 2 heartbeat (status and the
/// sensor's temperature), 3 start-up (three 12-bit debug codes in 4-byte little-endian slots, firmware version, reset
/// cause, status), 4–6 device information, usage and debug.
/// </summary>
public sealed class BoschTps110Decoder : PayloadDecoder
{
    private static readonly string?[] ResetCauses = [null, "watchdog", "power on", "system request", "other"];

    public override string Family => "bosch-tps110";

    public override JsonObject Decode(int fPort, ReadOnlySpan<byte> payload)
    {
        switch (fPort)
        {
            case 1:
                RequireLength(fPort, payload, 1, "parking status");
                return new JsonObject { ["type"] = "parking status", ["occupied"] = (payload[0] & 1) == 1 };
            case 2:
                RequireLength(fPort, payload, 1, "heartbeat");
                var heartbeat = new JsonObject { ["type"] = "heartbeat", ["occupied"] = (payload[0] & 1) == 1 };
                if (payload.Length >= 2)
                    heartbeat["temperature"] = (int)(sbyte)payload[1];
                return heartbeat;
            case 3:
                RequireLength(fPort, payload, 17, "start-up message");
                var debugCodes = new JsonArray();
                for (var slot = 0; slot < 12; slot += 4)
                {
                    var code = (payload[slot + 1] & 0x0F) << 8 | payload[slot];
                    if (code != 0)
                        debugCodes.Add(code);
                }
                var startup = new JsonObject
                {
                    ["type"] = "startup",
                    ["debugCodes"] = debugCodes,
                    ["firmwareVersion"] = string.Create(CultureInfo.InvariantCulture, $"{payload[12]}.{payload[13]}.{payload[14]}"),
                };
                if (payload[15] < ResetCauses.Length && ResetCauses[payload[15]] is { } cause)
                    startup["resetCause"] = cause;
                startup["occupied"] = (payload[16] & 1) == 1;
                return startup;
            case 4:
                return new JsonObject { ["type"] = "device information" };
            case 5:
                return new JsonObject { ["type"] = "device usage" };
            case 6:
                return new JsonObject { ["type"] = "debug" };
            default:
                return [];
        }
    }
}
