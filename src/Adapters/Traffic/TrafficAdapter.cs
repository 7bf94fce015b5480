using Adapters.Core;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Adapters.Traffic;

/// <summary>The traffic source: signal states and configurations (POST /traffic/signals) and DATEX II v3 counts (POST /traffic/counts).</summary>
public static class TrafficAdapter
{
    public static IServiceCollection AddTraffic(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSourceMapping<TrafficMapping>(configuration, TrafficMapping.SectionName);
        return services;
    }

    public static IEndpointRouteBuilder MapTraffic(this IEndpointRouteBuilder endpoints)
    {
        var traffic = endpoints.MapGroup("/traffic");
        traffic.MapPost("/signals", Signals);
        traffic.MapPost("/counts", Counts);
        return endpoints;
    }

    private static Task<Results<Accepted<SinkOutcome>, ProblemHttpResult>> Signals(HttpRequest request, string? controller, TrafficMapping mapping, [FromServices] IEntitySink sink, CancellationToken cancellationToken) =>
        SourceWebhook.ReceiveAsync(request, "traffic/signals", body => TrafficSignalTranslation.Translate(body, controller, mapping), sink, cancellationToken);

    private static Task<Results<Accepted<SinkOutcome>, ProblemHttpResult>> Counts(HttpRequest request, TrafficMapping mapping, [FromServices] IEntitySink sink, CancellationToken cancellationToken) =>
        SourceWebhook.ReceiveAsync(request, "traffic/counts", body => TrafficCountTranslation.Translate(body, mapping), sink, cancellationToken);
}
