using System.Text.Json.Nodes;
using Adapters.Core;
using Adapters.Parking;
using Xunit;

namespace Adapters.Tests.Parking;

public sealed class JsonParkingTranslationTests
{
    private readonly ParkingMapping mapping = TestMappings.Parking();

    [Fact]
    public void The_sensit_sample_translates_to_its_expected_entities()
    {
        var json = ReferenceData.ReadSourceFormat("parking/nedap-sensit/ellwangen-sensit-parking-status.json");
        ExpectedEntities.AssertMatches("Parking/sensit-ellwangen-sensit-parking-status.json", SensitTranslation.Translate(json, mapping));
    }

    [Theory]
    [InlineData("ulm-realtime-parking-spots")]
    [InlineData("ulm-realtime-parking-sites")]
    public void Each_sensor_feed_sample_translates_to_its_expected_entities(string sample)
    {
        var json = ReferenceData.ReadSourceFormat($"parking/sensor-feeds/{sample}.json");
        ExpectedEntities.AssertMatches($"Parking/sensors-{sample}.json", SensorFeedTranslation.Translate(json, mapping));
    }

    [Fact]
    public void A_sensit_area_keeps_its_capacity_and_vacant_spaces()
    {
        var area = JsonNode.Parse(ReferenceData.ReadSourceFormat("parking/nedap-sensit/ellwangen-sensit-parking-status.json"))![0]!;
        var site = Assert.Single(SensitTranslation.Translate(area.ToJsonString(), mapping));
        Assert.Equal((int)area["actualStatus"]!["parkingCapacity"]!, (int)site.Body["totalSpotNumber"]!["value"]!);
        Assert.Equal((int)area["actualStatus"]!["vacantSpaces"]!, (int)site.Body["availableSpotNumber"]!["value"]!);
        Assert.Null(site.Body["availableSpotNumber"]!["observedAt"]);
    }

    [Fact]
    public void A_sensit_area_mapped_as_a_spot_becomes_a_parking_spot()
    {
        var spotMapping = TestMappings.Parking();
        spotMapping.Spots.Add(new ParkingSpotMapping { SourceId = "bay-7", EntityId = "urn:ngsi-ld:ParkingSpot:ellwangen-bay-7", Site = "1" });
        var spot = Assert.Single(SensitTranslation.Translate(
            """[{"id":"bay-7","actualStatus":{"full":true,"parkingCapacity":1,"vacantSpaces":0}}]""", spotMapping));
        Assert.Equal("ParkingSpot", spot.Type);
        Assert.Equal("occupied", (string)spot.Body["status"]!["value"]!);
        Assert.Equal("urn:ngsi-ld:OffStreetParking:ellwangen-marktplatz", (string)spot.Body["refParkingSite"]!["object"]!);
    }

    [Fact]
    public void Each_spot_report_gives_its_state_observed_at_its_timestamp()
    {
        var json = ReferenceData.ReadSourceFormat("parking/sensor-feeds/ulm-realtime-parking-spots.json");
        var records = JsonNode.Parse(json)!.AsArray();
        var spots = SensorFeedTranslation.Translate(json, mapping);
        Assert.Equal(records.Count, spots.Count);
        foreach (var (record, spot) in records.Zip(spots))
        {
            Assert.Equal($"urn:ngsi-ld:ParkingSpot:ulm-{record!["id"]}", spot.Id);
            Assert.Equal((bool)record["occupied"]! ? "occupied" : "free", (string)spot.Body["status"]!["value"]!);
            Assert.Equal(DateTimeOffset.Parse((string)record["timestamp"]!), DateTimeOffset.Parse((string)spot.Body["status"]!["observedAt"]!));
        }
    }

    [Fact]
    public void The_same_feed_twice_gives_the_same_entities()
    {
        var json = ReferenceData.ReadSourceFormat("parking/sensor-feeds/ulm-realtime-parking-sites.json");
        var first = SensorFeedTranslation.Translate(json, mapping);
        var second = SensorFeedTranslation.Translate(json, mapping);
        Assert.True(JsonNode.DeepEquals(new JsonArray([.. first.Select(e => e.Body.DeepClone())]), new JsonArray([.. second.Select(e => e.Body.DeepClone())])));
    }

    [Theory]
    [InlineData("[{\"id\":", "not valid JSON")]
    [InlineData("42", "expected an array of records")]
    [InlineData("[{\"actualStatus\":{\"vacantSpaces\":1}}]", "[0].id is missing")]
    [InlineData("[{\"id\":\"1\",\"actualStatus\":{\"vacantSpaces\":-1}}]", "actualStatus.vacantSpaces: -1 is negative")]
    [InlineData("[{\"id\":\"1\",\"actualStatus\":{\"vacantSpaces\":\"many\"}}]", "actualStatus.vacantSpaces is not an integer")]
    [InlineData("[{\"id\":\"nowhere\"}]", "not in the parking mapping (parking.sites or parking.spots): nowhere")]
    public void Malformed_sensit_status_is_refused_with_what_is_wrong(string json, string expected)
    {
        var error = Assert.Throws<MalformedSourceException>(() => SensitTranslation.Translate(json, mapping));
        Assert.StartsWith("Nedap SENSIT status", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("[{\"id\":\"pbg-b-elade-o-1-006\",\"occupied\":true}]", "[0].timestamp is missing")]
    [InlineData("[{\"id\":\"pbg-b-unknown\",\"occupied\":true,\"timestamp\":\"2025-04-11T07:09:27Z\"}]", "not in the parking mapping (parking.sites or parking.spots): pbg-b-unknown")]
    [InlineData("[{\"id\":\"pbg-b-elade-o-1-006\",\"occupied\":\"yes\",\"timestamp\":\"2025-04-11T07:09:27Z\"}]", "[0].occupied is not true or false")]
    [InlineData("[{\"id\":\"fd6b8240-b9d2-4f85-b877-3eae4e9b1c87\",\"maxcarparkfull\":78,\"currentcarparkfulltotal\":-2,\"timestamp\":\"2025-04-11T07:09:27Z\"}]", "currentcarparkfulltotal: -2 is negative")]
    [InlineData("[{\"id\":\"x\",\"timestamp\":\"2025-04-11T07:09:27Z\"}]", "neither a spot report (occupied) nor site counts (maxcarparkfull)")]
    public void Malformed_sensor_records_are_refused_with_what_is_wrong(string json, string expected)
    {
        var error = Assert.Throws<MalformedSourceException>(() => SensorFeedTranslation.Translate(json, mapping));
        Assert.Contains(expected, error.Message);
    }
}
