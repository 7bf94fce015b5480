using Adapters.Core;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Adapters.Parking;

/// <summary>
/// The parking source: DATEX II v2 publications, Nedap SENSIT status and the generic sensor feed through webhooks,
/// translated into OffStreetParking and ParkingSpot; spot readings also update their site's counts
/// (<see cref="ParkingSiteAggregator"/>), and the spots of a static table keep the status already known
/// (<see cref="UnobservedSpotStatus"/>).
/// </summary>
public static class ParkingAdapter
{
    public static IServiceCollection AddParking(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSourceMapping<ParkingMapping>(configuration, ParkingMapping.SectionName);
        services.AddSingleton<ParkingSiteAggregator>();
        services.AddSingleton<UnobservedSpotStatus>();
        return services;
    }

    public static IEndpointRouteBuilder MapParking(this IEndpointRouteBuilder endpoints)
    {
        var parking = endpoints.MapGroup("/parking");
        parking.MapPost("/datex2", Datex2);
        parking.MapPost("/sensit", Sensit);
        parking.MapPost("/sensors", Sensors);
        return endpoints;
    }

    private static Task<Results<Accepted<SinkOutcome>, ProblemHttpResult>> Datex2(HttpRequest request, ParkingMapping mapping, ParkingSiteAggregator aggregator, UnobservedSpotStatus unobserved, [FromServices] IEntitySink sink, CancellationToken cancellationToken) =>
        SourceWebhook.ReceiveAsync(request, "parking/datex2", body => Datex2ParkingTranslation.Translate(body, mapping), unobserved.PrepareAsync, sink, cancellationToken, aggregator.Observe);

    private static Task<Results<Accepted<SinkOutcome>, ProblemHttpResult>> Sensit(HttpRequest request, ParkingMapping mapping, ParkingSiteAggregator aggregator, [FromServices] IEntitySink sink, CancellationToken cancellationToken) =>
        SourceWebhook.ReceiveAsync(request, "parking/sensit", body => SensitTranslation.Translate(body, mapping), sink, cancellationToken, aggregator.Observe);

    private static Task<Results<Accepted<SinkOutcome>, ProblemHttpResult>> Sensors(HttpRequest request, ParkingMapping mapping, ParkingSiteAggregator aggregator, [FromServices] IEntitySink sink, CancellationToken cancellationToken) =>
        SourceWebhook.ReceiveAsync(request, "parking/sensors", body => SensorFeedTranslation.Translate(body, mapping), sink, cancellationToken, aggregator.Observe);
}
