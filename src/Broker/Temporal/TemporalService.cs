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
public sealed class TemporalService(ITemporalStore store, TemporalProjector projector, TimeProvider clock)
{
    public ITemporalStore Store => store;

    public async Task<TemporalPage> QueryAsync(string tenant, TemporalQuery query, CancellationToken ct)
    {
        await projector.CatchUpAsync(ct);
        var states = await store.LatestAsync(tenant, query, ct);
        var selection = query.Entities;
        var matching = new List<string>();
        foreach (var state in states)
        {
            if (EntityQueryMatcher.Matches(state, selection))
                matching.Add(state.Id);
        }
        var ids = matching.Skip(selection.Offset).Take(selection.Limit).ToList();
        var histories = ids.Count == 0 ? [] : await store.HistoriesAsync(tenant, ids, query, ct);
        return new TemporalPage(histories, selection.Count ? matching.Count : null);
    }

    public async Task<EntityHistory> RetrieveAsync(string tenant, string id, TemporalQuery query, CancellationToken ct)
    {
        await projector.CatchUpAsync(ct);
        var histories = await store.HistoriesAsync(tenant, [id], query, ct);
        return histories.Count > 0 ? histories[0] : throw NotFound(id);
    }

    /// <summary>
    /// Create or update the temporal representation of an entity (clause 5.6.11): the instances are added to its history;
    /// true when the history did not exist. Every instance gets an instanceId, and createdAt and modifiedAt now.
    /// </summary>
    public async Task<bool> CreateOrUpdateAsync(string tenant, Entity entity, IReadOnlyList<(string Name, AttributeInstance Instance)> instances, CancellationToken ct)
    {
        await projector.CatchUpAsync(ct);
        var existing = await store.GetEntityAsync(tenant, entity.Id, ct);
        await WriteAsync(tenant, entity.Id, existing, entity, instances, ct);
        return existing is null;
    }

    /// <summary>Add attributes to the temporal representation of an entity (clause 5.6.12).</summary>
    public async Task AddAttributesAsync(string tenant, string id, Entity fragment, IReadOnlyList<(string Name, AttributeInstance Instance)> instances, CancellationToken ct)
    {
        await projector.CatchUpAsync(ct);
        var existing = await store.GetEntityAsync(tenant, id, ct) ?? throw NotFound(id);
        await WriteAsync(tenant, id, existing, fragment, instances, ct);
    }

    private async Task WriteAsync(string tenant, string id, TemporalEntity? existing, Entity given, IReadOnlyList<(string Name, AttributeInstance Instance)> instances, CancellationToken ct)
    {
        var now = Timestamps.Now(clock);
        var recorded = new List<TemporalInstance>(instances.Count);
        foreach (var (name, instance) in instances)
        {
            instance.CreatedAt = instance.ModifiedAt = now;
            recorded.Add(new TemporalInstance(name, TemporalInstance.NewInstanceId(), instance));
        }
        var types = new List<string>(existing?.Types ?? []);
        foreach (var type in given.Types)
        {
            if (!types.Contains(type))
                types.Add(type);
        }
        var state = await StateAfterAsync(tenant, id, existing, recorded, ct);
        state.Types = types;
        state.Scopes = given.Scopes ?? (existing?.Scopes is { } scopes ? [.. scopes] : null);
        var record = new TemporalEntity(id, types, state.Scopes, existing?.CreatedAt ?? now, now, DeletedAt: null);
        state.CreatedAt = record.CreatedAt;
        state.ModifiedAt = now;
        await store.WriteAsync(tenant, [new TemporalWrite(record, recorded, state)], ct);
    }

    /// <summary>The recorded state with the new instances: per attribute and datasetId the instance with the latest instant.</summary>
    private async Task<Entity> StateAfterAsync(string tenant, string id, TemporalEntity? existing, IReadOnlyList<TemporalInstance> added, CancellationToken ct)
    {
        Entity state;
        if (existing is null)
        {
            state = new Entity { Id = id };
        }
        else
        {
            var states = await store.LatestAsync(tenant, new TemporalQuery { Entities = new EntityQuery { Ids = [id] } }, ct);
            state = states.FirstOrDefault(s => s.Id == id)?.DeepClone() ?? new Entity { Id = id };
        }
        foreach (var instance in added)
        {
            var current = state.Attributes.Find(instance.Attribute, instance.Instance.DatasetId);
            if (current is null || TemporalRows.InstantOf(new TemporalInstance(instance.Attribute, "", current)) <= TemporalRows.InstantOf(instance))
                state.Attributes.Put(instance.Attribute, instance.Instance);
        }
        return state;
    }

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
