using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Broker.Storage;
using Broker.Subscriptions;
using Ontology.Model;

namespace Benchmarks.Micro;

/// <summary>
/// Matching one committed change against 10 000 subscriptions, as the dispatcher does for every change: the index
/// proposes the few that can match (by type, id, watched attribute) and only those are evaluated. "all, tested one by one"
/// is what matching would cost without the index.
/// </summary>
[MemoryDiagnoser]
public class SubscriptionMatchingBenchmarks
{
    private const string Ns = "https://example.org/";
    private const int Subscriptions = 10_000;
    private static readonly DateTimeOffset Created = new(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);

    private readonly SubscriptionIndex _index = new();
    private readonly List<Subscription> _all = [];
    private readonly HashSet<Subscription> _candidates = new(ReferenceEqualityComparer.Instance);
    private FeedChange _change = null!;

    [GlobalSetup]
    public void Setup()
    {
        // 10 000 subscriptions over 100 types, every tenth with a q; each type has a hundred, of which the one on the
        // changed entity's id and the ten on its type and attribute can match.
        for (var i = 0; i < Subscriptions; i++)
        {
            var type = "Type" + (i % 100);
            var selector = i % 3 == 0 ? $$"""{"id":"urn:ngsi-ld:{{type}}:{{i}}","type":"{{type}}"}""" : $$"""{"type":"{{type}}"}""";
            var q = i % 10 == 0 ? """ "q":"temperature>15",""" : "";
            var watched = i % 2 == 0 ? "temperature" : "humidity";
            var json = $$"""{"id":"urn:ngsi-ld:Subscription:{{i}}","type":"Subscription","entities":[{{selector}}],{{q}}"watchedAttributes":["{{watched}}"],""" +
                """ "notification":{"endpoint":{"uri":"http://r.example.org/"}}}""";
            var body = JsonNode.Parse(json)!.AsObject();
            var subscription = SubscriptionReader.Read(body, "", SubscriptionReader.IdOf(body), _ => term => Ns + term, Created, checkExpiry: false, Created, Created, null);
            _index.Put(subscription);
            _all.Add(subscription);
        }
        var before = Room(20);
        var after = Room(21);
        after.Version = 2;
        _change = new FeedChange(1, "", new EntityChange(ChangeKind.Update, after.Id, before, after, [Ns + "temperature"], Created.AddSeconds(1)));
        if (MatchIndexed() != MatchAll() || MatchIndexed() == 0)
            throw new InvalidOperationException("The index must propose every subscription that matches.");
    }

    private static Entity Room(double temperature)
    {
        var entity = new Entity { Id = "urn:ngsi-ld:Type8:108", Types = [Ns + "Type8"], CreatedAt = Created, ModifiedAt = Created, Version = 1 };
        entity.Attributes.Put(Ns + "temperature", new AttributeInstance { Kind = AttributeKind.Property, Value = JsonNode.Parse(temperature.ToString(System.Globalization.CultureInfo.InvariantCulture)) });
        return entity;
    }

    [Benchmark(Description = "match a change, 10 000 subscriptions, indexed")]
    public int MatchIndexed()
    {
        var analysis = new ChangeAnalysis(_change);
        _candidates.Clear();
        _index.Candidates(_change.Tenant, analysis.Subject!, _change.Change.ChangedAttributes, _candidates);
        var matched = 0;
        foreach (var subscription in _candidates)
        {
            if (ChangeMatcher.Match(subscription, analysis, Created.AddMinutes(1)) != NotificationTriggers.None)
                matched++;
        }
        return matched;
    }

    [Benchmark(Baseline = true, Description = "match a change, 10 000 subscriptions, all tested one by one")]
    public int MatchAll()
    {
        var analysis = new ChangeAnalysis(_change);
        var matched = 0;
        foreach (var subscription in _all)
        {
            if (ChangeMatcher.Match(subscription, analysis, Created.AddMinutes(1)) != NotificationTriggers.None)
                matched++;
        }
        return matched;
    }
}
