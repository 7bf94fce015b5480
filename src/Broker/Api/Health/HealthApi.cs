using Broker.Storage;

namespace Broker.Api.Health;

/// <summary>Liveness (/health) and readiness (/ready: the store answers).</summary>
public static class HealthApi
{
    public static void MapHealthApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/health", () => TypedResults.Ok(new HealthStatus("ok")));
        routes.MapGet("/ready", async Task<IResult> (IEntityStore store, CancellationToken ct) =>
        {
            bool ready;
            try
            {
                ready = await store.IsReadyAsync(ct);
            }
            catch (StoreUnavailableException)
            {
                ready = false;
            }
            return ready
                ? TypedResults.Ok(new HealthStatus("ready"))
                : TypedResults.Json(new HealthStatus("store unavailable"), statusCode: StatusCodes.Status503ServiceUnavailable);
        });
    }

    public sealed record HealthStatus(string Status);
}
