namespace Broker.Storage.Postgres.Migrations;

/// <summary>
/// The versioned schema of the PostgreSQL store. A migration is applied once, in its own transaction, and recorded in
/// <c>schema_migrations</c>; <see cref="PostgresMigrator"/> runs them under an advisory lock so nodes starting together
/// do not race. Never edit a migration that has shipped: add the next one.
/// </summary>
/// <remarks>
/// Tenants: every table carries the tenant name as the first column of its key, and every statement filters on it.
/// The alternative, a schema per tenant, would make 1000 tenants 1000 schemas to migrate at start-up and would put
/// tenant names into SQL identifiers; a key column keeps start-up constant and tenant names are only ever parameters.
/// The default tenant is the empty string. Entity ids use the "C" collation so ORDER BY id is code-point order, the
/// order the in-memory store uses, and so the primary key serves id prefixes.
/// </remarks>
internal static class SchemaMigrations
{
    public static readonly IReadOnlyList<(int Version, string Name, string Sql)> All =
    [
        (1, "entities, geometries, changes, tenants", """
            CREATE EXTENSION IF NOT EXISTS postgis;

            CREATE TABLE tenants (
                name text COLLATE "C" PRIMARY KEY,
                created timestamptz NOT NULL DEFAULT now());

            CREATE TABLE entities (
                tenant text COLLATE "C" NOT NULL,
                id text COLLATE "C" NOT NULL,
                types text[] NOT NULL,
                version bigint NOT NULL,
                doc jsonb NOT NULL,
                created timestamptz NOT NULL,
                modified timestamptz NOT NULL,
                PRIMARY KEY (tenant, id));
            -- type selection: types @> ARRAY[...]
            CREATE INDEX entities_types ON entities USING gin (types);
            -- attribute existence: doc ? name, doc ?| names (top-level keys are the expanded attribute names)
            CREATE INDEX entities_doc_keys ON entities USING gin (doc);
            -- id prefixes and patterns: the primary key (tenant, id COLLATE "C") serves LIKE 'prefix%' and ranges.

            -- One row per valid GeoJSON value of an attribute instance (any datasetId), for geo-queries.
            CREATE TABLE entity_geometries (
                tenant text COLLATE "C" NOT NULL,
                id text COLLATE "C" NOT NULL,
                attribute text NOT NULL,
                geom geometry(Geometry, 4326) NOT NULL);
            CREATE INDEX entity_geometries_entity ON entity_geometries (tenant, id);
            CREATE INDEX entity_geometries_geom ON entity_geometries USING gist (geom);
            CREATE INDEX entity_geometries_geog ON entity_geometries USING gist ((geom::geography));

            -- The change record of every write, committed with it (notifications, temporal history).
            CREATE TABLE changes (
                seq bigserial PRIMARY KEY,
                tenant text COLLATE "C" NOT NULL,
                entity_id text COLLATE "C" NOT NULL,
                kind text NOT NULL,
                at timestamptz NOT NULL,
                attributes jsonb NOT NULL,
                after jsonb);
            CREATE INDEX changes_tenant_seq ON changes (tenant, seq);
            """),
        (2, "query values; non-point geometries", """
            -- The targets of every attribute path and the scope levels, as the evaluator resolves them (QueryValues);
            -- NULL until the store computes them at start-up for rows written before this migration.
            ALTER TABLE entities ADD COLUMN q_values jsonb;
            -- near over lines and polygons, which the geography index cannot bound.
            CREATE INDEX entity_geometries_nonpoint ON entity_geometries (attribute) WHERE ST_GeometryType(geom) <> 'ST_Point';
            """),
        (3, "statistics on geometry kinds", """
            -- Without them the planner takes ST_GeometryType(geom) <> 'ST_Point' to hold for 99.5 % of the rows, expects
            -- the whole tenant from the non-point branch of a near query and hash-joins every entity (S5: 0.9 s a query).
            CREATE STATISTICS IF NOT EXISTS entity_geometries_kind ON (ST_GeometryType(geom)) FROM entity_geometries;
            ANALYZE entity_geometries;
            """),
        (4, "attribute names indexed instead of the whole document; room for updates in place", """
            -- The GIN index on doc held every key and value of every document and took new entries on every write. The
            -- attribute names (top-level keys) now have a generated column and index of their own: an update that changes
            -- values but no names changes no indexed column, so PostgreSQL can write it in place (HOT) without touching
            -- any index, given room on the page (fillfactor, applied by the rewrite that adds the column).
            -- The names are a jsonb array computed by a built-in function: a SQL function (array(SELECT jsonb_object_keys(doc)))
            -- was set up and planned again for every written row, 16 % of PostgreSQL's CPU in S6.
            ALTER TABLE entities SET (fillfactor = 75);
            ALTER TABLE entities ADD COLUMN attribute_names jsonb GENERATED ALWAYS AS (jsonb_path_query_array(doc, '$.keyvalue().key')) STORED;
            -- attribute existence: attribute_names ? name, attribute_names ?| names
            CREATE INDEX entities_attribute_names ON entities USING gin (attribute_names);
            DROP INDEX entities_doc_keys;
            ANALYZE entities;
            """),
        (5, "documents compressed with lz4", """
            -- pglz, the default, compressing every written document took 9 % of PostgreSQL's CPU in S6; lz4 is several
            -- times faster. Values already stored keep their compression; a server built without lz4 keeps pglz.
            DO $$
            BEGIN
                ALTER TABLE entities ALTER COLUMN doc SET COMPRESSION lz4, ALTER COLUMN q_values SET COMPRESSION lz4;
                ALTER TABLE changes ALTER COLUMN after SET COMPRESSION lz4;
            EXCEPTION WHEN feature_not_supported THEN
                NULL;
            END
            $$;
            """),
        (6, "pending backfills", """
            -- Work a start-up still owes to rows written before a migration, by name, removed once done: start-ups look
            -- here instead of searching the whole entities table for rows without query values.
            CREATE TABLE backfills (name text PRIMARY KEY);
            INSERT INTO backfills (name) SELECT 'q_values' WHERE EXISTS (SELECT 1 FROM entities WHERE q_values IS NULL);
            """),
        (7, "change feed: what each change replaced, its transaction", """
            -- What the change replaced (ChangeRecords.PreviousOf), so a change record read back is complete by itself.
            ALTER TABLE changes ADD COLUMN previous jsonb;
            DO $$
            BEGIN
                ALTER TABLE changes ALTER COLUMN previous SET COMPRESSION lz4;
            EXCEPTION WHEN feature_not_supported THEN
                NULL;
            END
            $$;
            -- The transaction that wrote the change. Sequence numbers are taken in statement order, not commit order, so
            -- the feed reads windows of transaction ids below the oldest one still running (PostgresChangeFeed). Rows
            -- written before this migration have none and are never read as part of the feed.
            ALTER TABLE changes ADD COLUMN xid bigint;
            ALTER TABLE changes ALTER COLUMN xid SET DEFAULT (pg_current_xact_id()::text::bigint);
            CREATE INDEX changes_xid ON changes (xid);
            CREATE TABLE feed_cursors (
                name text PRIMARY KEY,
                horizon bigint NOT NULL,
                window_end bigint NOT NULL,
                seq bigint NOT NULL);
            """),
        (8, "subscriptions and their outbox", """
            -- Subscriptions as documents (the subscription service reads them), with their delivery status. A delete
            -- keeps a tombstone (deleted) for a while, so that nodes polling by revision learn of it.
            CREATE SEQUENCE subscription_revisions;
            CREATE TABLE subscriptions (
                tenant text COLLATE "C" NOT NULL,
                id text COLLATE "C" NOT NULL,
                doc jsonb NOT NULL,
                created timestamptz NOT NULL,
                revision bigint NOT NULL,
                deleted timestamptz,
                times_sent bigint NOT NULL DEFAULT 0,
                times_failed bigint NOT NULL DEFAULT 0,
                last_notification timestamptz,
                last_success timestamptz,
                last_failure timestamptz,
                PRIMARY KEY (tenant, id));
            CREATE INDEX subscriptions_revision ON subscriptions (revision);
            -- Notifications matched and not yet delivered, by the change record they report.
            CREATE TABLE notification_outbox (
                tenant text COLLATE "C" NOT NULL,
                subscription_id text COLLATE "C" NOT NULL,
                seq bigint NOT NULL,
                entity_id text COLLATE "C" NOT NULL,
                attempts integer NOT NULL,
                due timestamptz NOT NULL,
                PRIMARY KEY (tenant, subscription_id, seq));
            CREATE INDEX notification_outbox_seq ON notification_outbox (seq);
            """),
        (9, "temporal history", """
            -- The record of each entity the history holds: its types and scopes as last recorded, and its recorded state
            -- (the entity after its last change), on which temporal queries evaluate q, scopeQ and geo-queries.
            CREATE TABLE temporal_entities (
                tenant text COLLATE "C" NOT NULL,
                id text COLLATE "C" NOT NULL,
                types text[] NOT NULL,
                scopes jsonb,
                created_at timestamptz NOT NULL,
                modified_at timestamptz NOT NULL,
                deleted_at timestamptz,
                state jsonb NOT NULL,
                PRIMARY KEY (tenant, id));
            CREATE INDEX temporal_entities_types ON temporal_entities USING gin (types);
            -- Attribute instances, partitioned by their instant (observedAt, else modifiedAt): PostgresTemporalStore creates
            -- a partition per week ahead of time; the default partition holds instants outside them. Retention drops whole
            -- partitions.
            CREATE SEQUENCE temporal_instance_seq;
            CREATE TABLE temporal_instances (
                seq bigint NOT NULL DEFAULT nextval('temporal_instance_seq'),
                tenant text COLLATE "C" NOT NULL,
                entity_id text COLLATE "C" NOT NULL,
                attribute text COLLATE "C" NOT NULL,
                dataset_id text COLLATE "C" NOT NULL,
                instance_id text COLLATE "C" NOT NULL,
                observed_at timestamptz,
                created_at timestamptz NOT NULL,
                modified_at timestamptz NOT NULL,
                deleted_at timestamptz,
                instant timestamptz NOT NULL,
                kind smallint NOT NULL,
                value jsonb,
                number double precision,
                doc jsonb NOT NULL
            ) PARTITION BY RANGE (instant);
            CREATE TABLE temporal_instances_default PARTITION OF temporal_instances DEFAULT;
            -- one entity, some attributes, a time range
            CREATE INDEX temporal_instances_entity ON temporal_instances (tenant, entity_id, attribute, instant);
            -- every entity (of a type, through temporal_entities), a time range
            CREATE INDEX temporal_instances_instant ON temporal_instances (tenant, instant);
            -- an observation is one instance: the same attribute, datasetId and observedAt given again replaces it
            CREATE UNIQUE INDEX temporal_instances_observation ON temporal_instances (tenant, entity_id, attribute, dataset_id, observed_at, instant)
                WHERE observed_at IS NOT NULL AND deleted_at IS NULL;
            """),
        (10, "temporal instances: every change of the entity API recorded, whatever its observedAt", """
            -- Two acknowledged changes with one observedAt are two instances; only temporal provision replaces an observation.
            DROP INDEX temporal_instances_observation;
            CREATE INDEX temporal_instances_observed ON temporal_instances (tenant, entity_id, attribute, dataset_id, observed_at)
                WHERE observed_at IS NOT NULL AND deleted_at IS NULL;
            """),
        (11, "context source registrations", """
            -- Registrations (clause 5.9) as documents with every name expanded (the registration service reads them),
            -- with the status of the distributed operations sent for them. revision counts the registration's changes:
            -- an update states the revision it read, so of two concurrent updates the second fails and reads again.
            CREATE TABLE csource_registrations (
                tenant text COLLATE "C" NOT NULL,
                id text COLLATE "C" NOT NULL,
                doc jsonb NOT NULL,
                revision bigint NOT NULL,
                times_sent bigint NOT NULL DEFAULT 0,
                times_failed bigint NOT NULL DEFAULT 0,
                last_success timestamptz,
                last_failure timestamptz,
                PRIMARY KEY (tenant, id));
            """),
        (12, "context source registration subscriptions", """
            -- Subscriptions to registrations (clause 5.11) as subscription documents; revision as for registrations.
            CREATE TABLE csource_subscriptions (
                tenant text COLLATE "C" NOT NULL,
                id text COLLATE "C" NOT NULL,
                doc jsonb NOT NULL,
                created timestamptz NOT NULL,
                revision bigint NOT NULL,
                PRIMARY KEY (tenant, id));
            """),
        (13, "csource subscription delivery status and outbox", """
            -- The delivery status of each csourceSubscription (clause 5.2.14), and the CsourceNotifications they owe, each
            -- with the registration documents it carries (a deleted registration is gone from csource_registrations).
            ALTER TABLE csource_subscriptions
                ADD COLUMN times_sent bigint NOT NULL DEFAULT 0,
                ADD COLUMN times_failed bigint NOT NULL DEFAULT 0,
                ADD COLUMN last_notification timestamptz,
                ADD COLUMN last_success timestamptz,
                ADD COLUMN last_failure timestamptz;
            CREATE TABLE csource_outbox (
                seq bigserial PRIMARY KEY,
                tenant text COLLATE "C" NOT NULL,
                subscription_id text COLLATE "C" NOT NULL,
                trigger_reason text NOT NULL,
                registrations jsonb NOT NULL,
                attempts int NOT NULL,
                due timestamptz NOT NULL);
            CREATE INDEX csource_outbox_subscription ON csource_outbox (tenant, subscription_id);
            """),
    ];
}
