using System.Text.Json.Nodes;
using Broker.Subscriptions;
using Xunit;
using static Broker.Tests.Subscriptions.SubscriptionSamples;

namespace Broker.Tests.Subscriptions;

/// <summary>The notification rules of clause 5.8.6 as <see cref="ChangeMatcher"/> decides them.</summary>
public sealed class ChangeMatcherTests
{
    private static readonly DateTimeOffset Now = Created.AddMinutes(1);

    private static NotificationTriggers Match(Subscription subscription, ChangeAnalysis change) => ChangeMatcher.Match(subscription, change, Now);

    [Fact]
    public void Creating_an_entity_notifies_the_default_triggers_as_attributes_created()
    {
        Assert.Equal(NotificationTriggers.AttributeCreated, Match(OnRooms(), Create(Room())));
    }

    [Fact]
    public void A_subscription_restricted_to_some_ids_notifies_only_those_and_keeps_the_restriction_when_stored()
    {
        var restriction = new Broker.Storage.EntityRestriction([new Broker.Storage.AllowedEntities([Ns + "Room"],
            Broker.Storage.AllowedEntities.WholeIdPattern("urn:ngsi-ld:Room:public-.*", TimeSpan.FromSeconds(1)))]);
        var restricted = OnRooms() with { Restriction = restriction };
        var stored = SubscriptionDocument.Read(new Broker.Storage.StoredSubscription(Tenant, restricted.Id, SubscriptionDocument.Write(restricted), Created));

        foreach (var subscription in new[] { restricted, stored })
        {
            Assert.Equal(NotificationTriggers.AttributeCreated, Match(subscription, Create(Room("urn:ngsi-ld:Room:public-1"))));
            Assert.Equal(NotificationTriggers.None, Match(subscription, Create(Room("urn:ngsi-ld:Room:private-1"))));
            // The whole id must match: a public id inside a longer one is not enough.
            Assert.Equal(NotificationTriggers.None, Match(subscription, Create(Room("urn:x:urn:ngsi-ld:Room:public-1"))));
        }
        Assert.Equal(restriction.ToString(), stored.Restriction?.ToString());
    }

    [Fact]
    public void Creating_an_entity_notifies_entityCreated_but_not_a_subscription_of_updates_only()
    {
        Assert.Equal(NotificationTriggers.EntityCreated, Match(OnRooms("\"notificationTrigger\":[\"entityCreated\"]"), Create(Room())));
        Assert.Equal(NotificationTriggers.None, Match(OnRooms("\"notificationTrigger\":[\"attributeUpdated\"]"), Create(Room())));
    }

    [Fact]
    public void An_update_notifies_only_when_a_watched_attribute_changed()
    {
        var before = Room();
        var after = With(before, e => e.Attributes.Get(Ns + "temperature")![0].Value = JsonValue.Create(21.0));
        var watchingName = OnRooms("\"watchedAttributes\":[\"name\"]");
        var watchingTemperature = OnRooms("\"watchedAttributes\":[\"temperature\"]");

        Assert.Equal(NotificationTriggers.None, Match(watchingName, Update(before, after, Ns + "temperature")));
        Assert.Equal(NotificationTriggers.AttributeUpdated, Match(watchingTemperature, Update(before, after, Ns + "temperature")));
    }

    [Fact]
    public void An_attribute_added_by_an_update_is_created_and_one_removed_is_deleted()
    {
        var before = Room();
        var added = With(before, e => e.Attributes.Put(Ns + "co2", Property(JsonValue.Create(400.0))));
        var removed = With(before, e => e.Attributes.Remove(Ns + "name"));
        var all = OnRooms("\"notificationTrigger\":[\"entityUpdated\"]");

        Assert.Equal(NotificationTriggers.AttributeCreated, Match(all, Update(before, added, Ns + "co2")));
        Assert.Equal(NotificationTriggers.AttributeDeleted, Match(all, Update(before, removed, Ns + "name")));
        Assert.Equal(NotificationTriggers.None, Match(OnRooms(), Update(before, removed, Ns + "name")));
    }

    [Fact]
    public void A_new_datasetId_instance_is_created_and_a_removed_one_deleted_though_the_attribute_stays()
    {
        var before = Room();
        var withInstance = With(before, e => e.Attributes.Put(Ns + "name", Property(JsonValue.Create("Halle"), "urn:ngsi-ld:Dataset:de")));
        var analysisAdded = Update(before, withInstance, Ns + "name");
        var withoutInstance = With(withInstance, e => e.Attributes.Get(Ns + "name")!.RemoveAll(i => i.DatasetId is not null));
        var analysisRemoved = Update(withInstance, withoutInstance, Ns + "name");

        Assert.Contains(Ns + "name", analysisAdded.Created);
        Assert.Contains(Ns + "name", analysisAdded.Updated);
        Assert.Contains(Ns + "name", analysisRemoved.Deleted);
        Assert.Equal(NotificationTriggers.AttributeDeleted, Match(OnRooms("\"notificationTrigger\":[\"attributeDeleted\"]"), analysisRemoved));
    }

    [Fact]
    public void Deleting_an_entity_notifies_entityDeleted_and_attributeDeleted_for_watched_attributes()
    {
        var room = Room();

        Assert.Equal(NotificationTriggers.EntityDeleted, Match(OnRooms("\"notificationTrigger\":[\"entityDeleted\"]"), Delete(room)));
        Assert.Equal(NotificationTriggers.AttributeDeleted, Match(OnRooms("\"notificationTrigger\":[\"attributeDeleted\"],\"watchedAttributes\":[\"name\"]"), Delete(room)));
        Assert.Equal(NotificationTriggers.None, Match(OnRooms("\"notificationTrigger\":[\"attributeDeleted\"],\"watchedAttributes\":[\"co2\"]"), Delete(room)));
        Assert.Equal(NotificationTriggers.None, Match(OnRooms(), Delete(room)));
    }

    [Fact]
    public void Q_holds_on_the_entity_after_an_update_and_before_a_delete()
    {
        var warm = OnRooms("\"q\":\"temperature>25\",\"notificationTrigger\":[\"entityUpdated\",\"entityDeleted\"]");
        var before = Room(temperature: 30);
        var cooled = With(before, e => e.Attributes.Get(Ns + "temperature")![0].Value = JsonValue.Create(20.0));
        var heated = With(cooled, e => e.Attributes.Get(Ns + "temperature")![0].Value = JsonValue.Create(26.0));

        Assert.Equal(NotificationTriggers.None, Match(warm, Update(before, cooled, Ns + "temperature")));
        Assert.Equal(NotificationTriggers.AttributeUpdated, Match(warm, Update(cooled, heated, Ns + "temperature")));
        Assert.Equal(NotificationTriggers.EntityDeleted | NotificationTriggers.AttributeDeleted, Match(warm, Delete(before)));
        Assert.Equal(NotificationTriggers.None, Match(warm, Delete(cooled)));
    }

    [Fact]
    public void Deleting_the_attribute_a_q_tests_is_notified_from_the_state_before()
    {
        var named = OnRooms("\"q\":\"name==%22Hall%22\",\"notificationTrigger\":[\"attributeDeleted\"]");
        var before = Room();
        var after = With(before, e => e.Attributes.Remove(Ns + "name"));

        Assert.Equal(NotificationTriggers.AttributeDeleted, Match(named, Update(before, after, Ns + "name")));
        Assert.Equal(NotificationTriggers.AttributeDeleted, Match(named, StoredUpdate(before, after, Ns + "name")));
    }

    [Fact]
    public void The_state_before_an_update_read_back_from_a_store_is_the_whole_entity()
    {
        var before = Room(temperature: 18);
        var after = With(before, e => e.Attributes.Get(Ns + "temperature")![0].Value = JsonValue.Create(19.0));

        var analysis = StoredUpdate(before, after, Ns + "temperature");

        Assert.Equal(18.0, (double)analysis.Before!.Attributes.Get(Ns + "temperature")![0].Value!);
        Assert.Equal("Hall", (string)analysis.Before!.Attributes.Get(Ns + "name")![0].Value!);
        Assert.Contains(Ns + "temperature", analysis.Updated);
    }

    [Fact]
    public void Entity_selectors_match_by_id_id_pattern_and_type_selection()
    {
        var byId = Read("""{"type":"Subscription","entities":[{"id":"urn:ngsi-ld:Room:2","type":"Room"}],"notification":{"endpoint":{"uri":"http://r.example.org/"}}}""");
        var byPattern = Read("""{"type":"Subscription","entities":[{"idPattern":"^urn:ngsi-ld:Room:[0-9]$","type":"Room"}],"notification":{"endpoint":{"uri":"http://r.example.org/"}}}""");
        var bySelection = Read("""{"type":"Subscription","entities":[{"type":"(Room|Hall);Building"}],"notification":{"endpoint":{"uri":"http://r.example.org/"}}}""");
        var building = With(Room(), e => e.Types.Add(Ns + "Building"));

        Assert.Equal(NotificationTriggers.None, Match(byId, Create(Room("urn:ngsi-ld:Room:1"))));
        Assert.NotEqual(NotificationTriggers.None, Match(byId, Create(Room("urn:ngsi-ld:Room:2"))));
        Assert.NotEqual(NotificationTriggers.None, Match(byPattern, Create(Room("urn:ngsi-ld:Room:7"))));
        Assert.Equal(NotificationTriggers.None, Match(byPattern, Create(Room("urn:ngsi-ld:Room:17"))));
        Assert.Equal(NotificationTriggers.None, Match(bySelection, Create(Room())));
        Assert.NotEqual(NotificationTriggers.None, Match(bySelection, Create(building)));
    }

    [Fact]
    public void A_paused_an_expired_or_a_periodic_subscription_is_not_notified_of_changes()
    {
        var paused = OnRooms("\"isActive\":false");
        var expiring = Read("""{"type":"Subscription","entities":[{"type":"Room"}],"expiresAt":"2026-12-03T10:00:30Z","notification":{"endpoint":{"uri":"http://r.example.org/"}}}""");
        var periodic = Read("""{"type":"Subscription","entities":[{"type":"Room"}],"timeInterval":60,"notification":{"endpoint":{"uri":"http://r.example.org/"}}}""");

        Assert.Equal(NotificationTriggers.None, Match(paused, Create(Room())));
        Assert.Equal(NotificationTriggers.None, Match(expiring, Create(Room())));
        Assert.Equal(NotificationTriggers.AttributeCreated, ChangeMatcher.Match(expiring, Create(Room()), Created.AddSeconds(5)));
        Assert.Equal(NotificationTriggers.None, Match(periodic, Create(Room())));
    }

    [Fact]
    public void A_change_made_before_the_subscription_became_active_is_not_notified()
    {
        var late = OnRooms() with { ActiveSince = Created.AddSeconds(30) };

        Assert.Equal(NotificationTriggers.None, Match(late, Create(Room())));
    }

    [Fact]
    public void ScopeQ_and_geoQ_are_evaluated_as_in_a_query()
    {
        var scoped = OnRooms("\"scopeQ\":\"/Luebeck/#\"");
        var near = OnRooms("\"geoQ\":{\"geometry\":\"Point\",\"coordinates\":[10.68,53.87],\"georel\":\"near;maxDistance==1000\"}");
        var inLuebeck = With(Room(), e => e.Scopes = ["/Luebeck/Altstadt"]);
        var located = With(Room(), e => e.Attributes.Put(Ontology.Model.NgsiLd.Location, new Ontology.Model.AttributeInstance
        {
            Kind = Ontology.Model.AttributeKind.GeoProperty,
            Value = JsonNode.Parse("""{"type":"Point","coordinates":[10.6797,53.8660]}"""),
        }));

        Assert.Equal(NotificationTriggers.None, Match(scoped, Create(Room())));
        Assert.NotEqual(NotificationTriggers.None, Match(scoped, Create(inLuebeck)));
        Assert.Equal(NotificationTriggers.None, Match(near, Create(Room())));
        Assert.NotEqual(NotificationTriggers.None, Match(near, Create(located)));
    }
}
