using System.Threading.Channels;
using Ontology.SmartDataModels;

namespace Adapters.Core;

/// <summary>The <c>Sink</c> section of the configuration.</summary>
public sealed class EntitySinkOptions
{
    public const string SectionName = "Sink";

    /// <summary>
    /// Submissions that wait while an upsert is under way are sent together in the next one, up to this many
    /// entities (a submission larger than that is sent on its own, in the client's chunks).
    /// </summary>
    public int MaxCoalescedEntities { get; set; } = 1000;

    /// <summary>
    /// What a submission does when the broker cannot be reached after the client's retries: "deadLetter" (the
    /// default: its entities go to the dead-letter folder, as a webhook's sender will not send them again) or "throw"
    /// (the caller gets a <see cref="BrokerUnavailableException"/>, as the LIDO import does to stop and resume later).
    /// </summary>
    public string WhenBrokerUnavailable { get; set; } = DeadLetter;

    public const string DeadLetter = "deadLetter";
    public const string Throw = "throw";
}

/// <summary>
/// The <see cref="IEntitySink"/> of the host: validates each entity, as the broker will hold it
/// (<see cref="AdapterEntity.AsStored"/>), against its Smart Data Model (what fails goes to the dead letters with the
/// validator's errors), then upserts the valid ones with the <see cref="NgsiLdClient"/>.
/// One upsert at a time, in submission order (so two uplinks of a device are stored in the order received); what is
/// submitted meanwhile is coalesced into the next upsert, so many small submissions cost few requests.
/// </summary>
public sealed class EntitySink : IEntitySink, IAsyncDisposable
{
    /// <summary>A submission this large (a LIDO batch) is validated on every core; a webhook's few entities on the request's thread.</summary>
    private const int ParallelValidationFrom = 64;

    private readonly NgsiLdClient _client;
    private readonly DeadLetterFolder _deadLetters;
    private readonly SmartDataModelValidator _validator;
    private readonly EntitySinkOptions _options;
    private readonly TimeProvider _time;
    private readonly Channel<Submission> _queue = Channel.CreateBounded<Submission>(new BoundedChannelOptions(4096) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Task _sender;

    public EntitySink(NgsiLdClient client, DeadLetterFolder deadLetters, EntitySinkOptions? options = null, SmartDataModelValidator? validator = null, TimeProvider? time = null)
    {
        _client = client;
        _deadLetters = deadLetters;
        _options = options ?? new EntitySinkOptions();
        if (_options.WhenBrokerUnavailable is not (EntitySinkOptions.DeadLetter or EntitySinkOptions.Throw))
            throw new InvalidOperationException($"Sink:WhenBrokerUnavailable is \"{_options.WhenBrokerUnavailable}\": it must be \"{EntitySinkOptions.DeadLetter}\" or \"{EntitySinkOptions.Throw}\"");
        _validator = validator ?? SmartDataModelValidator.Shared;
        _time = time ?? TimeProvider.System;
        _sender = Task.Run(SendLoopAsync);
    }

    public async Task<SinkOutcome> SubmitAsync(string source, string original, IReadOnlyList<AdapterEntity> entities, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entities);
        var receivedAt = _time.GetUtcNow();
        var results = new SchemaValidationResult[entities.Count];
        if (entities.Count >= ParallelValidationFrom)
            Parallel.For(0, entities.Count, i => results[i] = _validator.Validate(entities[i].DataModel, entities[i].AsStored()));
        else
        {
            for (var i = 0; i < entities.Count; i++)
                results[i] = _validator.Validate(entities[i].DataModel, entities[i].AsStored());
        }
        var valid = new List<AdapterEntity>(entities.Count);
        var deadLettered = new List<DeadLetteredEntity>();
        for (var i = 0; i < entities.Count; i++)
        {
            var (entity, result) = (entities[i], results[i]);
            if (result.IsValid)
            {
                valid.Add(entity);
                continue;
            }
            var reason = $"{entity.Type} does not conform to the {entity.DataModel} schema: {result}";
            await _deadLetters.WriteAsync(new DeadLetter(source, receivedAt, reason, original, entity), cancellationToken);
            deadLettered.Add(new DeadLetteredEntity(entity.Id, reason));
        }
        if (valid.Count == 0)
            return new SinkOutcome(0, deadLettered);

        var submission = new Submission(source, original, receivedAt, valid);
        await _queue.Writer.WriteAsync(submission, cancellationToken);
        var outcome = await submission.Done.Task;
        return deadLettered.Count == 0 ? outcome : new SinkOutcome(outcome.Accepted, [.. deadLettered, .. outcome.DeadLettered]);
    }

    public async Task RejectAsync(string source, string original, string reason, CancellationToken cancellationToken) =>
        await _deadLetters.WriteAsync(new DeadLetter(source, _time.GetUtcNow(), reason, original), cancellationToken);

    /// <summary>Sends what is queued, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _sender;
    }

    private async Task SendLoopAsync()
    {
        var reader = _queue.Reader;
        var group = new List<Submission>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        Submission? carried = null;
        while (carried is not null || await reader.WaitToReadAsync())
        {
            group.Clear();
            ids.Clear();
            var count = 0;
            if (carried is null && !reader.TryRead(out carried))
                continue;
            do
            {
                group.Add(carried);
                count += carried.Entities.Count;
                foreach (var entity in carried.Entities)
                    ids.Add(entity.Id);
                carried = null;
                // An entity twice in one upsert would leave its final state to the broker's order of work: the later submission waits for the next upsert.
                if (count >= _options.MaxCoalescedEntities || !reader.TryRead(out carried) || count + carried.Entities.Count > _options.MaxCoalescedEntities || carried.Entities.Any(entity => ids.Contains(entity.Id)))
                    break;
            }
            while (true);
            await SendAsync(group);
        }
    }

    private async Task SendAsync(List<Submission> group)
    {
        var entities = group.Count == 1 ? group[0].Entities : [.. group.SelectMany(submission => submission.Entities)];
        UpsertResult result;
        try
        {
            result = await _client.UpsertAsync(entities, CancellationToken.None);
        }
        catch (BrokerUnavailableException e) when (_options.WhenBrokerUnavailable == EntitySinkOptions.Throw)
        {
            foreach (var submission in group)
                submission.Done.TrySetException(e);
            return;
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException)
        {
            result = new UpsertResult([], [.. entities.Select(entity => new DeadLetteredEntity(entity.Id, e.Message))]);
        }

        var refused = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entity in result.Refused)
            refused.TryAdd(entity.EntityId, entity.Reason);
        foreach (var submission in group)
        {
            try
            {
                var deadLettered = new List<DeadLetteredEntity>();
                foreach (var entity in submission.Entities)
                {
                    if (!refused.TryGetValue(entity.Id, out var reason))
                        continue;
                    await _deadLetters.WriteAsync(new DeadLetter(submission.Source, submission.ReceivedAt, reason, submission.Original, entity), CancellationToken.None);
                    deadLettered.Add(new DeadLetteredEntity(entity.Id, reason));
                }
                submission.Done.TrySetResult(new SinkOutcome(submission.Entities.Count - deadLettered.Count, deadLettered));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                submission.Done.TrySetException(e);
            }
        }
    }

    private sealed record Submission(string Source, string Original, DateTimeOffset ReceivedAt, IReadOnlyList<AdapterEntity> Entities)
    {
        public TaskCompletionSource<SinkOutcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
