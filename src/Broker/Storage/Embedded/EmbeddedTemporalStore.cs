using System.Text.Json;
using Broker.Temporal;
using Microsoft.Data.Sqlite;
using Ontology.Model;

namespace Broker.Storage.Embedded;

/// <summary>
/// The history of the embedded store, in a SQLite database of its own (<c>temporal.db</c> beside <c>broker.db</c>), so
/// that recording never waits for the entity writer. WAL with synchronous=FULL: a recorded instance survives a killed
/// process and a power loss. One connection, taken in turns. Instants are integer microseconds since 1970 (UTC).
/// </summary>
/// <remarks>
/// An observation is one instance: an instance with the attribute, datasetId and observedAt of one the history holds replaces
/// it (keeping its instanceId and createdAt), so the same observation given twice is recorded once.
/// </remarks>
public sealed class EmbeddedTemporalStore(EmbeddedStoreOptions options) : ITemporalStore
{
    private const string Consumer = "temporal";

    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly SeriesNumbers _seriesNumbers = new();
    private SqliteConnection? _connection;

    /// <summary>Connections for queries, which WAL lets read beside the writer and each other.</summary>
    private readonly System.Collections.Concurrent.ConcurrentBag<SqliteConnection> _readers = [];
    private readonly SemaphoreSlim _readerTurns = new(ReaderCount, ReaderCount);
    private static readonly int ReaderCount = Math.Max(2, Environment.ProcessorCount);

    /// <remarks>
    /// An instance names its series (tenant, entity, attribute) by number: the index an instance is inserted into at its
    /// series' place is then a few bytes per entry instead of the three texts, and the instance-id index, whose ids grow
    /// with time, takes its entries at its end. So a transaction of changes to many entities writes fewer pages.
    /// </remarks>
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS temporal_entities (
            tenant TEXT NOT NULL, id TEXT NOT NULL, types TEXT NOT NULL, scopes TEXT,
            created_at INTEGER NOT NULL, modified_at INTEGER NOT NULL, deleted_at INTEGER, state TEXT NOT NULL,
            PRIMARY KEY (tenant, id)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS series (
            series INTEGER PRIMARY KEY, tenant TEXT NOT NULL, entity_id TEXT NOT NULL, attribute TEXT NOT NULL,
            UNIQUE (tenant, entity_id, attribute));
        CREATE TABLE IF NOT EXISTS series_instances (
            seq INTEGER PRIMARY KEY, series INTEGER NOT NULL, dataset_id TEXT NOT NULL, instance_id TEXT NOT NULL,
            observed_at INTEGER, created_at INTEGER NOT NULL, modified_at INTEGER NOT NULL, deleted_at INTEGER,
            instant INTEGER NOT NULL, kind INTEGER NOT NULL, value TEXT, doc TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS positions (
            consumer TEXT PRIMARY KEY, horizon INTEGER NOT NULL, window_end INTEGER NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID;
        """;

    /// <summary>The first layout kept each instance's tenant, entity id and attribute in its row (table <c>instances</c>).</summary>
    private const string MigrationFromFirstLayout = """
        INSERT INTO series (tenant, entity_id, attribute)
            SELECT DISTINCT tenant, entity_id, attribute FROM instances ORDER BY tenant, entity_id, attribute;
        INSERT INTO series_instances (seq, series, dataset_id, instance_id, observed_at, created_at, modified_at, deleted_at, instant, kind, value, doc)
            SELECT i.seq, s.series, i.dataset_id, i.instance_id, i.observed_at, i.created_at, i.modified_at, i.deleted_at, i.instant, i.kind, i.value, i.doc
            FROM instances i JOIN series s ON s.tenant = i.tenant AND s.entity_id = i.entity_id AND s.attribute = i.attribute
            ORDER BY i.seq;
        DROP TABLE instances;
        """;

    private const string Indexes = """
        CREATE UNIQUE INDEX IF NOT EXISTS series_instances_id ON series_instances (instance_id);
        CREATE INDEX IF NOT EXISTS series_instances_instant_in_series ON series_instances (series, instant);
        CREATE INDEX IF NOT EXISTS series_instances_observed ON series_instances (series, dataset_id, observed_at)
            WHERE observed_at IS NOT NULL AND deleted_at IS NULL;
        CREATE INDEX IF NOT EXISTS series_instances_instant ON series_instances (instant);
        """;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var folder = Path.GetFullPath(options.DataPath);
        Directory.CreateDirectory(folder);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "temporal.db"), Pooling = false }.ToString());
        await _connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = _connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536;";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await using (var transaction = (SqliteTransaction)await _connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            command.Transaction = transaction;
            command.CommandText = "SELECT count(*) FROM pragma_table_info('instances') WHERE name = 'tenant'";
            var firstLayout = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false)) > 0;
            command.CommandText = Schema;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            if (firstLayout)
            {
                command.CommandText = MigrationFromFirstLayout;
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            command.CommandText = Indexes;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        for (var i = 0; i < ReaderCount; i++)
        {
            var reader = new SqliteConnection(_connection.ConnectionString);
            await reader.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var queryOnly = reader.CreateCommand();
            queryOnly.CommandText = "PRAGMA query_only=1";
            await queryOnly.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            _readers.Add(reader);
        }
    }

    private async ValueTask<T> ReadAsync<T>(Func<SqliteConnection, T> work, CancellationToken cancellationToken)
    {
        await _readerTurns.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!_readers.TryTake(out var connection))
        {
            _readerTurns.Release();
            throw new InvalidOperationException("The temporal store is not initialized.");
        }
        try
        {
            return work(connection);
        }
        finally
        {
            _readers.Add(connection);
            _readerTurns.Release();
        }
    }

    public ValueTask<ChangeFeedPosition?> PositionAsync(CancellationToken cancellationToken) =>
        InTurnAsync(ReadPosition, cancellationToken);

    private static ChangeFeedPosition? ReadPosition(SqliteConnection connection)
    {
        using var command = Command(connection, "SELECT horizon, window_end, seq FROM positions WHERE consumer = $consumer");
        command.Parameters.AddWithValue("$consumer", Consumer);
        using var reader = command.ExecuteReader();
        return reader.Read() ? new ChangeFeedPosition(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2)) : null;
    }

    public ValueTask<bool> ProjectAsync(ChangeFeedPosition? from, ChangeFeedPosition to, IReadOnlyList<(string Tenant, TemporalWrite Write)> writes, CancellationToken cancellationToken) =>
        InTurnAsync(connection =>
        {
            using var transaction = connection.BeginTransaction();
            if (ReadPosition(connection) != from)
                return false;
            using (var history = new HistoryWriter(connection, _seriesNumbers))
            {
                var records = TemporalWrite.RecordsToUpsert(writes);
                for (var i = 0; i < writes.Count; i++)
                    history.Apply(writes[i].Tenant, writes[i].Write, records[i], replaceObservation: false);
            }
            using var position = Command(connection, """
                INSERT INTO positions (consumer, horizon, window_end, seq) VALUES ($consumer, $horizon, $end, $seq)
                ON CONFLICT (consumer) DO UPDATE SET horizon = excluded.horizon, window_end = excluded.window_end, seq = excluded.seq
                """);
            position.Parameters.AddWithValue("$consumer", Consumer);
            position.Parameters.AddWithValue("$horizon", to.Horizon);
            position.Parameters.AddWithValue("$end", to.WindowEnd);
            position.Parameters.AddWithValue("$seq", to.Sequence);
            position.ExecuteNonQuery();
            transaction.Commit();
            return true;
        }, cancellationToken);

    public ValueTask WriteAsync(string tenant, IReadOnlyList<TemporalWrite> writes, CancellationToken cancellationToken) =>
        new(InTurnAsync(connection =>
        {
            using var transaction = connection.BeginTransaction();
            using (var history = new HistoryWriter(connection, _seriesNumbers))
            {
                foreach (var write in writes)
                    history.Apply(tenant, write, write.Entity, replaceObservation: true);
            }
            transaction.Commit();
            return true;
        }, cancellationToken).AsTask());

    /// <summary>
    /// The statements that record writes, prepared once per transaction: SQLite compiles each statement once, not once
    /// per change.
    /// </summary>
    private sealed class HistoryWriter : IDisposable
    {
        private readonly SeriesNumbers _series;
        private readonly SqliteCommand _upsert;
        private readonly SqliteCommand _insert;
        private readonly SqliteCommand _replace;
        private readonly SqliteParameter _recordTenant, _recordId, _types, _scopes, _recordCreated, _recordModified, _recordDeleted, _state;
        private readonly SqliteParameter[] _instance;
        private readonly SqliteParameter[] _replacement;

        public HistoryWriter(SqliteConnection connection, SeriesNumbers series)
        {
            _series = series;
            _upsert = Command(connection, """
                INSERT INTO temporal_entities (tenant, id, types, scopes, created_at, modified_at, deleted_at, state)
                VALUES ($tenant, $id, $types, $scopes, $created, $modified, $deleted, $state)
                ON CONFLICT (tenant, id) DO UPDATE SET types = excluded.types, scopes = excluded.scopes,
                    created_at = min(temporal_entities.created_at, excluded.created_at),
                    modified_at = max(temporal_entities.modified_at, excluded.modified_at),
                    deleted_at = excluded.deleted_at, state = excluded.state
                """);
            _recordTenant = _upsert.Parameters.Add("$tenant", SqliteType.Text);
            _recordId = _upsert.Parameters.Add("$id", SqliteType.Text);
            _types = _upsert.Parameters.Add("$types", SqliteType.Text);
            _scopes = _upsert.Parameters.Add("$scopes", SqliteType.Text);
            _recordCreated = _upsert.Parameters.Add("$created", SqliteType.Integer);
            _recordModified = _upsert.Parameters.Add("$modified", SqliteType.Integer);
            _recordDeleted = _upsert.Parameters.Add("$deleted", SqliteType.Integer);
            _state = _upsert.Parameters.Add("$state", SqliteType.Blob);
            _insert = Command(connection, """
                INSERT INTO series_instances (series, dataset_id, instance_id, observed_at, created_at, modified_at, deleted_at, instant, kind, value, doc)
                VALUES ($series, $dataset, $instance, $observed, $created, $modified, $deleted, $instant, $kind, $value, $doc)
                """);
            _replace = Command(connection, """
                UPDATE series_instances SET modified_at = $modified, kind = $kind, value = $value,
                    doc = json_set($doc, '$.createdAt', json_extract(doc, '$.createdAt'))
                WHERE seq = (SELECT max(seq) FROM series_instances WHERE series = $series
                    AND dataset_id = $dataset AND observed_at = $observed AND deleted_at IS NULL)
                """);
            (string Name, SqliteType Type)[] columns =
            [
                ("$series", SqliteType.Integer), ("$dataset", SqliteType.Text), ("$instance", SqliteType.Text), ("$observed", SqliteType.Integer),
                ("$created", SqliteType.Integer), ("$modified", SqliteType.Integer), ("$deleted", SqliteType.Integer), ("$instant", SqliteType.Integer),
                ("$kind", SqliteType.Integer), ("$value", SqliteType.Text), ("$doc", SqliteType.Text),
            ];
            _instance = [.. columns.Select(column => _insert.Parameters.Add(column.Name, column.Type))];
            string[] replaced = ["$instance", "$deleted", "$instant", "$created"];
            _replacement = [.. columns.Select(column => replaced.Contains(column.Name) ? null! : _replace.Parameters.Add(column.Name, column.Type))];
            _series.Prepare(connection);
        }

        /// <param name="replaceObservation">
        /// Temporal provision: an instance given again with the attribute, datasetId and observedAt of a recorded one replaces
        /// it (keeping its id and createdAt). The entity API's changes are each recorded, whatever their observedAt.
        /// </param>
        /// <param name="record">The entity's record to upsert with the write's state, or null when a later write of the transaction upserts it.</param>
        public void Apply(string tenant, TemporalWrite write, TemporalEntity? record, bool replaceObservation)
        {
            var entity = write.Entity;
            if (record is not null)
            {
                _recordTenant.Value = tenant;
                _recordId.Value = record.Id;
                _types.Value = JsonSerializer.Serialize(record.Types, StorageJsonContext.Default.IReadOnlyListString);
                _scopes.Value = record.Scopes is null ? DBNull.Value : JsonSerializer.Serialize(record.Scopes, StorageJsonContext.Default.IReadOnlyListString);
                _recordCreated.Value = TemporalRows.Microseconds(record.CreatedAt);
                _recordModified.Value = TemporalRows.Microseconds(record.ModifiedAt);
                _recordDeleted.Value = record.DeletedAt is { } deleted ? TemporalRows.Microseconds(deleted) : DBNull.Value;
                _state.Value = CompressedState.Encode(write);
                _upsert.ExecuteNonQuery();
            }
            foreach (var recorded in write.Instances)
            {
                var instance = recorded.Instance;
                object?[] values =
                [
                    _series.NumberOf(tenant, entity.Id, recorded.Attribute), instance.DatasetId ?? "", recorded.InstanceId,
                    TemporalRows.ObservedAt(instance) is { } at ? TemporalRows.Microseconds(at) : DBNull.Value,
                    TemporalRows.Microseconds(instance.CreatedAt), TemporalRows.Microseconds(instance.ModifiedAt),
                    recorded.DeletedAt is { } gone ? TemporalRows.Microseconds(gone) : DBNull.Value,
                    TemporalRows.Microseconds(TemporalRows.InstantOf(recorded)), (int)instance.Kind,
                    instance.Value?.ToJsonString() ?? (object)DBNull.Value, TemporalRows.Document(instance),
                ];
                for (var i = 0; i < values.Length; i++)
                    _instance[i].Value = values[i];
                if (replaceObservation && recorded.DeletedAt is null && values[3] is long)
                {
                    for (var i = 0; i < values.Length; i++)
                    {
                        if (_replacement[i] is { } parameter)
                            parameter.Value = values[i];
                    }
                    if (_replace.ExecuteNonQuery() > 0)
                        continue;
                }
                _insert.ExecuteNonQuery();
            }
        }

        public void Dispose()
        {
            _upsert.Dispose();
            _insert.Dispose();
            _replace.Dispose();
            _series.Release();
        }
    }

    /// <summary>
    /// The numbers of the series the writer has seen, so that recording an instance does not look its series up. Used
    /// only in the writer's turn; forgotten whenever series are deleted, and when it holds too many.
    /// </summary>
    private sealed class SeriesNumbers
    {
        private const int Capacity = 200_000;
        private readonly Dictionary<(string Tenant, string Entity, string Attribute), long> _known = [];
        private SqliteCommand? _lookup;
        private SqliteCommand? _insert;

        public void Prepare(SqliteConnection connection)
        {
            _lookup = Command(connection, "SELECT series FROM series WHERE tenant = $tenant AND entity_id = $entity AND attribute = $attribute");
            _insert = Command(connection, "INSERT INTO series (tenant, entity_id, attribute) VALUES ($tenant, $entity, $attribute) RETURNING series");
            foreach (var command in new[] { _lookup, _insert })
            {
                command.Parameters.Add("$tenant", SqliteType.Text);
                command.Parameters.Add("$entity", SqliteType.Text);
                command.Parameters.Add("$attribute", SqliteType.Text);
            }
        }

        public long NumberOf(string tenant, string entity, string attribute)
        {
            if (_known.TryGetValue((tenant, entity, attribute), out var number))
                return number;
            if (_known.Count >= Capacity)
                _known.Clear();
            number = Execute(_lookup!, tenant, entity, attribute) ?? Execute(_insert!, tenant, entity, attribute)!.Value;
            _known[(tenant, entity, attribute)] = number;
            return number;
        }

        private static long? Execute(SqliteCommand command, string tenant, string entity, string attribute)
        {
            command.Parameters[0].Value = tenant;
            command.Parameters[1].Value = entity;
            command.Parameters[2].Value = attribute;
            return command.ExecuteScalar() is long number ? number : null;
        }

        public void Forget() => _known.Clear();

        public void Release()
        {
            _lookup?.Dispose();
            _insert?.Dispose();
            _lookup = _insert = null;
        }
    }

    public ValueTask<TemporalEntity?> GetEntityAsync(string tenant, string id, CancellationToken cancellationToken) =>
        ReadAsync(connection =>
        {
            using var command = Command(connection, "SELECT id, types, scopes, created_at, modified_at, deleted_at FROM temporal_entities WHERE tenant = $tenant AND id = $id");
            command.Parameters.AddWithValue("$tenant", tenant);
            command.Parameters.AddWithValue("$id", id);
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadRecord(reader) : null;
        }, cancellationToken);

    private static TemporalEntity ReadRecord(SqliteDataReader reader) => new(
        reader.GetString(0),
        JsonSerializer.Deserialize(reader.GetString(1), StorageJsonContext.Default.IReadOnlyListString) ?? [],
        reader.IsDBNull(2) ? null : JsonSerializer.Deserialize(reader.GetString(2), StorageJsonContext.Default.IReadOnlyListString),
        TemporalRows.FromMicroseconds(reader.GetInt64(3)),
        TemporalRows.FromMicroseconds(reader.GetInt64(4)),
        reader.IsDBNull(5) ? null : TemporalRows.FromMicroseconds(reader.GetInt64(5)));

    public ValueTask<IReadOnlyList<Entity>> LatestAsync(string tenant, TemporalQuery query, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<Entity>>(connection =>
        {
            var sql = "SELECT state FROM temporal_entities WHERE tenant = $tenant";
            if (query.Entities.Ids is not null)
                sql += " AND id IN (SELECT value FROM json_each($ids))";
            using var command = Command(connection, sql + " ORDER BY id");
            command.Parameters.AddWithValue("$tenant", tenant);
            if (query.Entities.Ids is { } ids)
                command.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(ids, StorageJsonContext.Default.IReadOnlyListString));
            var states = new List<Entity>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
                states.Add(CompressedState.Decode(reader.GetValue(0)));
            return states;
        }, cancellationToken);

    public ValueTask<IReadOnlyList<EntityHistory>> HistoriesAsync(string tenant, IReadOnlyList<string> ids, TemporalQuery query, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<EntityHistory>>(connection =>
        {
            var histories = new List<EntityHistory>(ids.Count);
            using var record = Command(connection, "SELECT id, types, scopes, created_at, modified_at, deleted_at FROM temporal_entities WHERE tenant = $tenant AND id = $id");
            record.Parameters.AddWithValue("$tenant", tenant);
            var recordId = record.Parameters.Add("$id", SqliteType.Text);
            var column = query.Time.Property switch
            {
                TimeProperty.CreatedAt => "created_at",
                TimeProperty.ModifiedAt => "modified_at",
                TimeProperty.DeletedAt => "deleted_at",
                _ => "observed_at",
            };
            // Aggregates need the values and instants only, not the instances' documents.
            var light = query.Aggregation is not null;
            var sql = light
                ? "SELECT s.attribute, i.instance_id, i.observed_at, i.created_at, i.modified_at, i.deleted_at, i.kind, i.value, i.dataset_id"
                : "SELECT s.attribute, i.instance_id, i.observed_at, i.created_at, i.modified_at, i.deleted_at, i.doc";
            sql += " FROM series s JOIN series_instances i ON i.series = s.series WHERE s.tenant = $tenant AND s.entity_id = $id";
            if (query.Entities.Attrs is not null)
                sql += " AND s.attribute IN (SELECT value FROM json_each($attrs))";
            sql += query.Time.Relation switch
            {
                TimeRelation.Before => $" AND i.{column} < $timeAt",
                TimeRelation.After => $" AND i.{column} > $timeAt",
                TimeRelation.Between => $" AND i.{column} >= $timeAt AND i.{column} < $endTimeAt",
                _ => $" AND i.{column} IS NOT NULL",
            };
            // An observed instance's instant is its observedAt: the same range on instant lets the index narrow the scan.
            if (query.Time.Property == TimeProperty.ObservedAt)
            {
                sql += query.Time.Relation switch
                {
                    TimeRelation.Before => " AND i.instant < $timeAt",
                    TimeRelation.After => " AND i.instant > $timeAt",
                    TimeRelation.Between => " AND i.instant >= $timeAt AND i.instant < $endTimeAt",
                    _ => "",
                };
            }
            using var select = Command(connection, sql + " ORDER BY s.attribute, i.seq");
            select.Parameters.AddWithValue("$tenant", tenant);
            var entityId = select.Parameters.Add("$id", SqliteType.Text);
            if (query.Entities.Attrs is { } attrs)
                select.Parameters.AddWithValue("$attrs", JsonSerializer.Serialize(attrs, StorageJsonContext.Default.IReadOnlyListString));
            if (query.Time.TimeAt is { } timeAt)
                select.Parameters.AddWithValue("$timeAt", TemporalRows.Microseconds(timeAt));
            if (query.Time.EndTimeAt is { } endTimeAt)
                select.Parameters.AddWithValue("$endTimeAt", TemporalRows.Microseconds(endTimeAt));
            foreach (var id in ids)
            {
                recordId.Value = id;
                TemporalEntity? entity;
                using (var reader = record.ExecuteReader())
                    entity = reader.Read() ? ReadRecord(reader) : null;
                if (entity is null)
                    continue;
                entityId.Value = id;
                var byAttribute = new List<(string Name, List<TemporalInstance> Instances)>();
                using (var reader = select.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        var name = reader.GetString(0);
                        if (byAttribute.Count == 0 || byAttribute[^1].Name != name)
                            byAttribute.Add((name, []));
                        byAttribute[^1].Instances.Add(light ? ReadLight(reader, name) : ReadInstance(reader, name));
                    }
                }
                histories.Add(new EntityHistory(entity, [.. byAttribute.Select(a => TemporalQueries.Select(a.Name, a.Instances, query))]));
            }
            return histories;
        }, cancellationToken);

    private static DateTimeOffset? Instant(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : TemporalRows.FromMicroseconds(reader.GetInt64(ordinal));

    private static TemporalInstance ReadInstance(SqliteDataReader reader, string name) =>
        new(name, reader.GetString(1), TemporalRows.Instance(name, reader.GetString(6)), Instant(reader, 5)) { ObservedInstant = Instant(reader, 2) };

    /// <summary>An instance with what aggregation needs: its kind, value, datasetId and instants.</summary>
    private static TemporalInstance ReadLight(SqliteDataReader reader, string name)
    {
        var dataset = reader.GetString(8);
        var instance = new AttributeInstance
        {
            Kind = (AttributeKind)reader.GetInt32(6),
            Value = reader.IsDBNull(7) ? null : TemporalRows.Value(reader.GetString(7)),
            DatasetId = dataset.Length == 0 ? null : dataset,
            CreatedAt = TemporalRows.FromMicroseconds(reader.GetInt64(3)),
            ModifiedAt = TemporalRows.FromMicroseconds(reader.GetInt64(4)),
        };
        return new TemporalInstance(name, reader.GetString(1), instance, Instant(reader, 5)) { ObservedInstant = Instant(reader, 2) };
    }

    public ValueTask<bool> DeleteEntityAsync(string tenant, string id, CancellationToken cancellationToken) =>
        InTurnAsync(connection =>
        {
            using var transaction = connection.BeginTransaction();
            using var command = Command(connection, """
                DELETE FROM series_instances WHERE series IN (SELECT series FROM series WHERE tenant = $tenant AND entity_id = $id);
                DELETE FROM series WHERE tenant = $tenant AND entity_id = $id;
                """);
            command.Parameters.AddWithValue("$tenant", tenant);
            command.Parameters.AddWithValue("$id", id);
            command.ExecuteNonQuery();
            _seriesNumbers.Forget();
            command.CommandText = "DELETE FROM temporal_entities WHERE tenant = $tenant AND id = $id";
            var deleted = command.ExecuteNonQuery() > 0;
            transaction.Commit();
            return deleted;
        }, cancellationToken);

    public ValueTask<int> DeleteAttributeAsync(string tenant, string id, string attribute, string? datasetId, bool deleteAll, CancellationToken cancellationToken) =>
        InTurnAsync(connection =>
        {
            using var command = Command(connection, "DELETE FROM series_instances WHERE series = " + SeriesOf
                + (deleteAll ? "" : " AND dataset_id = $dataset"));
            command.Parameters.AddWithValue("$tenant", tenant);
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$attribute", attribute);
            command.Parameters.AddWithValue("$dataset", datasetId ?? "");
            return command.ExecuteNonQuery();
        }, cancellationToken);

    public ValueTask<bool> ReplaceInstanceAsync(string tenant, string id, string attribute, string instanceId, AttributeInstance instance, CancellationToken cancellationToken) =>
        InTurnAsync(connection =>
        {
            using var transaction = connection.BeginTransaction();
            using var read = Command(connection, "SELECT doc FROM series_instances WHERE instance_id = $instance AND series = " + SeriesOf);
            read.Parameters.AddWithValue("$tenant", tenant);
            read.Parameters.AddWithValue("$id", id);
            read.Parameters.AddWithValue("$attribute", attribute);
            read.Parameters.AddWithValue("$instance", instanceId);
            if (read.ExecuteScalar() is not string existing)
                return false;
            instance.CreatedAt = TemporalRows.Instance(attribute, existing).CreatedAt;
            using var update = Command(connection, """
                UPDATE series_instances SET dataset_id = $dataset, observed_at = $observed, modified_at = $modified, instant = $instant,
                    kind = $kind, value = $value, doc = $doc
                WHERE instance_id = $instance AND series = 
                """ + SeriesOf);
            update.Parameters.AddWithValue("$tenant", tenant);
            update.Parameters.AddWithValue("$id", id);
            update.Parameters.AddWithValue("$attribute", attribute);
            update.Parameters.AddWithValue("$instance", instanceId);
            update.Parameters.AddWithValue("$dataset", instance.DatasetId ?? "");
            update.Parameters.AddWithValue("$observed", TemporalRows.ObservedAt(instance) is { } at ? TemporalRows.Microseconds(at) : DBNull.Value);
            update.Parameters.AddWithValue("$modified", TemporalRows.Microseconds(instance.ModifiedAt));
            update.Parameters.AddWithValue("$instant", TemporalRows.Microseconds(TemporalRows.InstantOf(new TemporalInstance(attribute, instanceId, instance))));
            update.Parameters.AddWithValue("$kind", (int)instance.Kind);
            update.Parameters.AddWithValue("$value", instance.Value?.ToJsonString() ?? (object)DBNull.Value);
            update.Parameters.AddWithValue("$doc", TemporalRows.Document(instance));
            update.ExecuteNonQuery();
            transaction.Commit();
            return true;
        }, cancellationToken);

    public ValueTask<bool> DeleteInstanceAsync(string tenant, string id, string attribute, string instanceId, CancellationToken cancellationToken) =>
        InTurnAsync(connection =>
        {
            using var command = Command(connection, "DELETE FROM series_instances WHERE instance_id = $instance AND series = " + SeriesOf);
            command.Parameters.AddWithValue("$tenant", tenant);
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$attribute", attribute);
            command.Parameters.AddWithValue("$instance", instanceId);
            return command.ExecuteNonQuery() > 0;
        }, cancellationToken);

    /// <summary>Deletes in transactions of at most 10 000 rows, taking turns with the other work between them.</summary>
    public async ValueTask<long> DropBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        long total = 0;
        while (true)
        {
            var deleted = await InTurnAsync(connection =>
            {
                using var command = Command(connection, "DELETE FROM series_instances WHERE seq IN (SELECT seq FROM series_instances WHERE instant < $cutoff LIMIT 10000)");
                command.Parameters.AddWithValue("$cutoff", TemporalRows.Microseconds(cutoff));
                return command.ExecuteNonQuery();
            }, cancellationToken).ConfigureAwait(false);
            total += deleted;
            if (deleted < 10_000)
                break;
        }
        if (total > 0)
        {
            await InTurnAsync(connection =>
            {
                using var command = Command(connection, "DELETE FROM series WHERE NOT EXISTS (SELECT 1 FROM series_instances i WHERE i.series = series.series)");
                _seriesNumbers.Forget();
                return command.ExecuteNonQuery();
            }, cancellationToken).ConfigureAwait(false);
        }
        return total;
    }

    public ValueTask MaintainAsync(DateTimeOffset now, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    private const string SeriesOf = "(SELECT series FROM series WHERE tenant = $tenant AND entity_id = $id AND attribute = $attribute)";

    private static SqliteCommand Command(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    private async ValueTask<T> InTurnAsync<T>(Func<SqliteConnection, T> work, CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return work(_connection ?? throw new InvalidOperationException("The temporal store is not initialized."));
        }
        catch
        {
            // The series the failed transaction numbered are not in the database.
            _seriesNumbers.Forget();
            throw;
        }
        finally
        {
            _turn.Release();
        }
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        // A second call would wait for reader turns the first one took and never gave back.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        for (var i = 0; i < ReaderCount; i++)
            await _readerTurns.WaitAsync().ConfigureAwait(false);
        while (_readers.TryTake(out var reader))
            await reader.DisposeAsync().ConfigureAwait(false);
        await _turn.WaitAsync().ConfigureAwait(false);
        if (_connection is not null)
            await _connection.DisposeAsync().ConfigureAwait(false);
        _connection = null;
        _turn.Release();
    }
}
