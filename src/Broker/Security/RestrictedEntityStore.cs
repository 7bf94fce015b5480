using Broker.Storage;
using Ontology.Model;

namespace Broker.Security;

/// <summary>
/// Applies the request's <see cref="AccessScope"/> to every read and write of the entity store: entities out of reach
/// are not found, queries and type discovery see only those within reach, and a change that would touch one, before or
/// after, is refused (<see cref="CommitOutcome.Forbidden"/>) while the others are committed.
/// </summary>
public sealed class RestrictedEntityStore(IEntityStore inner) : IEntityStore
{
    public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

    public Task<bool> IsReadyAsync(CancellationToken cancellationToken) => inner.IsReadyAsync(cancellationToken);

    public ValueTask<bool> TenantExistsAsync(string tenant, CancellationToken cancellationToken) => inner.TenantExistsAsync(tenant, cancellationToken);

    /// <summary>The container disposes the inner store, which it holds as a service of its own.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public async ValueTask<Entity?> GetAsync(string tenant, string id, CancellationToken cancellationToken)
    {
        var entity = await inner.GetAsync(tenant, id, cancellationToken).ConfigureAwait(false);
        return entity is null || AccessScope.Current is not { } restriction || restriction.Allows(entity) ? entity : null;
    }

    public async ValueTask<EntityForWrite> GetForWriteAsync(string tenant, string id, bool fromDatabase, CancellationToken cancellationToken)
    {
        var read = await inner.GetForWriteAsync(tenant, id, fromDatabase, cancellationToken).ConfigureAwait(false);
        return read.Entity is null || AccessScope.Current is not { } restriction || restriction.Allows(read.Entity) ? read : read with { Entity = null };
    }

    public async ValueTask<IReadOnlyDictionary<string, Entity>> GetManyAsync(string tenant, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var found = await inner.GetManyAsync(tenant, ids, cancellationToken).ConfigureAwait(false);
        if (AccessScope.Current is not { } restriction)
            return found;
        return found.Where(pair => restriction.Allows(pair.Value)).ToDictionary(StringComparer.Ordinal);
    }

    public ValueTask<EntityPage> QueryAsync(string tenant, EntityQuery query, CancellationToken cancellationToken) =>
        inner.QueryAsync(tenant, AccessScope.Current is { } restriction ? query with { Restriction = restriction } : query, cancellationToken);

    public async ValueTask<IReadOnlyList<CommitOutcome>> CommitAsync(string tenant, IReadOnlyList<EntityChange> changes, CancellationToken cancellationToken)
    {
        if (AccessScope.Current is not { } restriction)
            return await inner.CommitAsync(tenant, changes, cancellationToken).ConfigureAwait(false);
        var reaches = changes.Select(change => Allows(restriction, change)).ToArray();
        var allowed = changes.Where((_, i) => reaches[i]).ToList();
        var committed = allowed.Count == 0 ? [] : await inner.CommitAsync(tenant, allowed, cancellationToken).ConfigureAwait(false);
        var outcomes = new CommitOutcome[changes.Count];
        for (int i = 0, next = 0; i < changes.Count; i++)
            outcomes[i] = reaches[i] ? committed[next++] : CommitOutcome.Forbidden;
        return outcomes;
    }

    private static bool Allows(EntityRestriction restriction, EntityChange change) =>
        (change.Before is null || restriction.Allows(change.Before)) && (change.After is null || restriction.Allows(change.After));

    public async ValueTask<IReadOnlyList<EntityShape>> GetShapesAsync(string tenant, CancellationToken cancellationToken)
    {
        if (AccessScope.Current is not { } restriction)
            return await inner.GetShapesAsync(tenant, cancellationToken).ConfigureAwait(false);
        if (!restriction.HasIdPattern)
        {
            var shapes = await inner.GetShapesAsync(tenant, cancellationToken).ConfigureAwait(false);
            return [.. shapes.Where(shape => restriction.Allows("", shape.Types))];
        }
        // A shape has no id, so the entities within reach are read to give theirs.
        var page = await inner.QueryAsync(tenant, new EntityQuery { Restriction = restriction, Limit = int.MaxValue }, cancellationToken).ConfigureAwait(false);
        return [.. page.Entities.Select(ShapeOf)];
    }

    private static EntityShape ShapeOf(Entity entity)
    {
        var attributes = new List<(string, AttributeKind)>();
        foreach (var (name, instances) in entity.Attributes)
        {
            foreach (var instance in instances)
                attributes.Add((name, instance.Kind));
        }
        return new EntityShape(entity.Types, attributes);
    }
}
