using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Temporal;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Ontology.Model;

namespace Broker.Storage.Postgres;

/// <summary>
/// The history in PostgreSQL (migration 9), shared by every broker node. Instances live in <c>temporal_instances</c>,
/// partitioned by week of their instant (Monday 00:00 UTC to the next), partitions created ahead by
/// <see cref="MaintainAsync"/> and dropped whole by retention; the default partition holds instants outside them. The
/// projector's position is the <c>temporal</c> row of <c>feed_cursors</c>, locked and moved in the transaction that
/// records the changes, so two nodes never record a change twice. Aggregations run in SQL.
/// </summary>
/// <remarks>
/// An observation is one instance, as in the embedded store: an instance with the attribute, datasetId and observedAt of
/// one the history holds replaces it, keeping its instanceId and createdAt.
/// </remarks>
public sealed partial class PostgresTemporalStore(PostgresStoreOptions options, ILogger<PostgresTemporalStore> logger) : ITemporalStore
{
    private const string Consumer = "temporal";

    /// <summary>The advisory lock key of partition housekeeping ("NGST" in ASCII).</summary>
    private const long PartitionLockKey = 0x4E475354;

    /// <summary>Partitions created ahead of the current week.</summary>
    private const int WeeksAhead = 4;

    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(options.ConnectionString);

    /// <summary>
    /// The schema is migrated by <see cref="PostgresEntityStore.InitializeAsync"/>, which runs first; the partitions of the
    /// coming weeks are made by the housekeeping (<see cref="MaintainAsync"/>) as soon as the broker runs (until then
    /// instances go to the default partition, and move to their week's partition when it is made).
    /// </summary>
    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask<ChangeFeedPosition?> PositionAsync(CancellationToken cancellationToken) =>
        RunAsync(async connection => await ReadPositionAsync(connection, null, forUpdate: false, cancellationToken).ConfigureAwait(false), cancellationToken);

    private static async Task<ChangeFeedPosition?> ReadPositionAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, bool forUpdate, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT horizon, window_end, seq FROM feed_cursors WHERE name = $1" + (forUpdate ? " FOR UPDATE" : ""), connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Consumer });
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false) ? new ChangeFeedPosition(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2)) : null;
    }

    public ValueTask<bool> ProjectAsync(ChangeFeedPosition? from, ChangeFeedPosition to, IReadOnlyList<(string Tenant, TemporalWrite Write)> writes, CancellationToken cancellationToken) =>
        RunAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            if (from is null)
            {
                await using var claim = new NpgsqlCommand(
                    "INSERT INTO feed_cursors (name, horizon, window_end, seq) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING", connection, transaction);
                AddPosition(claim, to);
                if (await claim.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
                    return false;
            }
            else
            {
                if (await ReadPositionAsync(connection, transaction, forUpdate: true, cancellationToken).ConfigureAwait(false) != from)
                    return false;
                await using var move = new NpgsqlCommand("UPDATE feed_cursors SET horizon = $2, window_end = $3, seq = $4 WHERE name = $1", connection, transaction);
                AddPosition(move, to);
                await move.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await ProjectInBulkAsync(connection, transaction, writes, TemporalWrite.RecordsToUpsert(writes), cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    private static void AddPosition(NpgsqlCommand command, ChangeFeedPosition position)
    {
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Consumer });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = position.Horizon });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = position.WindowEnd });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = position.Sequence });
    }

    public async ValueTask WriteAsync(string tenant, IReadOnlyList<TemporalWrite> writes, CancellationToken cancellationToken) =>
        await RunAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await ApplyAsync(connection, transaction, [.. writes.Select(w => (tenant, w, (TemporalEntity?)w.Entity))], cancellationToken)
                .ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>What upserting a record keeps of the one recorded: the earliest createdAt, the latest modifiedAt.</summary>
    private const string RecordUpsert = """
         ON CONFLICT (tenant, id) DO UPDATE SET types = excluded.types, scopes = excluded.scopes,
            created_at = least(temporal_entities.created_at, excluded.created_at),
            modified_at = greatest(temporal_entities.modified_at, excluded.modified_at),
            deleted_at = excluded.deleted_at, state = excluded.state
        """;

    private const string InsertInstance = """
        INSERT INTO temporal_instances (tenant, entity_id, attribute, dataset_id, instance_id, observed_at, created_at, modified_at,
            deleted_at, instant, kind, value, number, doc)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $14::jsonb)
        """;

    /// <summary>
    /// <see cref="InsertInstance"/> for temporal provision: an instance given again with the attribute, datasetId and
    /// observedAt of a recorded one replaces it (keeping its id and createdAt). The instant of an observation is its
    /// observedAt: saying so lets PostgreSQL look in one partition instead of all.
    /// </summary>
    private const string ReplaceOrInsertInstance = """
        WITH target AS (
            SELECT seq, instant FROM temporal_instances
            WHERE tenant = $1 AND entity_id = $2 AND attribute = $3 AND dataset_id = $4 AND observed_at = $6 AND deleted_at IS NULL
                AND instant = $6 AND $9::timestamptz IS NULL
            ORDER BY seq DESC LIMIT 1),
        replaced AS (
            UPDATE temporal_instances i SET modified_at = $8, kind = $11, value = $12::jsonb, number = $13,
                doc = jsonb_set($14::jsonb, '{createdAt}', i.doc -> 'createdAt')
            FROM target WHERE i.seq = target.seq AND i.instant = target.instant
            RETURNING 1)
        INSERT INTO temporal_instances (tenant, entity_id, attribute, dataset_id, instance_id, observed_at, created_at, modified_at,
            deleted_at, instant, kind, value, number, doc)
        SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $14::jsonb WHERE NOT EXISTS (SELECT 1 FROM replaced)
        """;

    /// <summary>
    /// Records writes in one batch (one round trip): each write's record (null: a later write of the batch upserts the
    /// entity's record), then its instances.
    /// </summary>
    private static async Task ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        IReadOnlyList<(string Tenant, TemporalWrite Write, TemporalEntity? Record)> writes, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var (tenant, write, record) in writes)
        {
            if (record is not null)
            {
                var upsert = new NpgsqlBatchCommand("""
                    INSERT INTO temporal_entities (tenant, id, types, scopes, created_at, modified_at, deleted_at, state)
                    VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8::jsonb)
                    """ + RecordUpsert);
                upsert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
                upsert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = record.Id });
                upsert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. record.Types] });
                upsert.Parameters.Add(new NpgsqlParameter { Value = record.Scopes is null ? DBNull.Value : JsonSerializer.Serialize(record.Scopes, StorageJsonContext.Default.IReadOnlyListString), NpgsqlDbType = NpgsqlDbType.Text });
                upsert.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = record.CreatedAt.UtcDateTime });
                upsert.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = record.ModifiedAt.UtcDateTime });
                upsert.Parameters.Add(Nullable(record.DeletedAt));
                upsert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = StoredEntityJson.Serialize(write.State) });
                batch.BatchCommands.Add(upsert);
            }
            foreach (var recorded in write.Instances)
            {
                var insert = new NpgsqlBatchCommand(ReplaceOrInsertInstance);
                insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
                insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = write.Entity.Id });
                AddInstanceColumns(insert.Parameters, recorded);
                batch.BatchCommands.Add(insert);
            }
        }
        if (batch.BatchCommands.Count > 0)
            await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private const string CopyInstances = """
        COPY temporal_instances (tenant, entity_id, attribute, dataset_id, instance_id, observed_at, created_at, modified_at,
            deleted_at, instant, kind, value, number, doc) FROM STDIN (FORMAT BINARY)
        """;

    /// <summary>
    /// The projector's writes: the records in one set-based upsert over arrays, the instances (only ever inserted) by
    /// binary COPY. One statement per instance had PostgreSQL parse, plan and start an executor thousands of times for a
    /// batch of the feed.
    /// </summary>
    private static async Task ProjectInBulkAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        IReadOnlyList<(string Tenant, TemporalWrite Write)> writes, IReadOnlyList<TemporalEntity?> records, CancellationToken ct)
    {
        var upserts = new List<int>();
        var instances = 0;
        for (var i = 0; i < writes.Count; i++)
        {
            if (records[i] is not null)
                upserts.Add(i);
            instances += writes[i].Write.Instances.Count;
        }
        if (upserts.Count > 0)
        {
            var tenants = new string[upserts.Count];
            var ids = new string[upserts.Count];
            var types = new string[upserts.Count];
            var scopes = new string?[upserts.Count];
            var created = new DateTime[upserts.Count];
            var modified = new DateTime[upserts.Count];
            var deleted = new DateTime?[upserts.Count];
            var states = new string[upserts.Count];
            for (var j = 0; j < upserts.Count; j++)
            {
                var (tenant, write) = writes[upserts[j]];
                var record = records[upserts[j]]!;
                tenants[j] = tenant;
                ids[j] = record.Id;
                types[j] = JsonSerializer.Serialize(record.Types, StorageJsonContext.Default.IReadOnlyListString);
                scopes[j] = record.Scopes is null ? null : JsonSerializer.Serialize(record.Scopes, StorageJsonContext.Default.IReadOnlyListString);
                created[j] = record.CreatedAt.UtcDateTime;
                modified[j] = record.ModifiedAt.UtcDateTime;
                deleted[j] = record.DeletedAt?.UtcDateTime;
                states[j] = StoredEntityJson.Serialize(write.State);
            }
            await using var upsert = new NpgsqlCommand("""
                INSERT INTO temporal_entities (tenant, id, types, scopes, created_at, modified_at, deleted_at, state)
                SELECT u.tenant, u.id, ARRAY(SELECT jsonb_array_elements_text(u.types)), u.scopes, u.created_at, u.modified_at, u.deleted_at, u.state
                FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::jsonb[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[], $8::jsonb[])
                    AS u(tenant, id, types, scopes, created_at, modified_at, deleted_at, state)
                """ + RecordUpsert, connection, transaction);
            upsert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = tenants });
            upsert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
            upsert.Parameters.Add(new NpgsqlParameter { Value = types, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
            upsert.Parameters.Add(new NpgsqlParameter { Value = scopes, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
            upsert.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = created });
            upsert.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = modified });
            upsert.Parameters.Add(new NpgsqlParameter { Value = deleted, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
            upsert.Parameters.Add(new NpgsqlParameter { Value = states, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
            await upsert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        if (instances == 0)
            return;
        await using var copy = await connection.BeginBinaryImportAsync(CopyInstances, ct).ConfigureAwait(false);
        foreach (var (tenant, write) in writes)
        {
            foreach (var recorded in write.Instances)
            {
                var instance = recorded.Instance;
                await copy.StartRowAsync(ct).ConfigureAwait(false);
                await copy.WriteAsync(tenant, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await copy.WriteAsync(write.Entity.Id, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await copy.WriteAsync(recorded.Attribute, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await copy.WriteAsync(instance.DatasetId ?? "", NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await copy.WriteAsync(recorded.InstanceId, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await WriteInstantAsync(copy, TemporalRows.ObservedAt(instance), ct).ConfigureAwait(false);
                await copy.WriteAsync(instance.CreatedAt.UtcDateTime, NpgsqlDbType.TimestampTz, ct).ConfigureAwait(false);
                await copy.WriteAsync(instance.ModifiedAt.UtcDateTime, NpgsqlDbType.TimestampTz, ct).ConfigureAwait(false);
                await WriteInstantAsync(copy, recorded.DeletedAt, ct).ConfigureAwait(false);
                await copy.WriteAsync(TemporalRows.InstantOf(recorded).UtcDateTime, NpgsqlDbType.TimestampTz, ct).ConfigureAwait(false);
                await copy.WriteAsync((short)instance.Kind, NpgsqlDbType.Smallint, ct).ConfigureAwait(false);
                if (instance.Value is { } value)
                    await copy.WriteAsync(value.ToJsonString(), NpgsqlDbType.Jsonb, ct).ConfigureAwait(false);
                else
                    await copy.WriteNullAsync(ct).ConfigureAwait(false);
                if (TemporalRows.NumberOf(instance) is { } number)
                    await copy.WriteAsync(number, NpgsqlDbType.Double, ct).ConfigureAwait(false);
                else
                    await copy.WriteNullAsync(ct).ConfigureAwait(false);
                await copy.WriteAsync(TemporalRows.Document(instance), NpgsqlDbType.Jsonb, ct).ConfigureAwait(false);
            }
        }
        await copy.CompleteAsync(ct).ConfigureAwait(false);
    }

    private static async Task WriteInstantAsync(NpgsqlBinaryImporter copy, DateTimeOffset? instant, CancellationToken ct)
    {
        if (instant is { } at)
            await copy.WriteAsync(at.UtcDateTime, NpgsqlDbType.TimestampTz, ct).ConfigureAwait(false);
        else
            await copy.WriteNullAsync(ct).ConfigureAwait(false);
    }

    /// <summary>$3 attribute .. $14 doc of <see cref="InsertInstance"/>.</summary>
    private static void AddInstanceColumns(NpgsqlParameterCollection parameters, TemporalInstance recorded)
    {
        var instance = recorded.Instance;
        parameters.Add(new NpgsqlParameter<string> { TypedValue = recorded.Attribute });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = instance.DatasetId ?? "" });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = recorded.InstanceId });
        parameters.Add(Nullable(TemporalRows.ObservedAt(instance)));
        parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = instance.CreatedAt.UtcDateTime });
        parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = instance.ModifiedAt.UtcDateTime });
        parameters.Add(Nullable(recorded.DeletedAt));
        parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = TemporalRows.InstantOf(recorded).UtcDateTime });
        parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)instance.Kind });
        parameters.Add(new NpgsqlParameter { Value = instance.Value?.ToJsonString() ?? (object)DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        parameters.Add(new NpgsqlParameter { Value = TemporalRows.NumberOf(instance) is { } number ? number : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = TemporalRows.Document(instance) });
    }

    private static NpgsqlParameter Nullable(DateTimeOffset? instant) =>
        new() { Value = instant is { } at ? at.UtcDateTime : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz };

    public ValueTask<TemporalEntity?> GetEntityAsync(string tenant, string id, CancellationToken cancellationToken) =>
        RunAsync(async connection => await ReadRecordAsync(connection, tenant, id, cancellationToken).ConfigureAwait(false), cancellationToken);

    private static async Task<TemporalEntity?> ReadRecordAsync(NpgsqlConnection connection, string tenant, string id, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT id, types, scopes::text, created_at, modified_at, deleted_at FROM temporal_entities WHERE tenant = $1 AND id = $2", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false) ? RecordOf(reader) : null;
    }

    /// <summary>A temporal_entities row of id, types, scopes, created_at, modified_at, deleted_at.</summary>
    private static TemporalEntity RecordOf(NpgsqlDataReader reader) =>
        new(reader.GetString(0), reader.GetFieldValue<string[]>(1),
            reader.IsDBNull(2) ? null : JsonSerializer.Deserialize(reader.GetString(2), StorageJsonContext.Default.IReadOnlyListString),
            reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4),
            reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5));

    public ValueTask<IReadOnlyList<Entity>> LatestAsync(string tenant, TemporalQuery query, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<Entity>>(async connection =>
        {
            var sql = "SELECT state::text FROM temporal_entities WHERE tenant = $1";
            if (query.Entities.Ids is not null)
                sql += " AND id = ANY($2)";
            await using var command = new NpgsqlCommand(sql + " ORDER BY id", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            if (query.Entities.Ids is { } ids)
                command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. ids] });
            var states = new List<Entity>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                states.Add(StoredEntityJson.Deserialize(reader.GetString(0)));
            return states;
        }, cancellationToken);

    /// <summary>The rows a query selects of some entities ($1 tenant, $2 entity ids, $3 attrs or null, $4 timeAt, $5 endTimeAt), as SQL, the time property as t.</summary>
    private static string Selection(TemporalQuery query)
    {
        var column = query.Time.Property switch
        {
            TimeProperty.CreatedAt => "created_at",
            TimeProperty.ModifiedAt => "modified_at",
            TimeProperty.DeletedAt => "deleted_at",
            _ => "observed_at",
        };
        var range = query.Time.Relation switch
        {
            TimeRelation.Before => $"{column} < $4",
            TimeRelation.After => $"{column} > $4",
            TimeRelation.Between => $"{column} >= $4 AND {column} < $5",
            _ => $"{column} IS NOT NULL",
        };
        // An observed instance's instant is its observedAt: the same range on the partition key prunes partitions.
        if (query.Time.Property == TimeProperty.ObservedAt)
        {
            range += query.Time.Relation switch
            {
                TimeRelation.Before => " AND instant < $4",
                TimeRelation.After => " AND instant > $4",
                TimeRelation.Between => " AND instant >= $4 AND instant < $5",
                _ => "",
            };
        }
        return $"SELECT *, {column} AS t FROM temporal_instances WHERE tenant = $1 AND entity_id = ANY($2) AND ($3::text[] IS NULL OR attribute = ANY($3)) AND {range}";
    }

    private static void AddSelectionParameters(NpgsqlCommand command, string tenant, IReadOnlyList<string> ids, TemporalQuery query)
    {
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. ids] });
        command.Parameters.Add(new NpgsqlParameter { Value = query.Entities.Attrs is { } attrs ? attrs.ToArray() : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(Nullable(query.Time.TimeAt));
        command.Parameters.Add(Nullable(query.Time.EndTimeAt));
    }

    public ValueTask<IReadOnlyList<EntityHistory>> HistoriesAsync(string tenant, IReadOnlyList<string> ids, TemporalQuery query, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<EntityHistory>>(async connection =>
        {
            var records = await ReadRecordsAsync(connection, tenant, ids, cancellationToken).ConfigureAwait(false);
            var recorded = ids.Distinct(StringComparer.Ordinal).Where(records.ContainsKey).ToList();
            Dictionary<string, IReadOnlyList<AttributeHistory>>? aggregated = null;
            if (query.Aggregation is { } aggregation && recorded.Count > 0)
            {
                try
                {
                    aggregated = await AggregateAsync(connection, tenant, recorded, query, aggregation, cancellationToken).ConfigureAwait(false);
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.NumericValueOutOfRange)
                {
                    // float8 arithmetic fails on a sum beyond a double; the in-memory aggregation of the instances makes such a value null.
                }
            }
            var histories = new List<EntityHistory>(recorded.Count);
            foreach (var id in recorded)
            {
                var attributes = aggregated is not null
                    ? aggregated.GetValueOrDefault(id, [])
                    : await InstancesAsync(connection, tenant, id, query, cancellationToken).ConfigureAwait(false);
                histories.Add(new EntityHistory(records[id], attributes));
            }
            return histories;
        }, cancellationToken);

    private static async Task<Dictionary<string, TemporalEntity>> ReadRecordsAsync(NpgsqlConnection connection, string tenant, IReadOnlyList<string> ids, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT id, types, scopes::text, created_at, modified_at, deleted_at FROM temporal_entities WHERE tenant = $1 AND id = ANY($2)", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. ids] });
        var records = new Dictionary<string, TemporalEntity>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            records[reader.GetString(0)] = RecordOf(reader);
        return records;
    }

    private static async Task<IReadOnlyList<AttributeHistory>> InstancesAsync(NpgsqlConnection connection, string tenant, string id, TemporalQuery query, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT attribute, instance_id, observed_at, deleted_at, doc::text FROM ({Selection(query)}) s ORDER BY attribute, seq", connection);
        AddSelectionParameters(command, tenant, [id], query);
        var byAttribute = new List<(string Name, List<TemporalInstance> Instances)>();
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var name = reader.GetString(0);
                if (byAttribute.Count == 0 || byAttribute[^1].Name != name)
                    byAttribute.Add((name, []));
                byAttribute[^1].Instances.Add(new TemporalInstance(name, reader.GetString(1), TemporalRows.Instance(name, reader.GetString(4)),
                    reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3))
                {
                    ObservedInstant = reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2),
                });
            }
        }
        return [.. byAttribute.Select(a => TemporalQueries.Select(a.Name, a.Instances, query))];
    }

    /// <summary>The work memory of an aggregation: a page's groups (series × periods) must not spill the hash aggregation to disk.</summary>
    private const string AggregationWorkMemory = "32MB";

    /// <summary>The most periods a between range may have to be shared by all series as one parameter.</summary>
    private const int SharedPeriodsLimit = 10_000;

    /// <summary>
    /// aggregatedValues in SQL for a page of entities at once, with the meaning of <see cref="TemporalQueries.Aggregate"/>:
    /// the selected instances (lastN of each attribute first; deletions then left out unless the time property is
    /// deletedAt) of each series (entity, attribute and datasetId) are numbered into the periods of their series by
    /// width_bucket over the periods' bounds, and one row per series and period holds every method's value. The periods of
    /// a between range are the same for every series (a series' own are a prefix of them, and periods without instances
    /// are left out), so they are one parameter; otherwise a series' periods start at its first instance, which a first
    /// statement finds.
    /// </summary>
    private static async Task<Dictionary<string, IReadOnlyList<AttributeHistory>>> AggregateAsync(NpgsqlConnection connection, string tenant,
        IReadOnlyList<string> ids, TemporalQuery query, Aggregation aggregation, CancellationToken ct)
    {
        var selected = query.LastN is null
            ? Selection(query)
            : $"""
              SELECT * FROM (
                  SELECT s.*, row_number() OVER (PARTITION BY entity_id, attribute ORDER BY t DESC, modified_at DESC, instance_id DESC) AS from_last
                  FROM ({Selection(query)}) s) r
              WHERE from_last <= $6
              """;
        var counted = query.Time.Property == TimeProperty.DeletedAt ? "TRUE" : "c.deleted_at IS NULL";
        void AddParameters(NpgsqlCommand command)
        {
            AddSelectionParameters(command, tenant, ids, query);
            command.Parameters.Add(new NpgsqlParameter { Value = query.LastN is { } n ? n : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        }

        var sharedPeriods = query.Time.Relation == TimeRelation.Between
            ? TemporalQueries.Periods(query.Time, aggregation.PeriodDuration, query.Time.TimeAt!.Value, query.Time.EndTimeAt!.Value.AddTicks(-1), SharedPeriodsLimit)
            : null;
        if (sharedPeriods is { Count: 0 })
            return [];
        var periodsOfSeries = new Dictionary<SeriesKey, IReadOnlyList<(DateTimeOffset Start, DateTimeOffset End)>>();
        if (sharedPeriods is null)
        {
            await using var command = new NpgsqlCommand(
                $"SELECT entity_id, attribute, dataset_id, min(t), max(t) FROM ({selected}) c WHERE {counted} GROUP BY entity_id, attribute, dataset_id", connection);
            AddParameters(command);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                periodsOfSeries[new SeriesKey(reader.GetString(0), reader.GetString(1), reader.GetString(2))] = TemporalQueries.Periods(
                    query.Time, aggregation.PeriodDuration, reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4));
            }
            if (periodsOfSeries.Count == 0)
                return [];
        }

        var methods = aggregation.Methods;
        string Of(string aggregate, AggregationMethod neededBy, string condition = "") =>
            methods.Contains(neededBy) ? $"{aggregate} FILTER (WHERE {counted}{condition})" : "NULL";
        var periodOf = sharedPeriods is not null ? "width_bucket(c.t, $7::timestamptz[])" : "width_bucket(c.t, b.bounds)";
        var seriesBounds = sharedPeriods is not null ? "" : """
            LEFT JOIN (
                SELECT s.entity_id, s.attribute, s.dataset_id, p.bounds
                FROM unnest($7::text[], $8::text[], $9::text[]) WITH ORDINALITY AS s(entity_id, attribute, dataset_id, series)
                JOIN (SELECT series, array_agg(bound ORDER BY ord) AS bounds
                      FROM unnest($10::bigint[], $11::timestamptz[]) WITH ORDINALITY AS u(series, bound, ord) GROUP BY series) p USING (series)
            ) b ON b.entity_id = c.entity_id AND b.attribute = c.attribute AND b.dataset_id = c.dataset_id
            """;
        const string text = "(c.value #>> ARRAY[]::text[]) COLLATE \"C\"";
        // Numbers first: jsonb_typeof reads the value, and a number is never a string.
        const string isText = " AND c.number IS NULL AND jsonb_typeof(c.value) = 'string'";
        var series = new Dictionary<SeriesKey, SeriesValues>();
        var kinds = new Dictionary<(string Entity, string Attribute), (short Min, short Max)>();
        await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var memory = new NpgsqlCommand($"SET LOCAL work_mem = '{AggregationWorkMemory}'", connection, transaction))
            await memory.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await using (var command = new NpgsqlCommand($"""
            SELECT c.entity_id, c.attribute, c.dataset_id, {periodOf}, count(*) FILTER (WHERE {counted}), min(c.t) FILTER (WHERE {counted}),
                min(c.kind), max(c.kind), {Of("count(DISTINCT coalesce('n' || c.number::text, 'j' || c.value::text, 'null'))", AggregationMethod.DistinctCount)},
                count(c.number) FILTER (WHERE {counted}), {Of("sum(c.number)", AggregationMethod.Sum)}, {Of("avg(c.number)", AggregationMethod.Avg)},
                {Of("min(c.number)", AggregationMethod.Min)}, {Of("max(c.number)", AggregationMethod.Max)}, {Of("stddev_pop(c.number)", AggregationMethod.StdDev)},
                {Of("sum(c.number * c.number)", AggregationMethod.SumSq)}, {Of($"min({text})", AggregationMethod.Min, isText)}, {Of($"max({text})", AggregationMethod.Max, isText)}
            FROM ({selected}) c
            {seriesBounds}
            GROUP BY 1, 2, 3, 4
            """, connection, transaction))
        {
            AddParameters(command);
            if (sharedPeriods is not null)
                command.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = Bounds(sharedPeriods) });
            else
            {
                var keys = periodsOfSeries.Keys.ToList();
                command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. keys.Select(k => k.Entity)] });
                command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. keys.Select(k => k.Attribute)] });
                command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. keys.Select(k => k.DatasetId)] });
                var seriesNumbers = new List<long>();
                var bounds = new List<DateTime>();
                for (var i = 0; i < keys.Count; i++)
                {
                    var ofSeries = Bounds(periodsOfSeries[keys[i]]);
                    bounds.AddRange(ofSeries);
                    seriesNumbers.AddRange(Enumerable.Repeat((long)i + 1, ofSeries.Length));
                }
                command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. seriesNumbers] });
                command.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = [.. bounds] });
            }
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var key = new SeriesKey(reader.GetString(0), reader.GetString(1), reader.GetString(2));
                var (kindMin, kindMax) = (reader.GetInt16(6), reader.GetInt16(7));
                kinds[(key.Entity, key.Attribute)] = kinds.TryGetValue((key.Entity, key.Attribute), out var known)
                    ? (Math.Min(known.Min, kindMin), Math.Max(known.Max, kindMax))
                    : (kindMin, kindMax);
                var periods = sharedPeriods ?? periodsOfSeries.GetValueOrDefault(key);
                // Rows of deletions only (kept for the kinds) and of instances outside the series' periods hold no value.
                if (reader.GetInt64(4) == 0 || reader.IsDBNull(3) || periods is null)
                    continue;
                var period = reader.GetInt32(3);
                if (period < 1 || period > periods.Count)
                    continue;
                if (!series.TryGetValue(key, out var values))
                    series[key] = values = new SeriesValues(periods);
                var first = reader.GetFieldValue<DateTimeOffset>(5);
                if (first < values.First)
                    values.First = first;
                var row = new JsonNode?[methods.Count];
                var numbers = reader.GetInt64(9);
                for (var m = 0; m < row.Length; m++)
                    row[m] = ValueOf(methods[m], reader, numbers);
                values.ByPeriod[period - 1] = row;
            }
        }
        var latestKinds = await LatestKindsAsync(connection, transaction, selected, AddParameters,
            [.. kinds.Where(k => k.Value.Min != k.Value.Max).Select(k => k.Key)], ct).ConfigureAwait(false);
        await transaction.CommitAsync(ct).ConfigureAwait(false);

        var histories = new Dictionary<string, IReadOnlyList<AttributeHistory>>(StringComparer.Ordinal);
        foreach (var ofEntity in series.GroupBy(s => s.Key.Entity, StringComparer.Ordinal))
        {
            var attributes = new List<AttributeHistory>();
            foreach (var ofAttribute in ofEntity.GroupBy(s => s.Key.Attribute, StringComparer.Ordinal).OrderBy(a => a.Key, StringComparer.Ordinal))
            {
                var aggregates = new List<AggregatedSeries>();
                foreach (var (key, values) in ofAttribute.OrderBy(s => s.Value.First).ThenBy(s => s.Key.DatasetId, StringComparer.Ordinal))
                {
                    var datasetId = key.DatasetId.Length == 0 ? null : key.DatasetId;
                    for (var m = 0; m < methods.Count; m++)
                    {
                        var ofMethod = new List<AggregatedValue>();
                        foreach (var (p, row) in values.ByPeriod)
                            ofMethod.Add(new AggregatedValue(row[m], values.Periods[p].Start, values.Periods[p].End));
                        aggregates.Add(new AggregatedSeries(datasetId, methods[m], ofMethod));
                    }
                }
                var attributeKey = (ofEntity.Key, ofAttribute.Key);
                var kind = latestKinds.TryGetValue(attributeKey, out var latest) ? latest : (AttributeKind)kinds[attributeKey].Min;
                attributes.Add(new AttributeHistory(ofAttribute.Key, [], Aggregates: aggregates) { Kind = kind });
            }
            histories[ofEntity.Key] = attributes;
        }
        return histories;
    }

    /// <summary>
    /// The kind of the latest selected instance of each of these attributes: asked only for attributes whose selected
    /// instances are not all of one kind.
    /// </summary>
    private static async Task<Dictionary<(string Entity, string Attribute), AttributeKind>> LatestKindsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string selected,
        Action<NpgsqlCommand> addParameters, IReadOnlyList<(string Entity, string Attribute)> attributes, CancellationToken ct)
    {
        var kinds = new Dictionary<(string Entity, string Attribute), AttributeKind>();
        if (attributes.Count == 0)
            return kinds;
        await using var command = new NpgsqlCommand($"""
            SELECT DISTINCT ON (c.entity_id, c.attribute) c.entity_id, c.attribute, c.kind
            FROM ({selected}) c JOIN unnest($7::text[], $8::text[]) AS a(entity_id, attribute) ON a.entity_id = c.entity_id AND a.attribute = c.attribute
            ORDER BY c.entity_id, c.attribute, c.t DESC, c.modified_at DESC, c.instance_id DESC
            """, connection, transaction);
        addParameters(command);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. attributes.Select(a => a.Entity)] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. attributes.Select(a => a.Attribute)] });
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            kinds[(reader.GetString(0), reader.GetString(1))] = (AttributeKind)reader.GetInt16(2);
        return kinds;
    }

    /// <summary>The bounds of contiguous periods for width_bucket: every start, then the last end.</summary>
    private static DateTime[] Bounds(IReadOnlyList<(DateTimeOffset Start, DateTimeOffset End)> periods) =>
        [.. periods.Select(p => p.Start.UtcDateTime), periods[^1].End.UtcDateTime];

    private readonly record struct SeriesKey(string Entity, string Attribute, string DatasetId);

    /// <summary>One series' periods and the methods' values of those with instances, by period index.</summary>
    private sealed class SeriesValues(IReadOnlyList<(DateTimeOffset Start, DateTimeOffset End)> periods)
    {
        public IReadOnlyList<(DateTimeOffset Start, DateTimeOffset End)> Periods { get; } = periods;

        public SortedDictionary<int, JsonNode?[]> ByPeriod { get; } = [];

        public DateTimeOffset First { get; set; } = DateTimeOffset.MaxValue;
    }

    private static JsonNode? ValueOf(AggregationMethod method, NpgsqlDataReader reader, long numbers)
    {
        JsonNode? Real(int ordinal) => reader.IsDBNull(ordinal) ? null : JsonValue.Create(reader.GetDouble(ordinal));
        JsonNode? Text(int ordinal) => reader.IsDBNull(ordinal) ? null : JsonValue.Create(reader.GetString(ordinal));
        return method switch
        {
            AggregationMethod.TotalCount => JsonValue.Create((int)reader.GetInt64(4)),
            AggregationMethod.DistinctCount => JsonValue.Create((int)reader.GetInt64(8)),
            AggregationMethod.Sum => Real(10),
            AggregationMethod.Avg => Real(11),
            AggregationMethod.Min => numbers > 0 ? Real(12) : Text(16),
            AggregationMethod.Max => numbers > 0 ? Real(13) : Text(17),
            AggregationMethod.StdDev => Real(14),
            AggregationMethod.SumSq => Real(15),
            _ => null,
        };
    }

    public ValueTask<bool> DeleteEntityAsync(string tenant, string id, CancellationToken cancellationToken) =>
        RunAsync(async connection =>
        {
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    Command("DELETE FROM temporal_instances WHERE tenant = $1 AND entity_id = $2", tenant, id),
                    Command("DELETE FROM temporal_entities WHERE tenant = $1 AND id = $2", tenant, id),
                },
            };
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return batch.BatchCommands[1].RecordsAffected > 0;
        }, cancellationToken);

    public ValueTask<int> DeleteAttributeAsync(string tenant, string id, string attribute, string? datasetId, bool deleteAll, CancellationToken cancellationToken) =>
        RunAsync(async connection =>
        {
            await using var command = new NpgsqlCommand("DELETE FROM temporal_instances WHERE tenant = $1 AND entity_id = $2 AND attribute = $3"
                + (deleteAll ? "" : " AND dataset_id = $4"), connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = attribute });
            if (!deleteAll)
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = datasetId ?? "" });
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>Deletes the instance and inserts its replacement (its instant, and so its partition, may change), keeping its id and createdAt.</summary>
    public ValueTask<bool> ReplaceInstanceAsync(string tenant, string id, string attribute, string instanceId, AttributeInstance instance, CancellationToken cancellationToken) =>
        RunAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var delete = new NpgsqlCommand(
                "DELETE FROM temporal_instances WHERE tenant = $1 AND entity_id = $2 AND attribute = $3 AND instance_id = $4 RETURNING doc::text", connection, transaction);
            delete.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            delete.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
            delete.Parameters.Add(new NpgsqlParameter<string> { TypedValue = attribute });
            delete.Parameters.Add(new NpgsqlParameter<string> { TypedValue = instanceId });
            if (await delete.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not string existing)
                return false;
            instance.CreatedAt = TemporalRows.Instance(attribute, existing).CreatedAt;
            await using var insert = new NpgsqlCommand(InsertInstance, connection, transaction);
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
            AddInstanceColumns(insert.Parameters, new TemporalInstance(attribute, instanceId, instance));
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public ValueTask<bool> DeleteInstanceAsync(string tenant, string id, string attribute, string instanceId, CancellationToken cancellationToken) =>
        RunAsync(async connection =>
        {
            await using var command = new NpgsqlCommand(
                "DELETE FROM temporal_instances WHERE tenant = $1 AND entity_id = $2 AND attribute = $3 AND instance_id = $4", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = attribute });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = instanceId });
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
        }, cancellationToken);

    /// <summary>Drops every weekly partition that ends at or before the cutoff, then deletes the older rows left in the others (the default one, the week the cutoff falls in).</summary>
    public ValueTask<long> DropBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken) =>
        RunAsync(async connection =>
        {
            long dropped = 0;
            foreach (var (name, end) in await PartitionsAsync(connection, cancellationToken).ConfigureAwait(false))
            {
                if (end > cutoff)
                    continue;
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (var count = new NpgsqlCommand($"SELECT count(*) FROM {name}", connection, transaction))
                    dropped += (long)(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                await using (var drop = new NpgsqlCommand($"ALTER TABLE temporal_instances DETACH PARTITION {name}; DROP TABLE {name}", connection, transaction))
                    await drop.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                LogPartitionDropped(logger, name);
            }
            await using var delete = new NpgsqlCommand("DELETE FROM temporal_instances WHERE instant < $1", connection);
            delete.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = cutoff.UtcDateTime });
            return dropped + await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>The weekly partitions (by their names, temporal_instances_wYYYYMMDD of their first day) and where each ends.</summary>
    private static async Task<List<(string Name, DateTimeOffset End)>> PartitionsAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var partitions = new List<(string, DateTimeOffset)>();
        await using var command = new NpgsqlCommand("""
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'temporal_instances'::regclass AND c.relname LIKE 'temporal\_instances\_w%'
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            var name = reader.GetString(0);
            if (DateTime.TryParseExact(name["temporal_instances_w".Length..], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var start))
                partitions.Add((name, new DateTimeOffset(start, TimeSpan.Zero).AddDays(7)));
        }
        return partitions;
    }

    /// <summary>
    /// Creates the partitions of this week and the next <see cref="WeeksAhead"/>, under an advisory lock (nodes may run it
    /// at once). A week whose instances already went to the default partition is made from them: a table of its own filled
    /// from the default partition, then attached.
    /// </summary>
    public ValueTask MaintainAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        new(RunAsync(async connection =>
        {
            var monday = now.UtcDateTime.Date.AddDays(-(((int)now.UtcDateTime.DayOfWeek + 6) % 7));
            for (var week = 0; week <= WeeksAhead; week++)
            {
                var start = monday.AddDays(7 * week);
                var end = start.AddDays(7);
                var name = "temporal_instances_w" + start.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction))
                {
                    lockCommand.Parameters.Add(new NpgsqlParameter<long> { TypedValue = PartitionLockKey });
                    await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                await using (var exists = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", connection, transaction))
                {
                    exists.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
                    if ((bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                        continue;
                }
                // The bounds are the broker's own dates in a fixed format, never input.
                var from = start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + " 00:00:00+00";
                var to = end.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + " 00:00:00+00";
                await using (var create = new NpgsqlCommand($"""
                    CREATE TABLE {name} (LIKE temporal_instances INCLUDING DEFAULTS);
                    WITH moved AS (DELETE FROM temporal_instances_default WHERE instant >= '{from}' AND instant < '{to}' RETURNING *)
                    INSERT INTO {name} SELECT * FROM moved;
                    ALTER TABLE temporal_instances ATTACH PARTITION {name} FOR VALUES FROM ('{from}') TO ('{to}');
                    """, connection, transaction))
                    await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
            return true;
        }, cancellationToken).AsTask());

    private static NpgsqlBatchCommand Command(string sql, string tenant, string id)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        return command;
    }

    private async ValueTask<T> RunAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                    return await work(connection).ConfigureAwait(false);
                }
                catch (Exception e) when (attempt < 5 && PostgresErrors.IsRetryableConflict(e))
                {
                    await Task.Delay(Random.Shared.Next(5, 20 * attempt), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e))
        {
            LogUnavailable(logger, e);
            throw new StoreUnavailableException("The PostgreSQL database is not reachable; retry later.", e);
        }
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    [LoggerMessage(Level = LogLevel.Warning, Message = "The PostgreSQL temporal store is not reachable")]
    private static partial void LogUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention dropped the partition {Partition} of the temporal history")]
    private static partial void LogPartitionDropped(ILogger logger, string partition);
}
