using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Entities.Representation;
using Broker.Query.Ast;
using Broker.Storage;
using Ontology.JsonLd;

namespace Broker.Subscriptions;

/// <summary>
/// Writes a subscription (clause 5.2.12) as retrieve and query return it: the members the client gave, names compacted
/// with the request's @context, numbers and texts as given; the computed status; the default notificationTrigger;
/// the delivery status members once a notification was attempted; createdAt and modifiedAt with sysAttrs.
/// </summary>
public static class SubscriptionWriter
{
    private static readonly string[] DefaultTriggers = ["attributeCreated", "attributeUpdated"];

    public static void Write(Utf8JsonWriter json, Subscription subscription, DeliveryStatus status, JsonLdContext context, DateTimeOffset now,
        bool sysAttrs, Action<Utf8JsonWriter>? writeContext, bool withTrigger = true)
    {
        var source = subscription.Source;
        json.WriteStartObject();
        json.WriteString("id"u8, subscription.Id);
        json.WriteString("type"u8, "Subscription");
        foreach (var (name, value) in source)
        {
            switch (name)
            {
                case "id" or "type" or "notification" or "notificationTrigger":
                    break;
                case "entities":
                    json.WritePropertyName(name);
                    WriteEntities(json, subscription, context);
                    break;
                case "watchedAttributes":
                    json.WritePropertyName(name);
                    WriteNames(json, subscription.WatchedAttributes!, context);
                    break;
                default:
                    json.WritePropertyName(name);
                    value!.WriteTo(json);
                    break;
            }
        }
        if (withTrigger)
        {
            json.WriteStartArray("notificationTrigger"u8);
            foreach (var trigger in subscription.NotificationTrigger ?? DefaultTriggers)
                json.WriteStringValue(trigger);
            json.WriteEndArray();
        }
        json.WritePropertyName("notification"u8);
        WriteNotification(json, subscription, status, context);
        json.WriteString("status"u8, subscription.StatusAt(now));
        if (sysAttrs)
        {
            json.WriteString("createdAt"u8, Timestamps.Format6(subscription.CreatedAt));
            json.WriteString("modifiedAt"u8, Timestamps.Format6(subscription.ModifiedAt));
        }
        writeContext?.Invoke(json);
        json.WriteEndObject();
    }

    private static void WriteEntities(Utf8JsonWriter json, Subscription subscription, JsonLdContext context)
    {
        var expansions = subscription.Terms.GetValueOrDefault("entities");
        json.WriteStartArray();
        foreach (var selector in subscription.Entities!)
        {
            json.WriteStartObject();
            if (selector.Id is { } id)
                json.WriteString("id"u8, id);
            if (selector.IdPatternText is { } pattern)
                json.WriteString("idPattern"u8, pattern);
            if (selector.Type is { } type)
                json.WriteString("type"u8, CompactsAsGiven(expansions, context) ? selector.TypeText : Print(type, context, top: true));
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    /// <summary>True when every term the member used compacts back to itself with this @context (the text can be shown as given).</summary>
    private static bool CompactsAsGiven(IReadOnlyDictionary<string, string>? expansions, JsonLdContext context)
    {
        foreach (var (term, iri) in expansions ?? new Dictionary<string, string>())
        {
            if (context.CompactIri(iri) != term)
                return false;
        }
        return true;
    }

    private static string Print(TypeSelector selector, JsonLdContext context, bool top) => selector switch
    {
        TypeName name => context.CompactIri(name.ExpandedType),
        TypeAnd and => Group(string.Join(';', and.Operands.Select(o => Print(o, context, top: false))), top),
        TypeOr or => Group(string.Join('|', or.Operands.Select(o => Print(o, context, top: false))), top),
        _ => "",
    };

    private static string Group(string text, bool top) => top ? text : "(" + text + ")";

    private static void WriteNames(Utf8JsonWriter json, IReadOnlyList<string> names, JsonLdContext context)
    {
        json.WriteStartArray();
        foreach (var name in names)
            json.WriteStringValue(name is "id" or "type" or "scope" ? name : context.CompactIri(name));
        json.WriteEndArray();
    }

    private static void WriteNotification(Utf8JsonWriter json, Subscription subscription, DeliveryStatus status, JsonLdContext context)
    {
        var parameters = subscription.Notification;
        json.WriteStartObject();
        var source = subscription.Source["notification"] as JsonObject ?? [];
        foreach (var (name, value) in source)
        {
            if (SubscriptionReader.IsNull(value) || name is "status" or "timesSent" or "timesFailed" or "lastNotification" or "lastSuccess" or "lastFailure")
                continue;
            json.WritePropertyName(name);
            switch (name)
            {
                case "attributes":
                    WriteNames(json, parameters.Attributes!, context);
                    break;
                case "pick":
                    WriteNames(json, parameters.Pick!, context);
                    break;
                case "omit":
                    WriteNames(json, parameters.Omit!, context);
                    break;
                default:
                    value!.WriteTo(json);
                    break;
            }
        }
        if (status.TimesSent > 0)
        {
            json.WriteString("status"u8, status.LastFailure is { } failure && (status.LastSuccess is not { } success || failure > success) ? "failed" : "ok");
            json.WriteNumber("timesSent"u8, status.TimesSent);
            if (status.TimesFailed > 0)
                json.WriteNumber("timesFailed"u8, status.TimesFailed);
            if (status.LastNotification is { } last)
                json.WriteString("lastNotification"u8, Timestamps.Format6(last));
            if (status.LastSuccess is { } lastSuccess)
                json.WriteString("lastSuccess"u8, Timestamps.Format6(lastSuccess));
            if (status.LastFailure is { } lastFailure)
                json.WriteString("lastFailure"u8, Timestamps.Format6(lastFailure));
        }
        json.WriteEndObject();
    }
}
