using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Broker.Query.Ast;
using Broker.Query.Evaluation;
using Broker.Temporal;
using Ontology.Model;

namespace Broker.Federation;

/// <summary>
/// What an operation asks of context sources (clause 5.12), every name expanded: the entities (ids, idPattern, type
/// selection), the attributes, filters on the registrations themselves (csf, scopeQ, geo-query, temporal query) and
/// the operation that would be forwarded. Null members ask nothing.
/// </summary>
public sealed record RegistrationQuery
{
    public IReadOnlyList<string>? EntityIds { get; init; }

    public Regex? IdPattern { get; init; }

    public TypeSelector? Types { get; init; }

    /// <summary>Expanded attribute names: a registration must be able to provide at least one of them.</summary>
    public IReadOnlyList<string>? Attributes { get; init; }

    /// <summary>Filters on the registration's Context Source properties (csf, clause 4.9); all must hold.</summary>
    public IReadOnlyList<QueryExpression>? ContextSourceFilters { get; init; }

    /// <summary>Matched against the registration's scope; a registration without scope may hold entities of any scope.</summary>
    public ScopeExpression? ScopeQ { get; init; }

    /// <summary>Matched against the registration's location (or the geoproperty named); a registration without it may hold entities anywhere.</summary>
    public GeoQuery? Geo { get; init; }

    /// <summary>
    /// A temporal query: only registrations whose observationInterval (observedAt) or managementInterval (createdAt,
    /// modifiedAt, deletedAt) overlaps it. Without one (or without timerel) only registrations of latest information,
    /// with neither interval, match.
    /// </summary>
    public TimeFilter? Time { get; init; }

    /// <summary>False: without a temporal query, registrations match whatever their intervals (a subscription to registrations).</summary>
    public bool LatestOnly { get; init; } = true;

    /// <summary>A registration must support this operation (clause 4.20), e.g. <see cref="RegistrationOperations.QueryEntity"/>.</summary>
    public string? Operation { get; init; }

    /// <summary>Only registrations of these modes; null for all.</summary>
    public IReadOnlySet<RegistrationMode>? Modes { get; init; }
}

/// <summary>A registration that matched, and those of its RegistrationInfo that did (what a forwarded request may ask of it).</summary>
public sealed record RegistrationMatch(ContextSourceRegistration Registration, IReadOnlyList<RegistrationInfo> Information);

/// <summary>One entity and attribute that two registrations both claim (see <see cref="RegistrationMatcher.Overlap"/>).</summary>
public sealed record RegistrationOverlap(string EntityId, string Attribute);

/// <summary>
/// Which registrations can answer a query or take a write (clause 5.12, matching of context source registrations): the
/// one meaning of a registration's coverage, used by discovery (GET /csourceRegistrations), by the exclusive-overlap
/// check, and by distributed operations to find their remote legs.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>A RegistrationInfo matches when one of its EntityInfo matches the entities asked for (or it has no entities:
/// then it covers every entity) and it covers one of the attributes asked for (or it names none: then it covers every
/// attribute). A registration matches when one of its RegistrationInfo does and its own filters hold.</item>
/// <item>EntityInfo against ids: its id is one of them, its idPattern matches one, or it has neither. Against an
/// idPattern: its id matches the pattern; an EntityInfo with an idPattern of its own matches, because whether two regular
/// expressions share a match cannot be decided here and a source must not be missed. Against a type selection: the
/// selection holds for the EntityInfo's types.</item>
/// <item>Expired registrations match nothing.</item>
/// </list>
/// </remarks>
public static class RegistrationMatcher
{
    /// <summary>The registrations that match, in the order given, each with the RegistrationInfo that matched.</summary>
    public static IReadOnlyList<RegistrationMatch> MatchAll(IEnumerable<ContextSourceRegistration> registrations, RegistrationQuery query, DateTimeOffset now)
    {
        var matches = new List<RegistrationMatch>();
        foreach (var registration in registrations)
        {
            if (Match(registration, query, now) is { } match)
                matches.Add(match);
        }
        return matches;
    }

    /// <summary>The match of one registration, or null.</summary>
    public static RegistrationMatch? Match(ContextSourceRegistration registration, RegistrationQuery query, DateTimeOffset now)
    {
        if (!registration.ActiveAt(now))
            return null;
        if (query.Modes is { } modes && !modes.Contains(registration.Mode))
            return null;
        if (query.Operation is { } operation && !registration.SupportedOperations.Contains(operation))
            return null;
        if ((query.LatestOnly || query.Time?.Relation is not null) && !MatchesTime(registration, query.Time))
            return null;
        if (query.ScopeQ is { } scopeQ && registration.Scopes is { } scopes && !ScopeEvaluator.Matches(scopes, scopeQ))
            return null;
        if (query.Geo is { } geo && registration.GeometryOf(geo.GeoProperty) is { } area && !GeoEvaluator.Matches(area.Geometry, geo))
            return null;
        if (query.ContextSourceFilters is { Count: > 0 } filters)
        {
            var properties = PropertiesAsEntity(registration);
            foreach (var filter in filters)
            {
                if (!QueryEvaluator.Matches(properties, filter))
                    return null;
            }
        }
        List<RegistrationInfo>? matched = null;
        foreach (var info in registration.Information)
        {
            if (MatchesEntities(info, query) && MatchesAttributes(info, query.Attributes))
                (matched ??= []).Add(info);
        }
        return matched is null ? null : new RegistrationMatch(registration, matched);
    }

    /// <summary>
    /// Whether a registration is one a context source registration subscription (clause 5.11) is about: one of its
    /// entity selectors (or, without entities, any entity) together with watchedAttributes, q and csf (both on the
    /// Context Source properties, clause 4.9) and geoQ (on the registration's location), as discovery would match them.
    /// </summary>
    public static bool MatchesSubscription(ContextSourceRegistration registration, Subscriptions.Subscription subscription, DateTimeOffset now) =>
        MatchSubscription(registration, subscription, now) is not null;

    /// <summary>
    /// The registration as a CsourceNotification of the subscription shows it (clause 5.11.7): with only the
    /// RegistrationInfo the subscription matched, or null when it matches none.
    /// </summary>
    public static ContextSourceRegistration? MatchSubscription(ContextSourceRegistration registration, Subscriptions.Subscription subscription, DateTimeOffset now)
    {
        List<QueryExpression>? filters = null;
        if (subscription.Q is { } q)
            (filters ??= []).Add(q);
        if (subscription.CsfQuery is { } csf)
            (filters ??= []).Add(csf);
        var query = new RegistrationQuery
        {
            Attributes = subscription.WatchedAttributes,
            ContextSourceFilters = filters,
            Geo = subscription.GeoQ,
            LatestOnly = false,
        };
        if (subscription.Entities is not { } selectors)
            return Match(registration, query, now) is { } match ? registration with { Information = match.Information } : null;
        var information = new List<RegistrationInfo>();
        foreach (var selector in selectors)
        {
            var selected = query with { EntityIds = selector.Id is { } id ? [id] : null, IdPattern = selector.Id is null ? selector.IdPattern : null, Types = selector.Type };
            if (Match(registration, selected, now) is { } match)
                information.AddRange(match.Information.Where(info => !information.Contains(info)));
        }
        return information.Count == 0 ? null : registration with { Information = [.. registration.Information.Where(information.Contains)] };
    }

    /// <summary>
    /// The registrations that cover a write of these attributes of one entity (all of its attributes when
    /// <paramref name="attributes"/> is null) by <paramref name="operation"/>.
    /// </summary>
    public static IReadOnlyList<RegistrationMatch> MatchEntity(IEnumerable<ContextSourceRegistration> registrations, string entityId, IReadOnlyList<string> types,
        IReadOnlyList<string>? attributes, string operation, DateTimeOffset now)
    {
        var query = new RegistrationQuery
        {
            EntityIds = [entityId],
            Types = types.Count == 1 ? new TypeName(types[0]) : new TypeOr([.. types.Select(t => (TypeSelector)new TypeName(t))]),
            Attributes = attributes,
            Operation = operation,
        };
        return MatchAll(registrations, query, now);
    }

    /// <summary>
    /// An entity (by id) and attribute that <paramref name="candidate"/> names and <paramref name="existing"/> covers, or
    /// null: what makes a new exclusive registration conflict with an exclusive or redirect one (clause 4.3.6.3).
    /// An entity named by id is compared with the other's ids and idPatterns, an idPattern with the other's ids (two
    /// patterns cannot be compared); the types of the two EntityInfo must share one.
    /// </summary>
    public static RegistrationOverlap? Overlap(ContextSourceRegistration candidate, ContextSourceRegistration existing, DateTimeOffset now)
    {
        if (!existing.ActiveAt(now))
            return null;
        foreach (var info in candidate.Information)
        {
            foreach (var entity in info.Entities ?? [])
            {
                foreach (var other in existing.Information)
                {
                    if (SharedEntityId(entity, other) is not { } id)
                        continue;
                    if (info.CoversEveryAttribute)
                    {
                        if (other.AttributeNames.FirstOrDefault() is { } shared)
                            return new RegistrationOverlap(id, shared);
                        return new RegistrationOverlap(id, "*");
                    }
                    foreach (var attribute in info.AttributeNames)
                    {
                        if (other.CoversAttribute(attribute))
                            return new RegistrationOverlap(id, attribute);
                    }
                }
            }
        }
        return null;
    }

    /// <summary>An entity id that <paramref name="entity"/> and <paramref name="other"/> both cover, or null when none can be named.</summary>
    private static string? SharedEntityId(RegisteredEntities entity, RegistrationInfo other)
    {
        if (other.Entities is not { } otherEntities)
            return entity.Id ?? entity.IdPatternText;
        foreach (var candidate in otherEntities)
        {
            if (!candidate.Types.Any(entity.Types.Contains))
                continue;
            if (entity.Id is { } id && candidate.CoversId(id))
                return id;
            if (entity.Id is null && candidate.Id is { } otherId && entity.CoversId(otherId))
                return otherId;
        }
        return null;
    }

    private static bool MatchesEntities(RegistrationInfo info, RegistrationQuery query)
    {
        if (info.Entities is not { } entities)
            return true;
        foreach (var entity in entities)
        {
            if (MatchesEntity(entity, query))
                return true;
        }
        return false;
    }

    private static bool MatchesEntity(RegisteredEntities entity, RegistrationQuery query)
    {
        if (query.Types is { } types && !types.Matches(entity.Types))
            return false;
        if (query.EntityIds is { } ids)
        {
            var any = false;
            foreach (var id in ids)
            {
                if (entity.CoversId(id))
                {
                    any = true;
                    break;
                }
            }
            if (!any)
                return false;
        }
        if (query.IdPattern is { } pattern && entity.Id is { } entityId && !pattern.IsMatch(entityId))
            return false;
        return true;
    }

    private static bool MatchesAttributes(RegistrationInfo info, IReadOnlyList<string>? attributes)
    {
        if (attributes is null || info.CoversEveryAttribute)
            return true;
        foreach (var attribute in attributes)
        {
            if (info.CoversAttribute(attribute))
                return true;
        }
        return false;
    }

    private static bool MatchesTime(ContextSourceRegistration registration, TimeFilter? time)
    {
        if (time?.Relation is not { } relation)
            return registration.ObservationInterval is null && registration.ManagementInterval is null;
        var interval = time.Property == TimeProperty.ObservedAt ? registration.ObservationInterval : registration.ManagementInterval;
        if (interval is null)
            return false;
        return relation switch
        {
            TimeRelation.Before => interval.Overlaps(null, time.TimeAt),
            TimeRelation.After => interval.Overlaps(time.TimeAt, null),
            _ => interval.Overlaps(time.TimeAt, time.EndTimeAt),
        };
    }

    /// <summary>
    /// The registration's Context Source properties as the attributes of an entity, for the one q evaluator: a member
    /// written as an NGSI-LD Property or Relationship is taken as such, any other value as the value of a Property.
    /// </summary>
    private static Entity PropertiesAsEntity(ContextSourceRegistration registration)
    {
        var entity = new Entity { Id = registration.Id, Types = [ContextSourceRegistration.TypeName] };
        foreach (var (name, value) in registration.Properties)
        {
            var instance = value is JsonObject attribute && attribute["type"] is JsonValue kind && kind.GetValueKind() == JsonValueKind.String
                && AttributeKinds.TryParse(kind.GetValue<string>(), out var attributeKind) && attribute[attributeKind.ValueMember()] is { } member
                ? new AttributeInstance { Kind = attributeKind, Value = member.DeepClone() }
                : new AttributeInstance { Kind = AttributeKind.Property, Value = value?.DeepClone() };
            entity.Attributes.Put(name, instance);
        }
        return entity;
    }
}
