using Broker.Storage;
using Ontology.Model;

namespace Broker.Temporal;

/// <summary>
/// One recorded instance of an attribute in an entity's history (clause 4.5.6–4.5.8): the attribute as it was after a
/// change, with the id the history gives it. A deletion is recorded as an instance with <see cref="DeletedAt"/>, whose
/// <see cref="AttributeInstance"/> is the instance that was deleted (its kind and datasetId, the value it had).
/// </summary>
public sealed record TemporalInstance(string Attribute, string InstanceId, AttributeInstance Instance, DateTimeOffset? DeletedAt = null)
{
    private DateTimeOffset? _observedAt;
    private bool _observedAtKnown;

    /// <summary>observedAt as an instant (parsed once; a store that keeps it as a column sets it).</summary>
    public DateTimeOffset? ObservedInstant
    {
        get
        {
            if (!_observedAtKnown)
            {
                _observedAt = Instance.ObservedAt is { } observed && Entities.Representation.Timestamps.TryParse(observed, out var at) ? at : null;
                _observedAtKnown = true;
            }
            return _observedAt;
        }
        init
        {
            _observedAt = value;
            _observedAtKnown = true;
        }
    }

    /// <summary>The instant this instance has for a time property; null when it has none (an instance without observedAt).</summary>
    public DateTimeOffset? TimeOf(TimeProperty property) => property switch
    {
        TimeProperty.ObservedAt => ObservedInstant,
        TimeProperty.CreatedAt => Instance.CreatedAt,
        TimeProperty.ModifiedAt => Instance.ModifiedAt,
        TimeProperty.DeletedAt => DeletedAt,
        _ => null,
    };

    /// <summary>A new instance id (clause 4.5.7: a URI the broker assigns to each instance).</summary>
    public static string NewInstanceId() => "urn:ngsi-ld:attribute:instance:" + Guid.CreateVersion7().ToString("D");
}

/// <summary>What a history keeps of the entity itself: its types and scopes as last recorded, when it was created, last changed, deleted.</summary>
public sealed record TemporalEntity(string Id, IReadOnlyList<string> Types, IReadOnlyList<string>? Scopes, DateTimeOffset CreatedAt, DateTimeOffset ModifiedAt, DateTimeOffset? DeletedAt);

/// <summary>
/// What one change adds to the history of one entity: its record (types, scopes, times; upserted, keeping the first
/// <see cref="TemporalEntity.CreatedAt"/>), the instances to append, and the entity's state after it (what the filters
/// on an entity's state, q, scopeQ and geo-queries, are evaluated on).
/// </summary>
public sealed record TemporalWrite(TemporalEntity Entity, IReadOnlyList<TemporalInstance> Instances, Entity State)
{
    /// <summary><see cref="State"/> serialized by <see cref="Storage.StoredEntityJson"/> (UTF-8), when the change feed had it: a store need not serialize it again.</summary>
    public byte[]? StoredState { get; init; }

    /// <summary>
    /// The record each write of a transaction upserts: only the last write of an entity upserts it, holding the earliest
    /// createdAt and the latest modifiedAt of all of them (what upserting each in turn leaves), the others none (null);
    /// so a transaction writes an entity's record and state once, however many of its changes it records.
    /// </summary>
    public static TemporalEntity?[] RecordsToUpsert(IReadOnlyList<(string Tenant, TemporalWrite Write)> writes)
    {
        var records = new TemporalEntity?[writes.Count];
        var lastOf = new Dictionary<(string Tenant, string Id), int>();
        for (var i = 0; i < writes.Count; i++)
        {
            var (tenant, write) = writes[i];
            var record = write.Entity;
            if (lastOf.TryGetValue((tenant, record.Id), out var previous))
            {
                var before = records[previous]!;
                record = record with
                {
                    CreatedAt = before.CreatedAt < record.CreatedAt ? before.CreatedAt : record.CreatedAt,
                    ModifiedAt = before.ModifiedAt > record.ModifiedAt ? before.ModifiedAt : record.ModifiedAt,
                };
                records[previous] = null;
            }
            records[i] = record;
            lastOf[(tenant, record.Id)] = i;
        }
        return records;
    }
}

public enum TimeProperty
{
    ObservedAt,
    CreatedAt,
    ModifiedAt,
    DeletedAt,
}

public enum TimeRelation
{
    Before,
    After,
    Between,
}

/// <summary>The aggregation functions of clause 4.5.19 (aggrMethods).</summary>
public enum AggregationMethod
{
    TotalCount,
    DistinctCount,
    Sum,
    Avg,
    Min,
    Max,
    StdDev,
    SumSq,
}

/// <summary>
/// The temporal query of clause 4.11 as the store answers it: instances whose <see cref="Property"/> is, relative to
/// <see cref="TimeAt"/> (and <see cref="EndTimeAt"/>), before (t &lt; timeAt), after (t ≥ timeAt... see
/// <see cref="TemporalQueries.Holds"/>) or between them; no relation means the whole history.
/// </summary>
public sealed record TimeFilter(TimeProperty Property = TimeProperty.ObservedAt, TimeRelation? Relation = null, DateTimeOffset? TimeAt = null, DateTimeOffset? EndTimeAt = null);

/// <summary>aggregatedValues (clause 4.5.19): the methods, and the length of each period (null: the whole time range is one period).</summary>
public sealed record Aggregation(IReadOnlyList<AggregationMethod> Methods, NodaTime.Period? PeriodDuration);

/// <summary>
/// A query of entity histories (clauses 5.7.3, 5.7.4) with every name expanded. <see cref="Entities"/> selects entities
/// by their state as last recorded (id, idPattern, type, attrs, q, scopeQ, geo-query, with the one evaluator:
/// <see cref="EntityQueryMatcher"/>) and pages them; <see cref="EntityQuery.Attrs"/> also selects the attributes whose
/// instances are returned, those within <see cref="Time"/>.
/// </summary>
public sealed record TemporalQuery
{
    public EntityQuery Entities { get; init; } = new();

    public TimeFilter Time { get; init; } = new();

    /// <summary>Only the last N instances of each attribute (by the time property), given in ascending order.</summary>
    public int? LastN { get; init; }

    /// <summary>The most instances returned per attribute; the rest is announced by Content-Range.</summary>
    public int InstanceLimit { get; init; } = 1000;

    public Aggregation? Aggregation { get; init; }

    /// <summary>orderBy (clause 4.23, for temporal queries since NGSI-LD 1.9): keys read from each entity's latest recorded state; null for id order.</summary>
    public Query.Ast.OrderBy? Order { get; init; }

    /// <summary>Whether the order is orderBy=id;desc, the one order histories united with a source's can keep.</summary>
    public bool IdsDescending => Order is { Keys: [{ Target: Query.Ast.EntityMember { Name: "id" }, Descending: true }] };

    /// <summary>The datasetId parameter (clause 4.5.5): only instances of these datasetIds ("@none": the default instance).</summary>
    public IReadOnlySet<string>? DatasetIds { get; init; }
}
