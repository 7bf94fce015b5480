using Adapters.Core;

namespace Adapters.Tests.Museums;

/// <summary>
/// An <see cref="IEntitySink"/> that keeps what it acknowledged. <see cref="FailAt"/> makes the n-th submission
/// (0-based) throw before it is acknowledged, as a broker that goes away would.
/// </summary>
internal sealed class RecordingSink : IEntitySink
{
    private int submissions;

    public List<(string Original, IReadOnlyList<AdapterEntity> Entities)> Submitted { get; } = [];

    public List<(string Original, string Reason)> Rejected { get; } = [];

    public int? FailAt { get; init; }

    public Action<int>? BeforeSubmit { get; init; }

    public IEnumerable<AdapterEntity> Entities => Submitted.SelectMany(s => s.Entities);

    public Task<SinkOutcome> SubmitAsync(string source, string original, IReadOnlyList<AdapterEntity> entities, CancellationToken cancellationToken)
    {
        var number = submissions++;
        BeforeSubmit?.Invoke(number);
        cancellationToken.ThrowIfCancellationRequested();
        if (number == FailAt)
            throw new HttpRequestException("the broker is not reachable");
        Submitted.Add((original, entities));
        return Task.FromResult(new SinkOutcome(entities.Count, []));
    }

    public Task RejectAsync(string source, string original, string reason, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Rejected.Add((original, reason));
        return Task.CompletedTask;
    }
}
