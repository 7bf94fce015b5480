using Adapters.Core;

namespace Adapters.Tests.Parking;

/// <summary>An <see cref="IEntitySink"/> that keeps what it is given, for the webhook tests of parking and traffic.</summary>
internal sealed class RecordingSink : IEntitySink
{
    private readonly Lock gate = new();

    public List<(string Source, string Original, IReadOnlyList<AdapterEntity> Entities)> Submitted { get; } = [];

    public List<(string Source, string Original, string Reason)> Rejected { get; } = [];

    public Task<SinkOutcome> SubmitAsync(string source, string original, IReadOnlyList<AdapterEntity> entities, CancellationToken cancellationToken)
    {
        lock (gate)
            Submitted.Add((source, original, entities));
        return Task.FromResult(new SinkOutcome(entities.Count, []));
    }

    public Task RejectAsync(string source, string original, string reason, CancellationToken cancellationToken)
    {
        lock (gate)
            Rejected.Add((source, original, reason));
        return Task.CompletedTask;
    }
}
