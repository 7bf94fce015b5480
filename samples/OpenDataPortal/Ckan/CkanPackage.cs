using System.Text.Json.Nodes;
using OpenDataPortal.Publishing;

namespace OpenDataPortal.Ckan;

/// <summary>A dataset as a CKAN package: its metadata, the licence of DCAT-AP.de, and its distributions as resources.</summary>
public static class CkanPackage
{
    public static JsonObject From(PortalOptions portal, CkanOptions ckan, DatasetDefinition dataset, IReadOnlyList<DateOnly> days)
    {
        var resources = new JsonArray
        {
            Resource($"{dataset.Title}: aktueller Zustand", DcatMetadata.GeoJsonUrl(portal, dataset), "GeoJSON", GeoJsonDataset.MediaType),
            Resource($"{dataset.Title}: DCAT-AP.de-Metadaten", DcatMetadata.MetadataUrl(portal, dataset), "JSON-LD", DcatMetadata.MediaType),
        };
        foreach (var day in days.Order())
            resources.Add(Resource($"{dataset.Title}: Verlauf vom {day:yyyy-MM-dd}", DcatMetadata.HistoryUrl(portal, dataset, day), "CSV", CsvHistory.MediaType));
        return new JsonObject
        {
            ["name"] = ckan.NamePrefix + dataset.Name,
            ["title"] = dataset.Title,
            ["notes"] = dataset.Description,
            ["owner_org"] = ckan.Organization,
            ["license_id"] = "dl-by-de/2.0",
            ["url"] = DcatMetadata.DatasetUrl(portal, dataset).ToString(),
            ["author"] = portal.Publisher,
            ["tags"] = new JsonArray([.. dataset.Keywords.Select(keyword => (JsonNode)new JsonObject { ["name"] = keyword })]),
            ["extras"] = new JsonArray(
                new JsonObject { ["key"] = "politicalGeocodingURI", ["value"] = $"http://dcat-ap.de/def/politicalGeocoding/regionalKey/{portal.RegionalKey}" },
                new JsonObject { ["key"] = "dcat_metadata", ["value"] = DcatMetadata.MetadataUrl(portal, dataset).ToString() }),
            ["resources"] = resources,
        };
    }

    private static JsonObject Resource(string name, Uri url, string format, string mediaType) => new()
    {
        ["name"] = name,
        ["url"] = url.ToString(),
        ["format"] = format,
        ["mimetype"] = mediaType,
    };
}
