using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Broker.Entities.Representation;
using Broker.Geo;
using Broker.Problems;
using Broker.Query.Parsing;

namespace Broker.Federation;

/// <summary>
/// Reads and checks a context source registration (CSourceRegistration, clause 5.2.9; register, clause 5.9.2): every
/// member's type and value. Anything wrong is a BadRequestData error that names the member. Entity types, attribute
/// names and the names of Context Source properties are expanded with the expander given: the request's @context, or
/// nothing for a stored registration, which the store keeps expanded (<see cref="RegistrationDocument"/>).
/// </summary>
public static class RegistrationReader
{
    /// <summary>The members of CSourceRegistration; any other member is a Context Source property.</summary>
    public static readonly IReadOnlySet<string> Members = new HashSet<string>(StringComparer.Ordinal)
    {
        "id", "type", "registrationName", "contextSourceAlias", "description", "information", "datasetId", "tenant",
        "observationInterval", "managementInterval", "location", "observationSpace", "operationSpace", "expiresAt", "endpoint",
        "contextSourceInfo", "scope", "mode", "operations", "refreshRate", "management",
    };

    /// <summary>Read-only members a client may send back (as a retrieved registration holds them); they are ignored.</summary>
    public static readonly IReadOnlySet<string> ReadOnlyMembers = new HashSet<string>(StringComparer.Ordinal)
    {
        "createdAt", "modifiedAt", "deletedAt", "status", "timesSent", "timesFailed", "lastSuccess", "lastFailure", "@context",
    };

    /// <summary>The id of a new registration: the one given (a URI), or a new urn:ngsi-ld:ContextSourceRegistration:{uuid}.</summary>
    public static string IdOf(JsonObject body)
    {
        if (!body.TryGetPropertyValue("id", out var id) || id is null)
            return "urn:ngsi-ld:ContextSourceRegistration:" + Guid.NewGuid().ToString("D");
        if (id.GetValueKind() != JsonValueKind.String || !Uris.IsAbsoluteUri(id.GetValue<string>()))
            throw Invalid("id", "must be a URI");
        return id.GetValue<string>();
    }

    /// <summary>
    /// Reads a registration. <paramref name="now"/> is compared with expiresAt when <paramref name="checkExpiry"/> is set
    /// (a new registration, or an update that gives expiresAt).
    /// </summary>
    public static ContextSourceRegistration Read(JsonObject body, string tenant, string id, Func<string, string> expand,
        DateTimeOffset now, bool checkExpiry, DateTimeOffset createdAt, DateTimeOffset modifiedAt)
    {
        var type = body["type"];
        if (type is null)
            throw Invalid("type", "is missing: a registration has type ContextSourceRegistration");
        if (type.GetValueKind() != JsonValueKind.String || type.GetValue<string>() is not (ContextSourceRegistration.TypeName or "https://uri.etsi.org/ngsi-ld/ContextSourceRegistration"))
            throw Invalid("type", "must be ContextSourceRegistration");
        if (body["id"] is { } givenId && (givenId.GetValueKind() != JsonValueKind.String || givenId.GetValue<string>() != id))
            throw Invalid("id", $"must be the registration's id '{id}'");

        var endpointText = OptionalString(body, "endpoint") ?? throw Invalid("endpoint", "is required");
        if (!Uris.IsAbsoluteUri(endpointText) || !Uri.TryCreate(endpointText, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
            throw Invalid("endpoint", $"'{endpointText}' is not an absolute http or https URI");

        var expiresAt = OptionalInstant(body, "expiresAt");
        if (checkExpiry && expiresAt is { } expires && expires <= now)
            throw Invalid("expiresAt", "is in the past: a registration must expire in the future");

        var mode = OptionalString(body, "mode") switch
        {
            null => (RegistrationMode?)null,
            "inclusive" => RegistrationMode.Inclusive,
            "exclusive" => RegistrationMode.Exclusive,
            "redirect" => RegistrationMode.Redirect,
            "auxiliary" => RegistrationMode.Auxiliary,
            var other => throw Invalid("mode", $"'{other}' is not a mode: use inclusive, exclusive, redirect or auxiliary"),
        };
        var information = ReadInformation(body, expand);
        var registration = new ContextSourceRegistration
        {
            Id = id,
            Tenant = tenant,
            RegistrationName = OptionalNonEmptyString(body, "registrationName"),
            Description = OptionalNonEmptyString(body, "description"),
            ContextSourceAlias = OptionalNonEmptyString(body, "contextSourceAlias"),
            Information = information,
            DatasetIds = ReadDatasetIds(body),
            SourceTenant = OptionalString(body, "tenant"),
            ObservationInterval = ReadInterval(body, "observationInterval"),
            ManagementInterval = ReadInterval(body, "managementInterval"),
            Location = ReadGeometry(body, "location"),
            ObservationSpace = ReadGeometry(body, "observationSpace"),
            OperationSpace = ReadGeometry(body, "operationSpace"),
            ExpiresAt = expiresAt,
            Endpoint = endpoint,
            ContextSourceInfo = ReadContextSourceInfo(body),
            Scopes = ReadScopes(body),
            ScopeSource = Member(body, "scope")?.DeepClone(),
            GivenMode = mode,
            GivenOperations = ReadOperations(body),
            RefreshRate = OptionalDuration(body, "refreshRate"),
            Management = ReadManagement(body),
            Properties = ReadProperties(body, expand),
            CreatedAt = createdAt,
            ModifiedAt = modifiedAt,
        };
        if (registration.Mode == RegistrationMode.Exclusive)
            RequireExclusiveShape(registration);
        return registration;
    }

    /// <summary>
    /// An exclusive registration is about named entities and named attributes (clause 4.3.6.3): each of its RegistrationInfo
    /// names entities (by id, idPattern or type) and at least one attribute, so that it can be checked for overlaps.
    /// </summary>
    private static void RequireExclusiveShape(ContextSourceRegistration registration)
    {
        foreach (var info in registration.Information)
        {
            if (info.CoversEveryAttribute)
                throw Invalid("information", "of an exclusive registration must name the attributes it provides (propertyNames or relationshipNames) in every RegistrationInfo");
            if (info.Entities is null)
                throw Invalid("information", "of an exclusive registration must name the entities it provides in every RegistrationInfo");
        }
    }

    private static List<RegistrationInfo> ReadInformation(JsonObject body, Func<string, string> expand)
    {
        if (Member(body, "information") is not { } node)
            throw Invalid("information", "is required");
        if (node is not JsonArray array || array.Count == 0)
            throw Invalid("information", "must be a non-empty array of RegistrationInfo");
        var information = new List<RegistrationInfo>(array.Count);
        foreach (var item in array)
        {
            if (item is not JsonObject info)
                throw Invalid("information", "must hold RegistrationInfo objects");
            foreach (var (name, _) in info)
            {
                if (name is not ("entities" or "propertyNames" or "relationshipNames"))
                    throw Invalid("information", $"holds a RegistrationInfo with the member '{name}' (clause 5.2.10 allows entities, propertyNames and relationshipNames)");
            }
            var entities = ReadEntities(info, expand);
            var properties = OptionalNames(info, "propertyNames", expand);
            var relationships = OptionalNames(info, "relationshipNames", expand);
            if (entities is null && properties is null && relationships is null)
                throw Invalid("information", "holds an empty RegistrationInfo: give entities, propertyNames or relationshipNames");
            information.Add(new RegistrationInfo(entities, properties, relationships));
        }
        return information;
    }

    private static List<RegisteredEntities>? ReadEntities(JsonObject info, Func<string, string> expand)
    {
        if (Member(info, "entities") is not { } node)
            return null;
        if (node is not JsonArray array || array.Count == 0)
            throw Invalid("information.entities", "must be a non-empty array of EntityInfo");
        var entities = new List<RegisteredEntities>(array.Count);
        foreach (var item in array)
        {
            if (item is not JsonObject entity)
                throw Invalid("information.entities", "must hold EntityInfo objects with type and optionally id or idPattern");
            foreach (var (name, _) in entity)
            {
                if (name is not ("id" or "idPattern" or "type"))
                    throw Invalid("information.entities", $"holds an EntityInfo with the member '{name}' (clause 5.2.8 allows id, idPattern and type)");
            }
            var entityId = OptionalString(entity, "id", "information.entities.id");
            if (entityId is not null && !Uris.IsAbsoluteUri(entityId))
                throw Invalid("information.entities.id", $"'{entityId}' is not a URI");
            var patternText = OptionalString(entity, "idPattern", "information.entities.idPattern");
            if (entityId is not null && patternText is not null)
                throw Invalid("information.entities", "holds an EntityInfo with both id and idPattern");
            Regex? pattern = null;
            if (patternText is not null)
            {
                try
                {
                    pattern = new Regex(patternText, RegexOptions.CultureInvariant, QueryParser.DefaultRegexTimeout);
                }
                catch (ArgumentException)
                {
                    throw Invalid("information.entities.idPattern", $"'{patternText}' is not a valid regular expression");
                }
            }
            var types = Member(entity, "type") switch
            {
                null => throw Invalid("information.entities.type", "is required in every EntityInfo"),
                JsonValue value when value.GetValueKind() == JsonValueKind.String => [value.GetValue<string>()],
                JsonArray list when list.Count > 0 && list.All(t => t?.GetValueKind() == JsonValueKind.String) => list.Select(t => t!.GetValue<string>()).ToList(),
                _ => throw Invalid("information.entities.type", "must be an entity type or a non-empty array of them"),
            };
            var expanded = new List<string>(types.Count);
            foreach (var typeName in types)
            {
                if (!Uris.IsValidName(typeName))
                    throw Invalid("information.entities.type", $"'{typeName}' is not a valid type name");
                var iri = expand(typeName);
                if (!expanded.Contains(iri))
                    expanded.Add(iri);
            }
            entities.Add(new RegisteredEntities(entityId, patternText, pattern, expanded));
        }
        return entities;
    }

    private static List<string>? OptionalNames(JsonObject info, string member, Func<string, string> expand)
    {
        var path = "information." + member;
        if (Member(info, member) is not { } node)
            return null;
        if (node is not JsonArray array || array.Count == 0)
            throw Invalid(path, "must be a non-empty array of attribute names");
        var names = new List<string>(array.Count);
        foreach (var item in array)
        {
            if (item?.GetValueKind() != JsonValueKind.String || !Uris.IsValidName(item.GetValue<string>()))
                throw Invalid(path, "may hold only attribute names");
            var expanded = expand(item.GetValue<string>());
            if (!names.Contains(expanded))
                names.Add(expanded);
        }
        return names;
    }

    private static List<string>? ReadDatasetIds(JsonObject body)
    {
        if (Member(body, "datasetId") is not { } node)
            return null;
        if (node is not JsonArray array || array.Count == 0)
            throw Invalid("datasetId", "must be a non-empty array of URIs or @none");
        var ids = new List<string>(array.Count);
        foreach (var item in array)
        {
            if (item?.GetValueKind() != JsonValueKind.String || item.GetValue<string>() is not { } datasetId || (datasetId != "@none" && !Uris.IsAbsoluteUri(datasetId)))
                throw Invalid("datasetId", "may hold only URIs and @none");
            ids.Add(datasetId);
        }
        return ids;
    }

    private static TimeInterval? ReadInterval(JsonObject body, string member)
    {
        if (Member(body, member) is not { } node)
            return null;
        if (node is not JsonObject interval)
            throw Invalid(member, "must be a TimeInterval object with startAt and optionally endAt");
        foreach (var (name, _) in interval)
        {
            if (name is not ("startAt" or "endAt"))
                throw Invalid(member, $"has the member '{name}' (clause 5.2.11 allows startAt and endAt)");
        }
        var startAt = OptionalInstant(interval, "startAt", member + ".startAt") ?? throw Invalid(member + ".startAt", "is required");
        var endAt = OptionalInstant(interval, "endAt", member + ".endAt");
        if (endAt is { } end && end < startAt)
            throw Invalid(member + ".endAt", "is before startAt");
        return new TimeInterval(startAt, endAt);
    }

    private static RegisteredGeometry? ReadGeometry(JsonObject body, string member)
    {
        if (Member(body, member) is not { } node)
            return null;
        if (node is not JsonObject geometry)
            throw Invalid(member, "must be a GeoJSON geometry object");
        if (!GeoJson.TryParse(geometry, out var parsed, out var error))
            throw Invalid(member, "is not a valid GeoJSON geometry: " + error);
        return new RegisteredGeometry((JsonObject)geometry.DeepClone(), parsed!);
    }

    private static List<ContextSourceInfo>? ReadContextSourceInfo(JsonObject body)
    {
        if (Member(body, "contextSourceInfo") is not { } node)
            return null;
        if (node is not JsonArray array)
            throw Invalid("contextSourceInfo", "must be an array of {key, value} objects");
        var pairs = new List<ContextSourceInfo>(array.Count);
        foreach (var item in array)
        {
            if (item is not JsonObject pair || pair.Count != 2
                || pair["key"]?.GetValueKind() != JsonValueKind.String || pair["value"]?.GetValueKind() != JsonValueKind.String)
                throw Invalid("contextSourceInfo", "must hold objects with a string key and a string value");
            var key = pair["key"]!.GetValue<string>();
            var value = pair["value"]!.GetValue<string>();
            if (key.Length == 0 || value.Any(c => c is '\r' or '\n' or '\0') || key.Any(c => c <= ' ' || c >= 127))
                throw Invalid("contextSourceInfo", $"has the key '{key}' or a value for it that cannot be sent as a header");
            pairs.Add(new ContextSourceInfo(key, value));
        }
        return pairs;
    }

    private static List<string>? ReadScopes(JsonObject body)
    {
        var scopes = Member(body, "scope") switch
        {
            null => null,
            JsonValue value when value.GetValueKind() == JsonValueKind.String => [value.GetValue<string>()],
            JsonArray array when array.Count > 0 && array.All(s => s?.GetValueKind() == JsonValueKind.String) => array.Select(s => s!.GetValue<string>()).ToList(),
            _ => throw Invalid("scope", "must be a scope or a non-empty array of scopes"),
        };
        foreach (var scope in scopes ?? [])
        {
            if (!IsScope(scope))
                throw Invalid("scope", $"'{scope}' is not a scope (clause 4.18: /name/name..., or #)");
        }
        return scopes;
    }

    private static bool IsScope(string scope) =>
        scope == "#" || (scope.Length > 1 && scope[0] == '/' && scope.Split('/').Skip(1).All(level => level.Length > 0 && level.All(c => char.IsLetterOrDigit(c) || c is '_' or '-' or '.')));

    private static List<string>? ReadOperations(JsonObject body)
    {
        if (Member(body, "operations") is not { } node)
            return null;
        if (node is not JsonArray array || array.Count == 0)
            throw Invalid("operations", "must be a non-empty array of operation names");
        var operations = new List<string>(array.Count);
        foreach (var item in array)
        {
            if (item?.GetValueKind() != JsonValueKind.String || !RegistrationOperations.IsKnown(item.GetValue<string>()))
                throw Invalid("operations", $"holds {item?.ToJsonString() ?? "null"}, which is not an operation or operation group of clause 4.20");
            if (!operations.Contains(item.GetValue<string>()))
                operations.Add(item.GetValue<string>());
        }
        return operations;
    }

    private static RegistrationManagement? ReadManagement(JsonObject body)
    {
        if (Member(body, "management") is not { } node)
            return null;
        if (node is not JsonObject management)
            throw Invalid("management", "must be a RegistrationManagementInfo object");
        foreach (var (name, _) in management)
        {
            if (name is not ("localOnly" or "cacheDuration" or "timeout" or "cooldown"))
                throw Invalid("management", $"has the member '{name}' (clause 5.2.34 allows localOnly, cacheDuration, timeout and cooldown)");
        }
        bool? localOnly = Member(management, "localOnly") switch
        {
            null => null,
            var value when value.GetValueKind() == JsonValueKind.True => true,
            var value when value.GetValueKind() == JsonValueKind.False => false,
            _ => throw Invalid("management.localOnly", "must be true or false"),
        };
        return new RegistrationManagement(localOnly, OptionalDuration(management, "cacheDuration", "management.cacheDuration"),
            OptionalNumber(management, "timeout", "management.timeout"), OptionalNumber(management, "cooldown", "management.cooldown"));
    }

    private static Dictionary<string, JsonNode?> ReadProperties(JsonObject body, Func<string, string> expand)
    {
        var properties = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (name, value) in body)
        {
            if (Members.Contains(name) || ReadOnlyMembers.Contains(name) || IsNull(value))
                continue;
            if (!Uris.IsValidName(name))
                throw Invalid(name, "is not a valid Context Source property name");
            properties[expand(name)] = value!.DeepClone();
        }
        return properties;
    }

    /// <summary>A member's value; an explicit null counts as absent (an update removes a member with null).</summary>
    private static JsonNode? Member(JsonObject body, string member) =>
        body[member] is { } node && !IsNull(node) ? node : null;

    /// <summary>JSON null or the NGSI-LD Null (clause 5.2.1).</summary>
    public static bool IsNull(JsonNode? node) =>
        node is null || (node is JsonValue value && value.GetValueKind() == JsonValueKind.String && value.GetValue<string>() == "urn:ngsi-ld:null");

    private static string? OptionalString(JsonObject body, string member, string? path = null)
    {
        if (Member(body, member) is not { } node)
            return null;
        if (node.GetValueKind() != JsonValueKind.String)
            throw Invalid(path ?? member, "must be a string");
        return node.GetValue<string>();
    }

    private static string? OptionalNonEmptyString(JsonObject body, string member)
    {
        var text = OptionalString(body, member);
        if (text is { Length: 0 })
            throw Invalid(member, "must not be empty");
        return text;
    }

    /// <summary>An ISO 8601 duration, such as refreshRate and cacheDuration are (e.g. PT10S).</summary>
    private static string? OptionalDuration(JsonObject body, string member, string? path = null)
    {
        var text = OptionalString(body, member, path);
        if (text is not null && !NodaTime.Text.PeriodPattern.NormalizingIso.Parse(text).Success)
            throw Invalid(path ?? member, $"'{text}' is not an ISO 8601 duration (e.g. PT10S)");
        return text;
    }

    private static double? OptionalNumber(JsonObject body, string member, string path)
    {
        if (Member(body, member) is not { } node)
            return null;
        if (node.GetValueKind() != JsonValueKind.Number || !node.AsValue().TryGetValue<double>(out var number) || !double.IsFinite(number))
            throw Invalid(path, "must be a number");
        if (number < 1)
            throw Invalid(path, "must be at least 1");
        return number;
    }

    private static DateTimeOffset? OptionalInstant(JsonObject body, string member, string? path = null)
    {
        var text = OptionalString(body, member, path);
        if (text is null)
            return null;
        if (!Timestamps.TryParse(text, out var instant))
            throw Invalid(path ?? member, $"'{text}' is not a date-time (ISO 8601 with a time zone, e.g. 2026-12-31T23:59:59Z)");
        return instant;
    }

    private static NgsiLdException Invalid(string member, string problem) =>
        NgsiLdException.BadRequestData(string.Create(CultureInfo.InvariantCulture, $"The registration's {member} {problem}."));
}
