using OpenDataPortal.Publishing;
using Xunit;

namespace Samples.Tests;

/// <summary>Notifications in, the open datasets out: GeoJSON, CSV per day and DCAT-AP.de, compared with the files in Expected/.</summary>
public sealed class PublishingTests
{
    private static DatasetCatalog Parking() => PortalFiles.Notified(PortalFiles.Catalog("owner", "licensePlate"), "parking-1.json", "parking-2.json");

    [Fact]
    public void Current_state_is_the_last_notified_entities_as_geojson()
    {
        var actual = PublishedJson.Write(GeoJsonDataset.Write(Parking().Current("parking")));
        PortalFiles.AssertSame("parking.geojson", actual);
    }

    [Fact]
    public void Each_day_of_observations_is_one_csv_in_the_portals_time_zone()
    {
        var catalog = Parking();
        Assert.Equal([new DateOnly(2026, 12, 3), new DateOnly(2026, 12, 4)], catalog.Days("parking"));
        PortalFiles.AssertSame("parking-2026-12-03.csv", CsvHistory.Write(catalog.History("parking", new DateOnly(2026, 12, 3))).ReplaceLineEndings("\n"));
        PortalFiles.AssertSame("parking-2026-12-04.csv", CsvHistory.Write(catalog.History("parking", new DateOnly(2026, 12, 4))).ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Csv_rows_end_with_crlf_and_quote_what_needs_quoting()
    {
        var csv = CsvHistory.Write([new HistoryRow("urn:x", "T", "note", null, "a \"quoted\", text", null, DateTimeOffset.UnixEpoch)]);
        Assert.Equal("observedAt,entityId,entityType,attribute,datasetId,value,unitCode\r\n1970-01-01T00:00:00Z,urn:x,T,note,,\"a \"\"quoted\"\", text\",\r\n", csv);
    }

    [Fact]
    public void Dcat_metadata_describes_the_dataset_and_each_distribution()
    {
        var catalog = Parking();
        var dataset = catalog.Find("parking")!;
        var actual = PublishedJson.Write(DcatMetadata.Dataset(PortalFiles.Portal, dataset, catalog.Modified("parking"), catalog.Days("parking")));
        PortalFiles.AssertSame("parking.jsonld", actual);
    }

    [Fact]
    public void A_notification_of_another_type_feeds_that_types_dataset()
    {
        var catalog = Parking();
        Assert.Equal(["urn:ngsi-ld:WeatherObserved:not-parking"], catalog.Current("weather").Select(Attributes.IdOf));
        Assert.Equal(2, catalog.Current("parking").Count);
    }

    [Fact]
    public void The_same_observation_from_a_notification_and_the_temporal_api_is_kept_once()
    {
        var catalog = Parking();
        var before = catalog.History("parking", new DateOnly(2026, 12, 3)).Count;
        var history = System.Text.Json.Nodes.JsonNode.Parse("""
            {"id": "urn:ngsi-ld:OffStreetParking:holstentor", "type": "OffStreetParking",
             "availableSpotNumber": [
               {"type": "Property", "value": 121, "observedAt": "2026-12-03T08:00:00Z", "instanceId": "urn:ngsi-ld:Instance:1"},
               {"type": "Property", "value": 130, "observedAt": "2026-12-03T07:45:00Z", "instanceId": "urn:ngsi-ld:Instance:0"}]}
            """)!.AsObject();
        catalog.AddHistory([history]);
        Assert.Equal(before + 1, catalog.History("parking", new DateOnly(2026, 12, 3)).Count);
    }
}
