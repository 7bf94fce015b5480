using Adapters.Core;

namespace Adapters.Traffic;

/// <summary>The traffic source: signal states and configurations (POST /traffic/signals) and DATEX II v3 counts (POST /traffic/counts).</summary>
public static class TrafficAdapter
{
    public static IServiceCollection AddTraffic(this IServiceCollection services, IConfiguration configuration)
    {
        // Bound when first resolved, so that configuration sources added before the host is built are seen.
        services.AddSingleton(_ => configuration.GetSection(TrafficMapping.SectionName).Get<TrafficMapping>() ?? new TrafficMapping());
        services.AddSingleton<ISourceMapping>(provider => provider.GetRequiredService<TrafficMapping>());
        return services;
    }

    public static IEndpointRouteBuilder MapTraffic(this IEndpointRouteBuilder endpoints)
    {
        var traffic = endpoints.MapGroup("/traffic");
        traffic.MapPost("/signals", Signals);
        traffic.MapPost("/counts", Counts);
        return endpoints;
    }

    private static Task<IResult> Signals(HttpRequest request, string? controller, TrafficMapping mapping, IEntitySink sink, CancellationToken cancellationToken) =>
        Receive(request, "traffic/signals", body => TrafficSignalTranslation.Translate(body, controller, mapping), sink, cancellationToken);

    private static Task<IResult> Counts(HttpRequest request, TrafficMapping mapping, IEntitySink sink, CancellationToken cancellationToken) =>
        Receive(request, "traffic/counts", body => TrafficCountTranslation.Translate(body, mapping), sink, cancellationToken);

    private static async Task<IResult> Receive(HttpRequest request, string source, Func<string, IReadOnlyList<AdapterEntity>> translate, IEntitySink sink, CancellationToken cancellationToken)
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
        return TypedResults.Accepted((string?)null, await sink.SubmitAsync(source, body, entities, cancellationToken));
    }
}
