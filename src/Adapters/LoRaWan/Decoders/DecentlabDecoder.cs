using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Adapters.LoRaWan.Decoders;

/// <summary>
/// Decentlab sensors, protocol version 2: version (1 byte), device id (2 bytes), flags (2 bytes), then for each sensor of
/// the device whose flag bit is set (bit 0 the first sensor), its fixed number of 16-bit big-endian words, converted to
/// the sensor's values. Each device type differs only in its list of sensors.
/// </summary>
public sealed class DecentlabDecoder : PayloadDecoder
{
    private const int ProtocolVersion = 2;
    private const int HeaderLength = 5;

    private sealed record Value(string Name, Func<ushort[], double> Convert);

    private sealed record Sensor(int Words, params Value[] Values);

    /// <summary>DL-PM: battery, particulate matter (Sensirion SPS30), temperature and humidity, barometric pressure.</summary>
    public static DecentlabDecoder ParticulateMatter { get; } = new("decentlab-dl-pm",
        new Sensor(1, new Value("battery_voltage", x => x[0] / 1000.0)),
        new Sensor(10,
            new Value("pm1_0_mass_concentration", x => x[0] / 10.0),
            new Value("pm2_5_mass_concentration", x => x[1] / 10.0),
            new Value("pm4_mass_concentration", x => x[2] / 10.0),
            new Value("pm10_mass_concentration", x => x[3] / 10.0),
            new Value("typical_particle_size", x => x[4]),
            new Value("pm0_5_number_concentration", x => x[5] / 10.0),
            new Value("pm1_0_number_concentration", x => x[6] / 10.0),
            new Value("pm2_5_number_concentration", x => x[7] / 10.0),
            new Value("pm4_number_concentration", x => x[8] / 10.0),
            new Value("pm10_number_concentration", x => x[9] / 10.0)),
        new Sensor(2,
            new Value("air_temperature", x => 175.72 * x[0] / 65536 - 46.85),
            new Value("air_humidity", x => 125.0 * x[1] / 65536 - 6)),
        new Sensor(1, new Value("barometric_pressure", x => x[0] * 2)));

    /// <summary>DL-ATM41: the eleven-parameter weather station (METER ATMOS 41), then the battery. Its words are offset by 0x8000.</summary>
    public static DecentlabDecoder WeatherStation { get; } = new("decentlab-dl-atm41",
        new Sensor(17,
            new Value("solar_radiation", x => x[0] - 32768),
            new Value("precipitation", x => (x[1] - 32768) / 1000.0),
            new Value("lightning_strike_count", x => x[2] - 32768),
            new Value("lightning_average_distance", x => x[3] - 32768),
            new Value("wind_speed", x => (x[4] - 32768) / 100.0),
            new Value("wind_direction", x => (x[5] - 32768) / 10.0),
            new Value("maximum_wind_speed", x => (x[6] - 32768) / 100.0),
            new Value("air_temperature", x => (x[7] - 32768) / 10.0),
            new Value("vapor_pressure", x => (x[8] - 32768) / 100.0),
            new Value("atmospheric_pressure", x => (x[9] - 32768) / 100.0),
            new Value("relative_humidity", x => (x[10] - 32768) / 10.0),
            new Value("sensor_temperature_internal", x => (x[11] - 32768) / 10.0),
            new Value("x_orientation_angle", x => (x[12] - 32768) / 10.0),
            new Value("y_orientation_angle", x => (x[13] - 32768) / 10.0),
            new Value("compass_heading", x => x[14] - 32768),
            new Value("north_wind_speed", x => (x[15] - 32768) / 100.0),
            new Value("east_wind_speed", x => (x[16] - 32768) / 100.0)),
        new Sensor(1, new Value("battery_voltage", x => x[0] / 1000.0)));

    private readonly Sensor[] _sensors;

    private DecentlabDecoder(string family, params Sensor[] sensors)
    {
        Family = family;
        _sensors = sensors;
    }

    public override string Family { get; }

    public override JsonObject Decode(int fPort, ReadOnlySpan<byte> payload)
    {
        RequireLength(fPort, payload, HeaderLength, "Decentlab message");
        if (payload[0] != ProtocolVersion)
            throw Malformed(fPort, string.Create(CultureInfo.InvariantCulture, $"protocol version {payload[0]}, not {ProtocolVersion}"));
        var flags = BinaryPrimitives.ReadUInt16BigEndian(payload[3..]);
        if (flags >> _sensors.Length != 0)
            throw Malformed(fPort, string.Create(CultureInfo.InvariantCulture, $"flags 0x{flags:X4} name sensors beyond the {_sensors.Length} this device has"));
        var data = new JsonObject
        {
            ["protocol_version"] = ProtocolVersion,
            ["device_id"] = BinaryPrimitives.ReadUInt16BigEndian(payload[1..]),
        };
        var position = HeaderLength;
        for (var i = 0; i < _sensors.Length; i++)
        {
            if ((flags >> i & 1) == 0)
                continue;
            var sensor = _sensors[i];
            if (position + sensor.Words * 2 > payload.Length)
                throw Malformed(fPort, string.Create(CultureInfo.InvariantCulture,
                    $"sensor {i} ({sensor.Values[0].Name}…) needs {sensor.Words * 2} bytes at byte {position}, {payload.Length - position} remain"));
            var words = new ushort[sensor.Words];
            for (var w = 0; w < words.Length; w++, position += 2)
                words[w] = BinaryPrimitives.ReadUInt16BigEndian(payload[position..]);
            foreach (var value in sensor.Values)
                data[value.Name] = value.Convert(words);
        }
        if (position != payload.Length)
            throw Malformed(fPort, string.Create(CultureInfo.InvariantCulture, $"{payload.Length - position} bytes after the last flagged sensor"));
        return data;
    }
}
