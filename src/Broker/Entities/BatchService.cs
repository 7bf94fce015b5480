using Broker.Entities.Representation;
using Broker.Problems;
using Broker.Storage;
using Ontology.Model;

namespace Broker.Entities;

public enum BatchOperation
{
    Create,
    Upsert,
    UpsertUpdate,
    Update,
    UpdateNoOverwrite,
    Merge,
    Delete,
}

/// <summary>One element of a batch: a parsed entity (or, for delete, just its id), or the error that made it invalid.</summary>
public sealed record BatchItem(string? EntityId, Entity? Entity, NgsiLdException? Error);

/// <summary>An element that failed; <see cref="RegistrationId"/> names the registration whose context source failed it, in a distributed batch.</summary>
public sealed record BatchError(string? EntityId, NgsiLdException Error, string? RegistrationId = null);

/// <summary>The outcome of a batch (BatchOperationResult, clause 5.2.16); <see cref="Created"/> lists the ids an upsert created.</summary>
public sealed record BatchResult(IReadOnlyList<string> Success, IReadOnlyList<BatchError> Errors, IReadOnlyList<string> Created);

/// <summary>
/// Batch entity operations (clause 5.6.7–5.6.10, 5.6.20). Every valid element is applied with the same meaning as
/// the single-entity operation; all of them are committed in one durable transaction. Invalid elements are
/// reported and never block the valid ones. Elements with the same id are applied in order.
/// </summary>
public sealed class BatchService(IEntityStore store, TimeProvider clock)
{
    private const int MaxAttempts = 16;

    public async Task<BatchResult> ExecuteAsync(string tenant, BatchOperation operation, IReadOnlyList<BatchItem> items, CancellationToken ct)
    {
        var errors = new List<BatchError>();
        var byId = new Dictionary<string, List<BatchItem>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var item in items)
        {
            if (item.Error is not null || item.EntityId is null)
            {
                errors.Add(new BatchError(item.EntityId, item.Error ?? NgsiLdException.BadRequestData("The element has no entity id.")));
                continue;
            }
            if (!byId.TryGetValue(item.EntityId, out var list))
            {
                byId[item.EntityId] = list = [];
                order.Add(item.EntityId);
            }
            list.Add(item);
        }
        var needsExisting = operation is BatchOperation.Delete or BatchOperation.Update or BatchOperation.UpdateNoOverwrite or BatchOperation.Merge;
        if (needsExisting && order.Count > 0 && !await store.TenantExistsAsync(tenant, ct))
        {
            foreach (var id in order)
                errors.Add(new BatchError(id, new NgsiLdException(ErrorType.NonexistentTenant, $"The tenant '{tenant}' does not exist.")));
            return new BatchResult([], errors, []);
        }

        var success = new List<string>();
        var created = new List<string>();
        var pending = order;
        for (var attempt = 0; attempt < MaxAttempts && pending.Count > 0; attempt++)
        {
            if (attempt > 0)
                await Task.Delay(Random.Shared.Next(1, 2 << Math.Min(attempt, 7)), ct);
            var now = Timestamps.Now(clock);
            var changes = new List<EntityChange>(pending.Count);
            var changeIds = new List<string>(pending.Count);
            var currents = await store.GetManyAsync(tenant, pending, ct);
            foreach (var id in pending)
            {
                var current = currents.GetValueOrDefault(id);
                var itemErrors = new List<BatchError>();
                var change = Plan(operation, id, current, byId[id], now, itemErrors);
                if (attempt == 0)
                    errors.AddRange(itemErrors);
                if (change is null)
                {
                    if (itemErrors.Count < byId[id].Count)
                        success.Add(id);
                    continue;
                }
                changes.Add(change);
                changeIds.Add(id);
            }
            var outcomes = await store.CommitAsync(tenant, changes, ct);
            var retry = new List<string>();
            for (var i = 0; i < changes.Count; i++)
            {
                var id = changeIds[i];
                switch (outcomes[i])
                {
                    case CommitOutcome.Committed:
                        success.Add(id);
                        if (changes[i].Kind == ChangeKind.Create)
                            created.Add(id);
                        break;
                    case CommitOutcome.AlreadyExists when operation == BatchOperation.Create:
                        errors.Add(new BatchError(id, AlreadyExists(id)));
                        break;
                    case CommitOutcome.Forbidden:
                        errors.Add(new BatchError(id, EntityService.OutOfReach(id)));
                        break;
                    case CommitOutcome.NotFound when operation is BatchOperation.Delete or BatchOperation.Update or BatchOperation.UpdateNoOverwrite or BatchOperation.Merge:
                        errors.Add(new BatchError(id, EntityService.NotFound(id)));
                        break;
                    default:
                        retry.Add(id);
                        break;
                }
            }
            pending = retry;
        }
        foreach (var id in pending)
            errors.Add(new BatchError(id, new NgsiLdException(ErrorType.Contended, $"The entity '{id}' kept changing concurrently; retry.")));
        return new BatchResult(success, errors, created);
    }

    /// <summary>Applies every element for one id, in order, to the entity as it is now; null when nothing changes.</summary>
    private static EntityChange? Plan(BatchOperation operation, string id, Entity? current, List<BatchItem> items, DateTimeOffset now, List<BatchError> errors)
    {
        var state = current;
        var changed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            try
            {
                state = Apply(operation, id, state, item.Entity, now, changed, errors);
            }
            catch (NgsiLdException e)
            {
                errors.Add(new BatchError(id, e));
            }
        }
        if (ReferenceEquals(state, current))
            return null;
        if (current is null)
            return new EntityChange(ChangeKind.Create, id, null, state, [.. state!.Attributes.Names], now);
        return state is null
            ? new EntityChange(ChangeKind.Delete, id, current, null, [.. changed], now)
            : new EntityChange(ChangeKind.Update, id, current, state, [.. changed], now);
    }

    private static Entity? Apply(BatchOperation operation, string id, Entity? state, Entity? entity, DateTimeOffset now, HashSet<string> changed, List<BatchError> errors)
    {
        {
            switch (operation)
            {
                case BatchOperation.Create:
                    if (state is not null)
                        throw AlreadyExists(id);
                    state = EntityMutations.Create(entity!, now);
                    break;
                case BatchOperation.Upsert or BatchOperation.UpsertUpdate when state is null:
                    state = EntityMutations.Create(entity!, now);
                    break;
                case BatchOperation.Upsert:
                    state = EntityMutations.Replace(state!, entity!, now, out var replaced);
                    changed.UnionWith(replaced);
                    break;
                case BatchOperation.UpsertUpdate:
                    state = EntityMutations.Upsert(state!, entity!, noOverwrite: false, now, out var upserted);
                    changed.UnionWith(upserted.Updated);
                    break;
                case BatchOperation.Update or BatchOperation.UpdateNoOverwrite:
                    if (state is null)
                        throw EntityService.NotFound(id);
                    state = EntityMutations.Upsert(state, entity!, operation == BatchOperation.UpdateNoOverwrite, now, out var updated);
                    changed.UnionWith(updated.Updated);
                    if (updated.NotUpdated.Count > 0)
                    {
                        var names = string.Join(", ", updated.NotUpdated.Select(n => n.AttributeName));
                        errors.Add(new BatchError(id, NgsiLdException.BadRequestData($"Not updated because they exist and noOverwrite was given: {names}.")));
                    }
                    break;
                case BatchOperation.Merge:
                    if (state is null)
                        throw EntityService.NotFound(id);
                    state = EntityMutations.Merge(state, entity!, now, out var merged);
                    changed.UnionWith(merged);
                    break;
                case BatchOperation.Delete:
                    if (state is null)
                        throw EntityService.NotFound(id);
                    changed.UnionWith(state.Attributes.Names);
                    state = null;
                    break;
            }
        }
        return state;
    }

    private static NgsiLdException AlreadyExists(string id) => new(ErrorType.AlreadyExists, $"An entity with id '{id}' already exists.");
}
