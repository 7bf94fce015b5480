using Broker.Entities;
using Broker.Entities.Representation;
using Broker.Problems;
using Broker.Storage;
using Ontology.Model;

namespace Broker.Temporal;

/// <summary>One page of entity histories and, when asked, how many entities matched in all.</summary>
public sealed record TemporalPage(IReadOnlyList<EntityHistory> Entities, long? TotalCount);

/// <summary>
/// The temporal API's operations (clauses 5.6.11–5.6.16, 5.7.3, 5.7.4). Queries first wait for the history to hold every
/// write acknowledged before them (<see cref="TemporalProjector.CatchUpAsync"/>); entities are selected by their recorded
/// state with the one evaluator (<see cref="EntityQueryMatcher"/>), then their instances are read.
/// </summary>
public sealed class TemporalService(ITemporalStore store, TemporalProjector projector, EntityService entities, TimeProvider clock)
{
    public ITemporalStore Store => store;

    /// <summary>
    /// The entities the query selects that have instances it selects (an entity without any in the time range is not part
    /// of the result), paged in id order or in the query's orderBy over their latest recorded states.
    /// </summary>
    public async Task<TemporalPage> QueryAsync(string tenant, TemporalQuery query, CancellationToken ct)
    {
        await entities.RequireTenantAsync(tenant, ct);
        await projector.CatchUpAsync(ct);
        var states = await store.LatestAsync(tenant, query, ct);
        var selection = query.Entities;
        var matchingStates = new List<Entity>();
        foreach (var state in states)
        {
            // attrs selects instances, not states: an entity whose attribute is gone still has its history.
            if (EntityQueryMatcher.Matches(state, selection with { Attrs = null }))
                matchingStates.Add(state);
        }
        if (query.Order is { } order)
            matchingStates = new Query.Evaluation.OrderEvaluator(order).Sort(matchingStates);
        var matching = matchingStates.ConvertAll(state => state.Id);
        var page = new List<EntityHistory>();
        long total = 0;
        var chunkSize = query.Aggregation is null ? HistoryChunk : AggregationChunk;
        for (var start = 0; start < matching.Count; start += chunkSize)
        {
            var chunk = matching.GetRange(start, Math.Min(chunkSize, matching.Count - start));
            foreach (var history in await store.HistoriesAsync(tenant, chunk, query, ct))
            {
                var selected = WithDatasets(history, query.DatasetIds);
                if (!HasValues(selected))
                    continue;
                if (total >= selection.Offset && page.Count < selection.Limit)
                    page.Add(selected);
                total++;
            }
            if (!selection.Count && page.Count >= selection.Limit)
                break;
        }
        return new TemporalPage(page, selection.Count ? total : null);
    }

    /// <summary>Entities whose histories one store call reads.</summary>
    private const int HistoryChunk = 100;

    /// <summary>
    /// Entities whose aggregated values one store call computes: aggregates are small, and a store aggregates many
    /// entities in one pass over their instances (PostgreSQL in one statement) faster than a few at a time.
    /// </summary>
    private const int AggregationChunk = 1000;

    /// <summary>The temporal evolution of one entity (clause 5.7.3); an entity without any instance of the attributes asked for is not found.</summary>
    public async Task<EntityHistory> RetrieveAsync(string tenant, string id, TemporalQuery query, CancellationToken ct)
    {
        await entities.RequireTenantAsync(tenant, ct);
        await projector.CatchUpAsync(ct);
        var histories = await store.HistoriesAsync(tenant, [id], query, ct);
        if (histories.Count == 0)
            throw NotFound(id);
        var history = WithDatasets(histories[0], query.DatasetIds);
        if (query.Entities.Attrs is not null && !HasValues(history))
            throw NgsiLdException.NotFound($"The temporal representation of '{id}' has none of the requested attributes in the time range.");
        return history;
    }

    private static EntityHistory WithDatasets(EntityHistory history, IReadOnlySet<string>? datasetIds)
    {
        if (datasetIds is null)
            return history;
        bool Keeps(string? datasetId) => datasetIds.Contains(datasetId ?? "@none");
        return history with
        {
            Attributes = [.. history.Attributes.Select(a => a with
            {
                Instances = [.. a.Instances.Where(i => Keeps(i.Instance.DatasetId))],
                Aggregates = a.Aggregates is null ? null : [.. a.Aggregates.Where(s => Keeps(s.DatasetId))],
            })],
        };
    }

    private static bool HasValues(EntityHistory history) =>
        history.Attributes.Any(a => a.Instances.Count > 0 || a.Aggregates is { Count: > 0 });

    /// <summary>
    /// Create or update the temporal representation of an entity (clause 5.6.11): its instances join the history; true when
    /// the history did not exist. See <see cref="ProvideAsync"/>.
    /// </summary>
    public async Task<bool> CreateOrUpdateAsync(string tenant, Entity given, IReadOnlyList<(string Name, AttributeInstance Instance)> instances, CancellationToken ct)
    {
        await projector.CatchUpAsync(ct);
        var existing = await store.GetEntityAsync(tenant, given.Id, ct);
        await ProvideAsync(tenant, given, existing, instances, ct);
        return existing is null;
    }

    /// <summary>Add attributes to the temporal representation of an entity (clause 5.6.12).</summary>
    public async Task AddAttributesAsync(string tenant, string id, Entity fragment, IReadOnlyList<(string Name, AttributeInstance Instance)> instances, CancellationToken ct)
    {
        await projector.CatchUpAsync(ct);
        var existing = await store.GetEntityAsync(tenant, id, ct) ?? throw NotFound(id);
        await ProvideAsync(tenant, fragment, existing, instances, ct);
    }

    /// <summary>
    /// The entity and its history are one: the newest given instance of each attribute and datasetId that is newer than
    /// the entity's own (by observedAt) becomes the entity's value, through the entity service (so it is a change like any
    /// other: recorded from the change feed, notified to subscribers); every other given instance is an older observation,
    /// written to the history directly. An instance whose attribute, datasetId and observedAt the history already holds
    /// replaces that one (the same observation given again).
    /// </summary>
    private async Task ProvideAsync(string tenant, Entity given, TemporalEntity? existing, IReadOnlyList<(string Name, AttributeInstance Instance)> instances, CancellationToken ct)
    {
        var id = given.Id;
        var current = await entities.Store.GetAsync(tenant, id, ct);
        var newest = new Dictionary<(string, string?), AttributeInstance>();
        foreach (var (name, instance) in instances)
        {
            var key = (name, instance.DatasetId);
            if (!newest.TryGetValue(key, out var found) || Instant(instance) >= Instant(found))
                newest[key] = instance;
        }
        var fragment = new Entity { Id = id, Types = given.Types.Count > 0 ? given.Types : [.. existing?.Types ?? []], Scopes = given.Scopes };
        var older = new List<(string Name, AttributeInstance Instance)>();
        var reobserved = new List<(string Name, string? DatasetId, DateTimeOffset ObservedAt)>();
        foreach (var (name, instance) in instances)
        {
            var own = current?.Attributes.Find(name, instance.DatasetId);
            if (ReferenceEquals(newest[(name, instance.DatasetId)], instance) && (own is null || Instant(own) <= Instant(instance)))
            {
                fragment.Attributes.Put(name, instance);
                if (own is not null && TemporalRows.ObservedAt(instance) is { } observed && TemporalRows.ObservedAt(own) == observed)
                    reobserved.Add((name, instance.DatasetId, observed));
            }
            else
            {
                older.Add((name, instance));
            }
        }
        if (current is null)
        {
            if (fragment.Types.Count == 0)
                throw NgsiLdException.BadRequestData($"The temporal representation of '{id}' needs a type.");
            try
            {
                await entities.CreateAsync(tenant, fragment, ct);
            }
            catch (NgsiLdException e) when (e.Type == ErrorType.AlreadyExists)
            {
                await entities.AppendAsync(tenant, id, fragment, noOverwrite: false, ct);
            }
        }
        else if (fragment.Attributes.Count > 0 || fragment.Types.Any(t => !current.Types.Contains(t)) || fragment.Scopes is not null)
        {
            await entities.AppendAsync(tenant, id, fragment, noOverwrite: false, ct);
        }
        if (older.Count == 0 && reobserved.Count == 0)
            return;
        // The entity write above is recorded first, so the history's record of the entity is there to add to.
        await projector.CatchUpAsync(ct);
        foreach (var (name, datasetId, observedAt) in reobserved)
            await KeepLatestObservationAsync(tenant, id, name, datasetId, observedAt, ct);
        if (older.Count == 0)
            return;
        var now = Timestamps.Now(clock);
        var recorded = new List<TemporalInstance>(older.Count);
        foreach (var (name, instance) in older)
        {
            instance.CreatedAt = instance.ModifiedAt = now;
            recorded.Add(new TemporalInstance(name, TemporalInstance.NewInstanceId(), instance));
        }
        var record = await store.GetEntityAsync(tenant, id, ct);
        var states = await store.LatestAsync(tenant, new TemporalQuery { Entities = new EntityQuery { Ids = [id] } }, ct);
        var state = states.FirstOrDefault(s => s.Id == id) ?? current ?? new Entity { Id = id, Types = fragment.Types };
        var types = record?.Types is { } recordedTypes ? [.. recordedTypes.Union(fragment.Types)] : fragment.Types;
        var entity = new TemporalEntity(id, types, state.Scopes, record?.CreatedAt ?? now, record?.ModifiedAt ?? now, record?.DeletedAt);
        await store.WriteAsync(tenant, [new TemporalWrite(entity, recorded, state)], ct);
    }

    /// <summary>
    /// An instance given with the observedAt of the entity's value replaced the entity's value; in the history the new
    /// instance replaces the one observed then (if the history still holds it).
    /// </summary>
    private async Task KeepLatestObservationAsync(string tenant, string id, string name, string? datasetId, DateTimeOffset observedAt, CancellationToken ct)
    {
        var query = new TemporalQuery
        {
            Entities = new EntityQuery { Ids = [id], Attrs = [name] },
            Time = new TimeFilter(TimeProperty.ObservedAt, TimeRelation.Between, observedAt, observedAt.AddTicks(10)),
            InstanceLimit = int.MaxValue,
        };
        var histories = await store.HistoriesAsync(tenant, [id], query, ct);
        var observations = histories.SelectMany(h => h.Attributes).Where(a => a.Name == name).SelectMany(a => a.Instances)
            .Where(i => i.DeletedAt is null && i.Instance.DatasetId == datasetId)
            .OrderBy(i => i.Instance.ModifiedAt).ToList();
        foreach (var replaced in observations.SkipLast(1))
            await store.DeleteInstanceAsync(tenant, id, name, replaced.InstanceId, ct);
    }

    private static DateTimeOffset Instant(AttributeInstance instance) => TemporalRows.ObservedAt(instance) ?? DateTimeOffset.MinValue;

    public async Task DeleteEntityAsync(string tenant, string id, CancellationToken ct)
    {
        await projector.CatchUpAsync(ct);
        if (!await store.DeleteEntityAsync(tenant, id, ct))
            throw NotFound(id);
    }

    public async Task DeleteAttributeAsync(string tenant, string id, string attribute, string displayName, string? datasetId, bool deleteAll, CancellationToken ct)
    {
        await projector.CatchUpAsync(ct);
        _ = await store.GetEntityAsync(tenant, id, ct) ?? throw NotFound(id);
        if (await store.DeleteAttributeAsync(tenant, id, attribute, datasetId, deleteAll, ct) == 0)
            throw NgsiLdException.NotFound($"The temporal representation of '{id}' has no attribute '{displayName}'"
                + (deleteAll ? "." : datasetId is null ? " without datasetId." : $" with datasetId '{datasetId}'."));
    }

    public async Task ReplaceInstanceAsync(string tenant, string id, string attribute, string instanceId, AttributeInstance instance, CancellationToken ct)
    {
        await projector.CatchUpAsync(ct);
        _ = await store.GetEntityAsync(tenant, id, ct) ?? throw NotFound(id);
        instance.ModifiedAt = Timestamps.Now(clock);
        if (!await store.ReplaceInstanceAsync(tenant, id, attribute, instanceId, instance, ct))
            throw NgsiLdException.NotFound($"The attribute has no instance '{instanceId}' in the temporal representation of '{id}'.");
    }

    public async Task DeleteInstanceAsync(string tenant, string id, string attribute, string instanceId, CancellationToken ct)
    {
        await projector.CatchUpAsync(ct);
        _ = await store.GetEntityAsync(tenant, id, ct) ?? throw NotFound(id);
        if (!await store.DeleteInstanceAsync(tenant, id, attribute, instanceId, ct))
            throw NgsiLdException.NotFound($"The attribute has no instance '{instanceId}' in the temporal representation of '{id}'.");
    }

    private static NgsiLdException NotFound(string id) => NgsiLdException.NotFound($"There is no temporal representation of the entity '{id}'.");
}
