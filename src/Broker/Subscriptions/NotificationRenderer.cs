using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Entities.Representation;
using Broker.Storage;
using Ontology.JsonLd;
using Ontology.Model;

namespace Broker.Subscriptions;

/// <summary>One change to report in a notification, with the triggers that made it match.</summary>
public sealed record NotifiedChange(ChangeAnalysis Change, NotificationTriggers Fired);

/// <summary>
/// Writes notifications (clause 5.3.1, 5.8.6): the entities of the changes in the subscription's representation,
/// compacted with its @context, and for changes that deleted something what was deleted, as NGSI-LD Nulls (clause
/// 5.2.1), with the previous values when showChanges is set.
/// </summary>
public static class NotificationRenderer
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public const string NgsiLdNull = "urn:ngsi-ld:null";

    private const string Json = "application/json";
    private const string JsonLd = "application/ld+json";
    private const string GeoJson = "application/geo+json";
    private const string ContextRel = "http://www.w3.org/ns/json-ld#context";
    private const string TenantHeader = "NGSILD-Tenant";

    /// <summary>The body of a notification of <paramref name="changes"/> (or, for a periodic subscription, of <paramref name="entities"/>).</summary>
    public static byte[] Render(Subscription subscription, JsonLdContext context, IReadOnlyList<NotifiedChange> changes, IReadOnlyList<Entity> entities, DateTimeOffset now,
        LinkedEntities? links = null)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            var mediaType = subscription.Notification.Endpoint.MediaType;
            json.WriteStartObject();
            json.WriteString("id"u8, "urn:ngsi-ld:Notification:" + Guid.NewGuid().ToString("D"));
            json.WriteString("type"u8, "Notification");
            json.WriteString("subscriptionId"u8, subscription.Id);
            json.WriteString("notifiedAt"u8, Timestamps.Format6(now));
            json.WritePropertyName("data"u8);
            var options = Options(subscription);
            if (mediaType == GeoJson)
            {
                json.WriteStartObject();
                json.WriteString("type"u8, "FeatureCollection");
                json.WriteStartArray("features"u8);
                Each(subscription, context, options, changes, entities, links, (writer, entity) =>
                    writer.WriteFeature(json, entity, NgsiLd.Location));
                json.WriteEndArray();
                if (!PrefersPlainJson(subscription))
                    WriteContextMember(json, subscription);
                json.WriteEndObject();
            }
            else
            {
                Action<Utf8JsonWriter>? writeContext = mediaType == JsonLd ? writer => WriteContextMember(writer, subscription) : null;
                json.WriteStartArray();
                Each(subscription, context, options, changes, entities, links, (writer, entity) => writer.WriteEntity(json, entity, writeContext));
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void Each(Subscription subscription, JsonLdContext context, RepresentationOptions options, IReadOnlyList<NotifiedChange> changes,
        IReadOnlyList<Entity> entities, LinkedEntities? links, Action<EntityWriter, Entity> write)
    {
        var inline = links is { Kind: JoinKind.Inline } ? links : null;
        var plain = inline is null ? EntityWriter.For(context, options) : EntityWriter.Inline(context, options, inline);
        foreach (var entity in entities)
            write(plain, entity);
        foreach (var change in changes)
        {
            var (view, annotations) = View(subscription, change);
            write(annotations is null ? plain : EntityWriter.ForNotification(context, options, annotations, inline), view);
        }
        if (links is { Kind: JoinKind.Flat })
        {
            foreach (var (entity, projection) in links.Flat)
                write(plain.WithProjection(projection), entity);
        }
    }

    /// <summary>The subscription's join and joinLevel (clause 5.2.14): linked entities of the notified entities.</summary>
    private static JoinOptions JoinOf(Subscription subscription)
    {
        var kind = JoinOptions.ParseKind(subscription.Notification.Join);
        return kind == JoinKind.None
            ? JoinOptions.None
            : new JoinOptions(kind, (int)Math.Clamp(subscription.Notification.JoinLevel ?? 1, 1, JoinOptions.MaxLevel));
    }

    /// <summary>The entities the notification's entities link to, when the subscription asks for a join.</summary>
    public static async Task<LinkedEntities?> LinksAsync(Subscription subscription, IEntityStore store, IReadOnlyList<NotifiedChange> changes, IReadOnlyList<Entity> entities,
        CancellationToken cancellationToken)
    {
        var join = JoinOf(subscription);
        if (join.Kind == JoinKind.None)
            return null;
        var roots = new List<Entity>(entities);
        foreach (var change in changes)
        {
            if (change.Change.Change.Change.After is { } after)
                roots.Add(after);
        }
        return await LinkedEntities.RetrieveAsync(store, subscription.Tenant, roots, Options(subscription), join, cancellationToken, subscription.Restriction)
            .ConfigureAwait(false);
    }

    /// <summary>The representation options of the subscription's notification parameters (clause 5.2.14) and its lang and datasetId.</summary>
    public static RepresentationOptions Options(Subscription subscription)
    {
        var notification = subscription.Notification;
        AttributeProjection projection;
        if (notification.Pick is { } pick)
            projection = new AttributeProjection(pick.ToHashSet(StringComparer.Ordinal), notification.Omit?.ToHashSet(StringComparer.Ordinal), strict: true);
        else if (notification.Attributes is { } attributes)
            projection = new AttributeProjection(attributes.ToHashSet(StringComparer.Ordinal), null);
        else if (notification.Omit is { } omit)
            projection = new AttributeProjection(null, omit.ToHashSet(StringComparer.Ordinal));
        else
            projection = AttributeProjection.All;
        return new RepresentationOptions(notification.Format ?? EntityFormat.Normalized, notification.SysAttrs ?? false, subscription.Lang)
        {
            Projection = projection,
            DatasetIds = subscription.DatasetIds?.ToHashSet(StringComparer.Ordinal),
        };
    }

    /// <summary>
    /// The entity to write for a change, with what the notification adds: for a delete only id, type and deletedAt
    /// (entityDeleted), or the deleted attributes as Nulls (attributeDeleted, showChanges); for an update the deleted
    /// instances as Nulls beside the others (attributeDeleted) and the previous values (showChanges).
    /// </summary>
    private static (Entity View, ChangeAnnotations? Annotations) View(Subscription subscription, NotifiedChange notified)
    {
        var change = notified.Change;
        var entityChange = change.Change.Change;
        var showChanges = subscription.Notification.ShowChanges == true;
        var watched = subscription.WatchedAttributes;
        if (entityChange.Kind == ChangeKind.Delete)
        {
            var before = entityChange.Before!;
            var annotations = new ChangeAnnotations { EntityDeletedAt = entityChange.At };
            var view = new Entity { Id = before.Id, Types = before.Types, Scopes = before.Scopes, CreatedAt = before.CreatedAt, ModifiedAt = before.ModifiedAt };
            var attributesDeleted = showChanges || !notified.Fired.HasFlag(NotificationTriggers.EntityDeleted);
            if (attributesDeleted)
            {
                foreach (var (name, instances) in before.Attributes)
                {
                    if (!showChanges && watched is not null && !watched.Contains(name))
                        continue;
                    var markers = new List<AttributeInstance>(instances.Count);
                    foreach (var instance in instances)
                        markers.Add(Marker(instance, entityChange.At, annotations, showChanges));
                    view.Attributes.Set(name, markers);
                }
            }
            return (view, annotations);
        }

        var after = entityChange.After!;
        var reportDeleted = subscription.Triggers.HasFlag(NotificationTriggers.AttributeDeleted) && change.Deleted.Count > 0;
        if (!reportDeleted && !(showChanges && change.Kind == ChangeKind.Update))
            return (after, null);
        var previous = change.Before;
        var result = new ChangeAnnotations();
        var entity = new Entity { Id = after.Id, Types = after.Types, Scopes = after.Scopes, CreatedAt = after.CreatedAt, ModifiedAt = after.ModifiedAt, Version = after.Version };
        foreach (var (name, instances) in after.Attributes)
        {
            entity.Attributes.Set(name, instances);
            if (showChanges && change.Updated.Contains(name) && previous?.Attributes.Get(name) is { } old)
            {
                foreach (var instance in instances)
                {
                    if (old.Find(i => i.DatasetId == instance.DatasetId) is { } was)
                        result.SetPrevious(instance, was);
                }
            }
        }
        if (reportDeleted && previous is not null)
        {
            foreach (var name in change.Deleted)
            {
                if (watched is not null && !watched.Contains(name) || previous.Attributes.Get(name) is not { } old)
                    continue;
                var now = entity.Attributes.Get(name);
                if (now is null)
                {
                    // The whole attribute is gone: one Null stands for it.
                    var removed = old.Find(i => i.DatasetId is null) ?? old[0];
                    entity.Attributes.Set(name, [Marker(removed, entityChange.At, result, showChanges, keepDatasetId: old.Count == 1)]);
                    continue;
                }
                var shown = new List<AttributeInstance>(now);
                foreach (var instance in old)
                {
                    if (!now.Exists(i => i.DatasetId == instance.DatasetId))
                        shown.Add(Marker(instance, entityChange.At, result, showChanges));
                }
                entity.Attributes.Set(name, shown);
            }
        }
        return (entity, result);
    }

    /// <summary>A deleted instance as the NGSI-LD Null of its kind (clause 5.2.1), with its previous value when showChanges is set.</summary>
    private static AttributeInstance Marker(AttributeInstance deleted, DateTimeOffset at, ChangeAnnotations annotations, bool showChanges, bool keepDatasetId = true)
    {
        var marker = new AttributeInstance
        {
            Kind = deleted.Kind,
            Value = deleted.Kind == AttributeKind.LanguageProperty ? new JsonObject { ["@none"] = NgsiLdNull } : JsonValue.Create(NgsiLdNull),
            DatasetId = keepDatasetId ? deleted.DatasetId : null,
            CreatedAt = deleted.CreatedAt,
            ModifiedAt = deleted.ModifiedAt,
        };
        annotations.SetDeleted(marker, at);
        if (showChanges)
            annotations.SetPrevious(marker, deleted);
        return marker;
    }

    private static void WriteContextMember(Utf8JsonWriter json, Subscription subscription)
    {
        json.WritePropertyName("@context"u8);
        if (subscription.JsonldContext is { } url)
            json.WriteStringValue(url);
        else if (subscription.Context is { } context)
            context.WriteTo(json);
        else
            json.WriteStringValue(JsonLdContext.CoreContextUrl);
    }

    /// <summary>receiverInfo Prefer: body=json (clause 5.3.1): a GeoJSON notification without @context.</summary>
    private static bool PrefersPlainJson(Subscription subscription) =>
        subscription.Notification.Endpoint.ReceiverInfo?.Any(p => p.Key.Equals("Prefer", StringComparison.OrdinalIgnoreCase) && p.Value.Contains("body=json", StringComparison.OrdinalIgnoreCase)) == true;

    /// <summary>The headers of a notification besides Content-Type: Link (application/json), NGSILD-Tenant, and receiverInfo (clause 5.2.15).</summary>
    public static List<KeyValuePair<string, string>> Headers(Subscription subscription)
    {
        var headers = new List<KeyValuePair<string, string>>();
        if (subscription.Notification.Endpoint.MediaType == Json)
            headers.Add(new("Link", $"<{LinkContextUrl(subscription)}>; rel=\"{ContextRel}\"; type=\"{JsonLd}\""));
        if (subscription.Tenant.Length > 0)
            headers.Add(new(TenantHeader, subscription.Tenant));
        foreach (var (key, value) in subscription.Notification.Endpoint.ReceiverInfo ?? [])
            headers.Add(new(key, value));
        return headers;
    }

    /// <summary>The @context a JSON notification links to: jsonldContext, or the subscription's own (clause 5.2.12).</summary>
    public static string LinkContextUrl(Subscription subscription) =>
        subscription.JsonldContext ?? subscription.ContextUrl ?? JsonLdContext.CoreContextUrl;
}
