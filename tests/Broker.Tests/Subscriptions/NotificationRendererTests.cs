using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Subscriptions;
using Ontology.JsonLd;
using Xunit;
using static Broker.Tests.Subscriptions.SubscriptionSamples;

namespace Broker.Tests.Subscriptions;

/// <summary>Notification bodies (clause 5.3.1, 5.8.6) against the expected payloads in Data/Notifications.</summary>
public sealed class NotificationRendererTests
{
    private static readonly DateTimeOffset NotifiedAt = new(2026, 12, 3, 10, 5, 0, TimeSpan.Zero);

    private static string Render(Subscription subscription, ChangeAnalysis change)
    {
        var fired = ChangeMatcher.Match(subscription, change, NotifiedAt);
        Assert.NotEqual(NotificationTriggers.None, fired);
        var body = JsonNode.Parse(NotificationRenderer.Render(subscription, JsonLdContext.Core, [new NotifiedChange(change, fired)], [], NotifiedAt))!.AsObject();
        Assert.StartsWith("urn:ngsi-ld:Notification:", body["id"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(Guid.TryParse(body["id"]!.GetValue<string>()["urn:ngsi-ld:Notification:".Length..], out _));
        body["id"] = "urn:ngsi-ld:Notification:x";
        return body.ToJsonString();
    }

    private static void AssertExpected(string file, string actual)
    {
        var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Data", "Notifications", file)));
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(actual)), $"{file}: expected {expected!.ToJsonString()}, got {actual}");
    }

    [Fact]
    public void An_update_with_showChanges_shows_the_previous_value_of_what_changed()
    {
        var subscription = Read("""
            {"id":"urn:ngsi-ld:Subscription:1","type":"Subscription","entities":[{"type":"Room"}],
             "notification":{"showChanges":true,"endpoint":{"uri":"http://r.example.org/"}}}
            """);
        var before = Room();
        var after = SubscriptionSamples.With(before, e => e.Attributes.Get(Ns + "temperature")![0].Value = JsonValue.Create(23.5));

        AssertExpected("update-show-changes.json", Render(subscription, StoredUpdate(before, after, Ns + "temperature")));
    }

    [Fact]
    public void A_deleted_entity_is_its_id_type_and_deletion_time_and_with_sysAttrs_its_system_times()
    {
        var subscription = Read("""
            {"id":"urn:ngsi-ld:Subscription:2","type":"Subscription","entities":[{"type":"Room"}],"notificationTrigger":["entityDeleted"],
             "notification":{"format":"keyValues","sysAttrs":true,"endpoint":{"uri":"http://r.example.org/"}}}
            """);

        AssertExpected("entity-deleted-keyvalues-sysattrs.json", Render(subscription, Delete(Room())));
    }

    [Fact]
    public void A_deleted_instance_is_a_null_beside_the_remaining_instances_and_a_deleted_attribute_one_null()
    {
        var subscription = Read("""
            {"id":"urn:ngsi-ld:Subscription:3","type":"Subscription","entities":[{"type":"Room"}],"notificationTrigger":["attributeDeleted"],
             "notification":{"endpoint":{"uri":"http://r.example.org/"}}}
            """);
        var before = SubscriptionSamples.With(Room(), e => e.Attributes.Put(Ns + "name", Property(JsonValue.Create("Halle"), "urn:ngsi-ld:Dataset:de")));
        var instanceRemoved = SubscriptionSamples.With(before, e => e.Attributes.Get(Ns + "name")!.RemoveAll(i => i.DatasetId is not null));
        var attributeRemoved = SubscriptionSamples.With(before, e => e.Attributes.Remove(Ns + "name"));

        AssertExpected("instance-deleted.json", Render(subscription, StoredUpdate(before, instanceRemoved, Ns + "name")));
        AssertExpected("attribute-deleted.json", Render(subscription, StoredUpdate(before, attributeRemoved, Ns + "name")));
    }

    [Fact]
    public void A_deleted_entity_with_showChanges_shows_every_attribute_as_null_with_its_previous_value()
    {
        var subscription = Read("""
            {"id":"urn:ngsi-ld:Subscription:4","type":"Subscription","entities":[{"type":"Room"}],"notificationTrigger":["entityDeleted"],
             "notification":{"showChanges":true,"endpoint":{"uri":"http://r.example.org/"}}}
            """);
        var room = SubscriptionSamples.With(Room(), e => e.Attributes.Put(Ns + "label", new Ontology.Model.AttributeInstance
        {
            Kind = Ontology.Model.AttributeKind.LanguageProperty,
            Value = JsonNode.Parse("""{"de":"Saal","en":"Hall"}"""),
        }));

        AssertExpected("entity-deleted-show-changes.json", Render(subscription, Delete(room)));
    }

    [Fact]
    public void A_JSON_LD_notification_carries_the_context_in_every_entity_and_a_JSON_one_links_to_it()
    {
        var jsonLd = Read("""
            {"id":"urn:ngsi-ld:Subscription:5","type":"Subscription","entities":[{"type":"Room"}],
             "notification":{"format":"concise","attributes":["temperature"],"endpoint":{"uri":"http://r.example.org/","accept":"application/ld+json"}}}
            """) with { Context = JsonValue.Create("https://contexts.example.org/city.jsonld"), ContextUrl = "https://contexts.example.org/city.jsonld" };
        var json = jsonLd with { Notification = jsonLd.Notification with { Endpoint = jsonLd.Notification.Endpoint with { Accept = null } } };

        AssertExpected("jsonld-concise-attributes.json", Render(jsonLd, Create(Room())));
        Assert.DoesNotContain(NotificationRenderer.Headers(jsonLd), h => h.Key == "Link");
        Assert.Contains(NotificationRenderer.Headers(json), h => h.Key == "Link" && h.Value == "<https://contexts.example.org/city.jsonld>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"");
    }

    [Fact]
    public void A_GeoJSON_notification_is_a_feature_collection()
    {
        var subscription = Read("""
            {"id":"urn:ngsi-ld:Subscription:6","type":"Subscription","entities":[{"type":"Room"}],
             "notification":{"format":"keyValues","endpoint":{"uri":"http://r.example.org/","accept":"application/geo+json"}}}
            """);
        var room = SubscriptionSamples.With(Room(), e => e.Attributes.Put(Ontology.Model.NgsiLd.Location, new Ontology.Model.AttributeInstance
        {
            Kind = Ontology.Model.AttributeKind.GeoProperty,
            Value = JsonNode.Parse("""{"type":"Point","coordinates":[10.6797,53.866]}"""),
        }));

        AssertExpected("geojson-keyvalues.json", Render(subscription, Create(room)));
    }

    [Fact]
    public void Receiver_info_and_the_tenant_become_headers()
    {
        var subscription = Read("""
            {"type":"Subscription","entities":[{"type":"Room"}],
             "notification":{"endpoint":{"uri":"http://r.example.org/","receiverInfo":[{"key":"X-Api-Key","value":"k1"}]}}}
            """) with { Tenant = "luebeck" };

        var headers = NotificationRenderer.Headers(subscription);

        Assert.Contains(new KeyValuePair<string, string>("X-Api-Key", "k1"), headers);
        Assert.Contains(new KeyValuePair<string, string>("NGSILD-Tenant", "luebeck"), headers);
        Assert.Contains(headers, h => h.Key == "Link" && h.Value.StartsWith("<" + JsonLdContext.CoreContextUrl + ">", StringComparison.Ordinal));
    }
}
