using System.Text.Json.Nodes;
using Broker.Subscriptions;
using Ontology.Model;
using Xunit;
using static Broker.Tests.Subscriptions.SubscriptionSamples;

namespace Broker.Tests.Subscriptions;

/// <summary>
/// The index only narrows: for random subscriptions and random changes, the subscriptions that match among the index's
/// candidates are exactly those that match when every subscription is tested.
/// </summary>
public sealed class SubscriptionIndexDifferentialTests
{
    private static readonly string[] Types = ["Room", "Hall", "Car", "Sensor"];
    private static readonly string[] Attributes = ["temperature", "name", "co2", "speed"];
    private static readonly string[] Triggers = ["entityCreated", "entityUpdated", "entityDeleted", "attributeCreated", "attributeUpdated", "attributeDeleted"];

    [Fact]
    public void Candidates_lose_no_match_for_random_subscriptions_and_changes()
    {
        var random = new Random(20261203);
        var index = new SubscriptionIndex();
        var all = new List<Subscription>();
        for (var i = 0; i < 400; i++)
        {
            var subscription = RandomSubscription(random, i);
            index.Put(subscription);
            all.Add(subscription);
        }
        var checkedChanges = 0;
        var matches = 0;
        var proposed = 0L;
        for (var c = 0; c < 600; c++)
        {
            var change = RandomChange(random);
            var candidates = new HashSet<Subscription>();
            index.Candidates(Tenant, change.Subject!, change.Touched, candidates);
            var expected = all.Where(s => ChangeMatcher.Match(s, change, Created.AddMinutes(1)) != NotificationTriggers.None).Select(s => s.Id).Order().ToList();
            var actual = candidates.Where(s => ChangeMatcher.Match(s, change, Created.AddMinutes(1)) != NotificationTriggers.None).Select(s => s.Id).Order().ToList();
            var missing = string.Join(" ", all.Where(s => expected.Contains(s.Id) && !actual.Contains(s.Id)).Select(s => s.Source.ToJsonString()));
            Assert.True(expected.SequenceEqual(actual), $"change {c} ({change.Kind} of {change.Subject!.Id} {string.Join(",", change.Subject.Types)} touching {string.Join(",", change.Touched)}): missing {missing}; expected [{string.Join(", ", expected)}], candidates gave [{string.Join(", ", actual)}]");
            proposed += candidates.Count;
            checkedChanges++;
            matches += expected.Count;
        }
        Assert.Equal(600, checkedChanges);
        Assert.True(matches > 600, $"the random changes should match often enough to test something ({matches})");
        Assert.True(proposed < 0.6 * all.Count * checkedChanges, $"the index proposed {proposed} of {all.Count * checkedChanges}: it should narrow");
    }

    private static Subscription RandomSubscription(Random random, int i)
    {
        var members = new List<string>();
        if (random.Next(5) > 0)
        {
            var selectors = Enumerable.Range(0, random.Next(1, 3)).Select(_ => random.Next(3) switch
            {
                0 => $$"""{"id":"urn:ngsi-ld:E:{{random.Next(10)}}","type":"{{Pick(random, Types)}}"}""",
                1 => $$"""{"idPattern":"^urn:ngsi-ld:E:[0-4]$","type":"{{Pick(random, Types)}}"}""",
                _ => $$"""{"type":"{{Pick(random, Types)}}|{{Pick(random, Types)}}"}""",
            });
            members.Add("\"entities\":[" + string.Join(',', selectors) + "]");
        }
        if (members.Count == 0 || random.Next(2) == 0)
            members.Add("\"watchedAttributes\":[" + string.Join(',', Attributes.Where(_ => random.Next(3) == 0).DefaultIfEmpty("name").Select(a => "\"" + a + "\"")) + "]");
        if (random.Next(2) == 0)
            members.Add("\"notificationTrigger\":[" + string.Join(',', Triggers.Where(_ => random.Next(3) == 0).DefaultIfEmpty("entityDeleted").Select(t => "\"" + t + "\"")) + "]");
        if (random.Next(6) == 0)
            members.Add("\"q\":\"temperature>15\"");
        return Read("{\"id\":\"urn:s:" + i + "\",\"type\":\"Subscription\"," + string.Join(',', members) + ",\"notification\":{\"endpoint\":{\"uri\":\"http://r.example.org/\"}}}");
    }

    private static ChangeAnalysis RandomChange(Random random)
    {
        var before = RandomEntity(random, "urn:ngsi-ld:E:" + random.Next(10));
        switch (random.Next(3))
        {
            case 0:
                return Create(before);
            case 1:
                return Delete(before);
            default:
                var after = SubscriptionSamples.With(before, e =>
                {
                    foreach (var name in Attributes)
                    {
                        switch (random.Next(4))
                        {
                            case 0:
                                e.Attributes.Remove(Ns + name);
                                break;
                            case 1:
                                e.Attributes.Put(Ns + name, Property(JsonValue.Create(random.Next(30) * 1.0)));
                                break;
                        }
                    }
                });
                var changed = Attributes.Select(a => Ns + a).Where(n => before.Attributes.Contains(n) || after.Attributes.Contains(n)).ToArray();
                return random.Next(2) == 0 ? Update(before, after, changed) : StoredUpdate(before, after, changed);
        }
    }

    private static Entity RandomEntity(Random random, string id)
    {
        var entity = new Entity { Id = id, Types = [Ns + Pick(random, Types)], CreatedAt = Created, ModifiedAt = Created, Version = 1 };
        if (random.Next(3) == 0)
            entity.Types.Add(Ns + Pick(random, Types));
        foreach (var name in Attributes)
        {
            if (random.Next(2) == 0)
                entity.Attributes.Put(Ns + name, Property(JsonValue.Create(random.Next(30) * 1.0)));
        }
        return entity;
    }

    private static string Pick(Random random, string[] items) => items[random.Next(items.Length)];
}
