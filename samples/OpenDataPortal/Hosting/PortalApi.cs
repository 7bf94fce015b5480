using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenDataPortal.Publishing;

namespace OpenDataPortal.Hosting;

/// <summary>The portal's resources: the notification receiver, the datasets, their metadata and an index page.</summary>
public static class PortalApi
{
    public static void MapPortalApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/health", () => TypedResults.Ok("ok"));
        routes.MapGet("/ready", (PortalService portal) => portal.IsReady ? Results.Ok("ready") : Results.StatusCode(StatusCodes.Status503ServiceUnavailable));
        routes.MapPost("/notify/{dataset}", ReceiveNotification);
        routes.MapGet("/", (DatasetCatalog catalog, PortalOptions portal) => TypedResults.Content(IndexPage.Write(catalog, portal), "text/html; charset=utf-8"));
        routes.MapGet("/catalog.jsonld", (DatasetCatalog catalog, PortalOptions portal) => Json(DcatMetadata.Catalog(portal,
            catalog.Definitions.Select(d => (d, catalog.Modified(d.Name), catalog.Days(d.Name)))), DcatMetadata.MediaType));
        routes.MapGet("/datasets/{file}", DatasetFile);
        routes.MapGet("/datasets/{dataset}/history/{file}", HistoryFile);
    }

    private static async Task<IResult> ReceiveNotification(string dataset, HttpRequest request, PortalService portal, DatasetCatalog catalog)
    {
        if (catalog.Find(dataset) is null)
            return NotFound($"There is no dataset {dataset}.");
        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
        }
        catch (JsonException e)
        {
            return BadRequest($"The notification is not JSON: {e.Message}");
        }
        try
        {
            portal.Receive(body);
        }
        catch (FormatException e)
        {
            return BadRequest(e.Message);
        }
        return TypedResults.NoContent();
    }

    /// <summary>/datasets/{name}.geojson (the current state) or /datasets/{name}.jsonld (its DCAT-AP.de metadata).</summary>
    private static IResult DatasetFile(string file, DatasetCatalog catalog, PortalOptions portal)
    {
        var name = Path.GetFileNameWithoutExtension(file);
        if (catalog.Find(name) is not { } dataset)
            return NotFound($"There is no dataset {name}.");
        return Path.GetExtension(file) switch
        {
            ".geojson" => Json(GeoJsonDataset.Write(catalog.Current(name)), GeoJsonDataset.MediaType),
            ".jsonld" => Json(DcatMetadata.Dataset(portal, dataset, catalog.Modified(name), catalog.Days(name)), DcatMetadata.MediaType),
            _ => NotFound($"Dataset {name} is published as {name}.geojson and described by {name}.jsonld."),
        };
    }

    /// <summary>
    /// /datasets/{name}/history/{yyyy-MM-dd}.csv: the observations of one day, from the catalog for the days it holds,
    /// else, back to Portal:MaxHistoryAgeDays, from the broker's temporal API.
    /// </summary>
    private static async Task<IResult> HistoryFile(string dataset, string file, DatasetCatalog catalog, PastDays pastDays, PortalOptions portal, HttpContext http)
    {
        if (catalog.Find(dataset) is not { } definition)
            return NotFound($"There is no dataset {dataset}.");
        if (Path.GetExtension(file) != ".csv"
            || !DateOnly.TryParseExact(Path.GetFileNameWithoutExtension(file), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            return BadRequest($"A day of history is named yyyy-MM-dd.csv, not {file}.");
        var today = catalog.Today;
        if (day > today)
            return NotFound($"{day:yyyy-MM-dd} is in the future: today is {today:yyyy-MM-dd} ({portal.TimeZone}).");
        var oldest = today.AddDays(-portal.MaxHistoryAgeDays);
        if (day < oldest)
            return NotFound($"{day:yyyy-MM-dd} is older than the history the portal publishes: the last {portal.MaxHistoryAgeDays} days, since {oldest:yyyy-MM-dd}.");
        if (day >= catalog.HeldSince)
        {
            var rows = catalog.History(dataset, day);
            return rows.Count == 0 ? NoObservations(dataset, day) : Csv(CsvHistory.Write(rows));
        }
        PastDay past;
        try
        {
            past = await pastDays.ReadAsync(definition, day, http.RequestAborted);
        }
        catch (Exception e) when (e is HttpRequestException or Broker.BrokerException or TaskCanceledException && !http.RequestAborted.IsCancellationRequested)
        {
            return TypedResults.Problem($"The history of {day:yyyy-MM-dd} could not be read from the broker: {e.Message}",
                statusCode: StatusCodes.Status502BadGateway, title: "Bad gateway");
        }
        return past.Observations == 0 ? NoObservations(dataset, day) : Csv(past.Csv);
    }

    private static IResult NoObservations(string dataset, DateOnly day) => NotFound($"Dataset {dataset} has no observations on {day:yyyy-MM-dd}.");

    private static IResult Csv(string csv) => TypedResults.Text(csv, CsvHistory.MediaType + "; charset=utf-8");

    private static IResult Json(JsonNode document, string mediaType) =>
        TypedResults.Text(PublishedJson.Write(document), mediaType + "; charset=utf-8");

    private static IResult BadRequest(string detail) => TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Bad request");

    private static IResult NotFound(string detail) => TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");
}
