using Adapters.Core;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Adapters.LoRaWan;

/// <summary>
/// The LoRaWAN source: webhooks for ChirpStack's HTTP integration (<c>POST /lorawan/chirpstack?event=up</c>) and The
/// Things Stack's webhook integration (<c>POST /lorawan/ttn</c>), and ChirpStack's MQTT integration when
/// <c>LoRaWan:Mqtt:Host</c> is configured. The device mapping is the mapping file's "lorawan" section.
/// </summary>
public static class LoRaWanAdapter
{
    public static IServiceCollection AddLoRaWan(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSourceMapping<LoRaWanMapping>(configuration, LoRaWanMapping.SectionName);
        services.AddSingleton(provider => new LoRaWanTranslator(provider.GetRequiredService<LoRaWanMapping>()));
        // A factory, so that the host builds before the core's IEntitySink is registered (it is resolved on first use).
        services.AddSingleton(provider => new LoRaWanIngest(provider.GetRequiredService<LoRaWanTranslator>(), provider.GetRequiredService<IEntitySink>()));
        var mqtt = configuration.GetSection(LoRaWanMqttOptions.SectionName).Get<LoRaWanMqttOptions>();
        if (mqtt?.Host is { Length: > 0 })
        {
            services.AddSingleton(mqtt);
            services.AddHostedService<ChirpStackMqttListener>();
        }
        return services;
    }

    public static IEndpointRouteBuilder MapLoRaWan(this IEndpointRouteBuilder endpoints)
    {
        var lorawan = endpoints.MapGroup("/lorawan");
        lorawan.MapPost("/chirpstack", ChirpStackAsync);
        lorawan.MapPost("/ttn", TheThingsStackAsync);
        return endpoints;
    }

    /// <summary>ChirpStack's HTTP integration, JSON encoding; the event type is the <c>event</c> query parameter.</summary>
    private static async Task<Results<Accepted<SinkOutcome>, NoContent, ProblemHttpResult>> ChirpStackAsync(
        HttpRequest request, LoRaWanIngest ingest, string? @event, CancellationToken cancellationToken)
    {
        var body = await SourceWebhook.ReadBodyAsync(request, cancellationToken);
        return Answer(await ingest.ChirpStackAsync(LoRaWanIngest.ChirpStackHttpSource, @event, body, cancellationToken));
    }

    private static async Task<Results<Accepted<SinkOutcome>, NoContent, ProblemHttpResult>> TheThingsStackAsync(
        HttpRequest request, LoRaWanIngest ingest, CancellationToken cancellationToken)
    {
        var body = await SourceWebhook.ReadBodyAsync(request, cancellationToken);
        return Answer(await ingest.TheThingsStackAsync(body, cancellationToken));
    }

    private static Results<Accepted<SinkOutcome>, NoContent, ProblemHttpResult> Answer(IngestResult result) => result switch
    {
        IngestResult.Submitted submitted => TypedResults.Accepted((string?)null, submitted.Outcome),
        IngestResult.Rejected rejected => SourceWebhook.Malformed("Malformed LoRaWAN message", rejected.Reason),
        _ => TypedResults.NoContent(),
    };
}
