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

    /// <summary>/datasets/{name}/history/{yyyy-MM-dd}.csv: the observations of one day.</summary>
    private static IResult HistoryFile(string dataset, string file, DatasetCatalog catalog)
    {
        if (catalog.Find(dataset) is null)
            return NotFound($"There is no dataset {dataset}.");
        if (Path.GetExtension(file) != ".csv"
            || !DateOnly.TryParseExact(Path.GetFileNameWithoutExtension(file), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            return BadRequest($"A day of history is named yyyy-MM-dd.csv, not {file}.");
        if (!catalog.Days(dataset).Contains(day))
            return NotFound($"Dataset {dataset} has no observations on {day:yyyy-MM-dd}.");
        return TypedResults.Text(CsvHistory.Write(catalog.History(dataset, day)), CsvHistory.MediaType + "; charset=utf-8");
    }

    private static IResult Json(JsonNode document, string mediaType) =>
        TypedResults.Text(PublishedJson.Write(document), mediaType + "; charset=utf-8");

    private static IResult BadRequest(string detail) => TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Bad request");

    private static IResult NotFound(string detail) => TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");
}
