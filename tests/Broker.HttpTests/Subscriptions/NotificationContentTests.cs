using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Subscriptions;

/// <summary>
/// What a notification holds and how it is sent (clause 5.8.6, 5.3.1, 5.2.14, 5.2.15): the media type with its Link
/// header or @context members, the tenant and receiverInfo headers, the format, sysAttrs, attributes/pick/omit and
/// showChanges, and the notifications of batch, merge and replace operations.
/// </summary>
public sealed class NotificationContentTests(SubscriptionBrokerFactory factory, NotificationReceiver receiver)
    : SubscriptionTest<SubscriptionBrokerFactory>(factory, receiver)
{
    private async Task<(string Path, string Subscription)> SubscribeToAsync(string type, string members = "", string notification = "", HttpClient? client = null)
    {
        var path = NotificationReceiver.NewPath();
        var id = await SubscribeAsync(client ?? Client, SubscriptionOf(type, path, members, notification));
        return (path, id);
    }

    private HttpClient ClientOf(string? tenant)
    {
        var client = Factory.CreateClient();
        if (tenant is not null)
            client.DefaultRequestHeaders.Add("NGSILD-Tenant", tenant);
        return client;
    }

    [Fact]
    public async Task A_JSON_notification_is_compacted_with_the_subscription_context_and_links_to_it()
    {
        var id = NewId("Parking");
        var path = NotificationReceiver.NewPath();
        var corePath = NotificationReceiver.NewPath();
        var selector = $$$"""{"type":"Subscription","entities":[{"id":"{{{id}}}","type":"Parking"}],"notification":{"endpoint":{"uri":"{0}"}} }""";
        var compacted = await SubscribeAsync(Client, selector.Replace("{0}", Receiver.UrlOf(path), StringComparison.Ordinal), StubContextLoader.ParkingContextUrl);
        var expanded = await SubscribeAsync(Client, selector.Replace("{0}", Receiver.UrlOf(corePath), StringComparison.Ordinal)
            .Replace("\"type\":\"Parking\"", $"\"type\":\"{StubContextLoader.ParkingType}\"", StringComparison.Ordinal));

        using var create = LinkedRequest(HttpMethod.Post, Entities, StubContextLoader.ParkingContextUrl, ExpectedPayload("parking.json", ("id", id), ("spots", "17")).ToJsonString());
        await AssertStatus(HttpStatusCode.Created, await Client.SendAsync(create));

        var withContext = Assert.Single(await Receiver.WaitForAsync(path, 1, Due));
        var withCore = Assert.Single(await Receiver.WaitForAsync(corePath, 1, Due));
        AssertJsonEqual(new JsonArray(ExpectedPayload("parking.json", ("id", id), ("spots", "17"))), DataOf(withContext, compacted));
        AssertJsonEqual(new JsonArray(ExpectedPayload("parking-expanded.json", ("id", id), ("spots", "17"))), DataOf(withCore, expanded));
        AssertJsonHeaders(withContext, StubContextLoader.ParkingContextUrl);
        AssertJsonHeaders(withCore, CoreContextUrl);
    }

    [Fact]
    public async Task A_JSON_LD_notification_has_no_Link_header_and_the_context_in_each_entity()
    {
        var id = NewId("Parking");
        var path = NotificationReceiver.NewPath();
        var subscription = await SubscribeAsync(Client, $$$"""
            {"type":"Subscription","entities":[{"id":"{{{id}}}","type":"Parking"}],
             "notification":{"endpoint":{"uri":"{{{Receiver.UrlOf(path)}}}","accept":"application/ld+json"}} }
            """, StubContextLoader.ParkingContextUrl);

        using var create = LinkedRequest(HttpMethod.Post, Entities, StubContextLoader.ParkingContextUrl, ExpectedPayload("parking.json", ("id", id), ("spots", "17")).ToJsonString());
        await AssertStatus(HttpStatusCode.Created, await Client.SendAsync(create));

        var notification = Assert.Single(await Receiver.WaitForAsync(path, 1, Due));
        var expected = (JsonObject)ExpectedPayload("parking.json", ("id", id), ("spots", "17"));
        expected["@context"] = StubContextLoader.ParkingContextUrl;
        AssertJsonEqual(new JsonArray(expected), DataOf(notification, subscription));
        Assert.Equal("application/ld+json", MediaTypeOf(notification));
        Assert.False(notification.HasHeaderIgnoringCase("Link"), "A JSON-LD notification carries its @context in the body, not in a Link header");
        Assert.Equal(Tenant, notification.Header("NGSILD-Tenant"));
    }

    [Fact]
    public async Task A_GeoJSON_notification_is_a_FeatureCollection_with_the_context_unless_receiverInfo_prefers_plain_JSON()
    {
        var type = NewType();
        var id = await CreateBridgeAsync(type);
        var (path, subscription) = await SubscribeToAsync(type, notification: "\"format\":\"normalized\"");
        var plainPath = NotificationReceiver.NewPath();
        var plain = await SubscribeAsync($$$"""
            {"type":"Subscription","entities":[{"type":"{{{type}}}"}],
             "notification":{"endpoint":{"uri":"{{{Receiver.UrlOf(plainPath)}}}","accept":"application/geo+json","receiverInfo":[{"key":"Prefer","value":"body=json"}]}} }
            """);
        var geoPath = NotificationReceiver.NewPath();
        var geo = await SubscribeAsync($$$"""
            {"type":"Subscription","entities":[{"type":"{{{type}}}"}],
             "notification":{"endpoint":{"uri":"{{{Receiver.UrlOf(geoPath)}}}","accept":"application/geo+json"}} }
            """);

        await SetAsync(id, "state", "open");

        var collection = AssertNotification(Assert.Single(await Receiver.WaitForAsync(geoPath, 1, Due)), geo);
        var withoutContext = AssertNotification(Assert.Single(await Receiver.WaitForAsync(plainPath, 1, Due)), plain);
        AssertJsonEqual(ExpectedPayload("bridge-geojson.json", ("id", id), ("type", type)), collection);
        var expectedPlain = (JsonObject)ExpectedPayload("bridge-geojson.json", ("id", id), ("type", type));
        expectedPlain.Remove("@context");
        AssertJsonEqual(expectedPlain, withoutContext);
        Assert.Equal("application/geo+json", MediaTypeOf(Receiver.RequestsTo(geoPath)[0]));
        Assert.False(Receiver.RequestsTo(geoPath)[0].HasHeaderIgnoringCase("Link"));
        // The normalized subscription of the same entity is notified as JSON, as before.
        AssertJsonEqual(new JsonArray(Bridge(id, type).With("state", "open")), DataOf(Assert.Single(await Receiver.WaitForAsync(path, 1, Due)), subscription));
    }

    [Fact]
    public async Task Each_format_shows_the_entity_as_retrieve_would_in_that_format()
    {
        var id = NewId("Museum");
        var paths = new Dictionary<string, (string Path, string Subscription)>();
        foreach (var format in new[] { "normalized", "concise", "keyValues" })
        {
            var path = NotificationReceiver.NewPath(format);
            var subscription = await SubscribeAsync($$$"""
                {"type":"Subscription","entities":[{"id":"{{{id}}}","type":"Museum"}],"notificationTrigger":["entityCreated"],
                 "notification":{"format":"{{{format}}}","endpoint":{"uri":"{{{Receiver.UrlOf(path)}}}"}} }
                """);
            paths[format] = (path, subscription);
        }

        await AssertStatus(HttpStatusCode.Created, await SendAsync(HttpMethod.Post, Entities, Expected("all-kinds.json", id)));

        var expected = new Dictionary<string, JsonNode>
        {
            ["normalized"] = Expected("all-kinds.json", id),
            ["concise"] = ExpectedPayload("museum-concise.json", ("id", id)),
            ["keyValues"] = Expected("all-kinds-keyvalues.json", id),
        };
        foreach (var (format, (path, subscription)) in paths)
        {
            var notification = Assert.Single(await Receiver.WaitForAsync(path, 1, Due));
            AssertJsonEqual(new JsonArray(expected[format].DeepClone()), DataOf(notification, subscription));
            AssertJsonHeaders(notification);
        }
    }

    [Fact]
    public async Task sysAttrs_adds_createdAt_and_modifiedAt_to_the_entity_and_each_attribute_and_deletedAt_on_deletion()
    {
        var type = NewType();
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var id = await CreateBridgeAsync(type);
        var (path, subscription) = await SubscribeToAsync(type, "\"notificationTrigger\":[\"attributeUpdated\",\"entityDeleted\"]", "\"sysAttrs\":true");
        var (keyValuesPath, keyValuesSubscription) = await SubscribeToAsync(type, "\"notificationTrigger\":[\"attributeUpdated\"]", "\"sysAttrs\":true,\"format\":\"keyValues\"");

        await SetAsync(id, "state", "open");
        await AssertStatus(HttpStatusCode.NoContent, await Client.DeleteAsync(new Uri(Path(id), UriKind.Relative)));

        var notifications = await Receiver.WaitForAsync(path, 2, Due);
        var updated = SingleEntityOf(notifications[0], subscription);
        AssertJsonEqual(Bridge(id, type).With("state", "open"), WithoutTimestamps(updated));
        foreach (var member in new JsonNode?[] { updated }.Concat(updated.Where(m => m.Value is JsonObject).Select(m => m.Value)))
        {
            var createdAt = AssertInstant(member!["createdAt"]);
            Assert.InRange(createdAt, before, notifications[0].ReceivedAt);
            Assert.InRange(AssertInstant(member["modifiedAt"]), createdAt, notifications[0].ReceivedAt);
        }
        Assert.True(AssertInstant(updated["state"]!["modifiedAt"]) > AssertInstant(updated["state"]!["createdAt"]), "the updated attribute's modifiedAt did not move");
        var deleted = SingleEntityOf(notifications[1], subscription);
        Assert.Equal(["createdAt", "deletedAt", "id", "modifiedAt", "type"], deleted.Select(m => m.Key).Order(StringComparer.Ordinal));
        Assert.Equal((id, type), ((string?)deleted["id"], (string?)deleted["type"]));
        Assert.True(AssertInstant(deleted["deletedAt"]) >= AssertInstant(deleted["modifiedAt"]), "deletedAt is before modifiedAt");
        var keyValues = SingleEntityOf(Assert.Single(await Receiver.WaitForAsync(keyValuesPath, 1, Due)), keyValuesSubscription);
        AssertInstant(keyValues["createdAt"]);
        AssertInstant(keyValues["modifiedAt"]);
        keyValues.Remove("createdAt");
        keyValues.Remove("modifiedAt");
        AssertJsonEqual(JsonNode.Parse($$$"""
            {"id":"{{{id}}}","type":"{{{type}}}","name":"Hubbrücke","state":"open","clearance":3.2,"crosses":"urn:ngsi-ld:Waterway:Trave",
             "location":{"type":"Point","coordinates":[10.6839,53.8697]}}
            """), keyValues);
    }

    [Fact]
    public async Task attributes_pick_and_omit_select_the_members_of_the_notified_entity()
    {
        var type = NewType();
        var id = await CreateBridgeAsync(type);
        var (attributesPath, attributes) = await SubscribeToAsync(type, notification: "\"attributes\":[\"state\"]");
        var (pickPath, pick) = await SubscribeToAsync(type, notification: "\"pick\":[\"id\",\"state\"]");
        var (omitPath, omit) = await SubscribeToAsync(type, notification: "\"omit\":[\"type\",\"state\",\"location\"]");

        await SetAsync(id, "state", "open");

        AssertJsonEqual(JsonNode.Parse($$$"""[{"id":"{{{id}}}","type":"{{{type}}}","state":{"type":"Property","value":"open"}}]"""),
            DataOf(Assert.Single(await Receiver.WaitForAsync(attributesPath, 1, Due)), attributes));
        AssertJsonEqual(JsonNode.Parse($$$"""[{"id":"{{{id}}}","state":{"type":"Property","value":"open"}}]"""),
            DataOf(Assert.Single(await Receiver.WaitForAsync(pickPath, 1, Due)), pick));
        var omitted = Bridge(id, type);
        omitted.Remove("type");
        omitted.Remove("state");
        omitted.Remove("location");
        AssertJsonEqual(new JsonArray(omitted), DataOf(Assert.Single(await Receiver.WaitForAsync(omitPath, 1, Due)), omit));
    }

    [Fact]
    public async Task join_adds_the_linked_entities_inline_or_after_the_notified_entities()
    {
        var type = NewType();
        var city = NewId("City");
        var building = NewId(type);
        await AssertStatus(HttpStatusCode.Created, await SendAsync(HttpMethod.Post, Entities,
            $$$"""{"id":"{{{city}}}","type":"City","name":{"type":"Property","value":"Paris"}}"""));
        var (inlinePath, inline) = await SubscribeToAsync(type, notification: "\"join\":\"inline\"");
        var (flatPath, flat) = await SubscribeToAsync(type, notification: "\"join\":\"flat\",\"joinLevel\":1,\"format\":\"keyValues\"");

        await AssertStatus(HttpStatusCode.Created, await SendAsync(HttpMethod.Post, Entities,
            $$$"""{"id":"{{{building}}}","type":"{{{type}}}","locatedAt":{"type":"Relationship","object":"{{{city}}}"}}"""));

        var linked = JsonNode.Parse($$$"""{"id":"{{{city}}}","type":"City","name":{"type":"Property","value":"Paris"}}""")!;
        AssertJsonEqual(JsonNode.Parse($$$"""[{"id":"{{{building}}}","type":"{{{type}}}","locatedAt":{"type":"Relationship","object":"{{{city}}}","entity":{{{linked.ToJsonString()}}}}}]"""),
            DataOf(Assert.Single(await Receiver.WaitForAsync(inlinePath, 1, Due)), inline));
        AssertJsonEqual(JsonNode.Parse($$$"""[{"id":"{{{building}}}","type":"{{{type}}}","locatedAt":"{{{city}}}"},{"id":"{{{city}}}","type":"City","name":"Paris"}]"""),
            DataOf(Assert.Single(await Receiver.WaitForAsync(flatPath, 1, Due)), flat));
    }

    [Fact]
    public async Task showChanges_adds_the_previous_value_or_object_of_what_changed_and_none_on_creation()
    {
        var type = NewType();
        var (path, subscription) = await SubscribeToAsync(type, "\"notificationTrigger\":[\"entityCreated\",\"attributeUpdated\",\"attributeDeleted\"]", "\"showChanges\":true");

        var id = await CreateBridgeAsync(type);
        await PatchAttrsAsync(id, """{"state":{"type":"Property","value":"open"},"crosses":{"type":"Relationship","object":"urn:ngsi-ld:Waterway:Wakenitz"}}""");
        await AssertStatus(HttpStatusCode.NoContent, await Client.DeleteAsync(new Uri(AttrPath(id, "clearance"), UriKind.Relative)));

        var notifications = await Receiver.WaitForAsync(path, 3, Due);
        AssertJsonEqual(new JsonArray(Bridge(id, type)), DataOf(notifications[0], subscription));
        AssertJsonEqual(new JsonArray(ExpectedPayload("bridge-show-changes.json", ("id", id), ("type", type))), DataOf(notifications[1], subscription));
        AssertJsonEqual(new JsonArray(ExpectedPayload("bridge-show-changes-deleted.json", ("id", id), ("type", type))), DataOf(notifications[2], subscription));
    }

    [Fact]
    public async Task receiverInfo_pairs_are_sent_as_headers_and_notifierInfo_is_not()
    {
        var type = NewType();
        var id = await CreateBridgeAsync(type);
        var path = NotificationReceiver.NewPath();
        var subscription = await SubscribeAsync($$$"""
            {"type":"Subscription","entities":[{"type":"{{{type}}}"}],
             "notification":{"endpoint":{"uri":"{{{Receiver.UrlOf(path)}}}",
               "receiverInfo":[{"key":"X-Luebeck-District","value":"Altstadt"},{"key":"Authorization","value":"Bearer holstentor-1478"}],
               "notifierInfo":[{"key":"X-Notifier-Only","value":"kept by the broker"}]}} }
            """);

        await SetAsync(id, "state", "open");

        var notification = Assert.Single(await Receiver.WaitForAsync(path, 1, Due));
        DataOf(notification, subscription);
        Assert.Equal("Altstadt", notification.Header("X-Luebeck-District"));
        Assert.Equal("Bearer holstentor-1478", notification.Header("Authorization"));
        Assert.False(notification.HasHeaderIgnoringCase("X-Notifier-Only"), "notifierInfo was sent as a header");
        AssertJsonHeaders(notification);
    }

    [Fact]
    public async Task A_notification_carries_NGSILD_Tenant_for_its_tenant_and_none_for_the_default_tenant()
    {
        var type = NewType();
        var otherTenant = "tenant-" + Guid.NewGuid().ToString("N")[..12];
        var other = ClientOf(otherTenant);
        var defaultTenant = ClientOf(null);
        var paths = new List<(HttpClient Client, string Path, string Subscription)>();
        foreach (var client in new[] { other, defaultTenant })
        {
            var path = NotificationReceiver.NewPath();
            paths.Add((client, path, await SubscribeAsync(client, SubscriptionOf(type, path))));
        }

        foreach (var (client, _, _) in paths)
        {
            var id = NewId(type);
            await AssertStatus(HttpStatusCode.Created, await client.SendAsync(Request(HttpMethod.Post, Entities, Bridge(id, type).ToJsonString())));
        }

        var inOther = Assert.Single(await Receiver.WaitForAsync(paths[0].Path, 1, Due));
        var inDefault = Assert.Single(await Receiver.WaitForAsync(paths[1].Path, 1, Due));
        DataOf(inOther, paths[0].Subscription);
        DataOf(inDefault, paths[1].Subscription);
        Assert.Equal(otherTenant, inOther.Header("NGSILD-Tenant"));
        Assert.False(inDefault.HasHeaderIgnoringCase("NGSILD-Tenant"), "a notification of the default tenant names a tenant");
        // Each tenant's subscription saw only its own tenant's entity.
        Assert.NotEqual((string?)DataOf(inOther, paths[0].Subscription)[0]!["id"], (string?)DataOf(inDefault, paths[1].Subscription)[0]!["id"]);
    }

    [Fact]
    public async Task A_batch_upsert_of_three_entities_notifies_each_of_them()
    {
        var type = NewType();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
            ids.Add(await CreateBridgeAsync(type));
        var (path, subscription) = await SubscribeToAsync(type);

        var batch = new JsonArray([.. ids.Select(id => (JsonNode)Bridge(id, type).With("state", "open"))]);
        var response = await SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entityOperations/upsert", batch);

        await AssertStatus(HttpStatusCode.NoContent, response);
        var notifications = await WaitForEntitiesAsync(path, 3);
        var entities = EntitiesOf(notifications, subscription);
        Assert.Equal(ids.Order(StringComparer.Ordinal), entities.Select(e => (string)e["id"]!).Order(StringComparer.Ordinal));
        foreach (var entity in entities)
            AssertJsonEqual(Bridge((string)entity["id"]!, type).With("state", "open"), entity);
        Assert.All(notifications, n => AssertJsonHeaders(n));
    }

    [Fact]
    public async Task Merge_notifies_the_merged_entity_and_replace_the_new_one_with_its_removed_attributes_as_Nulls()
    {
        var type = NewType();
        var merged = await CreateBridgeAsync(type);
        var replaced = await CreateBridgeAsync(type);
        var (path, subscription) = await SubscribeToAsync(type);
        var (updatedPath, entityUpdated) = await SubscribeToAsync(type, "\"notificationTrigger\":[\"entityUpdated\"]");

        await AssertStatus(HttpStatusCode.NoContent,
            await SendAsync(HttpMethod.Patch, Path(merged), """{"state":{"type":"Property","value":"open"},"height":{"type":"Property","value":4.5,"unitCode":"MTR"}}""", "application/merge-patch+json"));
        await AssertStatus(HttpStatusCode.NoContent,
            await SendAsync(HttpMethod.Put, Path(replaced), ExpectedPayload("bridge-replaced.json", ("id", replaced), ("type", type))));

        var mergedEntity = Bridge(merged, type).With("state", "open");
        mergedEntity["height"] = JsonNode.Parse("""{"type":"Property","value":4.5,"unitCode":"MTR"}""");
        var plain = EntitiesOf(await WaitForEntitiesAsync(path, 2), subscription);
        Assert.Equal([merged, replaced], plain.Select(e => (string?)e["id"]));
        AssertJsonEqual(mergedEntity, plain[0]);
        AssertJsonEqual(ExpectedPayload("bridge-replaced.json", ("id", replaced), ("type", type)), plain[1]);
        var withDeletions = EntitiesOf(await WaitForEntitiesAsync(updatedPath, 2), entityUpdated);
        Assert.Equal([merged, replaced], withDeletions.Select(e => (string?)e["id"]));
        AssertJsonEqual(mergedEntity, withDeletions[0]);
        AssertJsonEqual(ExpectedPayload("bridge-replaced-with-nulls.json", ("id", replaced), ("type", type)), withDeletions[1]);
    }
}

internal static class JsonObjectExtensions
{
    /// <summary>A copy with the value of Property <paramref name="attribute"/> set.</summary>
    public static JsonObject With(this JsonObject entity, string attribute, JsonNode value)
    {
        var copy = (JsonObject)entity.DeepClone();
        copy[attribute]!["value"] = value;
        return copy;
    }
}
