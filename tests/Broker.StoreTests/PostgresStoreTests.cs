using System.Diagnostics;
using System.Text.Json.Nodes;
using Broker.Entities;
using Broker.Storage;
using Broker.Storage.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Ontology.Model;
using Xunit;
using Xunit.Abstractions;

namespace Broker.StoreTests;

/// <summary>What only the PostgreSQL store has: migrations shared by nodes, no start-up cost per tenant, write throughput.</summary>
public sealed class PostgresStoreTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    private static PostgresEntityStore NewStore(string connectionString) =>
        new(new PostgresStoreOptions { ConnectionString = connectionString }, NullLogger<PostgresEntityStore>.Instance);

    private static Entity NewEntity(string id)
    {
        var entity = new Entity { Id = id, Types = ["https://example.org/Thing"], CreatedAt = Now, ModifiedAt = Now };
        entity.Attributes.Put("https://example.org/temperature", new AttributeInstance { Kind = AttributeKind.Property, Value = JsonValue.Create(20.5), CreatedAt = Now, ModifiedAt = Now });
        entity.Attributes.Put("https://uri.etsi.org/ngsi-ld/location", new AttributeInstance
        {
            Kind = AttributeKind.GeoProperty,
            Value = JsonNode.Parse("""{"type":"Point","coordinates":[-3.7,40.4]}"""),
            CreatedAt = Now,
            ModifiedAt = Now,
        });
        return entity;
    }

    [PostgresFact]
    public async Task Nodes_starting_together_migrate_the_schema_once()
    {
        var connectionString = TestDatabase.CreateDatabase("migrate");
        try
        {
            var stores = Enumerable.Range(0, 4).Select(_ => NewStore(connectionString)).ToList();
            await Task.WhenAll(stores.Select(s => s.InitializeAsync(default)));
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT count(*) FROM schema_migrations", connection);
            Assert.Equal((long)Broker.Storage.Postgres.Migrations.SchemaMigrations.All.Count, await command.ExecuteScalarAsync());
            foreach (var store in stores)
            {
                Assert.True(await store.IsReadyAsync(default));
                await store.DisposeAsync();
            }
        }
        finally
        {
            TestDatabase.DropDatabase(connectionString);
        }
    }

    [PostgresFact]
    public async Task Geometry_rows_follow_the_entity_and_a_thousand_tenants_cost_no_start_up()
    {
        var connectionString = TestDatabase.CreateDatabase("tenants");
        try
        {
            await using (var store = NewStore(connectionString))
            {
                await store.InitializeAsync(default);
                for (var t = 0; t < 1000; t += 100)
                {
                    await using var connection = new NpgsqlConnection(connectionString);
                    await connection.OpenAsync();
                    await using var command = new NpgsqlCommand("INSERT INTO tenants (name) SELECT 'bulk' || g FROM generate_series($1, $1 + 99) g", connection);
                    command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = t });
                    await command.ExecuteNonQueryAsync();
                }
                var entity = NewEntity("urn:x:geo");
                Assert.Equal([CommitOutcome.Committed], await store.CommitAsync("bulk7", [new EntityChange(ChangeKind.Create, entity.Id, null, entity, [], Now)], default));
                Assert.Equal(1L, await CountAsync(connectionString, "SELECT count(*) FROM entity_geometries WHERE tenant = 'bulk7'"));
                var stored = (await store.GetAsync("bulk7", "urn:x:geo", default))!;
                Assert.Equal([CommitOutcome.Committed], await store.CommitAsync("bulk7", [new EntityChange(ChangeKind.Delete, entity.Id, stored, null, [], Now)], default));
                Assert.Equal(0L, await CountAsync(connectionString, "SELECT count(*) FROM entity_geometries WHERE tenant = 'bulk7'"));
            }
            var clock = Stopwatch.StartNew();
            await using (var restarted = NewStore(connectionString))
            {
                await restarted.InitializeAsync(default);
                Assert.True(await restarted.TenantExistsAsync("bulk999", default));
                Assert.False(await restarted.TenantExistsAsync("bulk1000", default));
            }
            output.WriteLine($"start-up with 1000 tenants: {clock.ElapsedMilliseconds} ms");
            Assert.True(clock.ElapsedMilliseconds < 5000);
        }
        finally
        {
            TestDatabase.DropDatabase(connectionString);
        }
    }

    [PostgresFact]
    public async Task An_update_rewrites_the_geometry_rows_only_when_a_geometry_source_changed()
    {
        var connectionString = TestDatabase.CreateDatabase("geometry");
        try
        {
            await using var store = NewStore(connectionString);
            await store.InitializeAsync(default);
            var created = NewEntity("urn:x:moving");
            await store.CommitAsync("", [Create(created)], default);
            const string Row = "SELECT xmin::text || ' ' || ST_AsText(geom) FROM entity_geometries WHERE tenant = '' AND id = 'urn:x:moving'";
            var first = await ScalarAsync(connectionString, Row);

            var warmer = EntityMutations.Next(created);
            warmer.Attributes.Put("https://example.org/temperature", new AttributeInstance { Kind = AttributeKind.Property, Value = JsonValue.Create(21.5), CreatedAt = Now, ModifiedAt = Now });
            Assert.Equal([CommitOutcome.Committed], await store.CommitAsync("", [new EntityChange(ChangeKind.Update, created.Id, created, warmer, ["https://example.org/temperature"], Now)], default));
            Assert.Equal(first, await ScalarAsync(connectionString, Row));

            var moved = EntityMutations.Next(warmer);
            moved.Attributes.Put("https://uri.etsi.org/ngsi-ld/location", new AttributeInstance
            {
                Kind = AttributeKind.GeoProperty,
                Value = JsonNode.Parse("""{"type":"Point","coordinates":[10.7,53.9]}"""),
                CreatedAt = Now,
                ModifiedAt = Now,
            });
            Assert.Equal([CommitOutcome.Committed], await store.CommitAsync("", [new EntityChange(ChangeKind.Update, created.Id, warmer, moved, ["https://uri.etsi.org/ngsi-ld/location"], Now)], default));
            Assert.EndsWith("POINT(10.7 53.9)", await ScalarAsync(connectionString, Row), StringComparison.Ordinal);
            Assert.Equal(1L, await CountAsync(connectionString, "SELECT count(*) FROM entity_geometries"));
        }
        finally
        {
            TestDatabase.DropDatabase(connectionString);
        }
    }

    [PostgresFact]
    public async Task Updates_that_change_values_but_no_attribute_names_are_written_in_place()
    {
        var connectionString = TestDatabase.CreateDatabase("hot");
        try
        {
            await using (var store = NewStore(connectionString))
            {
                await store.InitializeAsync(default);
                var current = NewEntity("urn:x:hot");
                await store.CommitAsync("", [Create(current)], default);
                for (var i = 0; i < 10; i++)
                {
                    var next = EntityMutations.Next(current);
                    next.Attributes.Put("https://example.org/temperature", new AttributeInstance { Kind = AttributeKind.Property, Value = JsonValue.Create(i), CreatedAt = Now, ModifiedAt = Now });
                    Assert.Equal([CommitOutcome.Committed], await store.CommitAsync("", [new EntityChange(ChangeKind.Update, current.Id, current, next, ["https://example.org/temperature"], Now)], default));
                    current = next;
                }
            }
            // The store's connections are closed: their backends report their statistics as they exit.
            NpgsqlConnection.ClearAllPools();
            var (updates, inPlace) = (0L, 0L);
            for (var wait = 0; wait < 50 && updates < 10; wait++)
            {
                await Task.Delay(100);
                updates = await CountAsync(connectionString, "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'entities'");
                inPlace = await CountAsync(connectionString, "SELECT n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'entities'");
            }
            Assert.Equal(10L, updates);
            Assert.True(inPlace >= 5, $"{inPlace} of 10 updates were HOT");
        }
        finally
        {
            TestDatabase.DropDatabase(connectionString);
        }
    }

    [PostgresFact]
    public async Task Write_throughput_single_creates_and_a_batch_of_1000()
    {
        // A pool smaller than the server's max_connections (100): concurrent commits queue for a connection.
        var connectionString = new NpgsqlConnectionStringBuilder(TestDatabase.CreateDatabase("throughput")) { MaxPoolSize = 20 }.ConnectionString;
        try
        {
            await using var store = NewStore(connectionString);
            await store.InitializeAsync(default);
            await store.CommitAsync("", [Create(NewEntity("urn:x:warm-up"))], default);

            const int Singles = 300;
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < Singles; i++)
                Assert.Equal([CommitOutcome.Committed], await store.CommitAsync("", [Create(NewEntity($"urn:x:single:{i}"))], default));
            var singleRate = Singles / clock.Elapsed.TotalSeconds;

            clock.Restart();
            var concurrent = await Task.WhenAll(Enumerable.Range(0, Singles).Select(i => store.CommitAsync("", [Create(NewEntity($"urn:x:concurrent:{i}"))], default).AsTask()));
            var concurrentRate = Singles / clock.Elapsed.TotalSeconds;
            Assert.All(concurrent, o => Assert.Equal([CommitOutcome.Committed], o));

            var batch = Enumerable.Range(0, 1000).Select(i => Create(NewEntity($"urn:x:batch:{i}"))).ToList();
            clock.Restart();
            var outcomes = await store.CommitAsync("", batch, default);
            var batchRate = 1000 / clock.Elapsed.TotalSeconds;
            Assert.All(outcomes, o => Assert.Equal(CommitOutcome.Committed, o));

            clock.Restart();
            var page = await store.QueryAsync("", new EntityQuery { Types = new Query.Ast.TypeName("https://example.org/Thing"), Limit = 100, Count = true }, default);
            output.WriteLine($"single creates: {singleRate:F0}/s sequential, {concurrentRate:F0}/s with {Singles} concurrent; batch of 1000: {batchRate:F0} entities/s; typed query page of 100 of {page.TotalCount}: {clock.ElapsedMilliseconds} ms");
            Assert.Equal(1 + 2 * Singles + 1000, page.TotalCount);
        }
        finally
        {
            TestDatabase.DropDatabase(connectionString);
        }
    }

    private static EntityChange Create(Entity entity) => new(ChangeKind.Create, entity.Id, null, entity, [.. entity.Attributes.Names], Now);

    private static async Task<string> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<long> CountAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [PostgresFact]
    public async Task Batches_creating_the_same_new_ids_in_opposite_orders_never_fail()
    {
        var connectionString = TestDatabase.CreateDatabase("crossing");
        try
        {
            await using var store = NewStore(connectionString);
            await store.InitializeAsync(default);
            for (var round = 0; round < 4; round++)
            {
                var ids = Enumerable.Range(0, 2000).Select(i => $"urn:ngsi-ld:Thing:crossing-{round}-{i:D4}").ToList();
                EntityChange[] Creates(IEnumerable<string> order) =>
                    [.. order.Select(id => new EntityChange(ChangeKind.Create, id, null, NewEntity(id), ["https://example.org/temperature"], Now))];

                // Both wait for rows the other inserted first; PostgreSQL rolls one back as a deadlock, which must come
                // back as Conflict (retry), never as an exception.
                var outcomes = await Task.WhenAll(
                    store.CommitAsync("", Creates(ids), default).AsTask(),
                    store.CommitAsync("", Creates(Enumerable.Reverse(ids)), default).AsTask());

                var stored = await store.GetManyAsync("", ids, default);
                for (var i = 0; i < ids.Count; i++)
                {
                    var pair = new[] { outcomes[0][i], outcomes[1][ids.Count - 1 - i] };
                    Assert.True(pair.Count(o => o == CommitOutcome.Committed) <= 1, $"{ids[i]} was created twice: {string.Join(", ", pair)}");
                    Assert.Equal(pair.Contains(CommitOutcome.Committed), stored.ContainsKey(ids[i]));
                    Assert.All(pair, o => Assert.Contains(o, new[] { CommitOutcome.Committed, CommitOutcome.AlreadyExists, CommitOutcome.Conflict }));
                }
            }
        }
        finally
        {
            TestDatabase.DropDatabase(connectionString);
        }
    }

    [PostgresFact]
    public async Task Rows_without_query_values_are_filled_at_the_next_start_up_while_the_backfill_is_pending()
    {
        var connectionString = TestDatabase.CreateDatabase("backfill");
        try
        {
            await using (var store = NewStore(connectionString))
            {
                await store.InitializeAsync(default);
                var created = NewEntity("urn:ngsi-ld:Thing:backfill");
                Assert.Equal([CommitOutcome.Committed], await store.CommitAsync("", [new EntityChange(ChangeKind.Create, created.Id, null, created, ["https://example.org/temperature"], Now)], default));
            }
            await using (var connection = new NpgsqlConnection(connectionString))
            {
                await connection.OpenAsync();
                // As a row written before migration 2 and a database migrated since.
                await using var reset = new NpgsqlCommand("UPDATE entities SET q_values = NULL; INSERT INTO backfills (name) VALUES ('q_values')", connection);
                await reset.ExecuteNonQueryAsync();
            }

            await using (var restarted = NewStore(connectionString))
            {
                await restarted.InitializeAsync(default);
                var query = new EntityQuery { Q = Broker.Query.Parsing.QueryParser.Parse("temperature==20.5", n => "https://example.org/" + n).Value };
                var page = await restarted.QueryAsync("", query, default);
                Assert.Equal(["urn:ngsi-ld:Thing:backfill"], page.Entities.Select(e => e.Id));
            }
            await using (var connection = new NpgsqlConnection(connectionString))
            {
                await connection.OpenAsync();
                await using var check = new NpgsqlCommand("SELECT (SELECT count(*) FROM entities WHERE q_values IS NULL) + (SELECT count(*) FROM backfills)", connection);
                Assert.Equal(0L, await check.ExecuteScalarAsync());
            }
        }
        finally
        {
            TestDatabase.DropDatabase(connectionString);
        }
    }

    [PostgresFact]
    public async Task A_NUL_character_is_refused_before_it_is_sent_and_fails_only_its_own_commit()
    {
        var connectionString = TestDatabase.CreateDatabase("nul");
        try
        {
            await using var store = NewStore(connectionString);
            await store.InitializeAsync(default);
            // Enough concurrent single creates that the group commit's writers send several in one transaction; every
            // tenth carries a text PostgreSQL cannot hold (NUL), which the store refuses before the group is sent.
            var outcomes = await Task.WhenAll(Enumerable.Range(0, 200).Select(n =>
            {
                var entity = NewEntity($"urn:ngsi-ld:Thing:nul-{n:D3}");
                if (n % 10 == 0)
                    entity.Attributes.Put("https://example.org/label", new AttributeInstance { Kind = AttributeKind.Property, Value = JsonValue.Create("a\0b"), CreatedAt = Now, ModifiedAt = Now });
                return CreateOutcomeAsync(store, n, entity);
            }));

            foreach (var (n, outcome) in outcomes)
                Assert.Equal(n % 10 == 0 ? "Bad request data" : nameof(CommitOutcome.Committed), outcome);
            var stored = await store.GetManyAsync("", [.. outcomes.Select(o => $"urn:ngsi-ld:Thing:nul-{o.N:D3}")], default);
            Assert.Equal(180, stored.Count);
            // An escaped backslash followed by "u0000" is text PostgreSQL holds.
            var backslash = NewEntity("urn:ngsi-ld:Thing:backslash");
            backslash.Attributes.Put("https://example.org/label", new AttributeInstance { Kind = AttributeKind.Property, Value = JsonValue.Create("a\\u0000b"), CreatedAt = Now, ModifiedAt = Now });
            Assert.Equal(nameof(CommitOutcome.Committed), (await CreateOutcomeAsync(store, 0, backslash)).Outcome);
            Assert.Equal("a\\u0000b", (await store.GetAsync("", backslash.Id, default))!.Attributes.Get("https://example.org/label")![0].Value!.GetValue<string>());
        }
        finally
        {
            TestDatabase.DropDatabase(connectionString);
        }
    }

    [PostgresFact]
    public async Task A_value_PostgreSQL_refuses_fails_only_its_own_commit_when_concurrent_commits_share_a_group()
    {
        var connectionString = TestDatabase.CreateDatabase("group");
        try
        {
            await using var store = NewStore(connectionString);
            await store.InitializeAsync(default);
            // Every tenth create has an id too long for the primary key's index entry (random, so it does not compress
            // below the limit): PostgreSQL refuses it when the row is written, which fails the whole group it is in.
            var random = new Random(7);
            var ids = Enumerable.Range(0, 200).Select(n => n % 10 == 0
                ? "urn:ngsi-ld:Thing:" + new string([.. Enumerable.Range(0, 12_000).Select(_ => (char)random.Next(33, 127))])
                : $"urn:ngsi-ld:Thing:group-{n:D3}").ToArray();
            var outcomes = await Task.WhenAll(Enumerable.Range(0, 200).Select(n => CreateOutcomeAsync(store, n, NewEntity(ids[n]))));

            foreach (var (n, outcome) in outcomes)
                Assert.Equal(n % 10 == 0 ? "Bad request data" : nameof(CommitOutcome.Committed), outcome);
            var stored = await store.GetManyAsync("", ids, default);
            Assert.Equal(180, stored.Count);
        }
        finally
        {
            TestDatabase.DropDatabase(connectionString);
        }
    }

    private static async Task<(int N, string Outcome)> CreateOutcomeAsync(PostgresEntityStore store, int n, Entity entity)
    {
        try
        {
            return (n, (await store.CommitAsync("", [new EntityChange(ChangeKind.Create, entity.Id, null, entity, [.. entity.Attributes.Names], Now)], default))[0].ToString());
        }
        catch (Broker.Problems.NgsiLdException e)
        {
            return (n, e.Type.Title);
        }
    }
}
