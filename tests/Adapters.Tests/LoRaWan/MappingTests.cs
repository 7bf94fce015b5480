using Adapters.LoRaWan;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace Adapters.Tests.LoRaWan;

public sealed class MappingTests
{
    [Fact]
    public void The_test_mapping_is_valid()
    {
        Assert.Empty(TestMapping.Create().Validate("lorawan"));
    }

    [Fact]
    public void Every_error_is_listed_with_its_path()
    {
        var mapping = new LoRaWanMapping
        {
            UnmappedDevices = "ignore",
            Devices =
            [
                new() { DevEui = "0101010101010101", Decoder = "bosch-tps110", EntityId = "urn:ngsi-ld:ParkingSpot:a", Location = new() { Latitude = 53.9, Longitude = 10.8 }, Category = ["onStreet"], RefParkingSite = "urn:ngsi-ld:OnStreetParking:s" },
                new() { DevEui = "0101010101010101", Decoder = "decoded" },
                new() { DevEui = "01010101", Decoder = "acme-9000" },
                new() { Decoder = "decoded", DeviceId = "urn:ngsi-ld:Sensor:x", Location = new() { Latitude = 1, Longitude = 2 } },
                new() { DevEui = "a84041ffff1f4b7g", Decoder = "elsys-ers-co2", EntityId = "ParkingSpot-12" },
                new() { DevEui = "a84041ffff1f4b70", Decoder = "elsys-ers-co2", EntityId = "urn:ngsi-ld:ParkingSpot:b", Location = new() { Latitude = 91, Longitude = 10 }, Category = ["curb"] },
                new() { DevEui = "a84041ffff1f4b71", Decoder = "decentlab-dl-atm41", EntityId = "urn:ngsi-ld:WeatherObserved:w", RefParkingSite = "urn:ngsi-ld:OnStreetParking:s", Location = new() { Longitude = 10 } },
                new() { DevEui = "a84041ffff1f4b72", Decoder = "nwave-nps405" },
                new() { DevEui = "a84041ffff1f4b73", Decoder = "decoded", EntityId = "urn:ngsi-ld:TrafficFlowObserved:t" },
            ],
        };
        Assert.Equal(
        [
            "lorawan.unmappedDevices: \"ignore\" is neither \"reject\" nor \"device\"",
            "lorawan.devices[1].devEui: 0101010101010101 is already mapped by lorawan.devices[0]",
            "lorawan.devices[2].devEui: \"01010101\" is not 16 hex digits",
            "lorawan.devices[2].decoder: unknown family \"acme-9000\" (known: nwave-nps405, bosch-tps110, elsys-ers-co2, decentlab-dl-pm, decentlab-dl-atm41, decoded)",
            "lorawan.devices[3].devEui: missing",
            "lorawan.devices[3].deviceId: \"urn:ngsi-ld:Sensor:x\" is not a URN urn:ngsi-ld:Device:<id>",
            "lorawan.devices[3].location: given without an entityId",
            "lorawan.devices[4].devEui: \"a84041ffff1f4b7g\" is not 16 hex digits",
            "lorawan.devices[4].entityId: \"ParkingSpot-12\" is not a URN urn:ngsi-ld:<Type>:<id>",
            "lorawan.devices[5].entityId: elsys-ers-co2 devices feed AirQualityObserved or WeatherObserved, not ParkingSpot",
            "lorawan.devices[5].location.latitude: 91 is not from -90 to 90",
            "lorawan.devices[5].category[0]: \"curb\" is neither onStreet nor offStreet",
            "lorawan.devices[5].refParkingSite: missing (a ParkingSpot belongs to a parking site)",
            "lorawan.devices[6].location.latitude: missing is not from -90 to 90",
            "lorawan.devices[6].refParkingSite: only a ParkingSpot has it, not a WeatherObserved",
            "lorawan.devices[7].entityId: missing (nwave-nps405 devices feed ParkingSpot)",
            "lorawan.devices[8].entityId: type TrafficFlowObserved is none of ParkingSpot, AirQualityObserved, WeatherObserved",
        ], mapping.Validate("lorawan"));
    }

    [Fact]
    public void A_translator_refuses_an_invalid_mapping_and_lists_its_errors()
    {
        var mapping = new LoRaWanMapping { Devices = [new() { DevEui = "xyz", Decoder = "decoded" }] };
        var exception = Assert.Throws<InvalidOperationException>(() => new LoRaWanTranslator(mapping));
        Assert.Contains("lorawan.devices[0].devEui: \"xyz\" is not 16 hex digits", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_mapping_binds_from_configuration_as_the_mapping_file_gives_it()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["lorawan:unmappedDevices"] = "device",
            ["lorawan:devices:0:devEui"] = "0101010101010101",
            ["lorawan:devices:0:decoder"] = "bosch-tps110",
            ["lorawan:devices:0:entityId"] = "urn:ngsi-ld:ParkingSpot:a",
            ["lorawan:devices:0:location:latitude"] = "53.9606",
            ["lorawan:devices:0:location:longitude"] = "10.8702",
            ["lorawan:devices:0:category:0"] = "onStreet",
            ["lorawan:devices:0:refParkingSite"] = "urn:ngsi-ld:OnStreetParking:s",
        }).Build();
        var mapping = configuration.GetSection(LoRaWanMapping.SectionName).Get<LoRaWanMapping>()!;
        Assert.Empty(mapping.Validate("lorawan"));
        Assert.True(mapping.DeviceEntitiesForUnmappedDevices);
        Assert.Equal(53.9606, Assert.Single(mapping.Devices).Location!.Latitude);
    }
}
