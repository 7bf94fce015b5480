using System.Text.Json.Nodes;
using Broker.Problems;
using Broker.Storage;
using Broker.Subscriptions;
using Xunit;
using static Broker.Tests.Subscriptions.SubscriptionSamples;

namespace Broker.Tests.Subscriptions;

/// <summary>Reading and checking subscriptions (clause 5.2.12, 5.8.1), and the stored document that keeps their meaning.</summary>
public sealed class SubscriptionReaderTests
{
    private const string Endpoint = "\"notification\":{\"endpoint\":{\"uri\":\"http://r.example.org/notify\"}}";

    public static TheoryData<string, string> Invalid => new()
    {
        { """{"entities":[{"type":"Room"}],NOTIFICATION}""", "type" },
        { """{"type":"Sub","entities":[{"type":"Room"}],NOTIFICATION}""", "type" },
        { """{"type":"Subscription","entities":[{"type":"Room"}]}""", "notification" },
        { """{"type":"Subscription",NOTIFICATION}""", "entities" },
        { """{"type":"Subscription","entities":[],NOTIFICATION}""", "entities" },
        { """{"type":"Subscription","entities":[{"id":"urn:x:1"}],NOTIFICATION}""", "entities.type" },
        { """{"type":"Subscription","entities":[{"id":"not a uri","type":"Room"}],NOTIFICATION}""", "entities.id" },
        { """{"type":"Subscription","entities":[{"idPattern":"(","type":"Room"}],NOTIFICATION}""", "entities.idPattern" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"watchedAttributes":["a"],"timeInterval":10,NOTIFICATION}""", "timeInterval" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"throttling":5,"timeInterval":10,NOTIFICATION}""", "timeInterval" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"throttling":-30,NOTIFICATION}""", "throttling" },
        { """{"type":"Subscription","watchedAttributes":["a"],"timeInterval":10,NOTIFICATION}""", "timeInterval" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"watchedAttributes":[],NOTIFICATION}""", "watchedAttributes" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"notificationTrigger":["entityChanged"],NOTIFICATION}""", "notificationTrigger" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"q":"temperature>",NOTIFICATION}""", "q" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"scopeQ":"nope",NOTIFICATION}""", "scopeQ" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"csf":"((",NOTIFICATION}""", "csf" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"geoQ":{"geometry":"Point","coordinates":[10,53]},NOTIFICATION}""", "geoQ.georel" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"geoQ":{"geometry":"Point","coordinates":[190,53],"georel":"within"},NOTIFICATION}""", "geoQ" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"expiresAt":"2020-01-01T00:00:00Z",NOTIFICATION}""", "expiresAt" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"expiresAt":"tomorrow",NOTIFICATION}""", "expiresAt" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"jsonldContext":"unknownContext",NOTIFICATION}""", "jsonldContext" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"isActive":"yes",NOTIFICATION}""", "isActive" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"datasetId":["nope"],NOTIFICATION}""", "datasetId" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"notification":{}}""", "notification.endpoint" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"notification":{"endpoint":{"uri":"notify"}}}""", "notification.endpoint.uri" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"notification":{"endpoint":{"uri":"ftp://r.example.org/"}}}""", "notification.endpoint.uri" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"notification":{"endpoint":{"uri":"mqtt://broker.example.org"}}}""", "notification.endpoint.uri" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"notification":{"endpoint":{"uri":"http://r.example.org/","accept":"text/csv"}}}""", "notification.endpoint.accept" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"notification":{"format":"table","endpoint":{"uri":"http://r.example.org/"}}}""", "notification.format" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"notification":{"format":"keyValues","showChanges":true,"endpoint":{"uri":"http://r.example.org/"}}}""", "notification.showChanges" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"notification":{"pick":["id"],"omit":["id"],"endpoint":{"uri":"http://r.example.org/"}}}""", "notification.pick" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"notification":{"attributes":["a"],"pick":["a"],"endpoint":{"uri":"http://r.example.org/"}}}""", "notification.attributes" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"notification":{"attributes":[],"endpoint":{"uri":"http://r.example.org/"}}}""", "notification.attributes" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"notification":{"endpoint":{"uri":"http://r.example.org/","timeout":0}}}""", "notification.endpoint.timeout" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"notification":{"endpoint":{"uri":"http://r.example.org/","receiverInfo":[{"key":"K","value":42}]}}}""", "notification.endpoint.receiverInfo" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"notification":{"endpoint":{"uri":"http://r.example.org/","receiverInfo":[{"key":"Bad Key","value":"v"}]}}}""", "notification.endpoint.receiverInfo" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"notification":{"endpoint":{"uri":"http://r.example.org/","receiverInfo":[{"key":"K","value":"a\r\nInjected: 1"}]}}}""", "notification.endpoint.receiverInfo" },
        { """{"type":"Subscription","entities":[{"type":"Room"}],"notification":{"endpoint":{"uri":"mqtt://b.example.org/t","notifierInfo":[{"key":"MQTT-QoS","value":"3"}]}}}""", "notification.endpoint.notifierInfo" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void An_invalid_subscription_is_BadRequestData_naming_the_member(string json, string member)
    {
        var error = Assert.Throws<NgsiLdException>(() => Read(json.Replace("NOTIFICATION", Endpoint, StringComparison.Ordinal)));

        Assert.Equal(ErrorType.BadRequestData, error.Type);
        Assert.Contains("subscription's " + member + " ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_subscription_is_read_with_every_name_expanded_and_its_defaults()
    {
        var subscription = Read("""
            {"id":"urn:ngsi-ld:Subscription:full","type":"Subscription","subscriptionName":"Parking",
             "entities":[{"idPattern":"^urn:ngsi-ld:OffStreetParking:","type":"OffStreetParking"}],
             "watchedAttributes":["availableSpotNumber"],"q":"availableSpotNumber<10","throttling":5,
             "notification":{"attributes":["availableSpotNumber"],"format":"keyValues",
               "endpoint":{"uri":"https://portal.example.org/notify","accept":"application/json","receiverInfo":[{"key":"X-Key","value":"k"}]}}}
            """);

        Assert.Equal("urn:ngsi-ld:Subscription:full", subscription.Id);
        Assert.Equal([Ns + "availableSpotNumber"], subscription.WatchedAttributes);
        Assert.Equal([Ns + "availableSpotNumber"], subscription.Notification.Attributes);
        Assert.Equal(NotificationTriggers.AttributeCreated | NotificationTriggers.AttributeUpdated, subscription.Triggers);
        Assert.Equal(5.0, subscription.Throttling);
        Assert.Equal("active", subscription.StatusAt(Created));
        Assert.Equal(Ns + "availableSpotNumber", subscription.Terms["watchedAttributes"]["availableSpotNumber"]);
        Assert.Equal(Ns + "OffStreetParking", subscription.Terms["entities"]["OffStreetParking"]);
    }

    [Fact]
    public void A_subscription_without_an_id_gets_a_notification_style_urn()
    {
        var id = SubscriptionReader.IdOf(JsonNode.Parse("""{"type":"Subscription"}""")!.AsObject());

        Assert.StartsWith("urn:ngsi-ld:Subscription:", id, StringComparison.Ordinal);
        Assert.True(Guid.TryParse(id["urn:ngsi-ld:Subscription:".Length..], out _));
    }

    [Fact]
    public void Read_only_and_unknown_members_are_ignored_and_not_kept()
    {
        var subscription = Read("""
            {"type":"Subscription","entities":[{"type":"Room"}],"status":"expired","__context":"http://evil.example.org/",
             "notification":{"timesSent":42,"endpoint":{"uri":"http://r.example.org/"}}}
            """);

        Assert.Equal("active", subscription.StatusAt(Created));
        Assert.False(subscription.Source.ContainsKey("status"));
        Assert.False(subscription.Source.ContainsKey("__context"));
    }

    [Fact]
    public void A_stored_subscription_reads_back_to_the_same_meaning_without_its_context()
    {
        var original = Read("""
            {"id":"urn:ngsi-ld:Subscription:stored","type":"Subscription","entities":[{"type":"Room|Hall"}],"q":"temperature>25;name==%22Hall%22",
             "geoQ":{"geometry":"Point","coordinates":[10.68,53.87],"georel":"near;maxDistance==500","geoproperty":"position"},
             "notification":{"pick":["id","temperature"],"endpoint":{"uri":"http://r.example.org/"}}}
            """) with { ContextUrl = "https://contexts.example.org/city.jsonld", Context = JsonValue.Create("https://contexts.example.org/city.jsonld") };

        var stored = new StoredSubscription(Tenant, original.Id, SubscriptionDocument.Write(original), original.CreatedAt);
        var read = SubscriptionDocument.Read(stored);

        var hotHall = Room(temperature: 30);
        var coldHall = Room(temperature: 10);
        Assert.True(Broker.Query.Evaluation.QueryEvaluator.Matches(hotHall, read.Q!));
        Assert.False(Broker.Query.Evaluation.QueryEvaluator.Matches(coldHall, read.Q!));
        Assert.Equal(original.Terms.Keys.Order(), read.Terms.Keys.Order());
        Assert.Equal(original.Terms["q"], read.Terms["q"]);
        Assert.Equal(original.GeoQ, read.GeoQ);
        Assert.Equal(Ns + "position", read.GeoQ!.GeoProperty);
        Assert.True(read.Entities![0].Type!.Matches([Ns + "Hall"]));
        Assert.False(read.Entities![0].Type!.Matches([Ns + "Car"]));
        Assert.Equal(["id", Ns + "temperature"], read.Notification.Pick);
        Assert.Equal(original.ContextUrl, read.ContextUrl);
        Assert.Equal(original.ActiveSince, read.ActiveSince);
        Assert.Equal(original.CreatedAt, read.CreatedAt);
        Assert.True(JsonNode.DeepEquals(original.Source, read.Source));
    }

    [Fact]
    public void The_index_proposes_subscriptions_by_id_type_and_watched_attribute_only()
    {
        var index = new SubscriptionIndex();
        var byType = OnRooms() with { Id = "urn:s:type" };
        var byId = Read("""{"id":"urn:s:id","type":"Subscription","entities":[{"id":"urn:ngsi-ld:Room:9","type":"Room"}],NOTIFICATION}""".Replace("NOTIFICATION", Endpoint, StringComparison.Ordinal));
        var byAttribute = Read("""{"id":"urn:s:attr","type":"Subscription","watchedAttributes":["co2"],NOTIFICATION}""".Replace("NOTIFICATION", Endpoint, StringComparison.Ordinal));
        var other = Read("""{"id":"urn:s:other","type":"Subscription","entities":[{"type":"Car"}],NOTIFICATION}""".Replace("NOTIFICATION", Endpoint, StringComparison.Ordinal));
        foreach (var subscription in new[] { byType, byId, byAttribute, other })
            index.Put(subscription);

        var candidates = new HashSet<Subscription>();
        index.Candidates(Tenant, Room("urn:ngsi-ld:Room:9"), [Ns + "temperature"], candidates);
        Assert.Equal(["urn:s:id", "urn:s:type"], candidates.Select(s => s.Id).Order());

        candidates.Clear();
        index.Candidates(Tenant, Room("urn:ngsi-ld:Room:1"), [Ns + "co2"], candidates);
        Assert.Equal(["urn:s:attr", "urn:s:type"], candidates.Select(s => s.Id).Order());

        candidates.Clear();
        index.Candidates("other-tenant", Room("urn:ngsi-ld:Room:9"), [Ns + "co2"], candidates);
        Assert.Empty(candidates);

        index.Remove(Tenant, "urn:s:type");
        candidates.Clear();
        index.Candidates(Tenant, Room("urn:ngsi-ld:Room:1"), [Ns + "temperature"], candidates);
        Assert.Empty(candidates);
    }
}
