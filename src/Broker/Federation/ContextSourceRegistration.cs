using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NetTopologySuite.Geometries;

namespace Broker.Federation;

/// <summary>The mode of distributed operation of a registration (clause 4.3.6, CSourceRegistration.mode of clause 5.2.9).</summary>
public enum RegistrationMode
{
    Inclusive,
    Exclusive,
    Redirect,
    Auxiliary,
}

/// <summary>An EntityInfo (clause 5.2.8) with its types expanded: what entities a context source may provide.</summary>
public sealed record RegisteredEntities(string? Id, string? IdPatternText, Regex? IdPattern, IReadOnlyList<string> Types)
{
    /// <summary>Whether the entity <paramref name="id"/> is among these (an EntityInfo without id and idPattern covers every id).</summary>
    public bool CoversId(string id) =>
        Id is not null ? string.Equals(Id, id, StringComparison.Ordinal) : IdPattern is null || IdPattern.IsMatch(id);
}

/// <summary>A RegistrationInfo (clause 5.2.10) with every name expanded.</summary>
public sealed record RegistrationInfo(IReadOnlyList<RegisteredEntities>? Entities, IReadOnlyList<string>? PropertyNames, IReadOnlyList<string>? RelationshipNames)
{
    /// <summary>Without propertyNames and relationshipNames a RegistrationInfo covers every attribute (clause 5.12).</summary>
    public bool CoversEveryAttribute => PropertyNames is null && RelationshipNames is null;

    public bool CoversAttribute(string name) =>
        CoversEveryAttribute || (PropertyNames?.Contains(name) ?? false) || (RelationshipNames?.Contains(name) ?? false);

    /// <summary>The attributes named, properties first.</summary>
    public IEnumerable<string> AttributeNames => (PropertyNames ?? []).Concat(RelationshipNames ?? []);
}

/// <summary>A TimeInterval (clause 5.2.11); an interval without endAt is open.</summary>
public sealed record TimeInterval(DateTimeOffset StartAt, DateTimeOffset? EndAt)
{
    /// <summary>Whether some instant of [from, to) lies in the interval; null bounds are unbounded.</summary>
    public bool Overlaps(DateTimeOffset? from, DateTimeOffset? to) =>
        (to is not { } end || StartAt < end) && (from is not { } start || EndAt is not { } intervalEnd || intervalEnd >= start);
}

/// <summary>RegistrationManagementInfo (clause 5.2.34).</summary>
public sealed record RegistrationManagement(bool? LocalOnly, string? CacheDuration, double? TimeoutMilliseconds, double? CooldownMilliseconds);

/// <summary>A {key, value} pair of contextSourceInfo (KeyValuePair, clause 5.2.22).</summary>
public sealed record ContextSourceInfo(string Key, string Value);

/// <summary>A GeoJSON geometry of a registration as given, and parsed.</summary>
public sealed record RegisteredGeometry(JsonObject Source, Geometry Geometry);

/// <summary>
/// A context source registration (CSourceRegistration, clause 5.2.9) as the broker works with it: every type and
/// attribute name expanded, geometries and intervals parsed. Members the client did not give stay null.
/// </summary>
public sealed record ContextSourceRegistration
{
    public const string TypeName = "ContextSourceRegistration";

    public required string Id { get; init; }

    /// <summary>The tenant of this broker the registration belongs to (the NGSILD-Tenant of its creation).</summary>
    public required string Tenant { get; init; }

    public string? RegistrationName { get; init; }

    public string? Description { get; init; }

    public string? ContextSourceAlias { get; init; }

    public required IReadOnlyList<RegistrationInfo> Information { get; init; }

    public IReadOnlyList<string>? DatasetIds { get; init; }

    /// <summary>The tenant member: the tenant to name in requests to the context source.</summary>
    public string? SourceTenant { get; init; }

    public TimeInterval? ObservationInterval { get; init; }

    public TimeInterval? ManagementInterval { get; init; }

    public RegisteredGeometry? Location { get; init; }

    public RegisteredGeometry? ObservationSpace { get; init; }

    public RegisteredGeometry? OperationSpace { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    public required Uri Endpoint { get; init; }

    public IReadOnlyList<ContextSourceInfo>? ContextSourceInfo { get; init; }

    public IReadOnlyList<string>? Scopes { get; init; }

    /// <summary>The scope member as given (a string or an array).</summary>
    public JsonNode? ScopeSource { get; init; }

    /// <summary>The mode as given; null means inclusive.</summary>
    public RegistrationMode? GivenMode { get; init; }

    public RegistrationMode Mode => GivenMode ?? RegistrationMode.Inclusive;

    /// <summary>The operations as given (names and groups); null means federationOps (clause 4.20).</summary>
    public IReadOnlyList<string>? GivenOperations { get; init; }

    public IReadOnlyList<string> Operations => GivenOperations ?? [RegistrationOperations.FederationOps];

    /// <summary>The single operations the registration supports, its groups taken apart.</summary>
    public IReadOnlySet<string> SupportedOperations => RegistrationOperations.Expand(Operations);

    public string? RefreshRate { get; init; }

    public RegistrationManagement? Management { get; init; }

    /// <summary>Context Source properties: members that are not CSourceRegistration's, by expanded name, values as given.</summary>
    public required IReadOnlyDictionary<string, JsonNode?> Properties { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset ModifiedAt { get; init; }

    public RegisteredGeometry? GeometryOf(string geoProperty) => geoProperty switch
    {
        Ontology.Model.NgsiLd.Location => Location,
        Ontology.Model.NgsiLd.ObservationSpace => ObservationSpace,
        Ontology.Model.NgsiLd.OperationSpace => OperationSpace,
        _ => null,
    };

    /// <summary>Whether the registration is in force at <paramref name="now"/> (not expired).</summary>
    public bool ActiveAt(DateTimeOffset now) => ExpiresAt is not { } expires || expires > now;
}
