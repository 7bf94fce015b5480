namespace Adapters.Core;

/// <summary>
/// Where every translation's entities go: validated against their data model's schema, then upserted into the
/// broker in batches. What fails validation or what the broker refuses goes to the dead-letter folder with the reason.
/// </summary>
public interface IEntitySink
{
    /// <param name="source">The source that produced the entities, e.g. "lorawan/chirpstack", for logs and dead letters.</param>
    /// <param name="original">The source record as received, kept in a dead letter beside the reason.</param>
    Task<SinkOutcome> SubmitAsync(string source, string original, IReadOnlyList<AdapterEntity> entities, CancellationToken cancellationToken);

    /// <summary>A source record that could not be translated, kept with the reason.</summary>
    Task RejectAsync(string source, string original, string reason, CancellationToken cancellationToken);
}

/// <param name="Accepted">Entities the broker stored.</param>
/// <param name="DeadLettered">Entities kept in the dead-letter folder, each with its reason.</param>
public sealed record SinkOutcome(int Accepted, IReadOnlyList<DeadLetteredEntity> DeadLettered);

public sealed record DeadLetteredEntity(string EntityId, string Reason);
