using System.Threading.Channels;
using Adapters.Core;

namespace Adapters.Tests.LoRaWan;

/// <summary>An <see cref="IEntitySink"/> that keeps what it is given, in order, and accepts every entity.</summary>
internal sealed class RecordingSink : IEntitySink
{
    public sealed record Call(string Source, string Original, IReadOnlyList<AdapterEntity>? Entities, string? Reason);

    private readonly Channel<Call> _calls = Channel.CreateUnbounded<Call>();

    public List<Call> Calls { get; } = [];

    public Task<SinkOutcome> SubmitAsync(string source, string original, IReadOnlyList<AdapterEntity> entities, CancellationToken cancellationToken)
    {
        Record(new Call(source, original, entities, null));
        return Task.FromResult(new SinkOutcome(entities.Count, []));
    }

    public Task RejectAsync(string source, string original, string reason, CancellationToken cancellationToken)
    {
        Record(new Call(source, original, null, reason));
        return Task.CompletedTask;
    }

    private void Record(Call call)
    {
        lock (Calls)
            Calls.Add(call);
        _calls.Writer.TryWrite(call);
    }

    /// <summary>The next call, waiting at most <paramref name="seconds"/>.</summary>
    public async Task<Call> NextAsync(double seconds = 10)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            return await _calls.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"The sink was not called within {seconds} s.");
        }
    }
}
