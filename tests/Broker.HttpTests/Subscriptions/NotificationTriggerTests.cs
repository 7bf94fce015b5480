using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Subscriptions;

/// <summary>
/// When a change is notified (clause 5.8.6): each notificationTrigger of clause 5.2.12, watchedAttributes, and the q,
/// geoQ and scopeQ filters, each with what the notification then holds. A change that must not be notified is followed
/// by one that must: a subscription's notifications arrive in the order of its changes, so the first notification to
/// arrive shows whether the earlier change was (wrongly) notified.
/// </summary>
public sealed class NotificationTriggerTests(SubscriptionBrokerFactory factory, NotificationReceiver receiver)
    : SubscriptionTest<SubscriptionBrokerFactory>(factory, receiver)
{
    private async Task<(string Path, string Subscription)> SubscribeToAsync(string type, string members = "", string notification = "")
    {
        var path = NotificationReceiver.NewPath();
        var id = await SubscribeAsync(SubscriptionOf(type, path, members, notification));
        return (path, id);
    }

    [Fact]
    public async Task entityCreated_notifies_a_new_entity_whole_and_not_its_updates()
    {
        var type = NewType();
        var (path, subscription) = await SubscribeToAsync(type, "\"notificationTrigger\":[\"entityCreated\"]");

        var first = await CreateBridgeAsync(type);
        await SetAsync(first, "state", "open");
        var second = await CreateBridgeAsync(type);

        var notifications = await WaitForEntitiesAsync(path, 2);
        var entities = EntitiesOf(notifications, subscription);
        Assert.Equal(2, entities.Count);
        AssertJsonEqual(Bridge(first, type), entities[0]);
        AssertJsonEqual(Bridge(second, type), entities[1]);
        Assert.All(notifications, n => AssertJsonHeaders(n));
    }

    [Fact]
    public async Task entityUpdated_notifies_appended_updated_and_deleted_attributes()
    {
        var type = NewType();
        var id = await CreateBridgeAsync(type);
        var (path, subscription) = await SubscribeToAsync(type, "\"notificationTrigger\":[\"entityUpdated\"]");

        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Post, AttrsPath(id), """{"height":{"type":"Property","value":4.5}}"""));
        await SetAsync(id, "state", "open");
        await AssertStatus(HttpStatusCode.NoContent, await Client.DeleteAsync(new Uri(AttrPath(id, "clearance"), UriKind.Relative)));

        var notifications = await Receiver.WaitForAsync(path, 3, Due);
        var expected = Bridge(id, type);
        expected["height"] = new JsonObject { ["type"] = "Property", ["value"] = 4.5 };
        AssertJsonEqual(new JsonArray(expected.DeepClone()), DataOf(notifications[0], subscription));
        expected["state"]!["value"] = "open";
        AssertJsonEqual(new JsonArray(expected.DeepClone()), DataOf(notifications[1], subscription));
        expected["clearance"] = DeletedProperty();
        AssertJsonEqual(new JsonArray(expected.DeepClone()), DataOf(notifications[2], subscription));
        Assert.All(notifications, n => AssertJsonHeaders(n));
    }

    [Fact]
    public async Task entityDeleted_notifies_only_id_type_and_deletedAt_and_not_an_update_before()
    {
        var type = NewType();
        var id = await CreateBridgeAsync(type);
        var (path, subscription) = await SubscribeToAsync(type, "\"notificationTrigger\":[\"entityDeleted\"]");

        await SetAsync(id, "state", "open");
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        await AssertStatus(HttpStatusCode.NoContent, await Client.DeleteAsync(new Uri(Path(id), UriKind.Relative)));

        var notification = Assert.Single(await Receiver.WaitForAsync(path, 1, Due));
        var entity = SingleEntityOf(notification, subscription);
        var deletedAt = AssertInstant(entity["deletedAt"]);
        Assert.InRange(deletedAt, before, notification.ReceivedAt);
        AssertJsonEqual(ExpectedPayload("bridge-deleted.json", ("id", id), ("type", type), ("deletedAt", (string)entity["deletedAt"]!)), entity);
        AssertJsonHeaders(notification);
    }

    [Fact]
    public async Task attributeCreated_notifies_a_new_attribute_and_not_an_update_of_an_existing_one()
    {
        var type = NewType();
        var id = await CreateBridgeAsync(type);
        var (path, subscription) = await SubscribeToAsync(type, "\"notificationTrigger\":[\"attributeCreated\"]");

        await SetAsync(id, "state", "open");
        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Post, AttrsPath(id), """{"height":{"type":"Property","value":4.5}}"""));

        var notification = Assert.Single(await Receiver.WaitForAsync(path, 1, Due));
        var expected = Bridge(id, type);
        expected["state"]!["value"] = "open";
        expected["height"] = new JsonObject { ["type"] = "Property", ["value"] = 4.5 };
        AssertJsonEqual(new JsonArray(expected), DataOf(notification, subscription));
        AssertJsonHeaders(notification);
    }

    [Fact]
    public async Task attributeUpdated_notifies_a_changed_attribute_and_not_a_new_one()
    {
        var type = NewType();
        var id = await CreateBridgeAsync(type);
        var (path, subscription) = await SubscribeToAsync(type, "\"notificationTrigger\":[\"attributeUpdated\"]");

        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Post, AttrsPath(id), """{"height":{"type":"Property","value":4.5}}"""));
        await SetAsync(id, "state", "open");

        var notification = Assert.Single(await Receiver.WaitForAsync(path, 1, Due));
        var expected = Bridge(id, type);
        expected["state"]!["value"] = "open";
        expected["height"] = new JsonObject { ["type"] = "Property", ["value"] = 4.5 };
        AssertJsonEqual(new JsonArray(expected), DataOf(notification, subscription));
    }

    [Fact]
    public async Task attributeDeleted_notifies_the_deleted_attribute_as_an_NGSI_LD_Null_whether_deleted_or_merged_with_null()
    {
        var type = NewType();
        var id = await CreateBridgeAsync(type);
        var (path, subscription) = await SubscribeToAsync(type, "\"notificationTrigger\":[\"attributeDeleted\"]");

        await SetAsync(id, "state", "open");
        await AssertStatus(HttpStatusCode.NoContent, await Client.DeleteAsync(new Uri(AttrPath(id, "clearance"), UriKind.Relative)));
        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Patch, Path(id), """{"name":"urn:ngsi-ld:null"}""", "application/merge-patch+json"));

        var notifications = await Receiver.WaitForAsync(path, 2, Due);
        var expected = Bridge(id, type);
        expected["state"]!["value"] = "open";
        expected["clearance"] = DeletedProperty();
        AssertJsonEqual(new JsonArray(expected.DeepClone()), DataOf(notifications[0], subscription));
        expected.Remove("clearance");
        expected["name"] = DeletedProperty();
        AssertJsonEqual(new JsonArray(expected.DeepClone()), DataOf(notifications[1], subscription));
        Assert.All(notifications, n => AssertJsonHeaders(n));
    }

    [Fact]
    public async Task attributeDeleted_of_one_datasetId_shows_the_other_instances_and_the_deleted_one_as_a_Null()
    {
        var type = NewType();
        var id = await CreateBridgeAsync(type, "bridge-multi-instance.json");
        var (path, subscription) = await SubscribeToAsync(type, "\"notificationTrigger\":[\"attributeDeleted\"]");

        var response = await Client.DeleteAsync(new Uri(AttrPath(id, "clearance") + "?datasetId=urn:ngsi-ld:Dataset:high-water", UriKind.Relative));

        await AssertStatus(HttpStatusCode.NoContent, response);
        var entity = SingleEntityOf(Assert.Single(await Receiver.WaitForAsync(path, 1, Due)), subscription);
        entity["clearance"] = new JsonArray([.. entity["clearance"]!.AsArray().Select(i => i!.DeepClone()).OrderBy(i => (string?)i["datasetId"] ?? "", StringComparer.Ordinal)]);
        AssertJsonEqual(ExpectedPayload("bridge-multi-instance-deleted-high-water.json", ("id", id), ("type", type)), entity);
    }

    [Fact]
    public async Task The_default_triggers_notify_creations_and_updates_but_not_deletions()
    {
        var type = NewType();
        var (path, subscription) = await SubscribeToAsync(type);

        var id = await CreateBridgeAsync(type);
        await AssertStatus(HttpStatusCode.NoContent, await Client.DeleteAsync(new Uri(AttrPath(id, "clearance"), UriKind.Relative)));
        await SetAsync(id, "state", "open");
        var other = await CreateBridgeAsync(type);
        await AssertStatus(HttpStatusCode.NoContent, await Client.DeleteAsync(new Uri(Path(other), UriKind.Relative)));
        await SetAsync(id, "state", "closed");

        // The update of one entity and the creation of another may share a notification; nothing else may come between.
        var notifications = await WaitForEntitiesAsync(path, 4);
        var entities = EntitiesOf(notifications, subscription);
        Assert.Equal([id, id, other, id], entities.Select(e => (string?)e["id"]));
        var expected = Bridge(id, type);
        AssertJsonEqual(expected.DeepClone(), entities[0]);
        expected.Remove("clearance");
        expected["state"]!["value"] = "open";
        AssertJsonEqual(expected.DeepClone(), entities[1]);
        AssertJsonEqual(Bridge(other, type), entities[2]);
        expected["state"]!["value"] = "closed";
        AssertJsonEqual(expected, entities[3]);
        Assert.All(notifications, n => AssertJsonHeaders(n));
    }

    [Fact]
    public async Task A_change_of_an_attribute_that_is_not_watched_is_not_notified()
    {
        var type = NewType();
        var id = await CreateBridgeAsync(type);
        var (path, subscription) = await SubscribeToAsync(type, "\"watchedAttributes\":[\"state\"]");

        await SetAsync(id, "clearance", 2.9);
        await Receiver.AssertStaysAtAsync(path, 0, Quiet);
        await SetAsync(id, "state", "open");

        var notification = Assert.Single(await Receiver.WaitForAsync(path, 1, Due));
        var expected = Bridge(id, type);
        expected["clearance"] = new JsonObject { ["type"] = "Property", ["value"] = 2.9 };
        expected["state"]!["value"] = "open";
        AssertJsonEqual(new JsonArray(expected), DataOf(notification, subscription));
    }

    [Fact]
    public async Task q_notifies_only_changes_after_which_the_entity_matches()
    {
        var type = NewType();
        var id = await CreateBridgeAsync(type);
        var (path, subscription) = await SubscribeToAsync(type, "\"q\":\"clearance>3;state==%22open%22\"");

        await SetAsync(id, "state", "open");
        await SetAsync(id, "clearance", 2.5);
        await SetAsync(id, "clearance", 3.5);
        await SetAsync(id, "state", "closed");
        await SetAsync(id, "state", "open");

        var notifications = await Receiver.WaitForAsync(path, 3, Due);
        Assert.Equal(["open", "open", "open"], notifications.Select(n => (string?)SingleEntityOf(n, subscription)["state"]!["value"]));
        Assert.Equal([3.2, 3.5, 3.5], notifications.Select(n => (double)SingleEntityOf(n, subscription)["clearance"]!["value"]!));
        await Receiver.AssertStaysAtAsync(path, 3, TimeSpan.Zero);
    }

    [Fact]
    public async Task geoQ_notifies_only_entities_within_the_distance()
    {
        var type = NewType();
        var inHamburg = await CreateBridgeAsync(type);
        await PatchAttrsAsync(inHamburg, """{"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[9.9937,53.5511]}}}""");
        var inLuebeck = await CreateBridgeAsync(type);
        var (path, subscription) = await SubscribeToAsync(type,
            """ "geoQ":{"geometry":"Point","coordinates":[10.6866,53.8655],"georel":"near;maxDistance==2000"} """);

        await SetAsync(inHamburg, "state", "open");
        await SetAsync(inLuebeck, "state", "open");
        await PatchAttrsAsync(inHamburg, """{"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[10.6900,53.8700]}}}""");

        var entities = EntitiesOf(await WaitForEntitiesAsync(path, 2), subscription);
        Assert.Equal([inLuebeck, inHamburg], entities.Select(e => (string?)e["id"]));
        var moved = Bridge(inHamburg, type);
        moved["location"]!["value"]!["coordinates"] = new JsonArray(10.69, 53.87);
        moved["state"]!["value"] = "open";
        AssertJsonEqual(moved, entities[1]);
    }

    [Fact]
    public async Task scopeQ_notifies_only_entities_in_the_scope()
    {
        var type = NewType();
        var outside = await CreateBridgeAsync(type);
        var inside = await CreateBridgeAsync(type);
        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Patch, Path(outside), """{"scope":"/Hamburg/Speicherstadt"}""", "application/merge-patch+json"));
        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Patch, Path(inside), """{"scope":"/Luebeck/Altstadt"}""", "application/merge-patch+json"));
        var (path, subscription) = await SubscribeToAsync(type, "\"scopeQ\":\"/Luebeck/#\"");

        await SetAsync(outside, "state", "open");
        await SetAsync(inside, "state", "open");

        var entity = SingleEntityOf(Assert.Single(await Receiver.WaitForAsync(path, 1, Due)), subscription);
        var expected = Bridge(inside, type);
        expected["state"]!["value"] = "open";
        expected["scope"] = "/Luebeck/Altstadt";
        AssertJsonEqual(expected, entity);
    }
}
