using Adapters.LoRaWan;

namespace Adapters.Tests.LoRaWan;

/// <summary>
/// The mapping the sample tests use: the device of the ChirpStack documentation's events as a Bosch parking sensor, the
/// Jena SenseCAP weather station and the TTS documentation's device with the network server's decoded object, one device
/// of each built-in family (the DevEUIs of the codec examples' devices are made up), and every other device as a Device.
/// </summary>
internal static class TestMapping
{
    public const string ParkingSensor = "0101010101010101";
    public const string SenseCapStation = "2cf7f1c0443002c8";
    public const string TheThingsStackDevice = "0004a30b001c0530";
    public const string NwaveSensor = "70b3d5fffe405001";
    public const string ElsysSensor = "a81758fffe0c0201";
    public const string DecentlabPmSensor = "70b3d57ba0001b50";
    public const string DecentlabWeatherStation = "70b3d57ba000035a";

    public static LoRaWanMapping Create(string unmappedDevices = "device") => new()
    {
        UnmappedDevices = unmappedDevices,
        Devices =
        [
            new()
            {
                DevEui = ParkingSensor,
                Decoder = "bosch-tps110",
                EntityId = "urn:ngsi-ld:ParkingSpot:travemuende-strandbahnhof-12",
                Name = "Strandbahnhof 12",
                Location = new() { Latitude = 53.9606, Longitude = 10.8702 },
                Category = ["onStreet"],
                RefParkingSite = "urn:ngsi-ld:OnStreetParking:travemuende-strandbahnhof",
            },
            new()
            {
                DevEui = SenseCapStation.ToUpperInvariant(),
                Decoder = "decoded",
                EntityId = "urn:ngsi-ld:WeatherObserved:jena-sensecap-s2120-003",
                Location = new() { Latitude = 50.9281, Longitude = 11.5892 },
            },
            new()
            {
                DevEui = TheThingsStackDevice,
                Decoder = "decoded",
                EntityId = "urn:ngsi-ld:WeatherObserved:tts-dev1",
                DeviceId = "urn:ngsi-ld:Device:tts-dev1",
                Location = new() { Latitude = 37.9716, Longitude = 23.7268 },
            },
            new()
            {
                DevEui = NwaveSensor,
                Decoder = "nwave-nps405",
                EntityId = "urn:ngsi-ld:ParkingSpot:travemuende-vorderreihe-3",
                Location = new() { Latitude = 53.9631, Longitude = 10.8695 },
                Category = ["onStreet"],
                RefParkingSite = "urn:ngsi-ld:OnStreetParking:travemuende-vorderreihe",
                RefParkingGroup = "urn:ngsi-ld:ParkingGroup:travemuende-vorderreihe-nord",
            },
            new()
            {
                DevEui = ElsysSensor,
                Decoder = "elsys-ers-co2",
                EntityId = "urn:ngsi-ld:AirQualityObserved:rathaus-buergersaal",
                Location = new() { Latitude = 53.8668, Longitude = 10.6857 },
            },
            new()
            {
                DevEui = DecentlabPmSensor,
                Decoder = "decentlab-dl-pm",
                EntityId = "urn:ngsi-ld:AirQualityObserved:holstentor",
                Location = new() { Latitude = 53.8662, Longitude = 10.6798 },
            },
            new()
            {
                DevEui = DecentlabWeatherStation,
                Decoder = "decentlab-dl-atm41",
                EntityId = "urn:ngsi-ld:WeatherObserved:travemuende-nordermole",
                Location = new() { Latitude = 53.9650, Longitude = 10.8890 },
            },
        ],
    };
}
