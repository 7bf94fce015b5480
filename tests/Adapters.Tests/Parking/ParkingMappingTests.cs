using Adapters.Parking;
using Xunit;

namespace Adapters.Tests.Parking;

public sealed class ParkingMappingTests
{
    [Fact]
    public void The_test_deployment_mapping_is_valid()
    {
        Assert.Empty(TestMappings.Parking().Validate("parking"));
    }

    [Fact]
    public void Every_problem_is_listed_with_its_path()
    {
        var mapping = new ParkingMapping
        {
            Sites =
            [
                new() { SourceId = "P1", EntityId = "urn:ngsi-ld:OffStreetParking:p1", Longitude = 10.7 },
                new() { SourceId = "P1", EntityId = "urn:ngsi-ld:ParkingSpot:p1-again" },
                new() { EntityId = "urn:ngsi-ld:OffStreetParking:p1" },
            ],
            Spots =
            [
                new() { SourceId = "S1", EntityId = "urn:ngsi-ld:ParkingSpot:s1", Site = "P9", Category = "roof" },
                new() { SourceId = "S2", EntityId = "urn:ngsi-ld:ParkingSpot:s2", Longitude = 200, Latitude = 53.9 },
            ],
        };

        Assert.Equal(
            [
                "parking.sites[0]: longitude and latitude go together (one of them is missing)",
                "parking.sites[1].sourceId: 'P1' is mapped twice",
                "parking.sites[1].entityId: 'urn:ngsi-ld:ParkingSpot:p1-again' does not start with urn:ngsi-ld:OffStreetParking: followed by a local id",
                "parking.sites[2].sourceId: missing",
                "parking.sites[2].entityId: 'urn:ngsi-ld:OffStreetParking:p1' is used twice",
                "parking.spots[0].site: 'P9' is not the source id of a site in parking.sites",
                "parking.spots[0].category: 'roof' is not onStreet or offStreet",
                "parking.spots[1].site: missing (the source id of the site the spot belongs to)",
                "parking.spots[1].longitude: 200 is outside -180..180",
            ],
            mapping.Validate("parking"));
    }
}
