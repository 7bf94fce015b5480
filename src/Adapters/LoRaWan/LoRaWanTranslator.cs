using System.Globalization;
using System.Text.Json.Nodes;
using Adapters.Core;
using Adapters.LoRaWan.Decoders;

namespace Adapters.LoRaWan;

/// <summary>
/// LoRaWAN events become entities: the Device (dataModel.Device) of every event, and for an uplink of a mapped device the
/// entity it measures (ParkingSpot, AirQualityObserved or WeatherObserved) plus a DeviceMeasurement for each reading
/// that entity's model has no attribute for. Every observed value carries the network server's reception time as
/// observedAt, so the same event twice gives the same entities.
/// </summary>
/// <remarks>
/// The payload is read from the network server's decoded object when there is one (by the device family's field names),
/// else by the family's built-in decoder. A status event sets the Device's batteryLevel (−1 when the device cannot
/// measure it, none on external power) and linkMargin; a join event its deviceState "joined"; a location event its
/// location. A device that is not in the mapping is malformed input unless the mapping says "unmappedDevices: device";
/// then it is a Device entity with what the network server reports.
/// </remarks>
public sealed class LoRaWanTranslator
{
    private static readonly Dictionary<string, string[]> ControlledPropertiesByFamily = new(StringComparer.Ordinal)
    {
        ["nwave-nps405"] = ["occupancy"],
        ["bosch-tps110"] = ["occupancy"],
        ["elsys-ers-co2"] = ["temperature", "humidity", "light", "motion", "airPollution"],
        ["decentlab-dl-pm"] = ["airPollution", "temperature", "humidity", "atmosphericPressure"],
        ["decentlab-dl-atm41"] = ["temperature", "humidity", "atmosphericPressure", "precipitation", "solarRadiation", "windDirection", "windSpeed"],
    };

    private static readonly Dictionary<string, string[]> ControlledPropertiesByEntityType = new(StringComparer.Ordinal)
    {
        ["ParkingSpot"] = ["occupancy"],
        ["AirQualityObserved"] = ["airPollution"],
        ["WeatherObserved"] = ["weatherConditions"],
    };

    /// <summary>Attribute name and UN/CEFACT unit code of each quantity an entity type holds.</summary>
    private static readonly Dictionary<string, Dictionary<Quantity, (string Name, string? Unit)>> Attributes = new(StringComparer.Ordinal)
    {
        ["ParkingSpot"] = new() { [Quantity.Occupancy] = ("status", null) },
        ["AirQualityObserved"] = new()
        {
            [Quantity.Temperature] = ("temperature", "CEL"),
            [Quantity.RelativeHumidity] = ("relativeHumidity", null),
            [Quantity.Co2] = ("co2", "59"),
            [Quantity.Pm1] = ("pm1", "GQ"),
            [Quantity.Pm25] = ("pm25", "GQ"),
            [Quantity.Pm4] = ("pm4", "GQ"),
            [Quantity.Pm10] = ("pm10", "GQ"),
            [Quantity.Pressure] = ("pressure", "A97"),
            [Quantity.Tvoc] = ("volatileOrganicCompoundsTotal", "61"),
            [Quantity.WindSpeed] = ("windSpeed", "MTS"),
            [Quantity.WindDirection] = ("windDirection", "DD"),
            [Quantity.Precipitation] = ("precipitation", "MMT"),
        },
        ["WeatherObserved"] = new()
        {
            [Quantity.Temperature] = ("temperature", "CEL"),
            [Quantity.RelativeHumidity] = ("relativeHumidity", null),
            [Quantity.Pressure] = ("atmosphericPressure", "A97"),
            [Quantity.WindSpeed] = ("windSpeed", "MTS"),
            [Quantity.WindDirection] = ("windDirection", "DD"),
            [Quantity.GustSpeed] = ("gustSpeed", "MTS"),
            [Quantity.Precipitation] = ("precipitation", "MMT"),
            [Quantity.SolarRadiation] = ("solarRadiation", "D54"),
            [Quantity.Illuminance] = ("illuminance", "LUX"),
        },
    };

    /// <summary>The DeviceMeasurement controlledProperty and unit code of a reading the measured entity has no attribute for.</summary>
    private static readonly Dictionary<Quantity, (string Property, string? Unit)> Measurements = new()
    {
        [Quantity.Temperature] = ("temperature", "CEL"),
        [Quantity.RelativeHumidity] = ("humidity", null),
        [Quantity.Co2] = ("airPollution", "59"),
        [Quantity.Pm1] = ("airPollution", "GQ"),
        [Quantity.Pm25] = ("airPollution", "GQ"),
        [Quantity.Pm4] = ("airPollution", "GQ"),
        [Quantity.Pm10] = ("airPollution", "GQ"),
        [Quantity.Pressure] = ("atmosphericPressure", "A97"),
        [Quantity.WindSpeed] = ("windSpeed", "MTS"),
        [Quantity.WindDirection] = ("windDirection", "DD"),
        [Quantity.GustSpeed] = ("windSpeed", "MTS"),
        [Quantity.Precipitation] = ("precipitation", "MMT"),
        [Quantity.SolarRadiation] = ("solarRadiation", "D54"),
        [Quantity.Illuminance] = ("light", "LUX"),
        [Quantity.Tvoc] = ("airPollution", "61"),
        [Quantity.Motion] = ("motion", null),
    };

    private readonly IReadOnlyDictionary<string, LoRaWanDevice> _devices;
    private readonly bool _deviceEntitiesForUnmapped;

    /// <exception cref="InvalidOperationException">The mapping has errors; the message lists them.</exception>
    public LoRaWanTranslator(LoRaWanMapping mapping)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        var problems = mapping.Validate(LoRaWanMapping.SectionName).ToList();
        if (problems.Count > 0)
            throw new InvalidOperationException("The LoRaWAN mapping has errors:\n  " + string.Join("\n  ", problems));
        _devices = mapping.DevicesByEui();
        _deviceEntitiesForUnmapped = mapping.DeviceEntitiesForUnmappedDevices;
    }

    /// <summary>A ChirpStack event (HTTP or MQTT integration, JSON); null for an event type that is not translated.</summary>
    /// <exception cref="MalformedSourceException"/>
    public IReadOnlyList<AdapterEntity>? TranslateChirpStack(string eventType, string json) =>
        ChirpStackEvents.Parse(eventType, json) is { } lorawanEvent ? Translate(lorawanEvent) : null;

    /// <summary>A The Things Stack webhook message; null for a message kind that is not translated.</summary>
    /// <exception cref="MalformedSourceException"/>
    public IReadOnlyList<AdapterEntity>? TranslateTheThingsStack(string json) =>
        TheThingsStackMessages.Parse(json) is { } lorawanEvent ? Translate(lorawanEvent) : null;

    /// <exception cref="MalformedSourceException"/>
    public IReadOnlyList<AdapterEntity> Translate(LoRaWanEvent lorawanEvent)
    {
        ArgumentNullException.ThrowIfNull(lorawanEvent);
        _devices.TryGetValue(lorawanEvent.DevEui, out var mapped);
        if (mapped is null && !_deviceEntitiesForUnmapped)
            throw new MalformedSourceException($"{lorawanEvent.Context}: device {lorawanEvent.DevEui} is not in the mapping ({LoRaWanMapping.SectionName}.devices)");
        var deviceId = mapped?.DeviceId ?? "urn:ngsi-ld:Device:" + lorawanEvent.DevEui;
        var observedAt = Ngsi.Time(lorawanEvent.Time);
        var device = DeviceEntity(deviceId, lorawanEvent, mapped);
        var entities = new List<AdapterEntity> { new(device, "dataModel.Device") };
        switch (lorawanEvent)
        {
            case LoRaWanUplink uplink:
                device["dateLastValueReported"] = Ngsi.Property(observedAt);
                if (uplink.Reception is { } reception)
                {
                    device["rssi"] = Ngsi.Property(reception.Rssi, observedAt);
                    device["snr"] = Ngsi.Property(reception.Snr, observedAt, "2N");
                }
                if (uplink.DeviceLocation is { } where)
                    device["location"] = Ngsi.GeoPoint(where.Latitude, where.Longitude, observedAt);
                var readings = ReadingsOf(uplink, mapped);
                var battery = uplink.BatteryPercent ?? Find(readings, Quantity.BatteryPercent);
                if (battery is { } percent)
                    device["batteryLevel"] = Ngsi.Property(BatteryLevel(lorawanEvent, percent), observedAt);
                if (mapped?.EntityId is not null)
                    AddMeasured(entities, uplink, mapped, deviceId, readings, observedAt);
                break;
            case LoRaWanStatus status:
                if (status.BatteryUnavailable)
                    device["batteryLevel"] = Ngsi.Property(-1, observedAt);
                else if (status.BatteryPercent is { } level)
                    device["batteryLevel"] = Ngsi.Property(BatteryLevel(lorawanEvent, level), observedAt);
                device["linkMargin"] = Ngsi.Property(status.Margin, observedAt, "2N");
                break;
            case LoRaWanJoin:
                device["deviceState"] = Ngsi.Property("joined", observedAt);
                break;
            case LoRaWanLocated located:
                device["location"] = Ngsi.GeoPoint(located.Location.Latitude, located.Location.Longitude, observedAt);
                break;
        }
        return entities;
    }

    private static JsonObject DeviceEntity(string deviceId, LoRaWanEvent lorawanEvent, LoRaWanDevice? mapped)
    {
        string[] controlled = mapped is null ? []
            : ControlledPropertiesByFamily.TryGetValue(mapped.Decoder!, out var byFamily) ? byFamily
            : mapped.EntityType is { } type ? ControlledPropertiesByEntityType[type]
            : [];
        var device = new JsonObject
        {
            ["id"] = deviceId,
            ["type"] = "Device",
            ["controlledProperty"] = Ngsi.Property(new JsonArray(controlled.Select(p => (JsonNode)p).ToArray())),
            ["deviceCategory"] = Ngsi.Property(new JsonArray("sensor")),
            ["supportedProtocol"] = Ngsi.Property(new JsonArray("lora")),
        };
        if (lorawanEvent.DeviceName is { } name)
            device["name"] = Ngsi.Property(name);
        if (mapped?.EntityId is { } asset)
            device["controlledAsset"] = Ngsi.Relationship(new JsonArray(asset));
        return device;
    }

    private static IReadOnlyList<Reading> ReadingsOf(LoRaWanUplink uplink, LoRaWanDevice? mapped)
    {
        var family = mapped?.Decoder ?? LoRaWanMapping.NetworkServerDecoded;
        if (uplink.Decoded is { } decoded)
            return Readings.Of(family, decoded);
        if (family == LoRaWanMapping.NetworkServerDecoded || uplink.FPort == 0 || uplink.Payload.Length == 0)
            return [];
        try
        {
            return Readings.Of(family, PayloadDecoders.ByFamily[family].Decode(uplink.FPort, uplink.Payload));
        }
        catch (MalformedSourceException e)
        {
            throw new MalformedSourceException($"{uplink.Context}: {e.Message}", e);
        }
    }

    private static void AddMeasured(List<AdapterEntity> entities, LoRaWanUplink uplink, LoRaWanDevice mapped, string deviceId,
        IReadOnlyList<Reading> readings, string observedAt)
    {
        var type = mapped.EntityType!;
        var attributes = Attributes[type];
        var measured = new JsonObject { ["id"] = mapped.EntityId, ["type"] = type };
        var leftovers = new List<Reading>();
        foreach (var reading in readings)
        {
            if (attributes.TryGetValue(reading.Quantity, out var attribute))
            {
                measured[attribute.Name] = reading.Quantity == Quantity.Occupancy
                    ? Ngsi.Property(reading.Value != 0 ? "occupied" : "free", observedAt)
                    : Ngsi.Property(reading.Value, observedAt, attribute.Unit);
            }
            else if (Measurements.ContainsKey(reading.Quantity))
                leftovers.Add(reading);
        }
        if (measured.Count > 2)
        {
            if (type != "ParkingSpot")
                measured["dateObserved"] = Ngsi.Property(observedAt);
            AddStatic(measured, mapped, type, deviceId);
            entities.Add(new AdapterEntity(measured, LoRaWanDevice.DataModels[type]));
        }
        foreach (var reading in leftovers)
        {
            var (property, unit) = Measurements[reading.Quantity];
            var measurement = new JsonObject
            {
                ["id"] = $"urn:ngsi-ld:DeviceMeasurement:{uplink.DevEui}-{reading.Quantity.ToString().ToLowerInvariant()}",
                ["type"] = "DeviceMeasurement",
                ["numValue"] = Ngsi.Property(reading.Value, observedAt),
                ["controlledProperty"] = Ngsi.Property(property),
                ["dateObserved"] = Ngsi.Property(observedAt),
                ["refDevice"] = Ngsi.Relationship(deviceId),
            };
            if (unit is not null)
                measurement["unit"] = Ngsi.Property(unit);
            if (mapped.Location is { } location)
                measurement["location"] = Ngsi.GeoPoint(location.Latitude!.Value, location.Longitude!.Value);
            entities.Add(new AdapterEntity(measurement, "dataModel.Device"));
        }
    }

    private static void AddStatic(JsonObject measured, LoRaWanDevice mapped, string type, string deviceId)
    {
        measured["location"] = Ngsi.GeoPoint(mapped.Location!.Latitude!.Value, mapped.Location.Longitude!.Value);
        if (mapped.Name is { } name)
            measured["name"] = Ngsi.Property(name);
        if (type == "ParkingSpot")
        {
            measured["category"] = Ngsi.Property(new JsonArray(mapped.Category!.Select(c => (JsonNode)c).ToArray()));
            measured["refParkingSite"] = Ngsi.Relationship(mapped.RefParkingSite!);
            if (mapped.RefParkingGroup is { } group)
                measured["refParkingGroup"] = Ngsi.Relationship(group);
            measured["refDevice"] = Ngsi.Relationship(new JsonArray(deviceId));
        }
        else
            measured["refDevice"] = Ngsi.Relationship(deviceId);
    }

    private static double? Find(IReadOnlyList<Reading> readings, Quantity quantity)
    {
        foreach (var reading in readings)
        {
            if (reading.Quantity == quantity)
                return reading.Value;
        }
        return null;
    }

    /// <summary>SDM's batteryLevel is a fraction (1.0 full); network servers give percent.</summary>
    private static double BatteryLevel(LoRaWanEvent lorawanEvent, double percent) => percent is >= 0 and <= 100
        ? (double)((decimal)percent / 100)
        : throw new MalformedSourceException(string.Create(CultureInfo.InvariantCulture, $"{lorawanEvent.Context}: battery level {percent} % is not from 0 to 100"));
}
