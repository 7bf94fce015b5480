using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Ontology.Model;

namespace Broker.Storage.Embedded;

/// <summary>
/// The default store: SQLite in WAL mode with synchronous=FULL, so a commit is on disk when it returns. Current
/// state is also kept in memory and reads are served from there. Writes from all requests queue up for one writer
/// that groups them into few transactions (group commit) and updates memory only after SQLite has committed.
/// </summary>
public sealed partial class EmbeddedEntityStore(EmbeddedStoreOptions options, ILogger<EmbeddedEntityStore> logger) : IEntityStore, IChangeFeed
{
    public const string DefaultTenant = "";

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, Entity>> _tenants = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SpatialGrid> _grids = new(StringComparer.Ordinal);
    private readonly Channel<WriterItem> _queue = Channel.CreateBounded<WriterItem>(new BoundedChannelOptions(10_000) { SingleReader = true });
    private SqliteConnection? _connection;
    private WriterStatements? _statements;
    private Task? _writer;
    private string _databasePath = "";

    /// <summary>What the single writer does: commits, and (one at a time, in their own transaction) maintenance work.</summary>
    private abstract record WriterItem;

    private sealed record PendingCommit(string Tenant, IReadOnlyList<EntityChange> Changes, PreparedChange[] Prepared, TaskCompletionSource<IReadOnlyList<CommitOutcome>> Completion) : WriterItem;

    private sealed record PendingMaintenance(Func<SqliteConnection, int> Work, TaskCompletionSource<int> Completion) : WriterItem;

    /// <summary>
    /// What the writer binds for one change, computed on the request's thread so that the single writer thread only
    /// checks versions and runs SQL: the stored document (with the version the entity gets if the change commits) and
    /// the change record's columns, among them what the change replaced (<see cref="ChangeRecords.PreviousOf"/>).
    /// </summary>
    private readonly record struct PreparedChange(byte[]? Doc, string At, byte[] Attributes, byte[]? Previous);

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var folder = Path.GetFullPath(options.DataPath);
        Directory.CreateDirectory(folder);
        var path = _databasePath = Path.Combine(folder, "broker.db");
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await _connection.OpenAsync(cancellationToken);
        Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF;");
        EnsureSchema();
        _tenants[DefaultTenant] = new(StringComparer.Ordinal);
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT name FROM tenants";
            using var reader = command.ExecuteReader();
            while (reader.Read())
                _tenants.TryAdd(reader.GetString(0), new(StringComparer.Ordinal));
        }
        var count = 0;
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT e.tenant, c.after FROM entities e JOIN changes c ON c.seq = e.seq";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var entity = StoredEntityJson.Deserialize(reader.GetString(1));
                var tenantName = reader.GetString(0);
                _tenants.GetOrAdd(tenantName, _ => new(StringComparer.Ordinal))[entity.Id] = entity;
                _grids.GetOrAdd(tenantName, _ => new SpatialGrid()).Update(entity.Id, entity);
                count++;
            }
        }
        StartFeed();
        LogLoaded(logger, count, _tenants.Count, path);
        _writer = Task.Run(WriteLoopAsync, CancellationToken.None);
    }

    public Task<bool> IsReadyAsync(CancellationToken cancellationToken) =>
        Task.FromResult(_connection is { State: System.Data.ConnectionState.Open } && _writer is { IsCompleted: false });

    public ValueTask<bool> TenantExistsAsync(string tenant, CancellationToken cancellationToken) => ValueTask.FromResult(_tenants.ContainsKey(tenant));

    public ValueTask<Entity?> GetAsync(string tenant, string id, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_tenants.TryGetValue(tenant, out var entities) && entities.TryGetValue(id, out var entity) ? entity : null);

    public ValueTask<EntityPage> QueryAsync(string tenant, EntityQuery query, CancellationToken cancellationToken)
    {
        if (!_tenants.TryGetValue(tenant, out var entities))
            return ValueTask.FromResult(new EntityPage([], query.Count ? 0 : null));
        var page = new PageCollector(query.Offset, query.Limit);
        if (query.Ids is { } ids)
        {
            foreach (var id in ids)
            {
                if (entities.TryGetValue(id, out var entity) && EntityQueryMatcher.Matches(entity, query))
                    page.Add(entity);
            }
        }
        else if (query.Geo is { } geo && _grids.TryGetValue(tenant, out var grid) && Candidates(grid, query, geo) is { } candidates)
        {
            foreach (var entity in candidates)
            {
                if (EntityQueryMatcher.Matches(entity, query))
                    page.Add(entity);
            }
        }
        else
        {
            foreach (var entity in entities.Values)
            {
                if (EntityQueryMatcher.Matches(entity, query))
                    page.Add(entity);
            }
        }
        return ValueTask.FromResult(new EntityPage(page.ToPage(), query.Count ? page.Matches : null));
    }

    private static List<Entity>? Candidates(SpatialGrid grid, EntityQuery query, Query.Ast.GeoQuery geo)
    {
        var candidates = new List<Entity>();
        return grid.TryGetCandidates(geo, Query.Evaluation.QueryEvaluator.NumberTerm(query.Q), candidates) ? candidates : null;
    }

    public ValueTask<IReadOnlyList<EntityShape>> GetShapesAsync(string tenant, CancellationToken cancellationToken)
    {
        var shapes = new List<EntityShape>();
        if (_tenants.TryGetValue(tenant, out var entities))
        {
            foreach (var entity in entities.Values.OrderBy(e => e.Id, StringComparer.Ordinal))
            {
                var attributes = new List<(string, AttributeKind)>();
                foreach (var (name, instances) in entity.Attributes)
                {
                    foreach (var instance in instances)
                        attributes.Add((name, instance.Kind));
                }
                shapes.Add(new EntityShape(entity.Types, attributes));
            }
        }
        return ValueTask.FromResult<IReadOnlyList<EntityShape>>(shapes);
    }

    public async ValueTask<IReadOnlyList<CommitOutcome>> CommitAsync(string tenant, IReadOnlyList<EntityChange> changes, CancellationToken cancellationToken)
    {
        if (changes.Count == 0)
            return [];
        var pending = new PendingCommit(tenant, changes, Prepare(changes), new TaskCompletionSource<IReadOnlyList<CommitOutcome>>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
            await _queue.Writer.WriteAsync(pending, cancellationToken);
        // Once queued, the write goes through even if the client goes away: the answer just has no one to read it.
        return await pending.Completion.Task.ConfigureAwait(false);
    }

    private static PreparedChange[] Prepare(IReadOnlyList<EntityChange> changes)
    {
        var prepared = new PreparedChange[changes.Count];
        for (var i = 0; i < prepared.Length; i++)
        {
            var change = changes[i];
            byte[]? doc = null;
            if (change.After is { } after)
            {
                // The writer commits the change only if the entity still has the expected version (or, for a create, does not exist).
                after.Version = (change.ExpectedVersion ?? 0) + 1;
                doc = StoredEntityJson.SerializeUtf8(after);
            }
            var previous = ChangeRecords.PreviousOf(change);
            prepared[i] = new PreparedChange(doc, Entities.Representation.Timestamps.Format6(change.At),
                System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(change.ChangedAttributes, StorageJsonContext.Default.IReadOnlyListString),
                previous is null ? null : StoredEntityJson.SerializeUtf8(previous));
        }
        return prepared;
    }

    private async Task WriteLoopAsync()
    {
        var group = new List<PendingCommit>(options.MaxGroupSize);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            group.Clear();
            PendingMaintenance? maintenance = null;
            while (group.Count < options.MaxGroupSize && maintenance is null && reader.TryRead(out var item))
            {
                if (item is PendingCommit commit)
                    group.Add(commit);
                else
                    maintenance = (PendingMaintenance)item;
            }
            if (group.Count > 0)
                CommitGroup(group);
            if (maintenance is not null)
                RunMaintenance(maintenance);
        }
    }

    private void CommitGroup(List<PendingCommit> group)
    {
        try
        {
            var results = WriteGroup(group, out var committed);
            // In the feed before the writers hear of their commit: an acknowledged write is at or below the feed's head.
            _recent.Append(committed);
            for (var i = 0; i < group.Count; i++)
                group[i].Completion.TrySetResult(results[i]);
        }
        catch (Exception e)
        {
            LogWriteFailed(logger, e, group.Count);
            var failure = new StoreUnavailableException("The embedded store could not commit the write.", e);
            foreach (var item in group)
                item.Completion.TrySetException(failure);
        }
    }

    private void RunMaintenance(PendingMaintenance maintenance)
    {
        try
        {
            using var transaction = _connection!.BeginTransaction();
            var result = maintenance.Work(_connection);
            transaction.Commit();
            maintenance.Completion.TrySetResult(result);
        }
        catch (Exception e)
        {
            maintenance.Completion.TrySetException(e);
        }
    }

    private CommitOutcome[][] WriteGroup(List<PendingCommit> group, out List<FeedChange> committedChanges)
    {
        var connection = _connection!;
        committedChanges = [];
        var results = new CommitOutcome[group.Count][];
        var pendingState = new Dictionary<(string Tenant, string Id), Entity?>();
        var newTenants = new HashSet<string>(StringComparer.Ordinal);
        using var transaction = connection.BeginTransaction();
        var statements = _statements ??= new WriterStatements(connection);
        var (insertEntity, updateEntity, deleteEntity, insertChange, insertTenant) =
            (statements.InsertEntity, statements.UpdateEntity, statements.DeleteEntity, statements.InsertChange, statements.InsertTenant);

        for (var g = 0; g < group.Count; g++)
        {
            var (tenant, changes, prepared, _) = group[g];
            var outcomes = new CommitOutcome[changes.Count];
            results[g] = outcomes;
            _tenants.TryGetValue(tenant, out var committed);
            for (var c = 0; c < changes.Count; c++)
            {
                var change = changes[c];
                var key = (tenant, change.EntityId);
                var current = pendingState.TryGetValue(key, out var pendingEntity) ? pendingEntity
                    : committed is not null && committed.TryGetValue(change.EntityId, out var stored) ? stored : null;
                var outcome = Check(change, current);
                outcomes[c] = outcome;
                if (outcome != CommitOutcome.Committed)
                    continue;

                if (tenant != DefaultTenant && committed is null && newTenants.Add(tenant))
                    insertTenant.Text(1, tenant).Run();
                var (doc, at, attributes, previous) = prepared[c];
                insertChange.Text(1, tenant).Text(2, change.EntityId).Text(3, KindName(change.Kind)).Text(4, at).Text(5, attributes);
                if (doc is null)
                    insertChange.Null(6);
                else
                    insertChange.Text(6, doc);
                (previous is null ? insertChange.Null(7) : insertChange.Text(7, previous)).Run();
                committedChanges.Add(new FeedChange(insertChange.LastInsertRowId, tenant, change) { StoredAfter = doc });

                var statement = change.Kind switch
                {
                    ChangeKind.Create => insertEntity,
                    ChangeKind.Update => updateEntity,
                    _ => deleteEntity,
                };
                statement.Text(1, tenant).Text(2, change.EntityId);
                if (change.Kind != ChangeKind.Delete)
                    statement.Integer(3, change.After!.Version);
                statement.Run();
                pendingState[key] = change.After;
            }
        }
        transaction.Commit();

        foreach (var ((tenant, id), entity) in pendingState)
        {
            var entities = _tenants.GetOrAdd(tenant, _ => new(StringComparer.Ordinal));
            if (entity is null)
                entities.TryRemove(id, out _);
            else
                entities[id] = entity;
            _grids.GetOrAdd(tenant, _ => new SpatialGrid()).Update(id, entity);
        }
        return results;
    }

    private static ReadOnlySpan<byte> KindName(ChangeKind kind) => kind switch
    {
        ChangeKind.Create => "Create"u8,
        ChangeKind.Update => "Update"u8,
        _ => "Delete"u8,
    };

    private static CommitOutcome Check(EntityChange change, Entity? current) => change.Kind switch
    {
        ChangeKind.Create => current is null ? CommitOutcome.Committed : CommitOutcome.AlreadyExists,
        _ when current is null => CommitOutcome.NotFound,
        _ when change.ExpectedVersion != current.Version => CommitOutcome.Conflict,
        _ => CommitOutcome.Committed,
    };

    /// <summary>The writer's statements, prepared once for the connection's lifetime (only the writer loop uses them).</summary>
    private sealed class WriterStatements(SqliteConnection connection) : IDisposable
    {
        public SqliteStatement InsertEntity { get; } = new(connection, "INSERT INTO entities (tenant, id, version, seq) VALUES (?1, ?2, ?3, last_insert_rowid())");

        public SqliteStatement UpdateEntity { get; } = new(connection, "UPDATE entities SET version = ?3, seq = last_insert_rowid() WHERE tenant = ?1 AND id = ?2");

        public SqliteStatement DeleteEntity { get; } = new(connection, "DELETE FROM entities WHERE tenant = ?1 AND id = ?2");

        public SqliteStatement InsertChange { get; } = new(connection, "INSERT INTO changes (tenant, entity_id, kind, at, attributes, after, previous) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");

        public SqliteStatement InsertTenant { get; } = new(connection, "INSERT OR IGNORE INTO tenants (name) VALUES (?1)");

        public void Dispose()
        {
            InsertEntity.Dispose();
            UpdateEntity.Dispose();
            DeleteEntity.Dispose();
            InsertChange.Dispose();
            InsertTenant.Dispose();
        }
    }

    private const int SchemaVersion = 3;

    /// <summary>
    /// Version 2 stores each written document once: in its change record (<c>changes.after</c>), which the entity's
    /// row refers to by <c>seq</c>. Version 1 (no row in <c>schema_version</c>) kept the document a second time in
    /// <c>entities.doc</c> and numbered changes with AUTOINCREMENT, which writes <c>sqlite_sequence</c> in every
    /// transaction. Compaction (<see cref="CompactAsync"/>) deletes only rows below every consumer's position, so the
    /// newest row, and with it the largest rowid, always stays and plain rowids never reuse a number. Version 3 adds
    /// <c>changes.previous</c>, what each change replaced (<see cref="ChangeRecords.PreviousOf"/>), so that a change
    /// record read back tells a consumer everything about the change.
    /// </summary>
    private void EnsureSchema()
    {
        Execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        var version = Scalar("SELECT max(version) FROM schema_version") as long?;
        if (version == SchemaVersion)
            return;
        if (version is > SchemaVersion)
            throw new InvalidOperationException($"The embedded store's schema version {version} is not known to this broker (it knows {SchemaVersion}).");
        const string tables = """
            CREATE TABLE IF NOT EXISTS tenants (name TEXT PRIMARY KEY) WITHOUT ROWID;
            CREATE TABLE changes (
                seq INTEGER PRIMARY KEY, tenant TEXT NOT NULL, entity_id TEXT NOT NULL, kind TEXT NOT NULL,
                at TEXT NOT NULL, attributes TEXT NOT NULL, after TEXT, previous TEXT);
            CREATE TABLE entities (
                tenant TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, seq INTEGER NOT NULL,
                PRIMARY KEY (tenant, id)) WITHOUT ROWID;
            """;
        using var transaction = _connection!.BeginTransaction();
        if (Scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'entities'") is 0L)
        {
            Execute(tables, transaction);
        }
        else if (version == 2)
        {
            Execute("ALTER TABLE changes ADD COLUMN previous TEXT", transaction);
        }
        else
        {
            // An entity whose document is not the after of its latest change record (none was written before its
            // row) gets one more record of kind Snapshot carrying it, so that every entity row has one to refer to.
            Execute($"""
                ALTER TABLE changes RENAME TO changes_v1;
                ALTER TABLE entities RENAME TO entities_v1;
                {tables}
                INSERT INTO changes (seq, tenant, entity_id, kind, at, attributes, after)
                    SELECT seq, tenant, entity_id, kind, at, attributes, after FROM changes_v1 ORDER BY seq;
                CREATE INDEX changes_migration ON changes (tenant, entity_id, seq);
                INSERT INTO changes (tenant, entity_id, kind, at, attributes, after)
                    SELECT e.tenant, e.id, 'Snapshot', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), '[]', e.doc FROM entities_v1 e
                    WHERE e.doc IS NOT (SELECT c.after FROM changes c WHERE c.tenant = e.tenant AND c.entity_id = e.id ORDER BY c.seq DESC LIMIT 1);
                INSERT INTO entities (tenant, id, version, seq)
                    SELECT e.tenant, e.id, e.version, (SELECT max(c.seq) FROM changes c WHERE c.tenant = e.tenant AND c.entity_id = e.id) FROM entities_v1 e;
                DROP INDEX changes_migration;
                DROP TABLE entities_v1;
                DROP TABLE changes_v1;
                """, transaction);
        }
        Execute($"DELETE FROM schema_version; INSERT INTO schema_version (version) VALUES ({SchemaVersion})", transaction);
        transaction.Commit();
    }

    private object? Scalar(string sql)
    {
        using var command = _connection!.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private void Execute(string sql, SqliteTransaction? transaction = null)
    {
        using var command = _connection!.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        // Registered as the store and as its change feed, it may be disposed by both registrations.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        _queue.Writer.TryComplete();
        if (_writer is not null)
            await _writer.ConfigureAwait(false);
        _statements?.Dispose();
        if (_connection is not null)
            await _connection.DisposeAsync().ConfigureAwait(false);
        if (_feedConnection is not null)
            await _feedConnection.DisposeAsync().ConfigureAwait(false);
        _feedReader.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded store loaded {Count} entities of {Tenants} tenants from {Path}")]
    private static partial void LogLoaded(ILogger logger, int count, int tenants, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Embedded store failed to commit a group of {Count} writes")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, int count);
}
