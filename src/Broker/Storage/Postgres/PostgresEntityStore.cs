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
/// Writes: all changes of one <see cref="CommitAsync"/> go in one transaction, sent as one <see cref="NpgsqlBatch"/>.
/// Each change is one statement whose data-modifying CTEs apply the entity write, rewrite its geometry rows and insert
/// its change record only when the optimistic check passes (INSERT ... ON CONFLICT DO NOTHING for a create, WHERE
/// version = expected for an update or delete); a failed check touches nothing, so the outcomes are independent
/// without savepoints. Reads: see <see cref="QueryTranslator"/>.
/// </remarks>
public sealed partial class PostgresEntityStore(PostgresStoreOptions options, ILogger<PostgresEntityStore> logger) : IEntityStore
{
    public const string DefaultTenant = "";

    private readonly NpgsqlDataSource _dataSource = BuildDataSource(options.ConnectionString);

    /// <summary>
    /// The data source; unless the connection string says otherwise, statements used repeatedly are prepared
    /// automatically (the write statements have few shapes), which saves PostgreSQL parsing and planning them per row.
    /// </summary>
    private static NpgsqlDataSource BuildDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase))
            builder.ConnectionStringBuilder.MaxAutoPrepare = 32;
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
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e))
        {
            throw Unavailable(e);
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

    public async ValueTask<EntityPage> QueryAsync(string tenant, EntityQuery query, CancellationToken cancellationToken)
    {
        var filter = QueryTranslator.Translate(query);
        var select = new SqlBuilder();
        select.Append("SELECT e.doc::text FROM entities e WHERE e.tenant = ").Parameter(tenant, NpgsqlDbType.Text).Append(" AND ");
        filter.Where.Write(select);
        select.Append(" ORDER BY e.id");
        if (filter.IsExact)
            select.Append(" LIMIT ").Parameter(query.Limit, NpgsqlDbType.Integer).Append(" OFFSET ").Parameter(query.Offset, NpgsqlDbType.Integer);
        _lastQuery = new LastQuery(select, filter.IsExact);
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            if (filter.IsExact)
            {
                // The page and the count read one snapshot, so they agree under concurrent writes.
                await using var snapshot = query.Count
                    ? await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false)
                    : null;
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
                    await snapshot!.CommitAsync(cancellationToken).ConfigureAwait(false);
                }
                return new EntityPage(page, total);
            }

            var matches = new List<Entity>();
            var matched = 0L;
            var needed = (long)query.Offset + query.Limit;
            await using (var command = Command(connection, select))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var entity = StoredEntityJson.Deserialize(reader.GetString(0));
                    if (!EntityQueryMatcher.Matches(entity, query))
                        continue;
                    if (matched >= query.Offset && matched < needed)
                        matches.Add(entity);
                    matched++;
                    if (!query.Count && matched >= needed)
                        break;
                }
            }
            return new EntityPage(matches, query.Count ? matched : null);
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

    public async ValueTask<IReadOnlyList<EntityShape>> GetShapesAsync(string tenant, CancellationToken cancellationToken)
    {
        var shapes = new List<EntityShape>();
        try
        {
            await using var command = _dataSource.CreateCommand("SELECT doc::text FROM entities WHERE tenant = $1");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var entity = StoredEntityJson.Deserialize(reader.GetString(0));
                var attributes = new List<(string, AttributeKind)>();
                foreach (var (name, instances) in entity.Attributes)
                {
                    foreach (var instance in instances)
                        attributes.Add((name, instance.Kind));
                }
                shapes.Add(new EntityShape(entity.Types, attributes));
            }
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e))
        {
            throw Unavailable(e);
        }
        return shapes;
    }

    public async ValueTask<IReadOnlyList<CommitOutcome>> CommitAsync(string tenant, IReadOnlyList<EntityChange> changes, CancellationToken cancellationToken)
    {
        if (changes.Count == 0)
            return [];
        var batch = new NpgsqlBatch();
        // The tenant comes into being with its first write; the transaction is rolled back when nothing committed.
        var tenantStatement = new SqlBuilder()
            .Append("WITH t AS (INSERT INTO tenants (name) SELECT ").Parameter(tenant, NpgsqlDbType.Text)
            .Append(" WHERE ").Parameter(tenant, NpgsqlDbType.Text).Append(" <> '' ON CONFLICT DO NOTHING RETURNING 1) SELECT count(*)::int, NULL::bigint FROM t");
        batch.BatchCommands.Add(BatchCommand(tenantStatement));
        var previousVersions = new long[changes.Count];
        for (var i = 0; i < changes.Count; i++)
        {
            var change = changes[i];
            if (change.After is { } after)
            {
                previousVersions[i] = after.Version;
                after.Version = (change.ExpectedVersion ?? 0) + 1;
            }
            batch.BatchCommands.Add(BatchCommand(WriteStatement(tenant, change)));
        }

        var outcomes = new CommitOutcome[changes.Count];
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            batch.Connection = connection;
            batch.Transaction = transaction;
            var any = false;
            // Once sent, the write goes through even if the client goes away (as with the embedded store): no token.
            await using (batch)
            await using (var reader = await batch.ExecuteReaderAsync(CancellationToken.None).ConfigureAwait(false))
            {
                await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false);
                for (var i = 0; i < changes.Count; i++)
                {
                    await reader.NextResultAsync(CancellationToken.None).ConfigureAwait(false);
                    await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false);
                    var written = reader.GetInt32(0);
                    var exists = !reader.IsDBNull(1);
                    outcomes[i] = written == 1 ? CommitOutcome.Committed
                        : changes[i].Kind == ChangeKind.Create ? CommitOutcome.AlreadyExists
                        : exists ? CommitOutcome.Conflict : CommitOutcome.NotFound;
                    any |= written == 1;
                }
            }
            if (any)
                await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            else
                await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            for (var i = 0; i < changes.Count; i++)
            {
                if (changes[i].After is { } after)
                    after.Version = previousVersions[i];
            }
            if (PostgresErrors.IsUnavailable(e))
                throw Unavailable(e);
            if (e is PostgresException postgres && PostgresErrors.IsUnstorableValue(postgres))
                throw NgsiLdException.BadRequestData("The PostgreSQL store cannot hold a value of this request: " + postgres.MessageText);
            throw;
        }
        for (var i = 0; i < changes.Count; i++)
        {
            if (outcomes[i] != CommitOutcome.Committed && changes[i].After is { } after)
                after.Version = previousVersions[i];
        }
        return outcomes;
    }

    /// <summary>
    /// One change as one statement. Its result row is (rows written, version of the row before the statement or null):
    /// a read in the final SELECT sees the table as it was before the statement's own CTEs, which tells a conflict from
    /// a missing entity.
    /// </summary>
    private static SqlBuilder WriteStatement(string tenant, EntityChange change)
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
                    sql.Append("INSERT INTO entities (tenant, id, types, version, doc, created, modified) VALUES (").Parameter(tenant, NpgsqlDbType.Text)
                        .Append(", ").Parameter(change.EntityId, NpgsqlDbType.Text)
                        .Append(", ").Parameter(after.Types.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text)
                        .Append(", ").Parameter(after.Version, NpgsqlDbType.Bigint)
                        .Append(", ").Parameter(doc, NpgsqlDbType.Jsonb)
                        .Append(", ").Parameter(after.CreatedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz)
                        .Append(", ").Parameter(after.ModifiedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz)
                        .Append(") ON CONFLICT DO NOTHING RETURNING 1)");
                    break;
                }
            case ChangeKind.Update:
                {
                    var after = change.After!;
                    doc = StoredEntityJson.Serialize(after);
                    sql.Append("UPDATE entities SET types = ").Parameter(after.Types.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text)
                        .Append(", version = ").Parameter(after.Version, NpgsqlDbType.Bigint)
                        .Append(", doc = ").Parameter(doc, NpgsqlDbType.Jsonb)
                        .Append(", created = ").Parameter(after.CreatedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz)
                        .Append(", modified = ").Parameter(after.ModifiedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz);
                    WhereVersion(sql, tenant, change);
                    break;
                }
            default:
                sql.Append("DELETE FROM entities");
                WhereVersion(sql, tenant, change);
                break;
        }
        if (change.Kind != ChangeKind.Create)
        {
            sql.Append(", d AS (DELETE FROM entity_geometries WHERE tenant = ").Parameter(tenant, NpgsqlDbType.Text)
                .Append(" AND id = ").Parameter(change.EntityId, NpgsqlDbType.Text).Append(" AND EXISTS (SELECT 1 FROM w))");
        }
        if (change.After is { } entity)
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
        sql.Append(", c AS (INSERT INTO changes (tenant, entity_id, kind, at, attributes, after) SELECT ").Parameter(tenant, NpgsqlDbType.Text)
            .Append(", ").Parameter(change.EntityId, NpgsqlDbType.Text)
            .Append(", ").Parameter(change.Kind.ToString(), NpgsqlDbType.Text)
            .Append(", ").Parameter(change.At.ToUniversalTime(), NpgsqlDbType.TimestampTz)
            .Append(", ").Parameter(JsonSerializer.Serialize(change.ChangedAttributes, StorageJsonContext.Default.IReadOnlyListString), NpgsqlDbType.Jsonb)
            .Append(", ");
        if (doc is null)
            sql.Append("NULL");
        else
            sql.Parameter(doc, NpgsqlDbType.Jsonb);
        sql.Append(" FROM w) SELECT (SELECT count(*) FROM w)::int, (SELECT version FROM entities WHERE tenant = ").Parameter(tenant, NpgsqlDbType.Text)
            .Append(" AND id = ").Parameter(change.EntityId, NpgsqlDbType.Text).Append(")");
        return sql;
    }

    private static void WhereVersion(SqlBuilder sql, string tenant, EntityChange change) =>
        sql.Append(" WHERE tenant = ").Parameter(tenant, NpgsqlDbType.Text)
            .Append(" AND id = ").Parameter(change.EntityId, NpgsqlDbType.Text)
            .Append(" AND version = ").Parameter(change.ExpectedVersion ?? 0, NpgsqlDbType.Bigint)
            .Append(" RETURNING 1)");

    /// <summary>Every attribute instance whose value is a valid GeoJSON geometry, as (attribute, WKB) pairs.</summary>
    private static (string[] Attributes, byte[][] Geometries) Geometries(Entity entity)
    {
        List<string>? attributes = null;
        List<byte[]>? geometries = null;
        foreach (var (name, instances) in entity.Attributes)
        {
            foreach (var instance in instances)
            {
                if (instance.Value is System.Text.Json.Nodes.JsonObject && GeoJson.TryParse(instance.Value, out var geometry, out _) && geometry is not null)
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

    private static NpgsqlBatchCommand BatchCommand(SqlBuilder sql)
    {
        var command = new NpgsqlBatchCommand(sql.ToString());
        foreach (var parameter in sql.Parameters)
            command.Parameters.Add(parameter);
        return command;
    }

    private StoreUnavailableException Unavailable(Exception e)
    {
        LogUnavailable(logger, e);
        return new StoreUnavailableException("The PostgreSQL database is not reachable; retry later.", e);
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL store unavailable")]
    private static partial void LogUnavailable(ILogger logger, Exception exception);
}
