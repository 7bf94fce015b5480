using System.Text.Json.Nodes;
using Broker.Storage;
using Broker.Subscriptions;
using Ontology.Model;

namespace Broker.Tests.Subscriptions;

/// <summary>Subscriptions, entities and committed changes for the unit tests; terms expand to https://example.org/{term}.</summary>
internal static class SubscriptionSamples
{
    public const string Ns = "https://example.org/";
    public const string Tenant = "city";
    public static readonly DateTimeOffset Created = new(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);

    public static string Expand(string term) => term.Contains(':', StringComparison.Ordinal) ? term : Ns + term;

    public static Subscription Read(string json, DateTimeOffset? now = null)
    {
        var body = JsonNode.Parse(json)!.AsObject();
        var id = SubscriptionReader.IdOf(body);
        return SubscriptionReader.Read(body, Tenant, id, _ => Expand, now ?? Created, checkExpiry: true, Created, Created, null) with { ActiveSince = Created };
    }

    public static Subscription OnRooms(string members = "") =>
        Read("""{"type":"Subscription","entities":[{"type":"Room"}],""" + (members.Length == 0 ? "" : members + ",")
            + """ "notification":{"endpoint":{"uri":"http://receiver.example.org/notify"}}}""");

    public static AttributeInstance Property(JsonNode? value, string? datasetId = null) =>
        new() { Kind = AttributeKind.Property, Value = value, DatasetId = datasetId, CreatedAt = Created, ModifiedAt = Created };

    public static Entity Room(string id = "urn:ngsi-ld:Room:1", double temperature = 20, string? name = "Hall")
    {
        var entity = new Entity { Id = id, Types = [Ns + "Room"], CreatedAt = Created, ModifiedAt = Created, Version = 1 };
        entity.Attributes.Put(Ns + "temperature", Property(JsonValue.Create(temperature)));
        if (name is not null)
            entity.Attributes.Put(Ns + "name", Property(JsonValue.Create(name)));
        return entity;
    }

    public static Entity With(Entity entity, Action<Entity> change)
    {
        var next = entity.DeepClone();
        change(next);
        next.Version = entity.Version + 1;
        next.ModifiedAt = entity.ModifiedAt.AddSeconds(1);
        return next;
    }

    public static ChangeAnalysis Create(Entity entity, long sequence = 1) =>
        new(new FeedChange(sequence, Tenant, new EntityChange(ChangeKind.Create, entity.Id, null, entity, [.. entity.Attributes.Names], Created.AddSeconds(1))));

    public static ChangeAnalysis Update(Entity before, Entity after, params string[] changed) =>
        new(new FeedChange(2, Tenant, new EntityChange(ChangeKind.Update, after.Id, before, after, changed, Created.AddSeconds(2))));

    /// <summary>An update as it is read back from a store: the previous state keeps only the changed attributes.</summary>
    public static ChangeAnalysis StoredUpdate(Entity before, Entity after, params string[] changed)
    {
        var change = new EntityChange(ChangeKind.Update, after.Id, before, after, changed, Created.AddSeconds(2));
        return new(new FeedChange(2, Tenant, change with { Before = ChangeRecords.PreviousOf(change) }));
    }

    public static ChangeAnalysis Delete(Entity before) =>
        new(new FeedChange(3, Tenant, new EntityChange(ChangeKind.Delete, before.Id, before, null, [.. before.Attributes.Names], Created.AddSeconds(3))));
}
