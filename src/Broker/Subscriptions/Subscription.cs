using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Broker.Entities.Representation;
using Broker.Query.Ast;
using Broker.Storage;

namespace Broker.Subscriptions;

/// <summary>The notificationTrigger values of clause 5.2.12.</summary>
[Flags]
public enum NotificationTriggers
{
    None = 0,
    EntityCreated = 1,
    EntityUpdated = 2,
    EntityDeleted = 4,
    AttributeCreated = 8,
    AttributeUpdated = 16,
    AttributeDeleted = 32,
}

/// <summary>An EntitySelector (clause 5.2.33) with its type selection parsed and its names expanded.</summary>
public sealed record EntitySelector(string? Id, string? IdPatternText, Regex? IdPattern, string? TypeText, TypeSelector? Type)
{
    public bool Matches(Ontology.Model.Entity entity)
    {
        if (Id is not null)
        {
            if (!string.Equals(Id, entity.Id, StringComparison.Ordinal))
                return false;
        }
        else if (IdPattern is not null && !IdPattern.IsMatch(entity.Id))
        {
            return false;
        }
        return Type is null || Type.Matches(entity.Types);
    }
}

/// <summary>One key/value pair of receiverInfo or notifierInfo (KeyValuePair, clause 5.2.22).</summary>
public sealed record KeyValue(string Key, string Value);

/// <summary>An Endpoint (clause 5.2.15).</summary>
public sealed record NotificationEndpoint(Uri Uri, string? Accept, double? TimeoutMilliseconds, double? CooldownMilliseconds,
    IReadOnlyList<KeyValue>? ReceiverInfo, IReadOnlyList<KeyValue>? NotifierInfo)
{
    /// <summary>The media type of notifications: application/json unless accept says otherwise.</summary>
    public string MediaType => Accept ?? "application/json";
}

/// <summary>NotificationParams (clause 5.2.14) without the status members, which the delivery keeps.</summary>
public sealed record NotificationParameters(
    NotificationEndpoint Endpoint,
    IReadOnlyList<string>? Attributes,
    IReadOnlyList<string>? Pick,
    IReadOnlyList<string>? Omit,
    EntityFormat? Format,
    bool? SysAttrs,
    bool? ShowChanges,
    string? Join,
    double? JoinLevel);

/// <summary>
/// A subscription (clause 5.2.12) as the broker works with it: every name expanded, every query parsed. The members a
/// client did not give stay null, so that the subscription is shown as it was given.
/// </summary>
public sealed record Subscription
{
    public required string Id { get; init; }

    public required string Tenant { get; init; }

    public string? Name { get; init; }

    public string? Description { get; init; }

    public IReadOnlyList<EntitySelector>? Entities { get; init; }

    /// <summary>Expanded attribute names.</summary>
    public IReadOnlyList<string>? WatchedAttributes { get; init; }

    /// <summary>The triggers as given (null: the default, attributeCreated and attributeUpdated).</summary>
    public IReadOnlyList<string>? NotificationTrigger { get; init; }

    public string? QText { get; init; }

    public QueryExpression? Q { get; init; }

    /// <summary>The geoQ member as given, with its geoproperty term.</summary>
    public JsonObject? GeoQText { get; init; }

    public GeoQuery? GeoQ { get; init; }

    public string? ScopeQText { get; init; }

    public ScopeExpression? ScopeQ { get; init; }

    public string? Csf { get; init; }

    /// <summary>The context source filter (clause 4.9), matched against the Context Source properties of registrations.</summary>
    public QueryExpression? CsfQuery { get; init; }

    public bool? IsActive { get; init; }

    public bool? LocalOnly { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>expiresAt as the client wrote it.</summary>
    public string? ExpiresAtText { get; init; }

    /// <summary>Seconds.</summary>
    public double? Throttling { get; init; }

    /// <summary>Seconds; a periodic subscription.</summary>
    public double? TimeInterval { get; init; }

    public string? Lang { get; init; }

    public string? JsonldContext { get; init; }

    public IReadOnlyList<string>? DatasetIds { get; init; }

    public required NotificationParameters Notification { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset ModifiedAt { get; init; }

    /// <summary>The @context the subscription was given with: a URL, an inline @context, or null for the core context alone.</summary>
    public JsonNode? Context { get; init; }

    /// <summary>The URL of <see cref="Context"/> for the Link header of JSON notifications (a hosted copy of an inline one); null for the core context.</summary>
    public string? ContextUrl { get; init; }

    /// <summary>When the subscription last became active (created, or resumed): it notifies only changes made since.</summary>
    public DateTimeOffset ActiveSince { get; init; }

    /// <summary>The expansion of every term the subscription uses, by member (see <see cref="SubscriptionReader"/>).</summary>
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Terms { get; init; }

    /// <summary>The members as the client gave them (read-only members left out): what an update merges into.</summary>
    public required JsonObject Source { get; init; }

    public NotificationTriggers Triggers => NotificationTrigger is null
        ? NotificationTriggers.AttributeCreated | NotificationTriggers.AttributeUpdated
        : SubscriptionReader.TriggersOf(NotificationTrigger);

    public bool Active => IsActive ?? true;

    /// <summary>The q, scopeQ and geoQ filter, for <see cref="EntityQueryMatcher"/> and the stores' queries.</summary>
    public EntityQuery Filter => new() { Q = Q, ScopeQ = ScopeQ, Geo = GeoQ, Restriction = Restriction };

    /// <summary>The entities the role of the client that created or last updated it reaches: it notifies no others.</summary>
    public EntityRestriction? Restriction { get; init; }

    /// <summary>active, paused or expired (clause 5.2.12).</summary>
    public string StatusAt(DateTimeOffset now) => ExpiresAt is { } expires && expires <= now ? "expired" : Active ? "active" : "paused";
}
