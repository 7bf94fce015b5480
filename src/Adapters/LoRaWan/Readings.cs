using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Adapters.LoRaWan;

/// <summary>What a LoRaWAN sensor measures, in the units Smart Data Models use (relative humidity as a fraction, pressure in hPa).</summary>
public enum Quantity
{
    Occupancy,
    Temperature,
    RelativeHumidity,
    Co2,
    Pm1,
    Pm25,
    Pm4,
    Pm10,
    Pressure,
    WindSpeed,
    WindDirection,
    GustSpeed,
    Precipitation,
    SolarRadiation,
    Illuminance,
    Tvoc,
    Motion,
    BatteryPercent,
}

/// <param name="Value">In the quantity's SDM unit; occupancy 1 (occupied) or 0 (free).</param>
public readonly record struct Reading(Quantity Quantity, double Value);

/// <summary>
/// How each device family's decoded fields (the vendor codec's names, which the built-in decoders use too) become
/// readings, and the fields of objects decoded by a network server for devices mapped as "decoded".
/// </summary>
public static class Readings
{
    private sealed record Field(Quantity Quantity, decimal Factor = 1);

    private static readonly Dictionary<string, Field> Parking = new(StringComparer.Ordinal)
    {
        ["occupied"] = new(Quantity.Occupancy),
    };

    private static readonly Dictionary<string, Dictionary<string, Field>> ByFamily = new(StringComparer.Ordinal)
    {
        ["nwave-nps405"] = Parking,
        ["bosch-tps110"] = Parking,
        ["elsys-ers-co2"] = new(StringComparer.Ordinal)
        {
            ["temperature"] = new(Quantity.Temperature),
            ["humidity"] = new(Quantity.RelativeHumidity, 0.01m),
            ["co2"] = new(Quantity.Co2),
            ["light"] = new(Quantity.Illuminance),
            ["motion"] = new(Quantity.Motion),
            ["pressure"] = new(Quantity.Pressure),
            ["tvoc"] = new(Quantity.Tvoc),
        },
        ["decentlab-dl-pm"] = new(StringComparer.Ordinal)
        {
            ["pm1_0_mass_concentration"] = new(Quantity.Pm1),
            ["pm2_5_mass_concentration"] = new(Quantity.Pm25),
            ["pm4_mass_concentration"] = new(Quantity.Pm4),
            ["pm10_mass_concentration"] = new(Quantity.Pm10),
            ["air_temperature"] = new(Quantity.Temperature),
            ["air_humidity"] = new(Quantity.RelativeHumidity, 0.01m),
            ["barometric_pressure"] = new(Quantity.Pressure, 0.01m),
        },
        ["decentlab-dl-atm41"] = new(StringComparer.Ordinal)
        {
            ["solar_radiation"] = new(Quantity.SolarRadiation),
            ["precipitation"] = new(Quantity.Precipitation),
            ["wind_speed"] = new(Quantity.WindSpeed),
            ["wind_direction"] = new(Quantity.WindDirection),
            ["maximum_wind_speed"] = new(Quantity.GustSpeed),
            ["air_temperature"] = new(Quantity.Temperature),
            ["atmospheric_pressure"] = new(Quantity.Pressure, 10),
            ["relative_humidity"] = new(Quantity.RelativeHumidity, 0.01m),
        },
        [LoRaWanMapping.NetworkServerDecoded] = new(StringComparer.Ordinal)
        {
            ["occupied"] = new(Quantity.Occupancy),
            ["temperature"] = new(Quantity.Temperature),
            ["air_temperature"] = new(Quantity.Temperature),
            ["humidity"] = new(Quantity.RelativeHumidity, 0.01m),
            ["relative_humidity"] = new(Quantity.RelativeHumidity, 0.01m),
            ["air_humidity"] = new(Quantity.RelativeHumidity, 0.01m),
            ["co2"] = new(Quantity.Co2),
            ["pm1"] = new(Quantity.Pm1),
            ["pm2_5"] = new(Quantity.Pm25),
            ["pm25"] = new(Quantity.Pm25),
            ["pm10"] = new(Quantity.Pm10),
            ["battery"] = new(Quantity.BatteryPercent),
        },
    };

    /// <summary>
    /// SenseCAP measurement ids (Seeed's SenseCAP measurement list), as SenseCAP codecs give them in
    /// <c>messages: [[{measurementId, measurementValue, type}]]</c>; the weather station S2120 sends these.
    /// </summary>
    private static readonly Dictionary<int, Field> SenseCapMeasurements = new()
    {
        [4097] = new(Quantity.Temperature),
        [4098] = new(Quantity.RelativeHumidity, 0.01m),
        [4099] = new(Quantity.Illuminance),
        [4101] = new(Quantity.Pressure, 0.01m),
        [4104] = new(Quantity.WindDirection),
        [4105] = new(Quantity.WindSpeed),
        [4191] = new(Quantity.GustSpeed),
    };

    /// <summary>
    /// The readings of <paramref name="decoded"/> by <paramref name="family"/>'s field names, in the object's order; a
    /// field given twice (e.g. temperature and air_temperature) counts once, first come. Fields that are not numbers
    /// (or booleans for occupancy, or a Decentlab {value} object) are passed over.
    /// </summary>
    public static IReadOnlyList<Reading> Of(string family, JsonObject decoded)
    {
        var fields = ByFamily[family];
        var readings = new List<Reading>();
        foreach (var (name, node) in decoded)
        {
            if (fields.TryGetValue(name, out var field) && Number(node) is { } value)
                Add(readings, field, value);
        }
        if (family == LoRaWanMapping.NetworkServerDecoded && decoded["messages"] is JsonArray messages)
            AddSenseCap(readings, messages);
        return readings;
    }

    public static bool IsKnownFamily(string family) => ByFamily.ContainsKey(family);

    private static void AddSenseCap(List<Reading> readings, JsonArray messages)
    {
        foreach (var item in messages)
        {
            if (item is JsonArray group)
                AddSenseCap(readings, group);
            else if (item is JsonObject measurement && MeasurementId(measurement["measurementId"]) is { } id
                && SenseCapMeasurements.TryGetValue(id, out var field) && Number(measurement["measurementValue"]) is { } value)
                Add(readings, field, value);
        }
    }

    private static int? MeasurementId(JsonNode? node) => node?.GetValueKind() switch
    {
        JsonValueKind.Number when JsonNumber(node) is var number && number == Math.Floor(number) && number is >= 0 and <= int.MaxValue => (int)number,
        JsonValueKind.String when int.TryParse(node.GetValue<string>(), NumberStyles.None, CultureInfo.InvariantCulture, out var id) => id,
        _ => null,
    };

    private static void Add(List<Reading> readings, Field field, double value)
    {
        foreach (var reading in readings)
        {
            if (reading.Quantity == field.Quantity)
                return;
        }
        readings.Add(new Reading(field.Quantity, Scale(value, field.Factor)));
    }

    /// <summary>In decimal, so that 41 % becomes 0.41 and not 0.41000000000000003.</summary>
    private static double Scale(double value, decimal factor) =>
        factor == 1 || !double.IsFinite(value) || Math.Abs(value) > 1e15 ? value * (double)factor : (double)((decimal)value * factor);

    private static double? Number(JsonNode? node) => node?.GetValueKind() switch
    {
        JsonValueKind.Number => JsonNumber(node),
        JsonValueKind.True => 1,
        JsonValueKind.False => 0,
        JsonValueKind.Object => Number(node["value"]),
        _ => null,
    };

    /// <summary>A JSON number whether parsed (a JsonElement) or made in code as any numeric type.</summary>
    internal static double JsonNumber(JsonNode node)
    {
        var value = node.AsValue();
        if (value.TryGetValue<double>(out var number))
            return number;
        if (value.TryGetValue<int>(out var integer))
            return integer;
        return double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture);
    }
}
