using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MeinLuebeck;

/// <summary>The app's resources besides its static page: the notification receiver, the places, and their changes as server-sent events.</summary>
public static class ParkingApi
{
    public static void MapParkingApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/health", () => TypedResults.Ok("ok"));
        routes.MapGet("/ready", (ParkingSubscriber subscriber) => subscriber.IsReady ? Results.Ok("ready") : Results.StatusCode(StatusCodes.Status503ServiceUnavailable));
        routes.MapPost("/notify", ReceiveNotification);
        routes.MapGet("/api/parking", (ParkingBoard board) => TypedResults.Ok(board.Places));
        routes.MapGet("/events", (ParkingBoard board, CancellationToken cancellationToken) => TypedResults.ServerSentEvents(Events(board, cancellationToken)));
    }

    private static async Task<IResult> ReceiveNotification(HttpRequest request, ParkingBoard board)
    {
        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
        }
        catch (JsonException e)
        {
            return TypedResults.Problem($"The notification is not JSON: {e.Message}", statusCode: StatusCodes.Status400BadRequest);
        }
        if (body?["data"] is not JsonArray data)
            return TypedResults.Problem("A notification is a JSON object whose data member is an array of entities.", statusCode: StatusCodes.Status400BadRequest);
        board.Update(data.OfType<JsonObject>().Select(ParkingPlace.FromEntity).OfType<ParkingPlace>());
        return TypedResults.NoContent();
    }

    /// <summary>A "snapshot" event with every place, then a "place" event per change.</summary>
    private static async IAsyncEnumerable<SseItem<object>> Events(ParkingBoard board, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var watcher = board.Watch();
        yield return new SseItem<object>(watcher.Snapshot, "snapshot");
        await foreach (var place in watcher.Changes.ReadAllAsync(cancellationToken))
            yield return new SseItem<object>(place, "place");
    }
}
