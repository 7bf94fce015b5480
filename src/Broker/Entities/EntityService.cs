using Broker.Entities.Representation;
using Broker.Problems;
using Broker.Storage;
using Ontology.Model;

namespace Broker.Entities;

/// <summary>The outcome of append and update of attributes (UpdateResult, clause 5.2.18).</summary>
public sealed record UpdateResult(IReadOnlyList<string> Updated, IReadOnlyList<NotUpdated> NotUpdated)
{
    public bool Complete => NotUpdated.Count == 0;
}

public sealed record NotUpdated(string AttributeName, string Reason);

/// <summary>
/// Context information provision and consumption for single entities (clause 5.6 and 5.7.1). Every write reads the
/// current entity, builds the new one and commits it with the version it read; on a conflict it reads again, so
/// concurrent writers lose no updates.
/// </summary>
public sealed class EntityService(IEntityStore store, TimeProvider clock, EntityLocks locks)
{
    private const int MaxAttempts = 64;

    public IEntityStore Store => store;

    public DateTimeOffset Now() => Timestamps.Now(clock);

    public async Task<Entity> GetAsync(string tenant, string id, CancellationToken ct)
    {
        await RequireTenantAsync(tenant, ct);
        return await store.GetAsync(tenant, id, ct) ?? throw NotFound(id);
    }

    public async Task RequireTenantAsync(string tenant, CancellationToken ct)
    {
        if (!await store.TenantExistsAsync(tenant, ct))
            throw new NgsiLdException(ErrorType.NonexistentTenant, $"The tenant '{tenant}' does not exist: a tenant comes into being with its first write.");
    }

    public async Task CreateAsync(string tenant, Entity entity, CancellationToken ct)
    {
        var now = Now();
        var created = EntityMutations.Create(entity, now);
        var change = new EntityChange(ChangeKind.Create, created.Id, null, created, [.. created.Attributes.Names], now);
        var outcome = (await store.CommitAsync(tenant, [change], ct))[0];
        if (outcome == CommitOutcome.AlreadyExists)
            throw new NgsiLdException(ErrorType.AlreadyExists, $"An entity with id '{entity.Id}' already exists.");
        if (outcome == CommitOutcome.Forbidden)
            throw OutOfReach(entity.Id);
    }

    public async Task DeleteAsync(string tenant, string id, CancellationToken ct)
    {
        await RequireTenantAsync(tenant, ct);
        await MutateAsync(tenant, id, static (_, _) => (null, []), ct);
    }

    /// <summary>Replace entity (clause 5.6.18).</summary>
    public Task ReplaceAsync(string tenant, Entity replacement, CancellationToken ct) =>
        MutateAsync(tenant, replacement.Id, (current, now) => (EntityMutations.Replace(current, replacement, now, out var changed), changed), ct);

    /// <summary>Merge entity (clause 5.6.17).</summary>
    public Task MergeAsync(string tenant, string id, Entity fragment, CancellationToken ct) =>
        MutateAsync(tenant, id, (current, now) => (EntityMutations.Merge(current, fragment, now, out var changed), changed), ct);

    /// <summary>Append entity attributes (clause 5.6.3): adds attributes, overwriting unless noOverwrite.</summary>
    public Task<UpdateResult> AppendAsync(string tenant, string id, Entity fragment, bool noOverwrite, CancellationToken ct) =>
        UpsertAsync(tenant, id, fragment, noOverwrite, scopeMustExist: false, ct);

    private async Task<UpdateResult> UpsertAsync(string tenant, string id, Entity fragment, bool noOverwrite, bool scopeMustExist, CancellationToken ct)
    {
        UpdateResult result = new([], []);
        await MutateAsync(tenant, id, (current, now) =>
        {
            var next = EntityMutations.Upsert(current, fragment, noOverwrite, now, out result, scopeMustExist);
            return (next, result.Updated);
        }, ct);
        return result;
    }

    /// <summary>Update entity attributes (clause 5.6.2): each attribute instance is replaced, or added when the entity lacks it (as since NGSI-LD 1.6.1); the scope only where there is one.</summary>
    public Task<UpdateResult> UpdateAsync(string tenant, string id, Entity fragment, CancellationToken ct) =>
        UpsertAsync(tenant, id, fragment, noOverwrite: false, scopeMustExist: true, ct);

    /// <summary>Partial attribute update (clause 5.6.4): the members given replace those of the instance.</summary>
    public Task PatchAttributeAsync(string tenant, string id, string name, string? datasetId, Func<AttributeKind, AttributeInstance> readFragment, CancellationToken ct) =>
        MutateAsync(tenant, id, (current, now) =>
        {
            var existing = current.Attributes.Find(name, datasetId) ?? throw AttributeNotFound(id, name, datasetId);
            var fragment = readFragment(existing.Kind);
            var next = EntityMutations.Next(current);
            next.ModifiedAt = now;
            if (EntityReader.IsNullMarker(fragment))
            {
                EntityMutations.RemoveInstance(next.Attributes, name, fragment.DatasetId);
                return (next, [name]);
            }
            if (fragment.Kind != existing.Kind)
                throw NgsiLdException.BadRequestData($"The attribute '{name}' is a {existing.Kind.TypeName()}; a partial update cannot make it a {fragment.Kind.TypeName()}.");
            next.Attributes.Put(name, EntityMutations.MergeInstance(existing, fragment, now));
            return (next, [name]);
        }, ct);

    /// <summary>Replace attribute (clause 5.6.19).</summary>
    public Task ReplaceAttributeAsync(string tenant, string id, string name, IReadOnlyList<AttributeInstance> replacements, CancellationToken ct) =>
        MutateAsync(tenant, id, (current, now) =>
        {
            // Every instance must exist before any is replaced, so a request naming one missing instance changes nothing.
            var next = EntityMutations.Next(current);
            next.ModifiedAt = now;
            foreach (var replacement in replacements)
            {
                var existing = current.Attributes.Find(name, replacement.DatasetId) ?? throw AttributeNotFound(id, name, replacement.DatasetId);
                var copy = EntityMutations.Copy(replacement);
                EntityMutations.Stamp(copy, now, existing.CreatedAt);
                next.Attributes.Put(name, copy);
            }
            return (next, [name]);
        }, ct);

    /// <summary>Delete entity attribute (clause 5.6.5): one instance (datasetId, or the default one), or all with deleteAll.</summary>
    public Task DeleteAttributeAsync(string tenant, string id, string name, string? datasetId, bool deleteAll, CancellationToken ct) =>
        MutateAsync(tenant, id, (current, now) =>
        {
            if (name == Ontology.Model.NgsiLd.Scope)
            {
                if (current.Scopes is null)
                    throw AttributeNotFound(id, "scope", null);
                var unscoped = EntityMutations.Next(current);
                unscoped.Scopes = null;
                unscoped.ModifiedAt = now;
                return (unscoped, ["scope"]);
            }
            if (!current.Attributes.Contains(name) || (!deleteAll && current.Attributes.Find(name, datasetId) is null))
                throw AttributeNotFound(id, name, deleteAll ? null : datasetId);
            var next = EntityMutations.Next(current);
            next.ModifiedAt = now;
            if (deleteAll)
                next.Attributes.Remove(name);
            else
                EntityMutations.RemoveInstance(next.Attributes, name, datasetId);
            return (next, [name]);
        }, ct);

    /// <summary>
    /// Purge entities (clause 5.6.21): every entity the query selects is deleted, or, with <paramref name="keep"/> or
    /// <paramref name="drop"/>, loses the attributes not kept or the ones dropped. Each entity is one write like any other
    /// (a change record, notified, recorded in the history), checked again against the query when it is written, so an
    /// entity changed meanwhile is purged only if it still matches. Returns how many entities were changed.
    /// </summary>
    public async Task<int> PurgeAsync(string tenant, EntityQuery query, IReadOnlySet<string>? keep, IReadOnlySet<string>? drop, CancellationToken ct)
    {
        await RequireTenantAsync(tenant, ct);
        var ids = new List<string>();
        for (var offset = 0; ; offset += PurgePage)
        {
            var page = await store.QueryAsync(tenant, query with { Offset = offset, Limit = PurgePage, Count = false }, ct);
            ids.AddRange(page.Entities.Select(e => e.Id));
            if (page.Entities.Count < PurgePage)
                break;
        }
        var purged = 0;
        // Writes of different entities wait for the same durable commits: several at once share them.
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (id, token) =>
        {
            try
            {
                var changed = false;
                await MutateAsync(tenant, id, (current, now) =>
                {
                    if (!EntityQueryMatcher.Matches(current, query))
                        return (current, []);
                    changed = true;
                    if (keep is null && drop is null)
                        return (null, []);
                    var removed = current.Attributes.Names.Where(name => drop?.Contains(name) ?? !keep!.Contains(name)).ToList();
                    if (removed.Count == 0)
                    {
                        changed = false;
                        return (current, []);
                    }
                    var next = EntityMutations.Next(current);
                    next.ModifiedAt = now;
                    foreach (var name in removed)
                        next.Attributes.Remove(name);
                    return (next, removed);
                }, token);
                if (changed)
                    Interlocked.Increment(ref purged);
            }
            catch (NgsiLdException e) when (e.Type == ErrorType.ResourceNotFound)
            {
                // Deleted meanwhile: nothing left to purge.
            }
        });
        return purged;
    }

    private const int PurgePage = 1000;

    /// <summary>
    /// Reads the entity, applies <paramref name="mutate"/> (which returns the new entity, or null to delete it, and the
    /// changed attributes) and commits with optimistic concurrency, reading again after a conflict. An entity the store
    /// answered from its cache is checked by the commit; when it decides without one (nothing to change, an error), the
    /// decision is taken again on the entity read from the database.
    /// </summary>
    private async Task MutateAsync(string tenant, string id, Func<Entity, DateTimeOffset, (Entity? Next, IReadOnlyList<string> Changed)> mutate, CancellationToken ct)
    {
        // Writers of one entity take turns in this process; optimistic versions still guard against other broker nodes.
        using var turn = await locks.EnterAsync(tenant, id, ct);
        var fromDatabase = false;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (attempt > 0 && !fromDatabase)
                await Task.Delay(Random.Shared.Next(1, 2 << Math.Min(attempt, 7)), ct);
            var (current, cached) = await store.GetForWriteAsync(tenant, id, fromDatabase, ct);
            if (current is null)
                throw await NotFoundAsync(tenant, id, ct);
            var now = Now();
            Entity? next;
            IReadOnlyList<string> changed;
            try
            {
                (next, changed) = mutate(current, now);
            }
            catch (NgsiLdException) when (cached)
            {
                fromDatabase = true;
                continue;
            }
            if (ReferenceEquals(next, current))
            {
                if (!cached)
                    return;
                fromDatabase = true;
                continue;
            }
            fromDatabase = false;
            var change = next is null
                ? new EntityChange(ChangeKind.Delete, id, current, null, [.. current.Attributes.Names], now)
                : new EntityChange(ChangeKind.Update, id, current, next, changed, now);
            var outcome = (await store.CommitAsync(tenant, [change], ct))[0];
            switch (outcome)
            {
                case CommitOutcome.Committed:
                    return;
                case CommitOutcome.NotFound:
                    throw NotFound(id);
                case CommitOutcome.Forbidden:
                    throw OutOfReach(id);
            }
        }
        throw new NgsiLdException(ErrorType.Contended, $"The entity '{id}' changed concurrently {MaxAttempts} times while this update was applied; retry.");
    }

    private async Task<NgsiLdException> NotFoundAsync(string tenant, string id, CancellationToken ct) =>
        await store.TenantExistsAsync(tenant, ct)
            ? NotFound(id)
            : new NgsiLdException(ErrorType.NonexistentTenant, $"The tenant '{tenant}' does not exist.");

    public static NgsiLdException NotFound(string id) => NgsiLdException.NotFound($"No entity with id '{id}' exists.");

    /// <summary>A write the client's role does not reach: the entity's id or type is outside the role's restriction.</summary>
    public static NgsiLdException OutOfReach(string id) =>
        new(ErrorType.Forbidden, $"The client's role may not write the entity '{id}' with these types: its restriction (Security:Roles) does not reach it.");

    private static NgsiLdException AttributeNotFound(string id, string name, string? datasetId) =>
        NgsiLdException.NotFound(datasetId is null
            ? $"The entity '{id}' has no attribute '{name}'."
            : $"The entity '{id}' has no instance of attribute '{name}' with datasetId '{datasetId}'.");
}
