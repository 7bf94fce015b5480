using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Broker.Entities.Representation;
using Broker.Problems;
using Broker.Query.Ast;
using Broker.Query.Parsing;

namespace Broker.Subscriptions;

/// <summary>
/// Reads and checks a subscription (clause 5.2.12, 5.8.1): every member's type and value, the combinations the spec
/// forbids, and the queries, which are parsed by the same parsers as a query's parameters. Anything wrong is a
/// BadRequestData error that names the member. Terms are expanded with the expander given for each member, and every
/// expansion is recorded (<see cref="Subscription.Terms"/>), so that a stored subscription is read again to the same
/// meaning without its @context.
/// </summary>
public sealed class SubscriptionReader
{
    /// <summary>The members whose terms are expanded, each with its own record of expansions.</summary>
    public static readonly IReadOnlyList<string> ExpandedMembers = ["entities", "watchedAttributes", "q", "csf", "geoQ", "notification"];

    private static readonly string[] TriggerNames = ["entityCreated", "entityUpdated", "entityDeleted", "attributeCreated", "attributeUpdated", "attributeDeleted"];

    private readonly Func<string, Func<string, string>> _expanderFor;
    private readonly Dictionary<string, Dictionary<string, string>> _terms = new(StringComparer.Ordinal);

    private SubscriptionReader(Func<string, Func<string, string>> expanderFor) => _expanderFor = expanderFor;

    /// <summary>
    /// Reads a subscription. <paramref name="expanderFor"/> gives the term expander of a member (the request's @context,
    /// or the recorded terms of a stored subscription); <paramref name="now"/> is compared with expiresAt when
    /// <paramref name="checkExpiry"/> is set (a new subscription, or an update that gives expiresAt).
    /// </summary>
    public static Subscription Read(JsonObject body, string tenant, string id, Func<string, Func<string, string>> expanderFor,
        DateTimeOffset now, bool checkExpiry, DateTimeOffset createdAt, DateTimeOffset modifiedAt, JsonNode? context)
    {
        var reader = new SubscriptionReader(expanderFor);
        return reader.ReadSubscription(body, tenant, id, now, checkExpiry, createdAt, modifiedAt, context);
    }

    /// <summary>The id of a new subscription: the one given (a URI), or a new urn:ngsi-ld:Subscription:{uuid}.</summary>
    public static string IdOf(JsonObject body)
    {
        if (!body.TryGetPropertyValue("id", out var id) || id is null)
            return "urn:ngsi-ld:Subscription:" + Guid.NewGuid().ToString("D");
        if (id.GetValueKind() != JsonValueKind.String || !Uris.IsAbsoluteUri(id.GetValue<string>()))
            throw Invalid("id", "must be a URI");
        return id.GetValue<string>();
    }

    private Subscription ReadSubscription(JsonObject body, string tenant, string id, DateTimeOffset now, bool checkExpiry,
        DateTimeOffset createdAt, DateTimeOffset modifiedAt, JsonNode? context)
    {
        var type = body["type"];
        if (type is null)
            throw Invalid("type", "is missing: a subscription has type Subscription");
        if (type.GetValueKind() != JsonValueKind.String || type.GetValue<string>() is not ("Subscription" or "https://uri.etsi.org/ngsi-ld/Subscription"))
            throw Invalid("type", "must be Subscription");
        if (body["id"] is { } givenId && (givenId.GetValueKind() != JsonValueKind.String || givenId.GetValue<string>() != id))
            throw Invalid("id", $"must be the subscription's id '{id}'");
        var timeInterval = OptionalNumber(body, "timeInterval", minimum: 1);
        var throttling = OptionalNumber(body, "throttling", minimum: 1);
        var entities = ReadEntities(body);
        var watched = OptionalNames(body, "watchedAttributes", Expander("watchedAttributes"));
        var triggers = ReadTriggers(body);
        if (timeInterval is not null)
        {
            if (watched is not null)
                throw Invalid("timeInterval", "cannot be combined with watchedAttributes: a periodic subscription notifies regardless of changes");
            if (throttling is not null)
                throw Invalid("timeInterval", "cannot be combined with throttling");
            if (entities is null)
                throw Invalid("entities", "is required in a periodic subscription (timeInterval)");
        }
        else if (entities is null && watched is null)
        {
            throw Invalid("entities", "or watchedAttributes must be given");
        }

        var qText = OptionalString(body, "q");
        QueryExpression? q = null;
        if (qText is not null)
            q = Unwrap(QueryParser.Parse(Decoded(qText), Expander("q")), "q");
        var (geoQText, geoQ) = ReadGeoQuery(body);
        var scopeQText = OptionalString(body, "scopeQ");
        ScopeExpression? scopeQ = null;
        if (scopeQText is not null)
            scopeQ = Unwrap(ScopeQueryParser.Parse(Decoded(scopeQText)), "scopeQ");
        var csf = OptionalString(body, "csf");
        QueryExpression? csfQuery = null;
        if (csf is not null)
            csfQuery = Unwrap(QueryParser.Parse(Decoded(csf), Expander("csf")), "csf");

        var expiresAt = OptionalInstant(body, "expiresAt");
        if (checkExpiry && expiresAt is { } expires && expires <= now)
            throw Invalid("expiresAt", "is in the past: a subscription must expire in the future");
        var lang = OptionalString(body, "lang");
        if (lang is not null && (lang.Length == 0 || lang.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or ',' or ';' or '=' or '.' or '*' or ' '))))
            throw Invalid("lang", "is not a language range");
        var jsonldContext = OptionalString(body, "jsonldContext");
        if (jsonldContext is not null && !Uri.TryCreate(jsonldContext, UriKind.Absolute, out _))
            throw Invalid("jsonldContext", "must be the URI of an @context");

        return new Subscription
        {
            Id = id,
            Tenant = tenant,
            Name = OptionalString(body, "subscriptionName"),
            Description = OptionalString(body, "description"),
            Entities = entities,
            WatchedAttributes = watched,
            NotificationTrigger = triggers,
            QText = qText,
            Q = q,
            GeoQText = geoQText,
            GeoQ = geoQ,
            ScopeQText = scopeQText,
            ScopeQ = scopeQ,
            Csf = csf,
            CsfQuery = csfQuery,
            IsActive = OptionalBoolean(body, "isActive"),
            LocalOnly = OptionalBoolean(body, "localOnly"),
            ExpiresAt = expiresAt,
            ExpiresAtText = expiresAt is null ? null : body["expiresAt"]!.GetValue<string>(),
            Throttling = throttling,
            TimeInterval = timeInterval,
            Lang = lang,
            JsonldContext = jsonldContext,
            DatasetIds = ReadDatasetIds(body),
            Notification = ReadNotification(body),
            CreatedAt = createdAt,
            ModifiedAt = modifiedAt,
            Context = context?.DeepClone(),
            Terms = _terms.ToDictionary(t => t.Key, t => (IReadOnlyDictionary<string, string>)t.Value, StringComparer.Ordinal),
            Source = SourceOf(body),
        };
    }

    /// <summary>
    /// The members of a subscription as given, without nulls (an update's nulls remove members). Read-only members are
    /// ignored (clause 5.2.12) and so are members that are not a subscription's, which are never shown back.
    /// </summary>
    private static JsonObject SourceOf(JsonObject body)
    {
        var source = new JsonObject();
        foreach (var (name, value) in body)
        {
            if (KnownMembers.Contains(name) && !IsNull(value))
                source[name] = value!.DeepClone();
        }
        return source;
    }

    /// <summary>
    /// A query copied from a URL keeps its percent-encoding (q=name=="Eiffel%20Tower"), which in a query parameter the
    /// URL decoding removes; a subscription's q is read the same way, so one query means the same in both places.
    /// </summary>
    private static string Decoded(string query) => query.Contains('%', StringComparison.Ordinal) ? Uri.UnescapeDataString(query) : query;

    private static readonly HashSet<string> KnownMembers =
    [
        "id", "type", "subscriptionName", "description", "entities", "watchedAttributes", "notificationTrigger", "q", "geoQ", "scopeQ",
        "csf", "isActive", "localOnly", "expiresAt", "throttling", "timeInterval", "lang", "jsonldContext", "datasetId", "notification",
        "temporalQ",
    ];

    /// <summary>The expander of a member, recording every expansion it makes.</summary>
    private Func<string, string> Expander(string member)
    {
        var expand = _expanderFor(member);
        return term =>
        {
            var iri = expand(term);
            if (!_terms.TryGetValue(member, out var recorded))
                _terms[member] = recorded = new Dictionary<string, string>(StringComparer.Ordinal);
            recorded[term] = iri;
            return iri;
        };
    }

    private List<EntitySelector>? ReadEntities(JsonObject body)
    {
        if (Member(body, "entities") is not { } node)
            return null;
        if (node is not JsonArray array || array.Count == 0)
            throw Invalid("entities", "must be a non-empty array of entity selectors");
        var expand = Expander("entities");
        var selectors = new List<EntitySelector>(array.Count);
        foreach (var item in array)
        {
            if (item is not JsonObject selector)
                throw Invalid("entities", "must hold objects with type and optionally id or idPattern");
            foreach (var (name, _) in selector)
            {
                if (name is not ("id" or "idPattern" or "type"))
                    throw Invalid("entities", $"holds an entity selector with the member '{name}' (clause 5.2.33 allows id, idPattern and type)");
            }
            var entityId = OptionalString(selector, "id", "entities.id");
            if (entityId is not null && !Uris.IsAbsoluteUri(entityId))
                throw Invalid("entities.id", $"'{entityId}' is not a URI");
            var patternText = OptionalString(selector, "idPattern", "entities.idPattern");
            Regex? pattern = null;
            if (patternText is not null)
            {
                try
                {
                    pattern = new Regex(patternText, RegexOptions.CultureInvariant, QueryParser.DefaultRegexTimeout);
                }
                catch (ArgumentException)
                {
                    throw Invalid("entities.idPattern", $"'{patternText}' is not a valid regular expression");
                }
            }
            var typeText = OptionalString(selector, "type", "entities.type") ?? throw Invalid("entities.type", "is required in every entity selector");
            var type = Unwrap(TypeSelectorParser.Parse(typeText, expand), "entities.type");
            selectors.Add(new EntitySelector(entityId, patternText, pattern, typeText, type));
        }
        return selectors;
    }

    private static List<string>? ReadTriggers(JsonObject body)
    {
        if (Member(body, "notificationTrigger") is not { } node)
            return null;
        if (node is not JsonArray array || array.Count == 0)
            throw Invalid("notificationTrigger", "must be a non-empty array of triggers");
        var triggers = new List<string>(array.Count);
        foreach (var item in array)
        {
            if (item?.GetValueKind() != JsonValueKind.String || !TriggerNames.Contains(item.GetValue<string>()))
                throw Invalid("notificationTrigger", $"may hold only {string.Join(", ", TriggerNames)}");
            triggers.Add(item.GetValue<string>());
        }
        return triggers;
    }

    /// <summary>The trigger flags of trigger names; entityUpdated stands for the three attribute triggers (clause 5.2.12).</summary>
    public static NotificationTriggers TriggersOf(IReadOnlyList<string> names)
    {
        var triggers = NotificationTriggers.None;
        foreach (var name in names)
        {
            triggers |= name switch
            {
                "entityCreated" => NotificationTriggers.EntityCreated,
                "entityUpdated" => NotificationTriggers.EntityUpdated | NotificationTriggers.AttributeCreated | NotificationTriggers.AttributeUpdated | NotificationTriggers.AttributeDeleted,
                "entityDeleted" => NotificationTriggers.EntityDeleted,
                "attributeCreated" => NotificationTriggers.AttributeCreated,
                "attributeUpdated" => NotificationTriggers.AttributeUpdated,
                "attributeDeleted" => NotificationTriggers.AttributeDeleted,
                _ => NotificationTriggers.None,
            };
        }
        return triggers;
    }

    private (JsonObject? Text, GeoQuery? Query) ReadGeoQuery(JsonObject body)
    {
        if (Member(body, "geoQ") is not { } node)
            return (null, null);
        if (node is not JsonObject geoQ)
            throw Invalid("geoQ", "must be an object with geometry, coordinates and georel");
        foreach (var (name, _) in geoQ)
        {
            if (name is not ("geometry" or "coordinates" or "georel" or "geoproperty"))
                throw Invalid("geoQ", $"has the member '{name}' (clause 5.2.13 allows geometry, coordinates, georel and geoproperty)");
        }
        var geometry = OptionalString(geoQ, "geometry", "geoQ.geometry") ?? throw Invalid("geoQ.geometry", "is required");
        var georel = OptionalString(geoQ, "georel", "geoQ.georel") ?? throw Invalid("geoQ.georel", "is required");
        var coordinates = geoQ["coordinates"] switch
        {
            JsonArray array => array.ToJsonString(),
            JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
            _ => throw Invalid("geoQ.coordinates", "must be the coordinates of the geometry, as a JSON array or its text"),
        };
        var geoproperty = OptionalString(geoQ, "geoproperty", "geoQ.geoproperty");
        if (geoproperty is not null && !Uris.IsValidName(geoproperty))
            throw Invalid("geoQ.geoproperty", $"'{geoproperty}' is not a valid attribute name");
        var query = Unwrap(GeoQueryParser.Parse(georel, geometry, coordinates, geoproperty, Expander("geoQ")), "geoQ");
        return ((JsonObject)geoQ.DeepClone(), query);
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

    private NotificationParameters ReadNotification(JsonObject body)
    {
        if (Member(body, "notification") is not { } node)
            throw Invalid("notification", "is required");
        if (node is not JsonObject notification)
            throw Invalid("notification", "must be an object");
        var expand = Expander("notification");
        var attributes = OptionalNames(notification, "attributes", expand, "notification.attributes");
        var pick = OptionalProjection(notification, "pick", expand);
        var omit = OptionalProjection(notification, "omit", expand);
        if (attributes is not null && (pick is not null || omit is not null))
            throw Invalid("notification.attributes", "cannot be combined with pick or omit");
        if (pick is not null && omit is not null && pick.Intersect(omit).Any())
            throw Invalid("notification.pick", "and notification.omit name the same member");
        EntityFormat? format = OptionalString(notification, "format", "notification.format") switch
        {
            null => null,
            "normalized" => EntityFormat.Normalized,
            "concise" => EntityFormat.Concise,
            "keyValues" or "simplified" => EntityFormat.KeyValues,
            var other => throw Invalid("notification.format", $"'{other}' is not a format: use normalized, concise or keyValues"),
        };
        var showChanges = OptionalBoolean(notification, "showChanges", "notification.showChanges");
        if (showChanges == true && format == EntityFormat.KeyValues)
            throw Invalid("notification.showChanges", "cannot be true with the keyValues format");
        var join = OptionalString(notification, "join", "notification.join");
        if (join is not null and not ("flat" or "inline" or "@none"))
            throw Invalid("notification.join", "must be flat, inline or @none");
        return new NotificationParameters(
            ReadEndpoint(notification),
            attributes,
            pick,
            omit,
            format,
            OptionalBoolean(notification, "sysAttrs", "notification.sysAttrs"),
            showChanges,
            join,
            OptionalNumber(notification, "joinLevel", minimum: 1, "notification.joinLevel"));
    }

    private static NotificationEndpoint ReadEndpoint(JsonObject notification)
    {
        if (Member(notification, "endpoint") is not { } node)
            throw Invalid("notification.endpoint", "is required");
        if (node is not JsonObject endpoint)
            throw Invalid("notification.endpoint", "must be an object with a uri");
        var uriText = OptionalString(endpoint, "uri", "notification.endpoint.uri") ?? throw Invalid("notification.endpoint.uri", "is required");
        if (!Uri.TryCreate(uriText, UriKind.Absolute, out var uri) || !Uris.IsAbsoluteUri(uriText))
            throw Invalid("notification.endpoint.uri", $"'{uriText}' is not an absolute URI");
        if (uri.Scheme is not ("http" or "https" or "mqtt" or "mqtts"))
            throw Invalid("notification.endpoint.uri", $"has the scheme '{uri.Scheme}': notifications go to http, https, mqtt or mqtts endpoints");
        if (uri.Scheme is "mqtt" or "mqtts" && uri.AbsolutePath.Trim('/').Length == 0)
            throw Invalid("notification.endpoint.uri", "names no MQTT topic: use mqtt://host[:port]/topic");
        var accept = OptionalString(endpoint, "accept", "notification.endpoint.accept");
        if (accept is not null and not ("application/json" or "application/ld+json" or "application/geo+json"))
            throw Invalid("notification.endpoint.accept", $"'{accept}' is not offered: use application/json, application/ld+json or application/geo+json");
        var notifierInfo = ReadKeyValues(endpoint, "notifierInfo");
        foreach (var (key, value) in notifierInfo ?? [])
        {
            if (key == "MQTT-Version" && value is not ("mqtt3.1.1" or "mqtt5.0"))
                throw Invalid("notification.endpoint.notifierInfo", "MQTT-Version must be mqtt3.1.1 or mqtt5.0");
            if (key == "MQTT-QoS" && value is not ("0" or "1" or "2"))
                throw Invalid("notification.endpoint.notifierInfo", "MQTT-QoS must be 0, 1 or 2");
        }
        if (uri.Scheme is "mqtt" or "mqtts" && !Delivery.MqttEndpoint.TryParse(uri, notifierInfo, out _, out var mqttError))
            throw Invalid("notification.endpoint.uri", "cannot be notified over MQTT: " + mqttError);
        return new NotificationEndpoint(uri, accept,
            OptionalNumber(endpoint, "timeout", minimum: 1, "notification.endpoint.timeout"),
            OptionalNumber(endpoint, "cooldown", minimum: 1, "notification.endpoint.cooldown"),
            ReadKeyValues(endpoint, "receiverInfo"),
            notifierInfo);
    }

    private static List<KeyValue>? ReadKeyValues(JsonObject endpoint, string member)
    {
        var path = "notification.endpoint." + member;
        if (Member(endpoint, member) is not { } node)
            return null;
        if (node is not JsonArray array)
            throw Invalid(path, "must be an array of {key, value} objects");
        var pairs = new List<KeyValue>(array.Count);
        foreach (var item in array)
        {
            if (item is not JsonObject pair || pair.Count != 2
                || pair["key"]?.GetValueKind() != JsonValueKind.String || pair["value"]?.GetValueKind() != JsonValueKind.String)
                throw Invalid(path, "must hold objects with a string key and a string value");
            var key = pair["key"]!.GetValue<string>();
            var value = pair["value"]!.GetValue<string>();
            if (key.Length == 0 || key.Any(c => c <= ' ' || c >= 127 || c is ':' or '(' or ')' or ',' or '/' or '[' or ']' or '?' or '=' or '{' or '}' or '"' or '\\'))
                throw Invalid(path, $"has the key '{key}', which is not a header name");
            if (value.Any(c => c is '\r' or '\n' or '\0'))
                throw Invalid(path, $"has a value for '{key}' with a line break");
            pairs.Add(new KeyValue(key, value));
        }
        return pairs;
    }

    private static List<string>? OptionalNames(JsonObject body, string member, Func<string, string> expand, string? path = null)
    {
        path ??= member;
        if (Member(body, member) is not { } node)
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

    /// <summary>pick and omit (clause 4.21): attribute names, and the entity members id, type and scope as they are.</summary>
    private static List<string>? OptionalProjection(JsonObject notification, string member, Func<string, string> expand)
    {
        var path = "notification." + member;
        if (Member(notification, member) is not { } node)
            return null;
        var items = node switch
        {
            JsonArray array when array.Count > 0 => array.Select(item => item?.GetValueKind() == JsonValueKind.String ? item.GetValue<string>() : null).ToList(),
            JsonValue value when value.GetValueKind() == JsonValueKind.String => [.. value.GetValue<string>().Split(',', StringSplitOptions.TrimEntries)],
            _ => throw Invalid(path, "must be a non-empty array of entity member names"),
        };
        var names = new List<string>(items.Count);
        foreach (var item in items)
        {
            if (item is null || !Uris.IsValidName(item))
                throw Invalid(path, "may hold only entity member names");
            var name = item is "id" or "type" or "scope" ? item : expand(item);
            if (!names.Contains(name))
                names.Add(name);
        }
        return names;
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

    private static bool? OptionalBoolean(JsonObject body, string member, string? path = null)
    {
        if (Member(body, member) is not { } node)
            return null;
        return node.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Invalid(path ?? member, "must be true or false"),
        };
    }

    private static double? OptionalNumber(JsonObject body, string member, double minimum, string? path = null)
    {
        if (Member(body, member) is not { } node)
            return null;
        if (node.GetValueKind() != JsonValueKind.Number || !node.AsValue().TryGetValue<double>(out var number) || !double.IsFinite(number))
            throw Invalid(path ?? member, "must be a number");
        if (number < minimum)
            throw Invalid(path ?? member, $"must be at least {minimum.ToString(CultureInfo.InvariantCulture)}");
        return number;
    }

    private static DateTimeOffset? OptionalInstant(JsonObject body, string member)
    {
        var text = OptionalString(body, member);
        if (text is null)
            return null;
        if (!Timestamps.TryParse(text, out var instant))
            throw Invalid(member, $"'{text}' is not a date-time (ISO 8601 with a time zone, e.g. 2026-12-31T23:59:59Z)");
        return instant;
    }

    private static T Unwrap<T>(ParseResult<T> result, string member) =>
        result.Success ? result.Value! : throw Invalid(member, "does not parse: " + (result.Error?.Message ?? "invalid"));

    private static NgsiLdException Invalid(string member, string problem) => NgsiLdException.BadRequestData($"The subscription's {member} {problem}.");
}
