using System.Text.Json;
using Broker.Geo;
using Broker.Problems;
using Broker.Storage.Postgres.Migrations;
using Broker.Storage.Postgres.Sql;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Ontology.Model;

namespace Broker.Storage.Postgres;

/// <summary>
/// The PostgreSQL store (with PostGIS): every read and write goes to the database, so any number of broker nodes can
/// share it, and nothing is loaded at start-up. One <see cref="NpgsqlDataSource"/> pools connections; a connection
/// that broke while the database was down is dropped by the pool, so the store recovers by itself once it is back.
/// </summary>
/// <remarks>
/// Writes: all changes of one <see cref="CommitAsync"/> go in one transaction, sent as one <see cref="NpgsqlBatch"/>;
/// small commits of concurrent requests share their transaction and round trip (<see cref="PostgresGroupCommit"/>).
/// Each change is one statement whose data-modifying CTEs apply the entity write, rewrite its geometry rows and insert
/// its change record only when the optimistic check passes (INSERT ... ON CONFLICT DO NOTHING for a create, WHERE
/// version = expected for an update or delete); a failed check touches nothing, so the outcomes are independent
/// without savepoints. Reads: see <see cref="QueryTranslator"/>.
/// </remarks>
public sealed partial class PostgresEntityStore(PostgresStoreOptions options, ILogger<PostgresEntityStore> logger) : IEntityStore
{
    public const string DefaultTenant = "";

    private readonly NpgsqlDataSource _dataSource = BuildDataSource(options.ConnectionString);

    private readonly WriteCache _writeCache = new(options.WriteCacheCapacity);

    /// <summary>
    /// The data source; unless the connection string says otherwise, statements used repeatedly are prepared
    /// automatically (the write statements have few shapes), which saves PostgreSQL parsing and planning them per row.
    /// </summary>
    private static NpgsqlDataSource BuildDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase))
            builder.ConnectionStringBuilder.MaxAutoPrepare = 32;
        // Parallel workers pay off for one large query, not for many small concurrent ones: starting them cost a near query
        // more (about 50 ms) than the whole query without them. A connection string that sets Options decides itself.
        if (string.IsNullOrEmpty(builder.ConnectionStringBuilder.Options))
            builder.ConnectionStringBuilder.Options = "-c max_parallel_workers_per_gather=0";
        return builder.Build();
    }

    private sealed record LastQuery(SqlBuilder Sql, bool IsExact);

    private LastQuery? _lastQuery;

    /// <summary>The SQL of the last query, with its parameters, for test failure messages.</summary>
    internal string? LastQuerySql =>
        _lastQuery is { } last ? last.Sql.Describe() + (last.IsExact ? "" : "\n  -- superset: rows filtered by EntityQueryMatcher") : null;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await PostgresMigrator.MigrateAsync(_dataSource, logger, cancellationToken).ConfigureAwait(false);
            if (await BackfillPendingAsync(QueryValuesBackfill, cancellationToken).ConfigureAwait(false))
            {
                await FillQueryValuesAsync(cancellationToken).ConfigureAwait(false);
                await BackfillDoneAsync(QueryValuesBackfill, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e))
        {
            throw Unavailable(e);
        }
    }

    /// <summary>The backfill of rows written before migration 2, which have no query values.</summary>
    private const string QueryValuesBackfill = "q_values";

    private async Task<bool> BackfillPendingAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM backfills WHERE name = $1)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
    }

    private async Task BackfillDoneAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("DELETE FROM backfills WHERE name = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Computes the query values (see <see cref="QueryValues"/>) of rows that have none, a thousand at a time. Several nodes may run it at once; a row written meanwhile
    /// already has values of its new document and keeps them.
    /// </summary>
    private async Task FillQueryValuesAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var tenants = new List<string>();
            var ids = new List<string>();
            var values = new List<string>();
            await using (var select = _dataSource.CreateCommand("SELECT tenant, id, doc::text FROM entities WHERE q_values IS NULL LIMIT 1000"))
            await using (var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    tenants.Add(reader.GetString(0));
                    ids.Add(reader.GetString(1));
                    values.Add(QueryValues.Compute(StoredEntityJson.Deserialize(reader.GetString(2))));
                }
            }
            if (ids.Count == 0)
                return;
            await using var update = _dataSource.CreateCommand(
                "UPDATE entities e SET q_values = x.v::jsonb FROM unnest($1::text[], $2::text[], $3::text[]) AS x(t, i, v) WHERE e.tenant = x.t AND e.id = x.i AND e.q_values IS NULL");
            update.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. tenants] });
            update.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. ids] });
            update.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. values] });
            await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var command = _dataSource.CreateCommand("SELECT 1");
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is 1;
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e))
        {
            return false;
        }
    }

    public async ValueTask<bool> TenantExistsAsync(string tenant, CancellationToken cancellationToken)
    {
        if (tenant == DefaultTenant)
            return true;
        if (tenant.Contains('\0', StringComparison.Ordinal))
            return false;
        try
        {
            await using var command = _dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM tenants WHERE name = $1)");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e))
        {
            throw Unavailable(e);
        }
    }

    public async ValueTask<Entity?> GetAsync(string tenant, string id, CancellationToken cancellationToken)
    {
        if (tenant.Contains('\0', StringComparison.Ordinal) || id.Contains('\0', StringComparison.Ordinal))
            return null;
        try
        {
            await using var command = _dataSource.CreateCommand("SELECT doc::text FROM entities WHERE tenant = $1 AND id = $2");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string doc ? StoredEntityJson.Deserialize(doc) : null;
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e))
        {
            throw Unavailable(e);
        }
    }

    public async ValueTask<EntityForWrite> GetForWriteAsync(string tenant, string id, bool fromDatabase, CancellationToken cancellationToken)
    {
        if (!fromDatabase && _writeCache.TryGet(tenant, id, out var entry))
            return new EntityForWrite(entry.Entity, Cached: true);
        if (tenant.Contains('\0', StringComparison.Ordinal) || id.Contains('\0', StringComparison.Ordinal))
            return new EntityForWrite(null, Cached: false);
        try
        {
            await using var command = _dataSource.CreateCommand("SELECT doc::text, xmin FROM entities WHERE tenant = $1 AND id = $2");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                _writeCache.Evict(tenant, id);
                return new EntityForWrite(null, Cached: false);
            }
            var entity = StoredEntityJson.Deserialize(reader.GetString(0));
            _writeCache.Put(tenant, id, entity, reader.GetFieldValue<uint>(1));
            return new EntityForWrite(entity, Cached: false);
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e))
        {
            throw Unavailable(e);
        }
    }

    public async ValueTask<IReadOnlyDictionary<string, Entity>> GetManyAsync(string tenant, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, Entity>(ids.Count, StringComparer.Ordinal);
        if (tenant.Contains('\0', StringComparison.Ordinal))
            return found;
        var wanted = new List<string>(ids.Count);
        foreach (var id in ids)
        {
            if (!id.Contains('\0', StringComparison.Ordinal))
                wanted.Add(id);
        }
        if (wanted.Count == 0)
            return found;
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await ReadDocumentsAsync(connection, tenant, [.. wanted], found, cancellationToken).ConfigureAwait(false);
            return found;
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e))
        {
            throw Unavailable(e);
        }
    }

    public async ValueTask<EntityPage> QueryAsync(string tenant, EntityQuery query, CancellationToken cancellationToken)
    {
        var filter = QueryTranslator.Translate(query);
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            // The page and the count (or the rows checked by the evaluator and the documents read after) read one snapshot.
            await using var snapshot = query.Count || !filter.IsExact
                ? await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false)
                : null;
            var page = filter.IsExact
                ? await ExactPageAsync(connection, tenant, query, filter, cancellationToken).ConfigureAwait(false)
                : await CheckedPageAsync(connection, tenant, query, filter, cancellationToken).ConfigureAwait(false);
            if (snapshot is not null)
                await snapshot.CommitAsync(cancellationToken).ConfigureAwait(false);
            return page;
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e))
        {
            throw Unavailable(e);
        }
        catch (PostgresException e) when (PostgresErrors.IsUnstorableValue(e))
        {
            throw NgsiLdException.BadRequestData("A query value cannot be used: " + e.MessageText);
        }
    }

    /// <summary>The filter is exact: filtering, order, paging and count all run in PostgreSQL.</summary>
    private async Task<EntityPage> ExactPageAsync(NpgsqlConnection connection, string tenant, EntityQuery query, SqlFilter filter, CancellationToken cancellationToken)
    {
        var select = new SqlBuilder();
        select.Append("SELECT e.doc::text FROM entities e WHERE e.tenant = ").Parameter(tenant, NpgsqlDbType.Text).Append(" AND ");
        filter.Where.Write(select);
        select.Append(" ORDER BY e.id LIMIT ").Parameter(query.Limit, NpgsqlDbType.Integer).Append(" OFFSET ").Parameter(query.Offset, NpgsqlDbType.Integer);
        _lastQuery = new LastQuery(select, true);
        var page = new List<Entity>(Math.Min(query.Limit, 1000));
        await using (var command = Command(connection, select))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                page.Add(StoredEntityJson.Deserialize(reader.GetString(0)));
        }
        long? total = null;
        if (query.Count)
        {
            var count = new SqlBuilder();
            count.Append("SELECT count(*) FROM entities e WHERE e.tenant = ").Parameter(tenant, NpgsqlDbType.Text).Append(" AND ");
            filter.Where.Write(count);
            await using var command = Command(connection, count);
            total = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
        return new EntityPage(page, total);
    }

    /// <summary>
    /// The filter is a superset: the rows are read in id order with a flag telling whether the certain part of the filter
    /// holds; only the other rows are read as documents and checked by <see cref="EntityQueryMatcher"/>. Without count,
    /// rows are read in chunks (keyset on id, a server-side LIMIT) until the page is full.
    /// </summary>
    private async Task<EntityPage> CheckedPageAsync(NpgsqlConnection connection, string tenant, EntityQuery query, SqlFilter filter, CancellationToken cancellationToken)
    {
        var needed = (long)query.Offset + query.Limit;
        var matched = 0L;
        var window = new List<(string Id, Entity? Entity)>(Math.Min(query.Limit, 1000));
        string? last = null;
        var chunk = query.Count ? 0 : (int)Math.Min(needed + 16, 10_000);
        while (true)
        {
            var select = new SqlBuilder();
            // The document (never null in the table) only for rows the certain part does not decide: a null is "certain".
            select.Append("SELECT e.id, CASE WHEN ");
            WriteCertain(select, filter);
            select.Append(" THEN NULL ELSE e.doc::text END FROM entities e WHERE e.tenant = ").Parameter(tenant, NpgsqlDbType.Text).Append(" AND ");
            filter.Where.Write(select);
            if (last is not null)
                select.Append(" AND e.id > ").Parameter(last, NpgsqlDbType.Text);
            select.Append(" ORDER BY e.id");
            if (chunk > 0)
                select.Append(" LIMIT ").Parameter(chunk, NpgsqlDbType.Integer);
            _lastQuery = new LastQuery(select, false);
            var rows = 0;
            await using (var command = Command(connection, select))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    rows++;
                    last = reader.GetString(0);
                    Entity? entity = null;
                    if (!reader.IsDBNull(1))
                    {
                        entity = StoredEntityJson.Deserialize(reader.GetString(1));
                        if (!EntityQueryMatcher.Matches(entity, query))
                            continue;
                    }
                    if (matched >= query.Offset && matched < needed)
                        window.Add((last, entity));
                    matched++;
                    if (!query.Count && matched >= needed)
                        break;
                }
            }
            if (chunk == 0 || matched >= needed || rows < chunk)
                break;
            chunk = Math.Min(chunk * 2, 10_000);
        }
        var entities = await CompleteAsync(connection, tenant, window, cancellationToken).ConfigureAwait(false);
        return new EntityPage(entities, query.Count ? matched : null);
    }

    private static void WriteCertain(SqlBuilder sql, SqlFilter filter)
    {
        if (filter.Certain is null)
            sql.Append("FALSE");
        else
        {
            sql.Append("COALESCE(");
            filter.Certain.Write(sql);
            sql.Append(", FALSE)");
        }
    }

    /// <summary>Reads the documents of the page's rows that matched without being read.</summary>
    private static async Task<List<Entity>> CompleteAsync(NpgsqlConnection connection, string tenant, List<(string Id, Entity? Entity)> window, CancellationToken cancellationToken)
    {
        var missing = window.Where(w => w.Entity is null).Select(w => w.Id).ToArray();
        var read = new Dictionary<string, Entity>(StringComparer.Ordinal);
        if (missing.Length > 0)
            await ReadDocumentsAsync(connection, tenant, missing, read, cancellationToken).ConfigureAwait(false);
        var entities = new List<Entity>(window.Count);
        foreach (var (id, entity) in window)
            entities.Add(entity ?? read[id]);
        return entities;
    }

    /// <summary>Reads the entities among <paramref name="ids"/> into <paramref name="found"/>, by id.</summary>
    private static async Task ReadDocumentsAsync(NpgsqlConnection connection, string tenant, string[] ids, Dictionary<string, Entity> found, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT id, doc::text FROM entities WHERE tenant = $1 AND id = ANY($2)", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            found[reader.GetString(0)] = StoredEntityJson.Deserialize(reader.GetString(1));
    }

    /// <summary>Attribute kinds by the type name the stored form gives each instance.</summary>
    private static readonly Dictionary<string, AttributeKind> KindsByName = Enum.GetValues<AttributeKind>().ToDictionary(k => k.TypeName(), StringComparer.Ordinal);

    /// <summary>
    /// One shape per distinct (types, attribute instances) with its count, aggregated in PostgreSQL from the documents'
    /// keys and the type of each instance, so no entity is read into the broker. Attributes are in the document's key
    /// order, as when the documents were read; shapes in the order of their first entity.
    /// </summary>
    public async ValueTask<IReadOnlyList<EntityShape>> GetShapesAsync(string tenant, CancellationToken cancellationToken)
    {
        var shapes = new List<EntityShape>();
        try
        {
            await using var command = _dataSource.CreateCommand("""
                SELECT e.types, a.names, a.kinds, count(*)
                FROM entities e
                CROSS JOIN LATERAL (
                    SELECT coalesce(array_agg(k.key ORDER BY k.n, i.n), '{}') AS names, coalesce(array_agg(i.v ->> 'type' ORDER BY k.n, i.n), '{}') AS kinds
                    FROM jsonb_each(e.doc) WITH ORDINALITY AS k(key, value, n)
                    CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(k.value) = 'array' THEN k.value ELSE jsonb_build_array(k.value) END) WITH ORDINALITY AS i(v, n)
                    WHERE k.key <> ALL($2)) a
                WHERE e.tenant = $1
                GROUP BY e.types, a.names, a.kinds
                ORDER BY min(e.created), min(e.id)
                """);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = StoredMembers });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var names = reader.GetFieldValue<string[]>(1);
                var kinds = reader.GetFieldValue<string?[]>(2);
                var attributes = new List<(string, AttributeKind)>(names.Length);
                for (var i = 0; i < names.Length; i++)
                {
                    if (kinds[i] is { } kind && KindsByName.TryGetValue(kind, out var attributeKind))
                        attributes.Add((names[i], attributeKind));
                }
                shapes.Add(new EntityShape(reader.GetFieldValue<string[]>(0), attributes, reader.GetInt64(3)));
            }
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e))
        {
            throw Unavailable(e);
        }
        return shapes;
    }

    /// <summary>Top-level members of the stored document that are not attributes (see <see cref="StoredEntityJson"/>).</summary>
    private static readonly string[] StoredMembers = [.. StoredEntityJson.NonAttributeMembers];

    /// <summary>Commits of at most this many changes to a tenant that exists go through group commit.</summary>
    private const int GroupCommitLimit = 64;

    /// <summary>Tenants known to exist (tenants are never deleted), whose writes need no tenant statement.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _knownTenants = new(StringComparer.Ordinal) { [DefaultTenant] = true };

    private PostgresGroupCommit? _groupCommit;

    /// <summary>What this node committed lately, which its feed consumers take instead of parsing the feed's rows.</summary>
    private readonly CommittedChanges _committedHere = new(capacity: 16_384);

    private PostgresGroupCommit GroupCommit =>
        LazyInitializer.EnsureInitialized(ref _groupCommit, () => new PostgresGroupCommit(_dataSource, writers: 2));

    public async ValueTask<IReadOnlyList<CommitOutcome>> CommitAsync(string tenant, IReadOnlyList<EntityChange> changes, CancellationToken cancellationToken)
    {
        if (changes.Count == 0)
            return [];
        var previousVersions = new long[changes.Count];
        for (var i = 0; i < changes.Count; i++)
        {
            var change = changes[i];
            if (change.After is { } after)
            {
                previousVersions[i] = after.Version;
                after.Version = (change.ExpectedVersion ?? 0) + 1;
            }
        }
        var outcomes = new CommitOutcome[changes.Count];
        try
        {
            // A value PostgreSQL cannot hold is refused while the statements are built; the catch below restores the versions.
            UnstorableText.Refuse(tenant);
            SqlBuilder[] statements;
            if (changes.Count >= options.SetBasedWriteThreshold && SetBasedWrite.Applies(changes))
                statements = [SetBasedWrite.Statement(tenant, changes)];
            else
            {
                statements = new SqlBuilder[changes.Count];
                for (var i = 0; i < changes.Count; i++)
                    statements[i] = WriteStatement(tenant, changes[i], CachedRowVersion(tenant, changes[i]));
            }
            // Once sent, the write goes through even if the client goes away (as with the embedded store): no token.
            var results = statements.Length == 1 && changes.Count > 1
                ? await CommitSetBasedAsync(tenant, statements[0], changes.Count).ConfigureAwait(false)
                : changes.Count <= GroupCommitLimit && _knownTenants.ContainsKey(tenant)
                ? await GroupCommit.CommitAsync(statements).ConfigureAwait(false)
                : await CommitAloneAsync(tenant, statements).ConfigureAwait(false);
            for (var i = 0; i < changes.Count; i++)
            {
                var (written, exists, rowVersion) = results[i];
                outcomes[i] = written == 1 ? CommitOutcome.Committed
                    : changes[i].Kind == ChangeKind.Create ? CommitOutcome.AlreadyExists
                    : exists ? CommitOutcome.Conflict : CommitOutcome.NotFound;
                if (written == 1)
                {
                    _knownTenants.TryAdd(tenant, true);
                    _committedHere.Add(tenant, changes[i]);
                }
                if (written == 1 && changes[i].After is { } after && rowVersion is { } xmin)
                    _writeCache.Put(tenant, changes[i].EntityId, after, xmin);
                else
                    _writeCache.Evict(tenant, changes[i].EntityId);
            }
        }
        catch (Exception e)
        {
            for (var i = 0; i < changes.Count; i++)
            {
                _writeCache.Evict(tenant, changes[i].EntityId);
                if (changes[i].After is { } after)
                    after.Version = previousVersions[i];
            }
            if (PostgresErrors.IsUnavailable(e))
                throw Unavailable(e);
            if (e is PostgresException postgres && PostgresErrors.IsUnstorableValue(postgres))
                throw NgsiLdException.BadRequestData("The PostgreSQL store cannot hold a value of this request: " + postgres.MessageText);
            if (!PostgresErrors.IsRetryableConflict(e))
                throw;
            // PostgreSQL broke a deadlock between concurrent writers by rolling this transaction back: nothing of it was
            // written, and each change is retried from the entity as it is now, like a lost optimistic check.
            Array.Fill(outcomes, CommitOutcome.Conflict);
        }
        for (var i = 0; i < changes.Count; i++)
        {
            if (outcomes[i] != CommitOutcome.Committed && changes[i].After is { } after)
                after.Version = previousVersions[i];
        }
        if (Array.IndexOf(outcomes, CommitOutcome.Committed) >= 0)
            SignalCommitted();
        return outcomes;
    }

    /// <summary>
    /// The <c>xmin</c> the entity before <paramref name="change"/> was stored under, when it is the one the write cache
    /// holds: the update then also checks that the row is still that row version, not only that version number (a row
    /// deleted and created again by another node starts its versions again).
    /// </summary>
    private uint? CachedRowVersion(string tenant, EntityChange change) =>
        change.Before is { } before && _writeCache.TryGet(tenant, change.EntityId, out var entry) && ReferenceEquals(entry.Entity, before)
            ? entry.RowVersion
            : null;

    /// <summary>A set-based write (<see cref="SetBasedWrite"/>) in its own transaction, with the tenant statement.</summary>
    private async Task<WriteResult[]> CommitSetBasedAsync(string tenant, SqlBuilder statement, int count)
    {
        await using var batch = new NpgsqlBatch();
        var tenantStatement = new SqlBuilder()
            .Append("INSERT INTO tenants (name) SELECT ").Parameter(tenant, NpgsqlDbType.Text)
            .Append(" WHERE ").Parameter(tenant, NpgsqlDbType.Text).Append(" <> '' ON CONFLICT DO NOTHING");
        batch.BatchCommands.Add(BatchCommand(statement));
        batch.BatchCommands.Add(BatchCommand(tenantStatement));
        var results = new WriteResult[count];
        await RunAndCommitIfWrittenAsync(batch, async reader =>
        {
            for (var i = 0; i < count; i++)
            {
                await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false);
                results[i] = WriteResult.Read(reader);
            }
        }, results).ConfigureAwait(false);
        return results;
    }

    /// <summary>
    /// One commit in its own transaction: large batches, and the first writes to a tenant, which the transaction creates
    /// (it is rolled back when nothing committed, so a failed write creates no tenant).
    /// </summary>
    private async Task<WriteResult[]> CommitAloneAsync(string tenant, SqlBuilder[] statements)
    {
        await using var batch = new NpgsqlBatch();
        var tenantStatement = new SqlBuilder()
            .Append("WITH t AS (INSERT INTO tenants (name) SELECT ").Parameter(tenant, NpgsqlDbType.Text)
            .Append(" WHERE ").Parameter(tenant, NpgsqlDbType.Text).Append(" <> '' ON CONFLICT DO NOTHING RETURNING 1) SELECT count(*)::int, NULL::bigint FROM t");
        batch.BatchCommands.Add(BatchCommand(tenantStatement));
        foreach (var statement in statements)
            batch.BatchCommands.Add(BatchCommand(statement));
        var results = new WriteResult[statements.Length];
        await RunAndCommitIfWrittenAsync(batch, async reader =>
        {
            await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false);
            for (var i = 0; i < statements.Length; i++)
            {
                await reader.NextResultAsync(CancellationToken.None).ConfigureAwait(false);
                await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false);
                results[i] = WriteResult.Read(reader);
            }
        }, results).ConfigureAwait(false);
        return results;
    }

    /// <summary>
    /// Runs the batch in a transaction of its own, lets <paramref name="readResults"/> fill <paramref name="results"/>,
    /// and commits only when some change was written (so a write that failed everywhere creates no tenant).
    /// </summary>
    private async Task RunAndCommitIfWrittenAsync(NpgsqlBatch batch, Func<NpgsqlDataReader, Task> readResults, WriteResult[] results)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(CancellationToken.None).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(CancellationToken.None).ConfigureAwait(false);
        batch.Connection = connection;
        batch.Transaction = transaction;
        await using (var reader = await batch.ExecuteReaderAsync(CancellationToken.None).ConfigureAwait(false))
            await readResults(reader).ConfigureAwait(false);
        if (Array.Exists(results, result => result.Written == 1))
            await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        else
            await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// One change as one statement. Its result row is (rows written, version of the row before the statement or null,
    /// xmin of the row written): a read in the final SELECT sees the table as it was before the statement's own CTEs,
    /// which tells a conflict from a missing entity. With <paramref name="rowVersion"/>, an update or delete also
    /// requires the row's xmin to be that.
    /// </summary>
    private static SqlBuilder WriteStatement(string tenant, EntityChange change, uint? rowVersion)
    {
        var sql = new SqlBuilder();
        sql.Append("WITH w AS (");
        string? doc = null;
        switch (change.Kind)
        {
            case ChangeKind.Create:
                {
                    var after = change.After!;
                    doc = StoredEntityJson.Serialize(after);
                    UnstorableText.RefuseInDocument(doc);
                    sql.Append("INSERT INTO entities (tenant, id, types, version, doc, q_values, created, modified) VALUES (").Parameter(tenant, NpgsqlDbType.Text)
                        .Append(", ").Parameter(change.EntityId, NpgsqlDbType.Text)
                        .Append(", ").Parameter(after.Types.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text)
                        .Append(", ").Parameter(after.Version, NpgsqlDbType.Bigint)
                        .Append(", ").Parameter(doc, NpgsqlDbType.Jsonb)
                        .Append(", ").Parameter(QueryValues.Compute(after), NpgsqlDbType.Jsonb)
                        .Append(", ").Parameter(after.CreatedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz)
                        .Append(", ").Parameter(after.ModifiedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz)
                        .Append(") ON CONFLICT DO NOTHING RETURNING doc, xmin)");
                    break;
                }
            case ChangeKind.Update:
                {
                    var after = change.After!;
                    doc = StoredEntityJson.Serialize(after);
                    UnstorableText.RefuseInDocument(doc);
                    sql.Append("UPDATE entities SET types = ").Parameter(after.Types.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text)
                        .Append(", version = ").Parameter(after.Version, NpgsqlDbType.Bigint)
                        .Append(", doc = ").Parameter(doc, NpgsqlDbType.Jsonb)
                        .Append(", q_values = ").Parameter(QueryValues.Compute(after), NpgsqlDbType.Jsonb)
                        .Append(", created = ").Parameter(after.CreatedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz)
                        .Append(", modified = ").Parameter(after.ModifiedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz);
                    WhereVersion(sql, tenant, change, rowVersion);
                    break;
                }
            default:
                UnstorableText.Refuse(change.EntityId);
                sql.Append("DELETE FROM entities");
                WhereVersion(sql, tenant, change, rowVersion);
                break;
        }
        // The geometry rows of the entity before still hold when no instance that can hold a geometry changed.
        var geometriesUnchanged = change is { Before: { } before, After: { } next } && SameGeometrySources(before, next);
        if (change.Kind != ChangeKind.Create && !geometriesUnchanged)
        {
            sql.Append(", d AS (DELETE FROM entity_geometries WHERE tenant = ").Parameter(tenant, NpgsqlDbType.Text)
                .Append(" AND id = ").Parameter(change.EntityId, NpgsqlDbType.Text).Append(" AND EXISTS (SELECT 1 FROM w))");
        }
        if (change.After is { } entity && !geometriesUnchanged)
        {
            var (attributes, geometries) = Geometries(entity);
            if (attributes.Length > 0)
            {
                sql.Append(", g AS (INSERT INTO entity_geometries (tenant, id, attribute, geom) SELECT ").Parameter(tenant, NpgsqlDbType.Text)
                    .Append(", ").Parameter(change.EntityId, NpgsqlDbType.Text)
                    .Append(", x.a, ST_GeomFromWKB(x.b, 4326) FROM unnest(").Parameter(attributes, NpgsqlDbType.Array | NpgsqlDbType.Text)
                    .Append(", ").Parameter(geometries, NpgsqlDbType.Array | NpgsqlDbType.Bytea)
                    .Append(") AS x(a, b) WHERE EXISTS (SELECT 1 FROM w))");
            }
        }
        var previous = ChangeRecords.PreviousOf(change);
        sql.Append(", c AS (INSERT INTO changes (tenant, entity_id, kind, at, attributes, previous, after) SELECT ").Parameter(tenant, NpgsqlDbType.Text)
            .Append(", ").Parameter(change.EntityId, NpgsqlDbType.Text)
            .Append(", ").Parameter(change.Kind.ToString(), NpgsqlDbType.Text)
            .Append(", ").Parameter(change.At.ToUniversalTime(), NpgsqlDbType.TimestampTz)
            .Append(", ").Parameter(JsonSerializer.Serialize(change.ChangedAttributes, StorageJsonContext.Default.IReadOnlyListString), NpgsqlDbType.Jsonb)
            .Append(", ").Parameter(previous is null ? null : StoredEntityJson.Serialize(previous), NpgsqlDbType.Jsonb)
            .Append(", ");
        // The document is sent once: the change record takes it from the written row.
        sql.Append(doc is null ? "NULL" : "w.doc");
        sql.Append(" FROM w) SELECT (SELECT count(*) FROM w)::int, (SELECT version FROM entities WHERE tenant = ").Parameter(tenant, NpgsqlDbType.Text)
            .Append(" AND id = ").Parameter(change.EntityId, NpgsqlDbType.Text).Append("), (SELECT xmin FROM w)");
        return sql;
    }

    private static void WhereVersion(SqlBuilder sql, string tenant, EntityChange change, uint? rowVersion)
    {
        sql.Append(" WHERE tenant = ").Parameter(tenant, NpgsqlDbType.Text)
            .Append(" AND id = ").Parameter(change.EntityId, NpgsqlDbType.Text)
            .Append(" AND version = ").Parameter(change.ExpectedVersion ?? 0, NpgsqlDbType.Bigint);
        if (rowVersion is { } xmin)
            sql.Append(" AND xmin = ").Parameter(xmin, NpgsqlDbType.Xid);
        sql.Append(" RETURNING doc, xmin)");
    }

    /// <summary>
    /// True when the instances whose value is an object (the only ones that can hold a geometry) are the same instances,
    /// under the same names and in the same order, in both entities (a write shares the instances it does not change).
    /// </summary>
    internal static bool SameGeometrySources(Entity before, Entity after)
    {
        using var afterSources = GeometrySources(after).GetEnumerator();
        foreach (var (name, instance) in GeometrySources(before))
        {
            if (!afterSources.MoveNext() || afterSources.Current.Name != name || !ReferenceEquals(afterSources.Current.Instance, instance))
                return false;
        }
        return !afterSources.MoveNext();
    }

    private static IEnumerable<(string Name, AttributeInstance Instance)> GeometrySources(Entity entity)
    {
        foreach (var (name, instances) in entity.Attributes)
        {
            foreach (var instance in instances)
            {
                if (instance.Value is System.Text.Json.Nodes.JsonObject)
                    yield return (name, instance);
            }
        }
    }

    /// <summary>Every attribute instance whose value is a valid GeoJSON geometry, as (attribute, WKB) pairs.</summary>
    internal static (string[] Attributes, byte[][] Geometries) Geometries(Entity entity)
    {
        List<string>? attributes = null;
        List<byte[]>? geometries = null;
        foreach (var (name, instances) in entity.Attributes)
        {
            foreach (var instance in instances)
            {
                if (instance.Value is System.Text.Json.Nodes.JsonObject && GeoJson.GeometryOf(instance) is { } geometry)
                {
                    (attributes ??= []).Add(name);
                    (geometries ??= []).Add(GeoPredicate.ToWkb(geometry));
                }
            }
        }
        return attributes is null ? ([], []) : ([.. attributes], [.. geometries!]);
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, SqlBuilder sql)
    {
        var command = new NpgsqlCommand(sql.ToString(), connection);
        foreach (var parameter in sql.Parameters)
            command.Parameters.Add(parameter);
        return command;
    }

    /// <param name="fresh">Add copies of the parameters (a parameter belongs to one command).</param>
    internal static NpgsqlBatchCommand BatchCommand(SqlBuilder sql, bool fresh = false)
    {
        var command = new NpgsqlBatchCommand(sql.ToString());
        foreach (var parameter in sql.Parameters)
            command.Parameters.Add(fresh ? parameter.Clone() : parameter);
        return command;
    }

    private StoreUnavailableException Unavailable(Exception e)
    {
        LogUnavailable(logger, e);
        return new StoreUnavailableException("The PostgreSQL database is not reachable; retry later.", e);
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        // Registered as the store and as its change feed, it may be disposed by both registrations.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        if (_groupCommit is not null)
            await _groupCommit.DisposeAsync().ConfigureAwait(false);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL store unavailable")]
    private static partial void LogUnavailable(ILogger logger, Exception exception);
}
