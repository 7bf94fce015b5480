using Adapters.Core;

namespace Adapters.LoRaWan;

/// <summary>What became of one network server message.</summary>
public abstract record IngestResult
{
    private IngestResult()
    {
    }

    public sealed record Submitted(SinkOutcome Outcome) : IngestResult;

    /// <summary>A message kind that says nothing about a device's state (ChirpStack ack/txack/log, TTS downlink events).</summary>
    public sealed record Ignored : IngestResult;

    /// <summary>Malformed input, kept as a dead letter with <paramref name="Reason"/>.</summary>
    public sealed record Rejected(string Reason) : IngestResult;
}

/// <summary>The transports' common path: translate a message, then submit its entities or reject it.</summary>
public sealed class LoRaWanIngest(LoRaWanTranslator translator, IEntitySink sink)
{
    public const string ChirpStackHttpSource = "lorawan/chirpstack";
    public const string ChirpStackMqttSource = "lorawan/chirpstack-mqtt";
    public const string TheThingsStackSource = "lorawan/ttn";

    public Task<IngestResult> ChirpStackAsync(string source, string? eventType, string body, CancellationToken cancellationToken) =>
        string.IsNullOrEmpty(eventType)
            ? RejectAsync(source, body, "ChirpStack event: its type (the event query parameter, or the topic's last level) is missing", cancellationToken)
            : RunAsync(source, body, () => translator.TranslateChirpStack(eventType, body), cancellationToken);

    public Task<IngestResult> TheThingsStackAsync(string body, CancellationToken cancellationToken) =>
        RunAsync(TheThingsStackSource, body, () => translator.TranslateTheThingsStack(body), cancellationToken);

    private async Task<IngestResult> RunAsync(string source, string body, Func<IReadOnlyList<AdapterEntity>?> translate, CancellationToken cancellationToken)
    {
        IReadOnlyList<AdapterEntity>? entities;
        try
        {
            entities = translate();
        }
        catch (MalformedSourceException e)
        {
            return await RejectAsync(source, body, e.Message, cancellationToken);
        }
        if (entities is null)
            return new IngestResult.Ignored();
        return new IngestResult.Submitted(await sink.SubmitAsync(source, body, entities, cancellationToken));
    }

    private async Task<IngestResult> RejectAsync(string source, string body, string reason, CancellationToken cancellationToken)
    {
        await sink.RejectAsync(source, body, reason, cancellationToken);
        return new IngestResult.Rejected(reason);
    }
}
