using Adapters.Core;

namespace Adapters.Parking;

/// <summary>
/// The parking source: DATEX II v2 publications, Nedap SENSIT status and the generic sensor feed through webhooks,
/// translated into OffStreetParking and ParkingSpot; spot readings also update their site's counts
/// (<see cref="ParkingSiteAggregator"/>).
/// </summary>
public static class ParkingAdapter
{
    public static IServiceCollection AddParking(this IServiceCollection services, IConfiguration configuration)
    {
        // Bound when first resolved, so that configuration sources added before the host is built are seen.
        services.AddSingleton(_ => configuration.GetSection(ParkingMapping.SectionName).Get<ParkingMapping>() ?? new ParkingMapping());
        services.AddSingleton<ISourceMapping>(provider => provider.GetRequiredService<ParkingMapping>());
        services.AddSingleton<ParkingSiteAggregator>();
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

    private static Task<IResult> Datex2(HttpRequest request, ParkingMapping mapping, ParkingSiteAggregator aggregator, IEntitySink sink, CancellationToken cancellationToken) =>
        Receive(request, "parking/datex2", body => Datex2ParkingTranslation.Translate(body, mapping), aggregator, sink, cancellationToken);

    private static Task<IResult> Sensit(HttpRequest request, ParkingMapping mapping, ParkingSiteAggregator aggregator, IEntitySink sink, CancellationToken cancellationToken) =>
        Receive(request, "parking/sensit", body => SensitTranslation.Translate(body, mapping), aggregator, sink, cancellationToken);

    private static Task<IResult> Sensors(HttpRequest request, ParkingMapping mapping, ParkingSiteAggregator aggregator, IEntitySink sink, CancellationToken cancellationToken) =>
        Receive(request, "parking/sensors", body => SensorFeedTranslation.Translate(body, mapping), aggregator, sink, cancellationToken);

    private static async Task<IResult> Receive(
        HttpRequest request, string source, Func<string, IReadOnlyList<AdapterEntity>> translate,
        ParkingSiteAggregator aggregator, IEntitySink sink, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(cancellationToken);
        IReadOnlyList<AdapterEntity> entities;
        try
        {
            entities = translate(body);
        }
        catch (MalformedSourceException e)
        {
            await sink.RejectAsync(source, body, e.Message, cancellationToken);
            return TypedResults.Problem(title: "Malformed source record", detail: e.Message, statusCode: StatusCodes.Status400BadRequest);
        }

        var sites = aggregator.Observe(entities);
        var outcome = await sink.SubmitAsync(source, body, sites.Count == 0 ? entities : [.. entities, .. sites], cancellationToken);
        return TypedResults.Accepted((string?)null, outcome);
    }
}
