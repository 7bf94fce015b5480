using Broker.Problems;
using Broker.Storage;
using Broker.Temporal;
using Ontology.Model;

namespace Broker.Security;

/// <summary>
/// Applies the request's <see cref="AccessScope"/> to the temporal store: histories of entities out of reach are not
/// found and cannot be changed. Projection and maintenance run for every entity, whichever request waits for them.
/// </summary>
public sealed class RestrictedTemporalStore(ITemporalStore inner) : ITemporalStore
{
    public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

    /// <summary>The container disposes the inner store, which it holds as a service of its own.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public ValueTask<ChangeFeedPosition?> PositionAsync(CancellationToken cancellationToken) => inner.PositionAsync(cancellationToken);

    public ValueTask<bool> ProjectAsync(ChangeFeedPosition? from, ChangeFeedPosition to, IReadOnlyList<(string Tenant, TemporalWrite Write)> writes, CancellationToken cancellationToken) =>
        inner.ProjectAsync(from, to, writes, cancellationToken);

    public ValueTask<long> DropBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken) => inner.DropBeforeAsync(cutoff, cancellationToken);

    public ValueTask MaintainAsync(DateTimeOffset now, CancellationToken cancellationToken) => inner.MaintainAsync(now, cancellationToken);

    public ValueTask WriteAsync(string tenant, IReadOnlyList<TemporalWrite> writes, CancellationToken cancellationToken)
    {
        if (AccessScope.Current is { } restriction && writes.FirstOrDefault(w => !restriction.Allows(w.Entity.Id, w.Entity.Types)) is { } refused)
            throw new NgsiLdException(ErrorType.Forbidden, $"The client's role does not reach the entity '{refused.Entity.Id}'.");
        return inner.WriteAsync(tenant, writes, cancellationToken);
    }

    public async ValueTask<TemporalEntity?> GetEntityAsync(string tenant, string id, CancellationToken cancellationToken)
    {
        var entity = await inner.GetEntityAsync(tenant, id, cancellationToken).ConfigureAwait(false);
        return entity is null || AccessScope.Current is not { } restriction || restriction.Allows(entity.Id, entity.Types) ? entity : null;
    }

    public async ValueTask<IReadOnlyList<Entity>> LatestAsync(string tenant, TemporalQuery query, CancellationToken cancellationToken)
    {
        var states = await inner.LatestAsync(tenant, query, cancellationToken).ConfigureAwait(false);
        return AccessScope.Current is { } restriction ? [.. states.Where(restriction.Allows)] : states;
    }

    public async ValueTask<IReadOnlyList<EntityHistory>> HistoriesAsync(string tenant, IReadOnlyList<string> ids, TemporalQuery query, CancellationToken cancellationToken)
    {
        var histories = await inner.HistoriesAsync(tenant, ids, query, cancellationToken).ConfigureAwait(false);
        return AccessScope.Current is { } restriction ? [.. histories.Where(h => restriction.Allows(h.Entity.Id, h.Entity.Types))] : histories;
    }

    public async ValueTask<bool> DeleteEntityAsync(string tenant, string id, CancellationToken cancellationToken) =>
        await ReachesAsync(tenant, id, cancellationToken).ConfigureAwait(false) && await inner.DeleteEntityAsync(tenant, id, cancellationToken).ConfigureAwait(false);

    public async ValueTask<int> DeleteAttributeAsync(string tenant, string id, string attribute, string? datasetId, bool deleteAll, CancellationToken cancellationToken) =>
        await ReachesAsync(tenant, id, cancellationToken).ConfigureAwait(false)
            ? await inner.DeleteAttributeAsync(tenant, id, attribute, datasetId, deleteAll, cancellationToken).ConfigureAwait(false)
            : 0;

    public async ValueTask<bool> ReplaceInstanceAsync(string tenant, string id, string attribute, string instanceId, AttributeInstance instance, CancellationToken cancellationToken) =>
        await ReachesAsync(tenant, id, cancellationToken).ConfigureAwait(false)
            && await inner.ReplaceInstanceAsync(tenant, id, attribute, instanceId, instance, cancellationToken).ConfigureAwait(false);

    public async ValueTask<bool> DeleteInstanceAsync(string tenant, string id, string attribute, string instanceId, CancellationToken cancellationToken) =>
        await ReachesAsync(tenant, id, cancellationToken).ConfigureAwait(false)
            && await inner.DeleteInstanceAsync(tenant, id, attribute, instanceId, cancellationToken).ConfigureAwait(false);

    private async ValueTask<bool> ReachesAsync(string tenant, string id, CancellationToken cancellationToken) =>
        AccessScope.Current is null || await GetEntityAsync(tenant, id, cancellationToken).ConfigureAwait(false) is not null;
}
