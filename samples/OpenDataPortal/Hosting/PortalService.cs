using System.Text.Json.Nodes;
using OpenDataPortal.Broker;
using OpenDataPortal.Publishing;

namespace OpenDataPortal.Hosting;

/// <summary>
/// The portal's work: at start-up it subscribes to the broker for every dataset, reads the current entities and fills
/// the days of history the catalog holds (Portal:HistoryDays) from the temporal API (the notifications it did not get);
/// then every notification updates the datasets.
/// </summary>
public sealed class PortalService(DatasetCatalog catalog, BrokerClient broker, PortalOptions portal, PrivacyOptions privacy, TimeProvider clock, ILogger<PortalService> logger)
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsReady => _started.Task.IsCompletedSuccessfully;

    public static string SubscriptionId(DatasetDefinition dataset) => $"urn:ngsi-ld:Subscription:open-data-portal:{dataset.Name}";

    /// <summary>
    /// Subscribes first and reads afterwards, so nothing falls between the two: what arrives twice (read and notified)
    /// is the same entity state or the same observation, kept once.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var dataset in catalog.Definitions)
            await broker.ReplaceSubscriptionAsync(Subscription(dataset), cancellationToken);
        var now = clock.GetUtcNow();
        var backfillFrom = catalog.StartOf(catalog.HeldSince);
        foreach (var dataset in catalog.Definitions)
        {
            var entities = await broker.EntitiesAsync(dataset.EntityTypes, cancellationToken);
            catalog.Apply(entities, now);
            catalog.AddHistory(await broker.HistoryOfTypesAsync(dataset.EntityTypes, backfillFrom, now, cancellationToken));
            logger.LogInformation("Dataset {Dataset}: {Count} entities, history since {From:u}", dataset.Name, entities.Count, backfillFrom);
        }
        _started.TrySetResult();
    }

    /// <summary>The subscription of a dataset: every entity of its types, whole and normalized, deletions included; the deny-list is not even sent.</summary>
    public JsonObject Subscription(DatasetDefinition dataset)
    {
        var notification = new JsonObject
        {
            ["format"] = "normalized",
            ["endpoint"] = new JsonObject { ["uri"] = new Uri(portal.PublicUrl, $"notify/{dataset.Name}").ToString(), ["accept"] = "application/json" },
        };
        if (privacy.DenyAttributes.Count > 0)
            notification["omit"] = new JsonArray([.. privacy.DenyAttributes.Select(name => (JsonNode)name)]);
        return new JsonObject
        {
            ["id"] = SubscriptionId(dataset),
            ["type"] = "Subscription",
            ["description"] = $"Open data portal: {dataset.Title}",
            ["entities"] = new JsonArray([.. dataset.EntityTypes.Select(type => (JsonNode)new JsonObject { ["type"] = type })]),
            ["notificationTrigger"] = new JsonArray("entityCreated", "entityUpdated", "attributeCreated", "attributeUpdated", "entityDeleted"),
            ["notification"] = notification,
        };
    }

    /// <summary>A notification (clause 5.3.1) for a dataset.</summary>
    /// <exception cref="FormatException">It is not a notification.</exception>
    public void Receive(JsonNode? notification)
    {
        if (notification is not JsonObject body || body["data"] is not JsonArray data || data.Any(e => e is not JsonObject entity || entity["id"] is not JsonValue || entity["type"] is null))
            throw new FormatException("A notification is a JSON object whose data member is an array of entities, each with an id and a type.");
        var notifiedAt = body["notifiedAt"] is JsonValue at && DateTimeOffset.TryParse(at.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : clock.GetUtcNow();
        catalog.Apply(data.OfType<JsonObject>(), notifiedAt);
    }
}
