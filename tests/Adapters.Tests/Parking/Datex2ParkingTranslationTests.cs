using System.Xml.Linq;
using Adapters.Core;
using Adapters.Parking;
using Xunit;

namespace Adapters.Tests.Parking;

public sealed class Datex2ParkingTranslationTests
{
    private static readonly XNamespace D2 = Datex2ParkingTranslation.Namespace;
    private readonly ParkingMapping mapping = TestMappings.Parking();

    [Theory]
    [InlineData("aachen-ParkingTablePublication")]
    [InlineData("aachen-ParkingStatusPublication")]
    [InlineData("stuttgart-parkingFacilityTableStatusPublication")]
    [InlineData("friedrichshafen-spot-sensors-ParkingTablePublication")]
    [InlineData("friedrichshafen-spot-sensors-ParkingStatusPublication")]
    public void Each_sample_translates_to_its_expected_entities(string sample)
    {
        var entities = Datex2ParkingTranslation.Translate(ReferenceData.ReadSourceFormat($"parking/datex2-v2/{sample}.xml"), mapping);
        ExpectedEntities.AssertMatches($"Parking/datex2-{sample}.json", entities);
    }

    [Theory]
    [InlineData("aachen-ParkingTablePublication")]
    [InlineData("aachen-ParkingStatusPublication")]
    [InlineData("stuttgart-parkingFacilityTableStatusPublication")]
    [InlineData("friedrichshafen-spot-sensors-ParkingStatusPublication")]
    public void The_same_publication_twice_gives_the_same_entities(string sample)
    {
        var xml = ReferenceData.ReadSourceFormat($"parking/datex2-v2/{sample}.xml");
        var first = Datex2ParkingTranslation.Translate(xml, mapping);
        var second = Datex2ParkingTranslation.Translate(xml, mapping);
        Assert.Equal(first.Count, second.Count);
        Assert.All(first.Zip(second), pair => Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(pair.First.Body, pair.Second.Body)));
    }

    [Fact]
    public void A_status_record_becomes_the_counts_of_its_site_observed_at_its_origin_time()
    {
        var xml = ReferenceData.ReadSourceFormat("parking/datex2-v2/aachen-ParkingStatusPublication.xml");
        var record = XDocument.Parse(xml).Descendants(D2 + "parkingRecordStatus").First();
        var id = record.Element(D2 + "parkingRecordReference")!.Attribute("id")!.Value;
        var vacant = int.Parse(record.Descendants(D2 + "parkingNumberOfVacantSpaces").First().Value);
        var origin = DateTimeOffset.Parse(record.Element(D2 + "parkingStatusOriginTime")!.Value);

        var site = Datex2ParkingTranslation.Translate(xml, mapping).Single(e => e.Id == $"urn:ngsi-ld:OffStreetParking:aachen-{id}");

        Assert.Equal(vacant, (int)site.Body["availableSpotNumber"]!["value"]!);
        Assert.Equal(origin, DateTimeOffset.Parse((string)site.Body["availableSpotNumber"]!["observedAt"]!));
        Assert.Equal("dataModel.Parking", site.DataModel);
    }

    [Fact]
    public void Spot_sensor_records_become_parking_spots_of_their_mapped_site()
    {
        var entities = Datex2ParkingTranslation.Translate(
            ReferenceData.ReadSourceFormat("parking/datex2-v2/friedrichshafen-spot-sensors-ParkingStatusPublication.xml"), mapping);

        Assert.Equal(55, entities.Count);
        Assert.All(entities, spot =>
        {
            Assert.Equal("ParkingSpot", spot.Type);
            Assert.Equal("urn:ngsi-ld:OffStreetParking:friedrichshafen-disabled-parking", (string)spot.Body["refParkingSite"]!["object"]!);
            Assert.Contains((string)spot.Body["status"]!["value"]!, new[] { "free", "occupied" });
        });
    }

    [Theory]
    [InlineData("<d2LogicalModel xmlns=\"http://datex2.eu/schema/2/2_0\"><payloadPublication>", "not well-formed XML")]
    [InlineData("<d2LogicalModel xmlns=\"http://datex2.eu/schema/2/3_0\"/>", "not d2LogicalModel in http://datex2.eu/schema/2/2_0")]
    [InlineData("<d2LogicalModel xmlns=\"http://datex2.eu/schema/2/2_0\"/>", "no payloadPublication")]
    [InlineData("<d2LogicalModel xmlns=\"http://datex2.eu/schema/2/2_0\"><payloadPublication/></d2LogicalModel>", "publicationTime is missing")]
    [InlineData("<d2LogicalModel xmlns=\"http://datex2.eu/schema/2/2_0\"><payloadPublication><publicationTime>yesterday</publicationTime></payloadPublication></d2LogicalModel>", "'yesterday' is not an ISO 8601 date-time")]
    [InlineData("<d2LogicalModel xmlns=\"http://datex2.eu/schema/2/2_0\"><payloadPublication><publicationTime>2025-01-01T00:00:00Z</publicationTime></payloadPublication></d2LogicalModel>", "holds no parkingTablePublication")]
    public void Malformed_documents_are_refused_with_what_is_wrong(string xml, string expected)
    {
        var error = Assert.Throws<MalformedSourceException>(() => Datex2ParkingTranslation.Translate(xml, mapping));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_status_record_without_an_id_is_refused()
    {
        var error = Assert.Throws<MalformedSourceException>(() => Datex2ParkingTranslation.Translate(Status("<parkingRecordReference targetClass=\"ParkingRecord\"/>"), mapping));
        Assert.Contains("parkingRecordReference: the id attribute is missing", error.Message);
    }

    [Fact]
    public void A_record_that_the_mapping_does_not_know_is_refused_with_its_id()
    {
        var error = Assert.Throws<MalformedSourceException>(() => Datex2ParkingTranslation.Translate(Status("<parkingRecordReference id=\"P404\"/>"), mapping));
        Assert.Contains("not in the parking mapping", error.Message);
        Assert.Contains("P404", error.Message);
    }

    [Fact]
    public void A_negative_count_is_refused()
    {
        var error = Assert.Throws<MalformedSourceException>(() => Datex2ParkingTranslation.Translate(
            Status("<parkingRecordReference id=\"P1\"/><parkingOccupancy><parkingNumberOfVacantSpaces>-3</parkingNumberOfVacantSpaces></parkingOccupancy>"), mapping));
        Assert.Contains("parkingNumberOfVacantSpaces: -3 is negative", error.Message);
    }

    [Fact]
    public void A_site_whose_spots_are_mapped_takes_no_counts_from_the_feed()
    {
        var entities = Datex2ParkingTranslation.Translate(
            Status("<parkingRecordReference id=\"ulm-parkhaus-b\"/><parkingOccupancy><parkingNumberOfVacantSpaces>3</parkingNumberOfVacantSpaces></parkingOccupancy><parkingSiteOpeningStatus>open</parkingSiteOpeningStatus>"),
            mapping);
        var site = Assert.Single(entities);
        Assert.Null(site.Body["availableSpotNumber"]);
        Assert.Equal("open", (string)site.Body["status"]!["value"]![0]!);
    }

    [Fact]
    public void A_site_of_no_spaces_reports_no_counts_but_keeps_its_status()
    {
        var site = Assert.Single(Datex2ParkingTranslation.Translate(
            Status("<parkingRecordReference id=\"P5\"/><parkingOccupancy><parkingNumberOfSpacesOverride>0</parkingNumberOfSpacesOverride><parkingNumberOfVacantSpaces>0</parkingNumberOfVacantSpaces><parkingNumberOfOccupiedSpaces>0</parkingNumberOfOccupiedSpaces></parkingOccupancy><parkingSiteOpeningStatus>closed</parkingSiteOpeningStatus>"),
            mapping));
        Assert.Null(site.Body["totalSpotNumber"]);
        Assert.Null(site.Body["availableSpotNumber"]);
        Assert.Null(site.Body["occupancy"]);
        Assert.Equal("closed", (string)site.Body["status"]!["value"]![0]!);
    }

    [Fact]
    public void A_spot_of_the_static_table_has_an_unknown_status_that_the_site_counts_do_not_take()
    {
        var spots = Datex2ParkingTranslation.Translate(
            ReferenceData.ReadSourceFormat("parking/datex2-v2/friedrichshafen-spot-sensors-ParkingTablePublication.xml"), mapping);
        Assert.All(spots, spot =>
        {
            Assert.Equal("unknown", (string)spot.Body["status"]!["value"]!);
            Assert.Null(spot.Body["status"]!["observedAt"]);
        });
        Assert.Empty(new ParkingSiteAggregator(mapping).Observe(spots));
    }

    private static string Status(string record) =>
        $"""
        <d2LogicalModel xmlns="http://datex2.eu/schema/2/2_0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
          <payloadPublication xsi:type="GenericPublication"><publicationTime>2025-01-01T00:00:00Z</publicationTime>
            <genericPublicationExtension><parkingStatusPublication>
              <parkingRecordStatus xsi:type="ParkingSiteStatus">{record}</parkingRecordStatus>
            </parkingStatusPublication></genericPublicationExtension>
          </payloadPublication>
        </d2LogicalModel>
        """;
}
