using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Adapters.Core;

namespace Adapters.LoRaWan;

/// <summary>Reading a network server's JSON with errors that name the record and the field.</summary>
internal readonly struct SourceJson(string context)
{
    public string Context => context;

    public MalformedSourceException Malformed(string problem, Exception? inner = null) => new($"{context}: {problem}", inner);

    public JsonObject ParseObject(string json)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw Malformed("not JSON (" + e.Message + ")", e);
        }
        return node as JsonObject ?? throw Malformed("not a JSON object");
    }

    public JsonObject Object(JsonObject parent, string name, string path) =>
        OptionalObject(parent, name, path) ?? throw Malformed($"{path} is missing");

    public JsonObject? OptionalObject(JsonObject parent, string name, string path) => parent[name] switch
    {
        null => null,
        JsonObject value => value,
        var other => throw Malformed($"{path} is not an object but {other.GetValueKind()}"),
    };

    public string? OptionalString(JsonObject parent, string name, string path) => parent[name] switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        var other => throw Malformed($"{path} is not a string but {other.GetValueKind()}"),
    };

    public double? OptionalNumber(JsonObject parent, string name, string path) => parent[name] switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.Number => value.GetValue<double>(),
        var other => throw Malformed($"{path} is not a number but {other.GetValueKind()}"),
    };

    public bool OptionalBoolean(JsonObject parent, string name, string path) => parent[name] switch
    {
        null => false,
        JsonValue value when value.GetValueKind() is JsonValueKind.True or JsonValueKind.False => value.GetValue<bool>(),
        var other => throw Malformed($"{path} is not a boolean but {other.GetValueKind()}"),
    };

    public string DevEui(JsonObject parent, string name, string path)
    {
        var text = OptionalString(parent, name, path) ?? throw Malformed($"{path} is missing");
        return LoRaWan.DevEui.IsValid(text) ? text.ToLowerInvariant() : throw Malformed($"{path} \"{text}\" is not 16 hex digits");
    }

    /// <summary>An RFC 3339 instant (with Z or an offset), truncated to microseconds, the precision NGSI-LD brokers keep.</summary>
    public DateTimeOffset? OptionalTime(JsonObject parent, string name, string path)
    {
        if (OptionalString(parent, name, path) is not { } text)
            return null;
        if (text.Length < 20 || text[10] != 'T' || !(text.EndsWith('Z') || text[^6] is '+' or '-')
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var instant))
            throw Malformed($"{path} \"{text}\" is not an RFC 3339 date-time");
        return new DateTimeOffset(instant.UtcTicks - instant.UtcTicks % 10, TimeSpan.Zero);
    }

    public byte[] OptionalBase64(JsonObject parent, string name, string path)
    {
        if (OptionalString(parent, name, path) is not { } text)
            return [];
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException e)
        {
            throw Malformed($"{path} \"{Shorten(text)}\" is not base64", e);
        }
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    /// <summary>The gateway with the best signal-to-noise ratio (the one ADR and downlinks go by), the stronger on a tie.</summary>
    public GatewayReception? BestReception(JsonNode? gateways, string path)
    {
        if (gateways is null)
            return null;
        if (gateways is not JsonArray array)
            throw Malformed($"{path} is not an array");
        GatewayReception? best = null;
        for (var i = 0; i < array.Count; i++)
        {
            var at = string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]");
            if (array[i] is not JsonObject gateway)
                throw Malformed($"{at} is not an object");
            var rssi = OptionalNumber(gateway, "rssi", at + ".rssi");
            var snr = OptionalNumber(gateway, "snr", at + ".snr");
            if (rssi is null || snr is null)
                continue;
            if (best is null || snr > best.Snr || (snr == best.Snr && rssi > best.Rssi))
                best = new GatewayReception(rssi.Value, snr.Value);
        }
        return best;
    }
}
