using System.Text.Json.Nodes;
using Broker.Entities;
using Broker.Problems;
using Broker.Storage;
using Broker.Storage.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Ontology.Model;
using Xunit;

namespace Broker.StoreTests;

/// <summary>
/// Two PostgreSQL store instances on one database stand for two broker nodes, each with its own write cache
/// (<see cref="WriteCache"/>): whatever one node changes, the other's next write starts from it.
/// </summary>
public sealed class WriteCacheTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    private const string Vocabulary = "https://example.org/";

    private sealed class Node : IAsyncDisposable
    {
        public Node(string connectionString)
        {
            Store = new PostgresEntityStore(new PostgresStoreOptions { ConnectionString = connectionString }, NullLogger<PostgresEntityStore>.Instance);
            Service = new EntityService(Store, TimeProvider.System, new EntityLocks());
        }

        public PostgresEntityStore Store { get; }

        public EntityService Service { get; }

        public Task AppendAsync(string id, string attribute, int value) =>
            Service.AppendAsync("", id, Fragment(id, attribute, value), noOverwrite: false, default);

        public ValueTask DisposeAsync() => Store.DisposeAsync();
    }

    private async Task<(Node First, Node Second)> TwoNodesAsync()
    {
        var first = new Node(database.ConnectionString!);
        var second = new Node(database.ConnectionString!);
        await first.Store.InitializeAsync(default);
        await second.Store.InitializeAsync(default);
        return (first, second);
    }

    private static Entity Fragment(string id, string attribute, int value)
    {
        var fragment = new Entity { Id = id, Types = [] };
        fragment.Attributes.Put(Vocabulary + attribute, new AttributeInstance { Kind = AttributeKind.Property, Value = JsonValue.Create(value) });
        return fragment;
    }

    private static Entity NewEntity(string id, string attribute)
    {
        var entity = Fragment(id, attribute, 0);
        entity.Types.Add(Vocabulary + "Thing");
        return entity;
    }

    private static IEnumerable<string> AttributeNames(Entity entity) =>
        entity.Attributes.Names.Select(name => name[Vocabulary.Length..]).Order(StringComparer.Ordinal);

    [PostgresFact]
    public async Task Two_nodes_appending_alternately_and_concurrently_lose_no_update_and_record_each_change_once()
    {
        const string Id = "urn:x:cache:shared";
        const int Rounds = 20;
        var (first, second) = await TwoNodesAsync();
        await using var _ = first;
        await using var __ = second;
        await first.Service.CreateAsync("", NewEntity(Id, "start"), default);

        // Alternately: each node's cached entity is stale at every write but its first.
        for (var round = 0; round < Rounds; round++)
        {
            await first.AppendAsync(Id, "first" + round, round);
            await second.AppendAsync(Id, "second" + round, round);
        }
        // Concurrently: two writers on each node.
        await Task.WhenAll(
            Task.Run(async () => { for (var round = 0; round < Rounds; round++) await first.AppendAsync(Id, "firstA" + round, round); }),
            Task.Run(async () => { for (var round = 0; round < Rounds; round++) await first.AppendAsync(Id, "firstB" + round, round); }),
            Task.Run(async () => { for (var round = 0; round < Rounds; round++) await second.AppendAsync(Id, "secondA" + round, round); }),
            Task.Run(async () => { for (var round = 0; round < Rounds; round++) await second.AppendAsync(Id, "secondB" + round, round); }));

        var expected = new[] { "start" }
            .Concat(new[] { "first", "second", "firstA", "firstB", "secondA", "secondB" }.SelectMany(prefix => Enumerable.Range(0, Rounds).Select(round => prefix + round)))
            .Order(StringComparer.Ordinal);
        var stored = (await first.Store.GetAsync("", Id, default))!;
        Assert.Equal(expected, AttributeNames(stored));
        const int Updates = 6 * Rounds;
        Assert.Equal(1 + Updates, stored.Version);

        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT kind, count(*)::int, count(DISTINCT (after ->> 'version'))::int FROM changes WHERE tenant = '' AND entity_id = $1 GROUP BY kind ORDER BY kind", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Id });
        var records = new List<(string, int, int)>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                records.Add((reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2)));
        }
        Assert.Equal([("Create", 1, 1), ("Update", Updates, Updates)], records);
    }

    [PostgresFact]
    public async Task An_entity_deleted_and_created_again_by_another_node_up_to_the_same_version_is_not_overwritten_from_the_cache()
    {
        const string Id = "urn:x:cache:recreated";
        var (first, second) = await TwoNodesAsync();
        await using var _ = first;
        await using var __ = second;
        await first.Service.CreateAsync("", NewEntity(Id, "old"), default);
        await first.AppendAsync(Id, "older", 1);

        await second.Service.DeleteAsync("", Id, default);
        await second.Service.CreateAsync("", NewEntity(Id, "new"), default);
        await second.AppendAsync(Id, "newer", 1);
        Assert.Equal(2, (await second.Store.GetAsync("", Id, default))!.Version);

        await first.AppendAsync(Id, "latest", 2);

        Assert.Equal(["latest", "new", "newer"], AttributeNames((await second.Store.GetAsync("", Id, default))!));
    }

    [PostgresFact]
    public async Task A_write_that_the_cached_entity_would_refuse_or_find_unnecessary_is_decided_on_the_stored_one()
    {
        const string Id = "urn:x:cache:decided";
        var (first, second) = await TwoNodesAsync();
        await using var _ = first;
        await using var __ = second;
        await first.Service.CreateAsync("", NewEntity(Id, "a"), default);
        await first.AppendAsync(Id, "a", 1);
        await second.AppendAsync(Id, "b", 1);

        // The first node's cached entity has no b: the partial update would be refused with 404.
        await first.Service.PatchAttributeAsync("", Id, Vocabulary + "b", null,
            _ => new AttributeInstance { Kind = AttributeKind.Property, Value = JsonValue.Create(2) }, default);
        await second.AppendAsync(Id, "c", 1);
        // ... and update (which only replaces attributes that exist) would find nothing to change.
        var result = await first.Service.UpdateAsync("", Id, Fragment(Id, "c", 2), default);
        Assert.True(result.Complete);

        var stored = (await second.Store.GetAsync("", Id, default))!;
        Assert.Equal(["a", "b", "c"], AttributeNames(stored));
        Assert.Equal(2, stored.Attributes.Find(Vocabulary + "b", null)!.Value!.GetValue<int>());
        Assert.Equal(2, stored.Attributes.Find(Vocabulary + "c", null)!.Value!.GetValue<int>());

        // An attribute the other node deleted is not found, although the cached entity has it.
        await second.Service.DeleteAttributeAsync("", Id, Vocabulary + "a", null, deleteAll: false, default);
        var missing = await Assert.ThrowsAsync<NgsiLdException>(() => first.Service.PatchAttributeAsync("", Id, Vocabulary + "a", null,
            _ => new AttributeInstance { Kind = AttributeKind.Property, Value = JsonValue.Create(3) }, default));
        Assert.Equal(ErrorType.ResourceNotFound, missing.Type);
    }

    [PostgresFact]
    public async Task Reads_never_come_from_the_cache_and_an_entity_deleted_elsewhere_is_not_found()
    {
        const string Id = "urn:x:cache:read";
        var (first, second) = await TwoNodesAsync();
        await using var _ = first;
        await using var __ = second;
        await first.Service.CreateAsync("", NewEntity(Id, "a"), default);
        await first.AppendAsync(Id, "a", 1);
        await second.AppendAsync(Id, "b", 1);

        Assert.Equal(["a", "b"], AttributeNames(await first.Service.GetAsync("", Id, default)));

        await second.Service.DeleteAsync("", Id, default);
        var gone = await Assert.ThrowsAsync<NgsiLdException>(() => first.AppendAsync(Id, "c", 1));
        Assert.Equal(ErrorType.ResourceNotFound, gone.Type);
        Assert.Null(await first.Store.GetAsync("", Id, default));
    }

    [Fact]
    public void The_cache_holds_at_most_its_capacity_and_evicts_the_least_recently_used()
    {
        var cache = new WriteCache(capacity: 2);
        var a = new Entity { Id = "urn:x:a" };
        var b = new Entity { Id = "urn:x:b" };
        var c = new Entity { Id = "urn:x:c" };
        cache.Put("", a.Id, a, 1);
        cache.Put("", b.Id, b, 2);
        Assert.True(cache.TryGet("", a.Id, out _));
        cache.Put("", c.Id, c, 3);

        Assert.Equal(2, cache.Count);
        Assert.False(cache.TryGet("", b.Id, out _));
        Assert.True(cache.TryGet("", a.Id, out var entry) && ReferenceEquals(a, entry.Entity) && entry.RowVersion == 1);
        Assert.False(cache.TryGet("other", a.Id, out _));
        cache.Evict("", a.Id);
        Assert.False(cache.TryGet("", a.Id, out _));
        Assert.Equal(1, cache.Count);

        var disabled = new WriteCache(capacity: 0);
        disabled.Put("", a.Id, a, 1);
        Assert.False(disabled.TryGet("", a.Id, out _));
    }
}
