using System.Globalization;
using System.Text.RegularExpressions;
using Adapters.Core;

namespace Adapters.LoRaWan;

/// <summary>
/// The "lorawan" section of the mapping file: which device (by DevEUI) is which entity, and how its payload is read.
/// </summary>
/// <example>
/// <code>
/// lorawan:
///   unmappedDevices: reject        # or "device": a device not listed here still becomes a Device entity
///   devices:
///     - devEui: "0101010101010101"
///       decoder: bosch-tps110      # or nwave-nps405, elsys-ers-co2, decentlab-dl-pm, decentlab-dl-atm41, decoded
///       entityId: "urn:ngsi-ld:ParkingSpot:travemuende-strandbahnhof-12"
///       location: { latitude: 53.9606, longitude: 10.8702 }
///       category: [onStreet]
///       refParkingSite: "urn:ngsi-ld:OnStreetParking:travemuende-strandbahnhof"
/// </code>
/// </example>
public sealed partial class LoRaWanMapping : ISourceMapping
{
    public const string SectionName = "lorawan";

    /// <summary>The family of a device whose payload the network server decodes (ChirpStack's codec, TTS's formatter).</summary>
    public const string NetworkServerDecoded = "decoded";

    public List<LoRaWanDevice> Devices { get; set; } = [];

    /// <summary>"reject" (the default): an uplink of a device not listed is malformed input, kept as a dead letter; "device": it becomes a Device entity.</summary>
    public string UnmappedDevices { get; set; } = "reject";

    public bool DeviceEntitiesForUnmappedDevices => UnmappedDevices == "device";

    public IEnumerable<string> Validate(string path)
    {
        if (UnmappedDevices is not ("reject" or "device"))
            yield return $"{path}.unmappedDevices: \"{UnmappedDevices}\" is neither \"reject\" nor \"device\"";
        var firstByEui = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < Devices.Count; i++)
        {
            var at = string.Create(CultureInfo.InvariantCulture, $"{path}.devices[{i}]");
            var device = Devices[i];
            if (string.IsNullOrEmpty(device.DevEui))
                yield return $"{at}.devEui: missing";
            else if (!DevEui.IsValid(device.DevEui))
                yield return $"{at}.devEui: \"{device.DevEui}\" is not 16 hex digits";
            else if (!firstByEui.TryAdd(device.DevEui, i))
                yield return string.Create(CultureInfo.InvariantCulture, $"{at}.devEui: {device.DevEui} is already mapped by {path}.devices[{firstByEui[device.DevEui]}]");
            foreach (var problem in device.Validate(at))
                yield return problem;
        }
    }

    /// <summary>The devices by DevEUI in lower case; the mapping must be valid.</summary>
    public IReadOnlyDictionary<string, LoRaWanDevice> DevicesByEui() =>
        Devices.ToDictionary(device => device.DevEui!.ToLowerInvariant(), StringComparer.Ordinal);

    [GeneratedRegex("^urn:ngsi-ld:([A-Za-z][A-Za-z0-9]*):[^\\s]+$")]
    internal static partial Regex NgsiLdUrn();
}

/// <summary>One device of the mapping.</summary>
public sealed class LoRaWanDevice
{
    /// <summary>The measured entity types a LoRaWAN device can feed, with their Smart Data Models subject.</summary>
    public static IReadOnlyDictionary<string, string> DataModels { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["ParkingSpot"] = "dataModel.Parking",
        ["AirQualityObserved"] = "dataModel.Environment",
        ["WeatherObserved"] = "dataModel.Weather",
    };

    private static readonly Dictionary<string, string[]> EntityTypesByFamily = new(StringComparer.Ordinal)
    {
        ["nwave-nps405"] = ["ParkingSpot"],
        ["bosch-tps110"] = ["ParkingSpot"],
        ["elsys-ers-co2"] = ["AirQualityObserved", "WeatherObserved"],
        ["decentlab-dl-pm"] = ["AirQualityObserved"],
        ["decentlab-dl-atm41"] = ["WeatherObserved", "AirQualityObserved"],
        [LoRaWanMapping.NetworkServerDecoded] = ["ParkingSpot", "AirQualityObserved", "WeatherObserved"],
    };

    /// <summary>16 hex digits, in either case.</summary>
    public string? DevEui { get; set; }

    /// <summary>The device family whose built-in decoder reads the payload, or "decoded" for the network server's object only.</summary>
    public string? Decoder { get; set; }

    /// <summary>The measured entity, "urn:ngsi-ld:&lt;Type&gt;:&lt;id&gt;", its type naming the data model; without it, the device is a Device entity only.</summary>
    public string? EntityId { get; set; }

    /// <summary>The Device entity's id; by default urn:ngsi-ld:Device:&lt;devEui in lower case&gt;.</summary>
    public string? DeviceId { get; set; }

    /// <summary>The measured entity's name.</summary>
    public string? Name { get; set; }

    /// <summary>Where the measured entity is (required with an entity id: every measured type requires a location).</summary>
    public LoRaWanLocation? Location { get; set; }

    /// <summary>ParkingSpot: "onStreet" and/or "offStreet".</summary>
    public List<string>? Category { get; set; }

    /// <summary>ParkingSpot: the OnStreetParking or OffStreetParking it belongs to.</summary>
    public string? RefParkingSite { get; set; }

    /// <summary>ParkingSpot: its ParkingGroup, if any.</summary>
    public string? RefParkingGroup { get; set; }

    /// <summary>The measured entity's type, from its id; null without one.</summary>
    public string? EntityType => EntityId is null ? null : LoRaWanMapping.NgsiLdUrn().Match(EntityId).Groups[1].Value;

    internal IEnumerable<string> Validate(string at)
    {
        string[]? entityTypes = null;
        if (string.IsNullOrEmpty(Decoder))
            yield return $"{at}.decoder: missing";
        else if (!EntityTypesByFamily.TryGetValue(Decoder, out entityTypes))
            yield return $"{at}.decoder: unknown family \"{Decoder}\" (known: {string.Join(", ", EntityTypesByFamily.Keys)})";

        if (DeviceId is not null && LoRaWanMapping.NgsiLdUrn().Match(DeviceId) is var device && (!device.Success || device.Groups[1].Value != "Device"))
            yield return $"{at}.deviceId: \"{DeviceId}\" is not a URN urn:ngsi-ld:Device:<id>";

        if (EntityId is null)
        {
            if (Decoder is not null && Decoder != LoRaWanMapping.NetworkServerDecoded && entityTypes is not null)
                yield return $"{at}.entityId: missing ({Decoder} devices feed {string.Join(" or ", entityTypes)})";
            foreach (var (name, value) in new (string, object?)[] { ("location", Location), ("category", Category), ("refParkingSite", RefParkingSite), ("refParkingGroup", RefParkingGroup), ("name", Name) })
            {
                if (value is not null)
                    yield return $"{at}.{name}: given without an entityId";
            }
            yield break;
        }

        var match = LoRaWanMapping.NgsiLdUrn().Match(EntityId);
        if (!match.Success)
        {
            yield return $"{at}.entityId: \"{EntityId}\" is not a URN urn:ngsi-ld:<Type>:<id>";
            yield break;
        }
        var type = match.Groups[1].Value;
        if (!DataModels.ContainsKey(type))
        {
            yield return $"{at}.entityId: type {type} is none of {string.Join(", ", DataModels.Keys)}";
            yield break;
        }
        if (entityTypes is not null && !entityTypes.Contains(type))
            yield return $"{at}.entityId: {Decoder} devices feed {string.Join(" or ", entityTypes)}, not {type}";

        if (Location is null)
            yield return $"{at}.location: missing (a {type} requires a location)";
        else
        {
            if (Location.Latitude is not (>= -90 and <= 90))
                yield return $"{at}.location.latitude: {Describe(Location.Latitude)} is not from -90 to 90";
            if (Location.Longitude is not (>= -180 and <= 180))
                yield return $"{at}.location.longitude: {Describe(Location.Longitude)} is not from -180 to 180";
        }

        if (type == "ParkingSpot")
        {
            if (Category is null || Category.Count == 0)
                yield return $"{at}.category: missing (a ParkingSpot is onStreet or offStreet)";
            else
            {
                for (var i = 0; i < Category.Count; i++)
                {
                    if (Category[i] is not ("onStreet" or "offStreet"))
                        yield return string.Create(CultureInfo.InvariantCulture, $"{at}.category[{i}]: \"{Category[i]}\" is neither onStreet nor offStreet");
                }
            }
            if (RefParkingSite is null)
                yield return $"{at}.refParkingSite: missing (a ParkingSpot belongs to a parking site)";
            else if (!LoRaWanMapping.NgsiLdUrn().IsMatch(RefParkingSite))
                yield return $"{at}.refParkingSite: \"{RefParkingSite}\" is not a URN urn:ngsi-ld:<Type>:<id>";
            if (RefParkingGroup is not null && !LoRaWanMapping.NgsiLdUrn().IsMatch(RefParkingGroup))
                yield return $"{at}.refParkingGroup: \"{RefParkingGroup}\" is not a URN urn:ngsi-ld:<Type>:<id>";
        }
        else
        {
            foreach (var (name, value) in new (string, object?)[] { ("category", Category), ("refParkingSite", RefParkingSite), ("refParkingGroup", RefParkingGroup) })
            {
                if (value is not null)
                    yield return $"{at}.{name}: only a ParkingSpot has it, not a {type}";
            }
        }
    }

    private static string Describe(double? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "missing";
}

public sealed class LoRaWanLocation
{
    public double? Latitude { get; set; }

    public double? Longitude { get; set; }
}

/// <summary>LoRaWAN DevEUIs: 64 bits written as 16 hex digits.</summary>
public static class DevEui
{
    public static bool IsValid(string text) => text.Length == 16 && text.All(char.IsAsciiHexDigit);
}
