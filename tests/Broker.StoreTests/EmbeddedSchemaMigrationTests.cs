using System.Text.Json.Nodes;
using Broker.Storage;
using Broker.Storage.Embedded;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Ontology.Model;
using Xunit;

namespace Broker.StoreTests;

/// <summary>A database written by the first schema (documents in both tables, AUTOINCREMENT) opens with its entities and history.</summary>
public sealed class EmbeddedSchemaMigrationTests : IDisposable
{
    private const string Ns = "https://example.org/";
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "ngsi-migration-" + Guid.NewGuid().ToString("N"));

    private static Entity NewEntity(string id, long version, double temperature)
    {
        var entity = new Entity { Id = id, Types = [Ns + "Thing"], CreatedAt = Now, ModifiedAt = Now, Version = version };
        entity.Attributes.Put(Ns + "temperature", new AttributeInstance { Kind = AttributeKind.Property, Value = JsonValue.Create(temperature), CreatedAt = Now, ModifiedAt = Now });
        return entity;
    }

    [Fact]
    public async Task A_version_1_database_is_migrated_and_keeps_its_entities_and_change_records()
    {
        Directory.CreateDirectory(_dataPath);
        var created = StoredEntityJson.Serialize(NewEntity("urn:x:1", 1, 20));
        var updated = StoredEntityJson.Serialize(NewEntity("urn:x:1", 2, 21));
        var unrecorded = StoredEntityJson.Serialize(NewEntity("urn:x:2", 1, 22));
        using (var connection = new SqliteConnection("Data Source=" + Path.Combine(_dataPath, "broker.db") + ";Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                PRAGMA journal_mode=WAL;
                CREATE TABLE schema_version (version INTEGER NOT NULL);
                CREATE TABLE tenants (name TEXT PRIMARY KEY) WITHOUT ROWID;
                CREATE TABLE entities (
                    tenant TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL,
                    PRIMARY KEY (tenant, id)) WITHOUT ROWID;
                CREATE TABLE changes (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, entity_id TEXT NOT NULL, kind TEXT NOT NULL,
                    at TEXT NOT NULL, attributes TEXT NOT NULL, after TEXT);
                INSERT INTO entities VALUES ('', 'urn:x:1', 2, $updated), ('', 'urn:x:2', 1, $unrecorded);
                INSERT INTO changes (tenant, entity_id, kind, at, attributes, after) VALUES
                    ('', 'urn:x:1', 'Create', '2026-11-21T12:00:00.000000Z', '[]', $created),
                    ('', 'urn:x:1', 'Update', '2026-11-21T12:00:01.000000Z', '[]', $updated),
                    ('', 'urn:x:9', 'Delete', '2026-11-21T12:00:02.000000Z', '[]', NULL);
                """;
            command.Parameters.AddWithValue("$created", created);
            command.Parameters.AddWithValue("$updated", updated);
            command.Parameters.AddWithValue("$unrecorded", unrecorded);
            command.ExecuteNonQuery();
        }

        await using (var store = await OpenAsync())
        {
            Assert.Equal(21.0, (double)(await store.GetAsync("", "urn:x:1", default))!.Attributes.Get(Ns + "temperature")![0].Value!);
            Assert.Equal(2, (await store.GetAsync("", "urn:x:1", default))!.Version);
            Assert.Equal(1, (await store.GetAsync("", "urn:x:2", default))!.Version);
            var before = (await store.GetAsync("", "urn:x:2", default))!;
            var after = NewEntity("urn:x:2", 1, 23);
            var change = new EntityChange(ChangeKind.Update, "urn:x:2", before, after, [Ns + "temperature"], Now.AddSeconds(3));
            Assert.Equal([CommitOutcome.Committed], await store.CommitAsync("", [change], default));
        }

        await using (var store = await OpenAsync())
        {
            Assert.Equal(21.0, (double)(await store.GetAsync("", "urn:x:1", default))!.Attributes.Get(Ns + "temperature")![0].Value!);
            var second = (await store.GetAsync("", "urn:x:2", default))!;
            Assert.Equal(2, second.Version);
            Assert.Equal(23.0, (double)second.Attributes.Get(Ns + "temperature")![0].Value!);
        }

        SqliteConnection.ClearAllPools();
        using (var connection = new SqliteConnection("Data Source=" + Path.Combine(_dataPath, "broker.db") + ";Mode=ReadOnly;Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT group_concat(seq || ' ' || kind || ' ' || entity_id, ', ') FROM (SELECT * FROM changes ORDER BY seq)";
            Assert.Equal("1 Create urn:x:1, 2 Update urn:x:1, 3 Delete urn:x:9, 4 Snapshot urn:x:2, 5 Update urn:x:2", command.ExecuteScalar());
            command.CommandText = "SELECT (SELECT group_concat(version) FROM schema_version) || ' ' || (SELECT count(*) FROM sqlite_master WHERE name IN ('entities_v1', 'changes_v1')) || ' ' || (SELECT count(*) FROM sqlite_sequence)";
            Assert.Equal("3 0 0", command.ExecuteScalar());
        }
    }

    [Fact]
    public async Task A_version_2_database_gets_the_previous_column_and_its_records_read_back_without_it()
    {
        Directory.CreateDirectory(_dataPath);
        var created = StoredEntityJson.Serialize(NewEntity("urn:x:v2", 1, 20));
        using (var connection = new SqliteConnection("Data Source=" + Path.Combine(_dataPath, "broker.db") + ";Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                PRAGMA journal_mode=WAL;
                CREATE TABLE schema_version (version INTEGER NOT NULL);
                INSERT INTO schema_version VALUES (2);
                CREATE TABLE tenants (name TEXT PRIMARY KEY) WITHOUT ROWID;
                CREATE TABLE changes (
                    seq INTEGER PRIMARY KEY, tenant TEXT NOT NULL, entity_id TEXT NOT NULL, kind TEXT NOT NULL,
                    at TEXT NOT NULL, attributes TEXT NOT NULL, after TEXT);
                CREATE TABLE entities (
                    tenant TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, seq INTEGER NOT NULL,
                    PRIMARY KEY (tenant, id)) WITHOUT ROWID;
                INSERT INTO changes (seq, tenant, entity_id, kind, at, attributes, after) VALUES
                    (1, '', 'urn:x:v2', 'Create', '2026-11-21T12:00:00.000000Z', '["https://example.org/temperature"]', $created);
                INSERT INTO entities VALUES ('', 'urn:x:v2', 1, 1);
                """;
            command.Parameters.AddWithValue("$created", created);
            command.ExecuteNonQuery();
        }

        await using var store = await OpenAsync();
        var before = (await store.GetAsync("", "urn:x:v2", default))!;
        var after = NewEntity("urn:x:v2", 1, 21);
        Assert.Equal([CommitOutcome.Committed], await store.CommitAsync("", [new EntityChange(ChangeKind.Update, "urn:x:v2", before, after, [Ns + "temperature"], Now.AddSeconds(1))], default));
        var feed = await store.ReadAsync("test", new ChangeFeedPosition(0, 0, 0), 10, default);

        Assert.Equal([ChangeKind.Create, ChangeKind.Update], feed.Changes.Select(c => c.Change.Kind));
        Assert.Null(feed.Changes[0].Change.Before);
        Assert.Equal(20.0, (double)feed.Changes[1].Change.Before!.Attributes.Get(Ns + "temperature")![0].Value!);
        Assert.Equal(21.0, (double)(await store.GetAsync("", "urn:x:v2", default))!.Attributes.Get(Ns + "temperature")![0].Value!);
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
        Directory.Delete(_dataPath, recursive: true);
    }
}
