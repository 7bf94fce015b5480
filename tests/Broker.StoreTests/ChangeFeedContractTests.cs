using System.Text.Json.Nodes;
using Broker.Storage;
using Broker.Storage.Embedded;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Ontology.Model;
using Xunit;

namespace Broker.StoreTests;

/// <summary>
/// What every store's change feed must do (<see cref="IChangeFeed"/>), run once per store. The feed is shared by all
/// tenants and all tests of a fixture, so each test reads only its own tenant's changes.
/// </summary>
public abstract class ChangeFeedContractTests
{
    private const string Ns = "https://example.org/";
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 8, 0, 0, TimeSpan.Zero);

    /// <summary>The store under test, which is its own change feed; null when it cannot run here.</summary>
    protected abstract IEntityStore? Store { get; }

    private IChangeFeed Feed => (IChangeFeed)Store!;

    private static string NewTenant() => "f" + Guid.NewGuid().ToString("N")[..10];

    private static Entity NewEntity(string id, double temperature, string? name = null)
    {
        var entity = new Entity { Id = id, Types = [Ns + "Room"], CreatedAt = Now, ModifiedAt = Now };
        entity.Attributes.Put(Ns + "temperature", new AttributeInstance { Kind = AttributeKind.Property, Value = JsonValue.Create(temperature), CreatedAt = Now, ModifiedAt = Now });
        if (name is not null)
            entity.Attributes.Put(Ns + "name", new AttributeInstance { Kind = AttributeKind.Property, Value = JsonValue.Create(name), CreatedAt = Now, ModifiedAt = Now });
        return entity;
    }

    private static EntityChange Update(Entity before, double temperature, DateTimeOffset at)
    {
        var after = before.DeepClone();
        after.Attributes.Get(Ns + "temperature")![0].Value = JsonValue.Create(temperature);
        after.ModifiedAt = at;
        return new EntityChange(ChangeKind.Update, before.Id, before, after, [Ns + "temperature"], at);
    }

    /// <summary>Every change of the tenant committed after <paramref name="from"/>, read page by page, and the position after them.</summary>
    private async Task<(List<FeedChange> Changes, ChangeFeedPosition Next)> ReadAllAsync(ChangeFeedPosition from, string tenant, int pageSize = 100)
    {
        var changes = new List<FeedChange>();
        var position = from;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var page = await Feed.ReadAsync("test", position, pageSize, default);
            changes.AddRange(page.Changes.Where(c => c.Tenant == tenant));
            var moved = page.Next != position;
            position = page.Next;
            if (!moved && page.Changes.Count == 0)
            {
                // PostgreSQL gives a window only once every older transaction has ended: a read right after a commit may
                // see nothing yet, so an empty read is final only once a new head position has been passed.
                var head = await Feed.HeadAsync(default);
                if (head.Sequence <= position.Sequence && head.Horizon <= position.Horizon || DateTime.UtcNow > deadline)
                    return (changes, position);
            }
        }
    }

    private async Task<Entity> CreatedAsync(string tenant, Entity entity)
    {
        var change = new EntityChange(ChangeKind.Create, entity.Id, null, entity, [.. entity.Attributes.Names], Now);
        Assert.Equal([CommitOutcome.Committed], await Store!.CommitAsync(tenant, [change], default));
        return (await Store.GetAsync(tenant, entity.Id, default))!;
    }

    [Fact]
    public async Task A_create_an_update_and_a_delete_come_in_order_with_what_each_replaced()
    {
        if (Store is not { } store)
            return;
        var tenant = NewTenant();
        var start = await Feed.HeadAsync(default);
        var created = await CreatedAsync(tenant, NewEntity("urn:x:feed:1", 20, "Hall"));
        var update = Update(created, 21, Now.AddSeconds(1));
        Assert.Equal([CommitOutcome.Committed], await store.CommitAsync(tenant, [update], default));
        var updated = (await store.GetAsync(tenant, created.Id, default))!;
        Assert.Equal([CommitOutcome.Committed], await store.CommitAsync(tenant, [new EntityChange(ChangeKind.Delete, created.Id, updated, null, [.. updated.Attributes.Names], Now.AddSeconds(2))], default));

        var (changes, _) = await ReadAllAsync(start, tenant);

        Assert.Equal([ChangeKind.Create, ChangeKind.Update, ChangeKind.Delete], changes.Select(c => c.Change.Kind));
        Assert.True(changes[0].Sequence < changes[1].Sequence && changes[1].Sequence < changes[2].Sequence);
        Assert.Null(changes[0].Change.Before);
        Assert.Equal(20.0, (double)changes[0].Change.After!.Attributes.Get(Ns + "temperature")![0].Value!);
        var previous = changes[1].Change.Before!;
        Assert.Equal([Ns + "Room"], previous.Types);
        Assert.Equal(20.0, (double)previous.Attributes.Get(Ns + "temperature")![0].Value!);
        Assert.Equal(21.0, (double)changes[1].Change.After!.Attributes.Get(Ns + "temperature")![0].Value!);
        Assert.Equal([Ns + "temperature"], changes[1].Change.ChangedAttributes);
        Assert.Equal(Now.AddSeconds(1), changes[1].Change.At);
        var deleted = changes[2].Change.Before!;
        Assert.Null(changes[2].Change.After);
        Assert.Equal("Hall", (string)deleted.Attributes.Get(Ns + "name")![0].Value!);
        Assert.Equal(21.0, (double)deleted.Attributes.Get(Ns + "temperature")![0].Value!);
    }

    [Fact]
    public async Task A_change_read_back_by_its_sequence_number_is_the_change_the_feed_gave()
    {
        if (Store is not { } store)
            return;
        var tenant = NewTenant();
        var start = await Feed.HeadAsync(default);
        var created = await CreatedAsync(tenant, NewEntity("urn:x:feed:2", 5, "Lab"));
        Assert.Equal([CommitOutcome.Committed], await store.CommitAsync(tenant, [Update(created, 6, Now.AddSeconds(1))], default));
        var (changes, _) = await ReadAllAsync(start, tenant);

        var read = await Feed.ReadChangesAsync([changes[1].Sequence, changes[0].Sequence, long.MaxValue - 1], default);

        Assert.Equal(changes.Select(c => c.Sequence), read.Select(c => c.Sequence));
        Assert.Equal(tenant, read[1].Tenant);
        Assert.Equal(6.0, (double)read[1].Change.After!.Attributes.Get(Ns + "temperature")![0].Value!);
        Assert.Equal(5.0, (double)read[1].Change.Before!.Attributes.Get(Ns + "temperature")![0].Value!);
        // The previous state of an update keeps only the changed attributes.
        Assert.False(read[1].Change.Before!.Attributes.Contains(Ns + "name"));
    }

    [Fact]
    public async Task Changes_that_did_not_commit_are_not_in_the_feed()
    {
        if (Store is not { } store)
            return;
        var tenant = NewTenant();
        var start = await Feed.HeadAsync(default);
        var created = await CreatedAsync(tenant, NewEntity("urn:x:feed:3", 1));
        var duplicate = new EntityChange(ChangeKind.Create, created.Id, null, NewEntity(created.Id, 2), [Ns + "temperature"], Now);
        var stale = Update(created, 3, Now.AddSeconds(1));
        Assert.Equal([CommitOutcome.Committed], await store.CommitAsync(tenant, [Update(created, 4, Now.AddSeconds(1))], default));

        Assert.Equal([CommitOutcome.AlreadyExists], await store.CommitAsync(tenant, [duplicate], default));
        Assert.Equal([CommitOutcome.Conflict], await store.CommitAsync(tenant, [stale], default));
        var (changes, _) = await ReadAllAsync(start, tenant);

        Assert.Equal([ChangeKind.Create, ChangeKind.Update], changes.Select(c => c.Change.Kind));
        Assert.Equal(4.0, (double)changes[1].Change.After!.Attributes.Get(Ns + "temperature")![0].Value!);
    }

    [Fact]
    public async Task Concurrent_writers_give_every_version_of_every_entity_once_and_in_order()
    {
        if (Store is not { } store)
            return;
        const int Entities = 6;
        const int Versions = 25;
        var tenant = NewTenant();
        var start = await Feed.HeadAsync(default);
        await Task.WhenAll(Enumerable.Range(0, Entities).Select(async e =>
        {
            var current = await CreatedAsync(tenant, NewEntity($"urn:x:feed:c{e}", 0));
            for (var v = 1; v <= Versions; v++)
            {
                var change = Update(current, v, Now.AddSeconds(v));
                Assert.Equal([CommitOutcome.Committed], await store.CommitAsync(tenant, [change], default));
                current = (await store.GetAsync(tenant, current.Id, default))!;
            }
        }));

        var (changes, _) = await ReadAllAsync(start, tenant, pageSize: 7);

        Assert.Equal(changes.Count, changes.Select(c => c.Sequence).Distinct().Count());
        foreach (var entity in changes.GroupBy(c => c.Change.EntityId))
        {
            var values = entity.Select(c => (double)c.Change.After!.Attributes.Get(Ns + "temperature")![0].Value!).ToList();
            Assert.Equal(Enumerable.Range(0, Versions + 1).Select(v => (double)v), values);
        }
        Assert.Equal(Entities, changes.Select(c => c.Change.EntityId).Distinct().Count());
    }

    [Fact]
    public async Task A_position_after_the_last_change_reads_nothing_until_the_next_commit()
    {
        if (Store is not { } store)
            return;
        var tenant = NewTenant();
        var start = await Feed.HeadAsync(default);
        await CreatedAsync(tenant, NewEntity("urn:x:feed:4", 1));
        var (first, position) = await ReadAllAsync(start, tenant);
        Assert.Single(first);

        var (none, _) = await ReadAllAsync(position, tenant);
        Assert.Empty(none);

        await CreatedAsync(tenant, NewEntity("urn:x:feed:5", 1));
        var (next, _) = await ReadAllAsync(position, tenant);
        Assert.Equal("urn:x:feed:5", Assert.Single(next).Change.EntityId);
    }

    [Fact]
    public async Task Compaction_deletes_read_records_but_keeps_referenced_ones_and_every_entity()
    {
        if (Store is not { } store)
            return;
        var tenant = NewTenant();
        var start = await Feed.HeadAsync(default);
        var current = await CreatedAsync(tenant, NewEntity("urn:x:feed:6", 0));
        for (var v = 1; v <= 3; v++)
        {
            Assert.Equal([CommitOutcome.Committed], await store.CommitAsync(tenant, [Update(current, v, Now.AddSeconds(v))], default));
            current = (await store.GetAsync(tenant, current.Id, default))!;
        }
        var (changes, position) = await ReadAllAsync(start, tenant);
        Assert.Equal(4, changes.Count);
        var referenced = changes[2].Sequence;

        await Feed.CompactAsync(position, lowestReferenced: referenced, olderThan: DateTimeOffset.UtcNow.AddDays(1), default);

        var left = await Feed.ReadChangesAsync([.. changes.Select(c => c.Sequence)], default);
        Assert.DoesNotContain(left, c => c.Sequence < referenced);
        Assert.Contains(left, c => c.Sequence == referenced);
        Assert.Equal(3.0, (double)(await store.GetAsync(tenant, current.Id, default))!.Attributes.Get(Ns + "temperature")![0].Value!);
    }

    [Fact]
    public async Task Compaction_keeps_records_younger_than_the_retention()
    {
        if (Store is not { } store)
            return;
        var tenant = NewTenant();
        var start = await Feed.HeadAsync(default);
        var created = await CreatedAsync(tenant, NewEntity("urn:x:feed:7", 0));
        Assert.Equal([CommitOutcome.Committed], await store.CommitAsync(tenant, [Update(created, 1, Now.AddSeconds(1))], default));
        var (changes, position) = await ReadAllAsync(start, tenant);

        await Feed.CompactAsync(position, null, olderThan: Now.AddSeconds(-1), default);

        Assert.Equal(2, (await Feed.ReadChangesAsync([.. changes.Select(c => c.Sequence)], default)).Count);
    }
}

public sealed class EmbeddedChangeFeedContractTests(EmbeddedStoreFixture fixture) : ChangeFeedContractTests, IClassFixture<EmbeddedStoreFixture>
{
    protected override IEntityStore? Store => fixture.Store;
}

public sealed class PostgresChangeFeedContractTests(PostgresStoreFixture fixture) : ChangeFeedContractTests, IClassFixture<PostgresStoreFixture>
{
    protected override IEntityStore? Store => fixture.Store;
}

/// <summary>The embedded store's feed after a restart: the changes it no longer holds in memory are read from SQLite.</summary>
public sealed class EmbeddedChangeFeedRestartTests : IDisposable
{
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "ngsi-feed-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task After_a_restart_the_changes_after_a_saved_position_are_read_from_the_database()
    {
        var entity = new Entity { Id = "urn:x:restart:1", Types = ["https://example.org/Room"], CreatedAt = DateTimeOffset.UtcNow, ModifiedAt = DateTimeOffset.UtcNow };
        entity.Attributes.Put("https://example.org/n", new AttributeInstance { Kind = AttributeKind.Property, Value = JsonValue.Create(1) });
        ChangeFeedPosition saved;
        await using (var store = await OpenAsync())
        {
            saved = await store.HeadAsync(default);
            Assert.Equal([CommitOutcome.Committed], await store.CommitAsync("t", [new EntityChange(ChangeKind.Create, entity.Id, null, entity, ["https://example.org/n"], DateTimeOffset.UtcNow)], default));
            var current = (await store.GetAsync("t", entity.Id, default))!;
            var after = current.DeepClone();
            after.Attributes.Get("https://example.org/n")![0].Value = JsonValue.Create(2);
            Assert.Equal([CommitOutcome.Committed], await store.CommitAsync("t", [new EntityChange(ChangeKind.Update, entity.Id, current, after, ["https://example.org/n"], DateTimeOffset.UtcNow)], default));
        }

        await using (var store = await OpenAsync())
        {
            var page = await store.ReadAsync("test", saved, 10, default);

            Assert.Equal([ChangeKind.Create, ChangeKind.Update], page.Changes.Select(c => c.Change.Kind));
            Assert.Equal(1, (int)page.Changes[1].Change.Before!.Attributes.Get("https://example.org/n")![0].Value!);
            Assert.Equal(2, (int)page.Changes[1].Change.After!.Attributes.Get("https://example.org/n")![0].Value!);
            Assert.Equal(page.Next, await store.HeadAsync(default));
            Assert.Empty((await store.ReadAsync("test", page.Next, 10, default)).Changes);
        }
    }

    private async Task<EmbeddedEntityStore> OpenAsync()
    {
        var store = new EmbeddedEntityStore(new EmbeddedStoreOptions { DataPath = _dataPath }, NullLogger<EmbeddedEntityStore>.Instance);
        await store.InitializeAsync(default);
        return store;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dataPath))
            Directory.Delete(_dataPath, recursive: true);
    }
}
