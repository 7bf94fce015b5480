using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Adapters.LoRaWan.Decoders;

/// <summary>
/// Elsys sensors (ERS, ERS CO2, ERS Sound, ELT…): a sequence of readings, each a type byte followed by a value of a
/// length fixed by the type, big-endian. Every family member uses the same format, on any fPort.
/// </summary>
public sealed class ElsysDecoder : PayloadDecoder
{
    private delegate void Reader(ReadOnlySpan<byte> value, JsonObject data);

    private static readonly Dictionary<byte, (string Name, int Length, Reader Read)> Types = new()
    {
        [0x01] = ("temperature", 2, (v, d) => d["temperature"] = Signed16(v) / 10.0),
        [0x02] = ("humidity", 1, (v, d) => d["humidity"] = v[0]),
        [0x03] = ("acceleration", 3, ReadAcceleration),
        [0x04] = ("light", 2, (v, d) => d["light"] = Unsigned16(v)),
        [0x05] = ("motion", 1, (v, d) => d["motion"] = v[0]),
        [0x06] = ("co2", 2, (v, d) => d["co2"] = Unsigned16(v)),
        [0x07] = ("vdd", 2, (v, d) => d["vdd"] = Unsigned16(v)),
        [0x08] = ("analog1", 2, (v, d) => d["analog1"] = Unsigned16(v)),
        [0x09] = ("gps", 6, Skip),
        [0x0A] = ("pulse1", 2, (v, d) => d["pulse1"] = Unsigned16(v)),
        [0x0B] = ("pulseAbs", 4, (v, d) => d["pulseAbs"] = BinaryPrimitives.ReadUInt32BigEndian(v)),
        [0x0C] = ("externalTemperature", 2, (v, d) => d["externalTemperature"] = Signed16(v) / 10.0),
        [0x0D] = ("digital", 1, (v, d) => d["digital"] = v[0]),
        [0x0E] = ("distance", 2, (v, d) => d["distance"] = Unsigned16(v)),
        [0x0F] = ("accMotion", 1, (v, d) => d["accMotion"] = v[0]),
        [0x10] = ("irTemperature", 4, ReadIrTemperature),
        [0x11] = ("occupancy", 1, (v, d) => d["occupancy"] = v[0]),
        [0x12] = ("waterleak", 1, (v, d) => d["waterleak"] = v[0]),
        [0x13] = ("grideye", 65, Skip),
        [0x14] = ("pressure", 4, (v, d) => d["pressure"] = BinaryPrimitives.ReadUInt32BigEndian(v) / 1000.0),
        [0x15] = ("sound", 2, ReadSound),
        [0x16] = ("pulse2", 2, (v, d) => d["pulse2"] = Unsigned16(v)),
        [0x17] = ("pulseAbs2", 4, (v, d) => d["pulseAbs2"] = BinaryPrimitives.ReadUInt32BigEndian(v)),
        [0x18] = ("analog2", 2, (v, d) => d["analog2"] = Unsigned16(v)),
        [0x19] = ("externalTemperature2", 2, (v, d) => d["externalTemperature2"] = Signed16(v) / 10.0),
        [0x1A] = ("digital2", 1, (v, d) => d["digital2"] = v[0]),
        [0x1B] = ("analogUv", 4, (v, d) => d["analogUv"] = BinaryPrimitives.ReadInt32BigEndian(v)),
        [0x1C] = ("tvoc", 2, (v, d) => d["tvoc"] = Unsigned16(v)),
        [0x3D] = ("debug", 4, Skip),
    };

    public override string Family => "elsys-ers-co2";

    public override JsonObject Decode(int fPort, ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
            throw Malformed(fPort, "the payload is empty");
        var data = new JsonObject();
        var position = 0;
        while (position < payload.Length)
        {
            var type = payload[position];
            if (!Types.TryGetValue(type, out var reading))
                throw Malformed(fPort, string.Create(CultureInfo.InvariantCulture, $"unknown reading type 0x{type:X2} at byte {position}"));
            if (position + 1 + reading.Length > payload.Length)
                throw Malformed(fPort, string.Create(CultureInfo.InvariantCulture,
                    $"the {reading.Name} reading at byte {position} needs {reading.Length} bytes, {payload.Length - position - 1} remain"));
            reading.Read(payload.Slice(position + 1, reading.Length), data);
            position += 1 + reading.Length;
        }
        return data;
    }

    /// <summary>A reading of known length that no SDM attribute uses (GPS, Grid-EYE, debug): passed over.</summary>
    private static void Skip(ReadOnlySpan<byte> value, JsonObject data)
    {
    }

    private static void ReadAcceleration(ReadOnlySpan<byte> value, JsonObject data)
    {
        data["x"] = (int)(sbyte)value[0];
        data["y"] = (int)(sbyte)value[1];
        data["z"] = (int)(sbyte)value[2];
    }

    private static void ReadIrTemperature(ReadOnlySpan<byte> value, JsonObject data)
    {
        data["irInternalTemperature"] = Signed16(value) / 10.0;
        data["irExternalTemperature"] = Signed16(value[2..]) / 10.0;
    }

    private static void ReadSound(ReadOnlySpan<byte> value, JsonObject data)
    {
        data["soundPeak"] = value[0];
        data["soundAvg"] = value[1];
    }

    private static int Signed16(ReadOnlySpan<byte> value) => BinaryPrimitives.ReadInt16BigEndian(value);

    private static int Unsigned16(ReadOnlySpan<byte> value) => BinaryPrimitives.ReadUInt16BigEndian(value);
}
