using System.Text.Json.Nodes;
using Broker.Storage;
using Broker.Storage.Embedded;
using Broker.Temporal;
using Microsoft.Data.Sqlite;
using Ontology.Model;
using Xunit;

namespace Broker.StoreTests;

/// <summary>A history written in the first layout (each instance with its tenant, entity id and attribute) opens with its instances.</summary>
public sealed class EmbeddedTemporalMigrationTests : IDisposable
{
    private const string Temperature = "https://example.org/temperature";
    private const string Humidity = "https://example.org/humidity";
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "ngsi-temporal-migration-" + Guid.NewGuid().ToString("N"));

    private static AttributeInstance Reading(double value, DateTimeOffset at) => new()
    {
        Kind = AttributeKind.Property,
        Value = JsonValue.Create(value),
        ObservedAt = at.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture),
        CreatedAt = at,
        ModifiedAt = at,
    };

    [Fact]
    public async Task A_first_layout_history_is_migrated_and_takes_new_instances_into_the_same_series()
    {
        Directory.CreateDirectory(_dataPath);
        using (var connection = new SqliteConnection("Data Source=" + Path.Combine(_dataPath, "temporal.db") + ";Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                PRAGMA journal_mode=WAL;
                CREATE TABLE temporal_entities (
                    tenant TEXT NOT NULL, id TEXT NOT NULL, types TEXT NOT NULL, scopes TEXT,
                    created_at INTEGER NOT NULL, modified_at INTEGER NOT NULL, deleted_at INTEGER, state TEXT NOT NULL,
                    PRIMARY KEY (tenant, id)) WITHOUT ROWID;
                CREATE TABLE instances (
                    seq INTEGER PRIMARY KEY,
                    tenant TEXT NOT NULL, entity_id TEXT NOT NULL, attribute TEXT NOT NULL, dataset_id TEXT NOT NULL,
                    instance_id TEXT NOT NULL, observed_at INTEGER, created_at INTEGER NOT NULL, modified_at INTEGER NOT NULL,
                    deleted_at INTEGER, instant INTEGER NOT NULL, kind INTEGER NOT NULL, value TEXT, doc TEXT NOT NULL);
                CREATE UNIQUE INDEX instances_id ON instances (tenant, entity_id, attribute, instance_id);
                CREATE INDEX instances_entity ON instances (tenant, entity_id, attribute, instant);
                CREATE INDEX instances_instant ON instances (instant);
                CREATE TABLE positions (
                    consumer TEXT PRIMARY KEY, horizon INTEGER NOT NULL, window_end INTEGER NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID;
                INSERT INTO temporal_entities VALUES ('', 'urn:x:1', '["https://example.org/Thing"]', NULL, $t0, $t2, NULL, $state),
                    ('city', 'urn:x:1', '["https://example.org/Thing"]', NULL, $t0, $t0, NULL, $state);
                INSERT INTO instances (tenant, entity_id, attribute, dataset_id, instance_id, observed_at, created_at, modified_at, deleted_at, instant, kind, value, doc) VALUES
                    ('', 'urn:x:1', $temperature, '', 'urn:i:1', $t0, $t0, $t0, NULL, $t0, 0, '20', $doc20),
                    ('', 'urn:x:1', $humidity, '', 'urn:i:2', $t0, $t0, $t0, NULL, $t0, 0, '60', $doc60),
                    ('', 'urn:x:1', $temperature, '', 'urn:i:3', $t1, $t1, $t1, NULL, $t1, 0, '21', $doc21),
                    ('city', 'urn:x:1', $temperature, '', 'urn:i:4', $t0, $t0, $t0, NULL, $t0, 0, '5', $doc5);
                INSERT INTO positions VALUES ('temporal', 1, 2, 3);
                """;
            command.Parameters.AddWithValue("$t0", TemporalRows.Microseconds(Now));
            command.Parameters.AddWithValue("$t1", TemporalRows.Microseconds(Now.AddMinutes(1)));
            command.Parameters.AddWithValue("$t2", TemporalRows.Microseconds(Now.AddMinutes(2)));
            command.Parameters.AddWithValue("$temperature", Temperature);
            command.Parameters.AddWithValue("$humidity", Humidity);
            command.Parameters.AddWithValue("$state", StoredEntityJson.Serialize(new Entity { Id = "urn:x:1", Types = ["https://example.org/Thing"], CreatedAt = Now, ModifiedAt = Now }));
            command.Parameters.AddWithValue("$doc20", TemporalRows.Document(Reading(20, Now)));
            command.Parameters.AddWithValue("$doc60", TemporalRows.Document(Reading(60, Now)));
            command.Parameters.AddWithValue("$doc21", TemporalRows.Document(Reading(21, Now.AddMinutes(1))));
            command.Parameters.AddWithValue("$doc5", TemporalRows.Document(Reading(5, Now)));
            command.ExecuteNonQuery();
        }

        await using (var store = new EmbeddedTemporalStore(new EmbeddedStoreOptions { DataPath = _dataPath }))
        {
            await store.InitializeAsync(default);
            Assert.Equal(new ChangeFeedPosition(1, 2, 3), await store.PositionAsync(default));
            Assert.Equal(["20", "21"], await ValuesAsync(store, "", Temperature));
            Assert.Equal(["60"], await ValuesAsync(store, "", Humidity));
            Assert.Equal(["5"], await ValuesAsync(store, "city", Temperature));

            var record = (await store.GetEntityAsync("", "urn:x:1", default))!;
            var state = new Entity { Id = "urn:x:1", Types = [.. record.Types], CreatedAt = Now, ModifiedAt = Now };
            await store.WriteAsync("", [new TemporalWrite(record, [new TemporalInstance(Temperature, "urn:i:5", Reading(22, Now.AddMinutes(3)))], state)], default);
            Assert.True(await store.DeleteInstanceAsync("", "urn:x:1", Temperature, "urn:i:1", default));
            Assert.False(await store.DeleteInstanceAsync("", "urn:x:1", Humidity, "urn:i:3", default));
            Assert.Equal(["21", "22"], await ValuesAsync(store, "", Temperature));
        }

        SqliteConnection.ClearAllPools();
        using (var connection = new SqliteConnection("Data Source=" + Path.Combine(_dataPath, "temporal.db") + ";Mode=ReadOnly;Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT (SELECT count(*) FROM sqlite_master WHERE name = 'instances') || ' ' || (SELECT count(*) FROM series)
                    || ' ' || (SELECT count(DISTINCT series) FROM series_instances)
                """;
            Assert.Equal("0 3 3", command.ExecuteScalar());
        }
    }

    private static async Task<IReadOnlyList<string>> ValuesAsync(EmbeddedTemporalStore store, string tenant, string attribute)
    {
        var query = new TemporalQuery { Entities = new EntityQuery { Attrs = [attribute] } };
        var histories = await store.HistoriesAsync(tenant, ["urn:x:1"], query, default);
        return [.. Assert.Single(Assert.Single(histories).Attributes).Instances.Select(i => i.Instance.Value!.ToJsonString())];
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dataPath, recursive: true);
    }
}
