using Broker.Temporal;
using Ontology.Model;

namespace Broker.Storage;

/// <summary>
/// The history of every attribute (the temporal API, clauses 5.5.x–5.7.x temporal): the store's record of each entity
/// and its attribute instances. Entities and names are expanded; tenants validated by the API. Filled from the change
/// feed by <see cref="TemporalProjector"/> (its position is kept with what it wrote, so nothing is recorded twice or
/// missed) and by the temporal provision operations directly.
/// </summary>
public interface ITemporalStore : IAsyncDisposable
{
    /// <summary>Creates or migrates the schema.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>The feed position up to which changes are recorded; null before the first projection.</summary>
    ValueTask<ChangeFeedPosition?> PositionAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Records what the changes between two feed positions made, in one transaction that also moves the position from
    /// <paramref name="from"/> to <paramref name="to"/>. Returns false, writing nothing, when the position is no longer
    /// <paramref name="from"/> (another node recorded them).
    /// </summary>
    ValueTask<bool> ProjectAsync(ChangeFeedPosition? from, ChangeFeedPosition to, IReadOnlyList<(string Tenant, TemporalWrite Write)> writes, CancellationToken cancellationToken);

    /// <summary>Records writes of the temporal provision operations (create or update a temporal representation, add instances).</summary>
    ValueTask WriteAsync(string tenant, IReadOnlyList<TemporalWrite> writes, CancellationToken cancellationToken);

    /// <summary>The record of one entity, or null when the store has no history of it.</summary>
    ValueTask<TemporalEntity?> GetEntityAsync(string tenant, string id, CancellationToken cancellationToken);

    /// <summary>
    /// The recorded states (<see cref="TemporalWrite.State"/>) of the tenant's entities, ordered by id, or of a superset
    /// of those the query's entity selection matches: the caller filters them with <see cref="EntityQueryMatcher"/>
    /// (limit and offset are the caller's too). A store pushes down what it can (ids, type).
    /// </summary>
    ValueTask<IReadOnlyList<Entity>> LatestAsync(string tenant, TemporalQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// The instances of these entities that the query selects (attrs, time filter, lastN, at most InstanceLimit per
    /// attribute), or with an aggregation the aggregated values, per entity in the order of <paramref name="ids"/>.
    /// </summary>
    ValueTask<IReadOnlyList<EntityHistory>> HistoriesAsync(string tenant, IReadOnlyList<string> ids, TemporalQuery query, CancellationToken cancellationToken);

    /// <summary>Deletes the history of an entity (its record and every instance); false when there was none.</summary>
    ValueTask<bool> DeleteEntityAsync(string tenant, string id, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the instances of an attribute: of the default instance (datasetId null), of one datasetId, or of every
    /// datasetId when <paramref name="deleteAll"/>. Returns how many were deleted.
    /// </summary>
    ValueTask<int> DeleteAttributeAsync(string tenant, string id, string attribute, string? datasetId, bool deleteAll, CancellationToken cancellationToken);

    /// <summary>Replaces the value of one instance (clause 5.6.15), keeping its id and createdAt; false when it does not exist.</summary>
    ValueTask<bool> ReplaceInstanceAsync(string tenant, string id, string attribute, string instanceId, AttributeInstance instance, CancellationToken cancellationToken);

    /// <summary>Deletes one instance (clause 5.6.16); false when it does not exist.</summary>
    ValueTask<bool> DeleteInstanceAsync(string tenant, string id, string attribute, string instanceId, CancellationToken cancellationToken);

    /// <summary>
    /// Drops the instances recorded before <paramref name="cutoff"/> (by their instant: observedAt, else modifiedAt),
    /// the retention period (GDPR data minimisation). PostgreSQL drops whole partitions. Returns how many rows went, when known.
    /// </summary>
    ValueTask<long> DropBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken);

    /// <summary>Housekeeping due at <paramref name="now"/>: PostgreSQL creates the partitions of the coming periods ahead of time.</summary>
    ValueTask MaintainAsync(DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>One entity's history as a query selected it: its record, and per attribute either instances or aggregates.</summary>
public sealed record EntityHistory(TemporalEntity Entity, IReadOnlyList<AttributeHistory> Attributes);

/// <summary>
/// The selected instances of one attribute (all its datasetIds), in ascending order of the time property, or its aggregated
/// values per datasetId. <see cref="Truncated"/>: more instances matched than the instance limit allowed. <see cref="Kind"/>:
/// the attribute's kind (that of its latest selected instance), which aggregates show.
/// </summary>
public sealed record AttributeHistory(string Name, IReadOnlyList<TemporalInstance> Instances, bool Truncated = false, IReadOnlyList<AggregatedSeries>? Aggregates = null)
{
    public Ontology.Model.AttributeKind? Kind { get; init; }
}

/// <summary>The aggregated values of one attribute instance series (one datasetId) for one method: one per period.</summary>
public sealed record AggregatedSeries(string? DatasetId, AggregationMethod Method, IReadOnlyList<AggregatedValue> Values);

/// <summary>One period's aggregate: the value (null when no instance in the period has a value it applies to), and the period.</summary>
public sealed record AggregatedValue(System.Text.Json.Nodes.JsonNode? Value, DateTimeOffset StartAt, DateTimeOffset EndAt);
