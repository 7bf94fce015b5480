using System.Globalization;
using System.Text.Json.Nodes;

namespace OpenDataPortal.Publishing;

/// <summary>
/// DCAT-AP.de 2.0 metadata as JSON-LD: a dcat:Dataset per dataset with a distribution for its current state (GeoJSON)
/// and one per day of history (CSV), all under the Datenlizenz Deutschland – Namensnennung 2.0, and the dcat:Catalog
/// of them all.
/// </summary>
public static class DcatMetadata
{
    public const string MediaType = "application/ld+json";

    private const string License = "http://dcat-ap.de/def/licenses/dl-by-de/2.0";
    private const string DataTheme = "http://publications.europa.eu/resource/authority/data-theme/";
    private const string FileType = "http://publications.europa.eu/resource/authority/file-type/";

    private static JsonObject Context() => new()
    {
        ["dcat"] = "http://www.w3.org/ns/dcat#",
        ["dct"] = "http://purl.org/dc/terms/",
        ["dcatde"] = "http://dcat-ap.de/def/dcatde/",
        ["foaf"] = "http://xmlns.com/foaf/0.1/",
        ["xsd"] = "http://www.w3.org/2001/XMLSchema#",
    };

    public static Uri DatasetUrl(PortalOptions portal, DatasetDefinition dataset) => new(portal.PublicUrl, $"datasets/{dataset.Name}");

    public static Uri GeoJsonUrl(PortalOptions portal, DatasetDefinition dataset) => new(portal.PublicUrl, $"datasets/{dataset.Name}.geojson");

    public static Uri MetadataUrl(PortalOptions portal, DatasetDefinition dataset) => new(portal.PublicUrl, $"datasets/{dataset.Name}.jsonld");

    public static Uri HistoryUrl(PortalOptions portal, DatasetDefinition dataset, DateOnly day) =>
        new(portal.PublicUrl, $"datasets/{dataset.Name}/history/{day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}.csv");

    /// <param name="modified">when the dataset last changed; null before its first entity</param>
    /// <param name="days">the days of history the portal publishes</param>
    public static JsonObject Dataset(PortalOptions portal, DatasetDefinition dataset, DateTimeOffset? modified, IEnumerable<DateOnly> days)
    {
        var document = DatasetNode(portal, dataset, modified, days);
        document.Insert(0, "@context", Context());
        return document;
    }

    public static JsonObject Catalog(PortalOptions portal, IEnumerable<(DatasetDefinition Dataset, DateTimeOffset? Modified, IReadOnlyList<DateOnly> Days)> datasets)
    {
        var members = new JsonArray();
        foreach (var (dataset, modified, days) in datasets)
            members.Add(DatasetNode(portal, dataset, modified, days));
        return new JsonObject
        {
            ["@context"] = Context(),
            ["@id"] = new Uri(portal.PublicUrl, "catalog.jsonld").ToString(),
            ["@type"] = "dcat:Catalog",
            ["dct:title"] = German($"Offene Daten der {portal.Publisher}"),
            ["dct:description"] = German("Datensätze der urbanen Datenplattform, aus den Benachrichtigungen des NGSI-LD Context Brokers erzeugt."),
            ["dct:publisher"] = Publisher(portal),
            ["foaf:homepage"] = Reference(portal.PublicUrl.ToString()),
            ["dcat:dataset"] = members,
        };
    }

    private static JsonObject DatasetNode(PortalOptions portal, DatasetDefinition dataset, DateTimeOffset? modified, IEnumerable<DateOnly> days)
    {
        var distributions = new JsonArray
        {
            Distribution(GeoJsonUrl(portal, dataset), $"{dataset.Title}: aktueller Zustand", "GEOJSON", "application/geo+json", portal),
        };
        foreach (var day in days.Order())
        {
            var date = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            distributions.Add(Distribution(HistoryUrl(portal, dataset, day), $"{dataset.Title}: Verlauf vom {date}", "CSV", "text/csv", portal));
        }
        var node = new JsonObject
        {
            ["@id"] = DatasetUrl(portal, dataset).ToString(),
            ["@type"] = "dcat:Dataset",
            ["dct:identifier"] = DatasetUrl(portal, dataset).ToString(),
            ["dct:title"] = German(dataset.Title),
            ["dct:description"] = German(dataset.Description),
            ["dct:publisher"] = Publisher(portal),
            ["dcatde:politicalGeocodingLevelURI"] = Reference("http://dcat-ap.de/def/politicalGeocoding/Level/municipality"),
            ["dcatde:politicalGeocodingURI"] = Reference($"http://dcat-ap.de/def/politicalGeocoding/regionalKey/{portal.RegionalKey}"),
            ["dct:accrualPeriodicity"] = Reference("http://publications.europa.eu/resource/authority/frequency/UPDATE_CONT"),
            ["dcat:theme"] = new JsonArray(dataset.Themes.Select(theme => (JsonNode)Reference(DataTheme + theme)).ToArray()),
            ["dcat:keyword"] = new JsonArray(dataset.Keywords.Select(keyword => (JsonNode)German(keyword)).ToArray()),
            ["dcat:distribution"] = distributions,
        };
        if (modified is { } time)
            node["dct:modified"] = new JsonObject { ["@value"] = time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), ["@type"] = "xsd:dateTime" };
        return node;
    }

    private static JsonObject Distribution(Uri url, string title, string format, string mediaType, PortalOptions portal) => new()
    {
        ["@id"] = url + "#distribution",
        ["@type"] = "dcat:Distribution",
        ["dct:title"] = German(title),
        ["dcat:accessURL"] = Reference(url.ToString()),
        ["dcat:downloadURL"] = Reference(url.ToString()),
        ["dct:format"] = Reference(FileType + format),
        ["dcat:mediaType"] = Reference("https://www.iana.org/assignments/media-types/" + mediaType),
        ["dct:license"] = Reference(License),
        ["dcatde:licenseAttributionByText"] = portal.Publisher,
    };

    private static JsonObject Publisher(PortalOptions portal) => new()
    {
        ["@id"] = portal.PublisherUri.ToString(),
        ["@type"] = "foaf:Organization",
        ["foaf:name"] = portal.Publisher,
    };

    private static JsonObject Reference(string iri) => new() { ["@id"] = iri };

    private static JsonObject German(string text) => new() { ["@value"] = text, ["@language"] = "de" };
}
