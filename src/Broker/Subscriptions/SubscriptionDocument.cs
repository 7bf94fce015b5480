using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Entities.Representation;
using Broker.Storage;

namespace Broker.Subscriptions;

/// <summary>
/// The document a store keeps for a subscription: the members as given, the expansion of every term they use, the
/// @context for notifications, and the system times. Reading it parses the members again with the recorded
/// expansions, so a stored subscription means what it meant when it was written, whatever its @context serves now.
/// </summary>
public static class SubscriptionDocument
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Write(Subscription subscription)
    {
        var terms = new JsonObject();
        foreach (var (member, expansions) in subscription.Terms)
        {
            var map = new JsonObject();
            foreach (var (term, iri) in expansions)
                map[term] = iri;
            terms[member] = map;
        }
        var document = new JsonObject
        {
            ["body"] = subscription.Source.DeepClone(),
            ["terms"] = terms,
            ["createdAt"] = Timestamps.Format6(subscription.CreatedAt),
            ["modifiedAt"] = Timestamps.Format6(subscription.ModifiedAt),
            ["activeSince"] = Timestamps.Format6(subscription.ActiveSince),
        };
        if (subscription.Context is { } context)
            document["context"] = context.DeepClone();
        if (subscription.ContextUrl is { } url)
            document["contextUrl"] = url;
        if (subscription.Restriction is { } restriction)
            document["restriction"] = WriteRestriction(restriction);
        return document.ToJsonString(Relaxed);
    }

    public static Subscription Read(StoredSubscription stored)
    {
        var document = JsonNode.Parse(stored.Document)!.AsObject();
        var recorded = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        if (document["terms"] is JsonObject terms)
        {
            foreach (var (member, map) in terms)
            {
                var expansions = recorded[member] = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var (term, iri) in map!.AsObject())
                    expansions[term] = iri!.GetValue<string>();
            }
        }
        var body = document["body"]!.AsObject();
        var subscription = SubscriptionReader.Read(body, stored.Tenant, stored.Id,
            member => recorded.TryGetValue(member, out var expansions) ? term => expansions.GetValueOrDefault(term, term) : static term => term,
            DateTimeOffset.MinValue, checkExpiry: false, Time(document, "createdAt"), Time(document, "modifiedAt"), document["context"]);
        return subscription with
        {
            Source = body,
            ContextUrl = document["contextUrl"]?.GetValue<string>(),
            ActiveSince = Time(document, "activeSince"),
            Restriction = document["restriction"] is JsonArray restriction ? ReadRestriction(restriction) : null,
        };
    }

    private static JsonArray WriteRestriction(EntityRestriction restriction)
    {
        var allowed = new JsonArray();
        foreach (var entities in restriction.AnyOf)
        {
            var member = new JsonObject();
            if (entities.Types is { } types)
                member["types"] = new JsonArray([.. types.Select(t => (JsonNode)t)]);
            if (entities.IdPattern is { } pattern)
                member["idPattern"] = pattern.ToString();
            allowed.Add(member);
        }
        return allowed;
    }

    private static EntityRestriction ReadRestriction(JsonArray allowed) =>
        new([.. allowed.Select(node => new AllowedEntities(
            node!["types"] is JsonArray types ? [.. types.Select(t => t!.GetValue<string>())] : null,
            node["idPattern"] is { } pattern ? AllowedEntities.WholeIdPattern(pattern.GetValue<string>(), Query.Parsing.QueryParser.DefaultRegexTimeout) : null))]);

    private static DateTimeOffset Time(JsonObject document, string member) =>
        DateTimeOffset.Parse(document[member]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
}
