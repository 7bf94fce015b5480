using System.Text.Json;
using Broker.Storage.Postgres.Sql;
using NpgsqlTypes;
using Ontology.Model;

namespace Broker.Storage.Postgres;

/// <summary>
/// Large commits of creates and updates as one statement over arrays (unnest), instead of one statement per change:
/// PostgreSQL parses, plans and executes once for the whole batch. The optimistic checks stay per change (ON CONFLICT DO
/// NOTHING for a create, version = expected for an update), and so do the geometry rows and the change records; its
/// rows are the outcomes in the order of the changes, as the per-change statements give them.
/// </summary>
internal static class SetBasedWrite
{
    /// <summary>Only creates and updates of distinct entities: with the same entity twice the changes must apply in order.</summary>
    public static bool Applies(IReadOnlyList<EntityChange> changes)
    {
        var ids = new HashSet<string>(changes.Count, StringComparer.Ordinal);
        foreach (var change in changes)
        {
            if (change.Kind is not (ChangeKind.Create or ChangeKind.Update) || change.After is null || !ids.Add(change.EntityId))
                return false;
        }
        return true;
    }

    public static SqlBuilder Statement(string tenant, IReadOnlyList<EntityChange> changes)
    {
        var count = changes.Count;
        var order = new int[count];
        var ids = new string[count];
        var kinds = new string[count];
        var expected = new long[count];
        var types = new string[count];
        var versions = new long[count];
        var docs = new string[count];
        var values = new string[count];
        var created = new DateTime[count];
        var modified = new DateTime[count];
        var at = new DateTime[count];
        var attributes = new string[count];
        var previous = new string?[count];
        var geometryIds = new List<string>();
        var geometryAttributes = new List<string>();
        var geometries = new List<byte[]>();
        for (var i = 0; i < count; i++)
        {
            var change = changes[i];
            var after = change.After!;
            order[i] = i;
            ids[i] = change.EntityId;
            kinds[i] = change.Kind.ToString();
            expected[i] = change.ExpectedVersion ?? 0;
            types[i] = JsonSerializer.Serialize(after.Types, StorageJsonContext.Default.IReadOnlyListString);
            versions[i] = after.Version;
            docs[i] = StoredEntityJson.Serialize(after);
            UnstorableText.RefuseInDocument(docs[i]);
            values[i] = QueryValues.Compute(after);
            created[i] = after.CreatedAt.UtcDateTime;
            modified[i] = after.ModifiedAt.UtcDateTime;
            at[i] = change.At.UtcDateTime;
            attributes[i] = JsonSerializer.Serialize(change.ChangedAttributes, StorageJsonContext.Default.IReadOnlyListString);
            previous[i] = ChangeRecords.PreviousOf(change) is { } replaced ? StoredEntityJson.Serialize(replaced) : null;
            var (names, wkbs) = PostgresEntityStore.Geometries(after);
            for (var j = 0; j < names.Length; j++)
            {
                geometryIds.Add(change.EntityId);
                geometryAttributes.Add(names[j]);
                geometries.Add(wkbs[j]);
            }
        }

        var sql = new SqlBuilder();
        sql.Append("WITH i AS (SELECT u.ord, u.id COLLATE \"C\" AS id, u.kind, u.expected, u.types, u.version, u.doc, u.q, u.created, u.modified, u.at, u.attrs, u.previous FROM unnest(").Parameter(order, NpgsqlDbType.Array | NpgsqlDbType.Integer)
            .Append(", ").Parameter(ids, NpgsqlDbType.Array | NpgsqlDbType.Text)
            .Append(", ").Parameter(kinds, NpgsqlDbType.Array | NpgsqlDbType.Text)
            .Append(", ").Parameter(expected, NpgsqlDbType.Array | NpgsqlDbType.Bigint)
            .Append(", ").Parameter(types, NpgsqlDbType.Array | NpgsqlDbType.Jsonb)
            .Append(", ").Parameter(versions, NpgsqlDbType.Array | NpgsqlDbType.Bigint)
            .Append(", ").Parameter(docs, NpgsqlDbType.Array | NpgsqlDbType.Jsonb)
            .Append(", ").Parameter(values, NpgsqlDbType.Array | NpgsqlDbType.Jsonb)
            .Append(", ").Parameter(created, NpgsqlDbType.Array | NpgsqlDbType.TimestampTz)
            .Append(", ").Parameter(modified, NpgsqlDbType.Array | NpgsqlDbType.TimestampTz)
            .Append(", ").Parameter(at, NpgsqlDbType.Array | NpgsqlDbType.TimestampTz)
            .Append(", ").Parameter(attributes, NpgsqlDbType.Array | NpgsqlDbType.Jsonb)
            .Append(", ").Parameter(previous, NpgsqlDbType.Array | NpgsqlDbType.Jsonb)
            .Append(") AS u(ord, id, kind, expected, types, version, doc, q, created, modified, at, attrs, previous))");
        sql.Append(", ins AS (INSERT INTO entities (tenant, id, types, version, doc, q_values, created, modified) SELECT ").Parameter(tenant, NpgsqlDbType.Text)
            .Append(", i.id, ARRAY(SELECT jsonb_array_elements_text(i.types)), i.version, i.doc, i.q, i.created, i.modified FROM i WHERE i.kind = 'Create' ORDER BY i.ord")
            .Append(" ON CONFLICT DO NOTHING RETURNING id)");
        sql.Append(", upd AS (UPDATE entities e SET types = ARRAY(SELECT jsonb_array_elements_text(i.types)), version = i.version, doc = i.doc, q_values = i.q, created = i.created, modified = i.modified")
            .Append(" FROM i WHERE i.kind = 'Update' AND e.tenant = ").Parameter(tenant, NpgsqlDbType.Text)
            .Append(" AND e.id = i.id AND e.version = i.expected RETURNING e.id)");
        sql.Append(", w AS (SELECT id FROM ins UNION ALL SELECT id FROM upd)");
        sql.Append(", d AS (DELETE FROM entity_geometries g USING upd WHERE g.tenant = ").Parameter(tenant, NpgsqlDbType.Text).Append(" AND g.id = upd.id)");
        if (geometries.Count > 0)
        {
            sql.Append(", g AS (INSERT INTO entity_geometries (tenant, id, attribute, geom) SELECT ").Parameter(tenant, NpgsqlDbType.Text)
                .Append(", x.id, x.a, ST_GeomFromWKB(x.b, 4326) FROM unnest(").Parameter(geometryIds.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text)
                .Append(", ").Parameter(geometryAttributes.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text)
                .Append(", ").Parameter(geometries.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Bytea)
                .Append(") AS x(id, a, b) WHERE x.id COLLATE \"C\" IN (SELECT id FROM w))");
        }
        sql.Append(", c AS (INSERT INTO changes (tenant, entity_id, kind, at, attributes, previous, after) SELECT ").Parameter(tenant, NpgsqlDbType.Text)
            .Append(", i.id, i.kind, i.at, i.attrs, i.previous, i.doc FROM i WHERE i.id IN (SELECT id FROM w) ORDER BY i.ord)");
        // As in the per-change statements, the read of entities sees the table before the statement: the version before.
        // Every look-up in w is an uncorrelated IN, which PostgreSQL hashes: a correlated EXISTS scanned w once per row.
        // The version is read only for the changes not written, where it tells a conflict from a missing entity.
        sql.Append(" SELECT (i.id IN (SELECT id FROM w))::int, CASE WHEN i.id IN (SELECT id FROM w) THEN NULL ELSE (SELECT e.version FROM entities e WHERE e.tenant = ").Parameter(tenant, NpgsqlDbType.Text)
            .Append(" AND e.id = i.id) END FROM i ORDER BY i.ord");
        return sql;
    }
}
