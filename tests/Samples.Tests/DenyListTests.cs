using OpenDataPortal.Publishing;
using Xunit;

namespace Samples.Tests;

/// <summary>
/// The GDPR deny-list: what it names is neither kept nor in any published file, at the top level or as a
/// sub-attribute; the rest stays.
/// </summary>
public sealed class DenyListTests
{
    private static string Published(DatasetCatalog catalog) =>
        string.Concat(catalog.Current("parking").Select(entity => entity.ToJsonString()))
        + GeoJsonDataset.Write(catalog.Current("parking")).ToJsonString()
        + string.Concat(catalog.Days("parking").Select(day => CsvHistory.Write(catalog.History("parking", day))));

    [Fact]
    public void Without_a_deny_list_the_personal_data_of_the_notifications_is_published()
    {
        var published = Published(PortalFiles.Notified(PortalFiles.Catalog(), "parking-1.json"));
        Assert.Contains("Erika Mustermann", published, StringComparison.Ordinal);
        Assert.Contains("HL-AB 123", published, StringComparison.Ordinal);
    }

    [Fact]
    public void Denied_attributes_and_sub_attributes_are_removed_before_publishing()
    {
        var published = Published(PortalFiles.Notified(PortalFiles.Catalog("owner", "licensePlate"), "parking-1.json"));
        Assert.DoesNotContain("Erika Mustermann", published, StringComparison.Ordinal);
        Assert.DoesNotContain("owner", published, StringComparison.Ordinal);
        Assert.DoesNotContain("HL-AB 123", published, StringComparison.Ordinal);
        Assert.DoesNotContain("licensePlate", published, StringComparison.Ordinal);
        Assert.Contains("Parkhaus Holstentor", published, StringComparison.Ordinal);
        Assert.Contains("occupied", published, StringComparison.Ordinal);
    }

    [Fact]
    public void A_denied_name_is_removed_from_the_history_of_the_temporal_api_too()
    {
        var catalog = PortalFiles.Catalog("availableSpotNumber");
        catalog.AddHistory([System.Text.Json.Nodes.JsonNode.Parse("""
            {"id": "urn:ngsi-ld:OffStreetParking:p", "type": "OffStreetParking",
             "availableSpotNumber": [{"type": "Property", "value": 1, "observedAt": "2026-12-03T08:00:00Z"}],
             "occupancy": [{"type": "Property", "value": 0.5, "observedAt": "2026-12-03T08:00:00Z"}]}
            """)!.AsObject()]);
        var rows = catalog.History("parking", new DateOnly(2026, 12, 3));
        Assert.Equal(["occupancy"], rows.Select(r => r.Attribute));
    }

    [Fact]
    public void Entity_members_are_never_taken_for_attributes()
    {
        var redacted = new Redaction(["id", "type"]).Apply(System.Text.Json.Nodes.JsonNode.Parse("""{"id": "urn:x", "type": "T", "a": {"type": "Property", "value": 1}}""")!.AsObject());
        Assert.Equal("urn:x", Attributes.IdOf(redacted));
        Assert.Equal("T", Attributes.TypeOf(redacted));
    }
}
