using System.Text.Json.Nodes;
using Broker.Query.Ast;
using Broker.Storage;
using Ontology.Model;
using Xunit;

namespace Broker.StoreTests;

/// <summary>
/// What every <see cref="IEntityStore"/> must do, run once per store by a subclass. Each test uses its own tenant, so
/// tests share a store without depending on each other.
/// </summary>
public abstract class StoreContractTests
{
    private const string Ns = "https://example.org/";
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The store under test, initialized; null when it cannot run here (PostgreSQL missing on a developer box).</summary>
    protected abstract IEntityStore? Store { get; }

    /// <summary>The change records of the tenant, oldest first, as (kind, entity id, changed attributes, has after).</summary>
    protected abstract Task<List<(string Kind, string EntityId, string Attributes, bool HasAfter)>> ChangesAsync(string tenant);

    private static string NewTenant() => "t" + Guid.NewGuid().ToString("N")[..10];

    protected static Entity NewEntity(string id, string type = "Thing", double temperature = 20)
    {
        var entity = new Entity { Id = id, Types = [Ns + type], CreatedAt = Now, ModifiedAt = Now };
        entity.Attributes.Put(Ns + "temperature", new AttributeInstance { Kind = AttributeKind.Property, Value = JsonValue.Create(temperature), CreatedAt = Now, ModifiedAt = Now });
        return entity;
    }

    private static EntityChange Create(Entity entity) => new(ChangeKind.Create, entity.Id, null, entity, [.. entity.Attributes.Names], Now);

    private static EntityChange Update(Entity before, double temperature)
    {
        var after = before.DeepClone();
        after.Attributes.Get(Ns + "temperature")![0].Value = JsonValue.Create(temperature);
        after.ModifiedAt = Now.AddSeconds(1);
        return new EntityChange(ChangeKind.Update, before.Id, before, after, [Ns + "temperature"], Now.AddSeconds(1));
    }

    private static EntityChange Delete(Entity before) => new(ChangeKind.Delete, before.Id, before, null, [], Now.AddSeconds(2));

    private async Task<Entity> CreatedAsync(IEntityStore store, string tenant, string id, string type = "Thing")
    {
        Assert.Equal([CommitOutcome.Committed], await store.CommitAsync(tenant, [Create(NewEntity(id, type))], default));
        return (await store.GetAsync(tenant, id, default))!;
    }

    [Fact]
    public async Task Create_then_get_gives_the_entity_at_version_1()
    {
        if (Store is not { } store)
            return;
        var tenant = NewTenant();
        var entity = await CreatedAsync(store, tenant, "urn:ngsi-ld:Thing:1");
        Assert.Equal("urn:ngsi-ld:Thing:1", entity.Id);
        Assert.Equal([Ns + "Thing"], entity.Types);
        Assert.Equal(1, entity.Version);
        Assert.Equal(20.0, entity.Attributes.Get(Ns + "temperature")![0].Value!.GetValue<double>());
        Assert.True(await store.TenantExistsAsync(tenant, default));
    }

    [Fact]
    public async Task GetMany_gives_the_existing_entities_by_id_and_leaves_out_the_others()
    {
        if (Store is not { } store)
            return;
        var tenant = NewTenant();
        await CreatedAsync(store, tenant, "urn:x:1");
        await CreatedAsync(store, tenant, "urn:x:2");
        var found = await store.GetManyAsync(tenant, ["urn:x:2", "urn:x:missing", "urn:x:\0", "urn:x:1"], default);
        Assert.Equal(["urn:x:1", "urn:x:2"], found.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("urn:x:1", found["urn:x:1"].Id);
        Assert.Equal(1, found["urn:x:2"].Version);
        Assert.Empty(await store.GetManyAsync(NewTenant(), ["urn:x:1"], default));
    }

    [Fact]
    public async Task Create_of_an_existing_id_is_AlreadyExists_and_changes_nothing()
    {
        if (Store is not { } store)
            return;
        var tenant = NewTenant();
        await CreatedAsync(store, tenant, "urn:x:1");
        var outcomes = await store.CommitAsync(tenant, [Create(NewEntity("urn:x:1", temperature: 99))], default);
        Assert.Equal([CommitOutcome.AlreadyExists], outcomes);
        var stored = (await store.GetAsync(tenant, "urn:x:1", default))!;
        Assert.Equal(20.0, stored.Attributes.Get(Ns + "temperature")![0].Value!.GetValue<double>());
        Assert.Equal(1, stored.Version);
    }

    [Fact]
    public async Task Update_at_the_read_version_commits_and_increments_the_version()
    {
        if (Store is not { } store)
            return;
        var tenant = NewTenant();
        var entity = await CreatedAsync(store, tenant, "urn:x:1");
        var change = Update(entity, 25);
        Assert.Equal([CommitOutcome.Committed], await store.CommitAsync(tenant, [change], default));
        Assert.Equal(2, change.After!.Version);
        var stored = (await store.GetAsync(tenant, "urn:x:1", default))!;
        Assert.Equal(2, stored.Version);
        Assert.Equal(25.0, stored.Attributes.Get(Ns + "temperature")![0].Value!.GetValue<double>());
    }

    [Fact]
    public async Task Update_at_a_stale_version_is_Conflict()
    {
        if (Store is not { } store)
            return;
        var tenant = NewTenant();
        var entity = await CreatedAsync(store, tenant, "urn:x:1");
        Assert.Equal([CommitOutcome.Committed], await store.CommitAsync(tenant, [Update(entity, 25)], default));
        Assert.Equal([CommitOutcome.Conflict], await store.CommitAsync(tenant, [Update(entity, 30)], default));
        Assert.Equal(25.0, (await store.GetAsync(tenant, "urn:x:1", default))!.Attributes.Get(Ns + "temperature")![0].Value!.GetValue<double>());
    }

    [Fact]
    public async Task Update_and_delete_of_a_missing_entity_are_NotFound()
    {
        if (Store is not { } store)
            return;
        var tenant = NewTenant();
        var ghost = NewEntity("urn:x:ghost");
        ghost.Version = 1;
        Assert.Equal([CommitOutcome.NotFound, CommitOutcome.NotFound], await store.CommitAsync(tenant, [Update(ghost, 1), Delete(ghost)], default));
    }

    [Fact]
    public async Task Delete_removes_the_entity_and_a_stale_delete_is_Conflict()
    {
        if (Store is not { } store)
            return;
        var tenant = NewTenant();
        var entity = await CreatedAsync(store, tenant, "urn:x:1");
        var stale = entity.DeepClone();
        stale.Version = 7;
        Assert.Equal([CommitOutcome.Conflict], await store.CommitAsync(tenant, [Delete(stale)], default));
        Assert.Equal([CommitOutcome.Committed], await store.CommitAsync(tenant, [Delete(entity)], default));
        Assert.Null(await store.GetAsync(tenant, "urn:x:1", default));
        Assert.Equal([CommitOutcome.NotFound], await store.CommitAsync(tenant, [Delete(entity)], default));
    }

    [Fact]
    public async Task A_batch_with_mixed_outcomes_commits_exactly_the_changes_that_pass()
    {
        if (Store is not { } store)
            return;
        var tenant = NewTenant();
        var existing = await CreatedAsync(store, tenant, "urn:x:existing");
        var stale = await CreatedAsync(store, tenant, "urn:x:stale");
        Assert.Equal([CommitOutcome.Committed], await store.CommitAsync(tenant, [Update(stale, 21)], default));
        var doomed = await CreatedAsync(store, tenant, "urn:x:doomed");
        var ghost = NewEntity("urn:x:ghost");
        ghost.Version = 1;

        var outcomes = await store.CommitAsync(tenant,
        [
            Create(NewEntity("urn:x:new")),
            Create(NewEntity("urn:x:existing", temperature: 99)),
            Update(stale, 30),
            Update(ghost, 1),
            Delete(doomed),
            Update(existing, 22),
        ], default);

        Assert.Equal([CommitOutcome.Committed, CommitOutcome.AlreadyExists, CommitOutcome.Conflict, CommitOutcome.NotFound, CommitOutcome.Committed, CommitOutcome.Committed], outcomes);
        Assert.NotNull(await store.GetAsync(tenant, "urn:x:new", default));
        Assert.Null(await store.GetAsync(tenant, "urn:x:doomed", default));
        Assert.Null(await store.GetAsync(tenant, "urn:x:ghost", default));
        Assert.Equal(21.0, (await store.GetAsync(tenant, "urn:x:stale", default))!.Attributes.Get(Ns + "temperature")![0].Value!.GetValue<double>());
        Assert.Equal(22.0, (await store.GetAsync(tenant, "urn:x:existing", default))!.Attributes.Get(Ns + "temperature")![0].Value!.GetValue<double>());
    }

    /// <summary>Creates and updates of distinct entities only: the commit the set-based statement writes (SetBasedWrite).</summary>
    [Fact]
    public async Task A_batch_of_creates_and_updates_tells_every_outcome_apart()
    {
        if (Store is not { } store)
            return;
        var tenant = NewTenant();
        var existing = await CreatedAsync(store, tenant, "urn:x:existing");
        var stale = await CreatedAsync(store, tenant, "urn:x:stale");
        await CreatedAsync(store, tenant, "urn:x:taken");
        Assert.Equal([CommitOutcome.Committed], await store.CommitAsync(tenant, [Update(stale, 21)], default));
        var ghost = NewEntity("urn:x:ghost");
        ghost.Version = 1;

        var outcomes = await store.CommitAsync(tenant,
        [
            Update(ghost, 1),
            Create(NewEntity("urn:x:new")),
            Update(stale, 30),
            Create(NewEntity("urn:x:taken", temperature: 99)),
            Update(existing, 22),
        ], default);

        Assert.Equal([CommitOutcome.NotFound, CommitOutcome.Committed, CommitOutcome.Conflict, CommitOutcome.AlreadyExists, CommitOutcome.Committed], outcomes);
        Assert.Equal(1, (await store.GetAsync(tenant, "urn:x:new", default))!.Version);
        Assert.Equal(2, (await store.GetAsync(tenant, "urn:x:existing", default))!.Version);
        Assert.Equal(21.0, (await store.GetAsync(tenant, "urn:x:stale", default))!.Attributes.Get(Ns + "temperature")![0].Value!.GetValue<double>());
        Assert.Equal(20.0, (await store.GetAsync(tenant, "urn:x:taken", default))!.Attributes.Get(Ns + "temperature")![0].Value!.GetValue<double>());
        Assert.Null(await store.GetAsync(tenant, "urn:x:ghost", default));
        var changes = await ChangesAsync(tenant);
        Assert.Equal(2, changes.Count(c => c.EntityId == "urn:x:stale"));
        Assert.Single(changes, c => c.EntityId == "urn:x:new");
        Assert.Equal(2, changes.Count(c => c.EntityId == "urn:x:existing"));
        Assert.Single(changes, c => c.EntityId == "urn:x:taken");
        Assert.DoesNotContain(changes, c => c.EntityId == "urn:x:ghost");
    }

    [Fact]
    public async Task A_create_then_update_of_the_same_entity_in_one_call_both_commit()
    {
        if (Store is not { } store)
            return;
        var tenant = NewTenant();
        var entity = NewEntity("urn:x:1");
        var create = Create(entity);
        var after = entity.DeepClone();
        after.Version = 1;
        var update = Update(after, 23);
        Assert.Equal([CommitOutcome.Committed, CommitOutcome.Committed], await store.CommitAsync(tenant, [create, update], default));
        var stored = (await store.GetAsync(tenant, "urn:x:1", default))!;
        Assert.Equal(2, stored.Version);
        Assert.Equal(23.0, stored.Attributes.Get(Ns + "temperature")![0].Value!.GetValue<double>());
    }

    [Fact]
    public async Task Tenants_are_isolated_and_come_into_being_with_their_first_write()
    {
        if (Store is not { } store)
            return;
        var a = NewTenant();
        var b = NewTenant();
        Assert.False(await store.TenantExistsAsync(a, default));
        Assert.True(await store.TenantExistsAsync("", default));
        await CreatedAsync(store, a, "urn:x:1");
        Assert.True(await store.TenantExistsAsync(a, default));
        Assert.False(await store.TenantExistsAsync(b, default));
        Assert.Null(await store.GetAsync(b, "urn:x:1", default));
        Assert.Empty((await store.QueryAsync(b, new EntityQuery { Count = true }, default)).Entities);
        Assert.Empty(await store.GetShapesAsync(b, default));
        Assert.Single((await store.QueryAsync(a, new EntityQuery { Count = true }, default)).Entities);
        // The same id in another tenant is another entity.
        await CreatedAsync(store, b, "urn:x:1", "Other");
        Assert.Equal([Ns + "Thing"], (await store.GetAsync(a, "urn:x:1", default))!.Types);
        Assert.Equal([Ns + "Other"], (await store.GetAsync(b, "urn:x:1", default))!.Types);
    }

    [Fact]
    public async Task Every_committed_change_leaves_a_change_record_and_a_failed_one_none()
    {
        if (Store is not { } store)
            return;
        var tenant = NewTenant();
        var entity = await CreatedAsync(store, tenant, "urn:x:1");
        await store.CommitAsync(tenant, [Update(entity, 25)], default);
        await store.CommitAsync(tenant, [Update(entity, 26)], default);
        await store.CommitAsync(tenant, [Delete((await store.GetAsync(tenant, "urn:x:1", default))!)], default);
        var changes = await ChangesAsync(tenant);
        Assert.Equal(["Create", "Update", "Delete"], changes.Select(c => c.Kind));
        Assert.All(changes, c => Assert.Equal("urn:x:1", c.EntityId));
        Assert.Contains(Ns + "temperature", changes[1].Attributes, StringComparison.Ordinal);
        Assert.Equal([true, true, false], changes.Select(c => c.HasAfter));
    }

    [Fact]
    public async Task Queries_select_by_type_and_attribute_page_by_id_and_count()
    {
        if (Store is not { } store)
            return;
        var tenant = NewTenant();
        var changes = new List<EntityChange>();
        for (var i = 0; i < 30; i++)
            changes.Add(Create(NewEntity($"urn:x:{i:D2}", i % 3 == 0 ? "Fizz" : "Thing", i)));
        Assert.All(await store.CommitAsync(tenant, changes, default), o => Assert.Equal(CommitOutcome.Committed, o));

        var fizz = await store.QueryAsync(tenant, new EntityQuery { Types = new TypeName(Ns + "Fizz"), Limit = 4, Offset = 2, Count = true }, default);
        Assert.Equal(["urn:x:06", "urn:x:09", "urn:x:12", "urn:x:15"], fizz.Entities.Select(e => e.Id));
        Assert.Equal(10, fizz.TotalCount);

        var none = await store.QueryAsync(tenant, new EntityQuery { Attrs = [Ns + "pressure"], Count = true }, default);
        Assert.Empty(none.Entities);
        Assert.Equal(0, none.TotalCount);

        var hot = await store.QueryAsync(tenant, new EntityQuery
        {
            Q = new ComparisonExpression(new AttributePath(Ns + "temperature", [], [], "temperature"), ComparisonOperator.GreaterOrEqual, new SingleValueOperand(NumberLiteral.Of(25m))),
            Limit = 3,
            Count = true,
        }, default);
        Assert.Equal(["urn:x:25", "urn:x:26", "urn:x:27"], hot.Entities.Select(e => e.Id));
        Assert.Equal(5, hot.TotalCount);

        var shapes = await store.GetShapesAsync(tenant, default);
        Assert.Equal(30, shapes.Sum(s => s.Count));
        Assert.All(shapes, s => Assert.Equal([(Ns + "temperature", AttributeKind.Property)], s.Attributes));
    }

    [Theory]
    [InlineData("^urn:x:1", "urn:x:1,urn:x:1%,urn:x:10,urn:x:1_2")]
    [InlineData("^urn:x:1$", "urn:x:1")]
    [InlineData("^urn:x:1_", "urn:x:1_2")]
    [InlineData("^urn:x:10*$", "urn:x:1,urn:x:10")]
    [InlineData("^urn:x:2|^urn:x:10", "urn:x:10,urn:x:2")]
    [InlineData("^urn:x:1[0_]", "urn:x:10,urn:x:1_2")]
    [InlineData("x:2", "urn:x:2")]
    public async Task Id_patterns_are_dotnet_regexes_whatever_prefix_narrows_them(string pattern, string expected)
    {
        if (Store is not { } store)
            return;
        var tenant = NewTenant();
        Assert.All(await store.CommitAsync(tenant, [.. new[] { "urn:x:1", "urn:x:10", "urn:x:1_2", "urn:x:2", "urn:x:1%" }.Select(id => Create(NewEntity(id)))], default),
            o => Assert.Equal(CommitOutcome.Committed, o));
        var page = await store.QueryAsync(tenant, new EntityQuery
        {
            IdPattern = new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.CultureInvariant),
            Count = true,
        }, default);
        Assert.Equal(expected.Split(','), page.Entities.Select(e => e.Id));
        Assert.Equal(expected.Split(',').Length, page.TotalCount);
    }

    [Fact]
    public async Task Hostile_names_are_data_not_sql()
    {
        if (Store is not { } store)
            return;
        string[] hostile = ["'; DROP TABLE entities; --", "a\"b", "/* x */", "x' OR '1'='1", "日本語 🚀", "$1", "\\", "%_"];
        foreach (var name in hostile)
        {
            var tenant = NewTenant() + name;
            // Ids must be URIs (no spaces), otherwise anything goes.
            var id = "urn:x:" + new string([.. name.Where(c => !char.IsWhiteSpace(c) && c is not ('"' or '\\'))]);
            // Types must be IRIs when read back: the hostile text is percent-encoded in the type and attribute name,
            // raw in the tenant, the id (less spaces, quotes and backslashes) and the value.
            var type = Uri.EscapeDataString(name);
            var entity = NewEntity(id, type);
            entity.Attributes.Put(Ns + type, new AttributeInstance { Kind = AttributeKind.Property, Value = JsonValue.Create(name), CreatedAt = Now, ModifiedAt = Now });
            Assert.Equal([CommitOutcome.Committed], await store.CommitAsync(tenant, [Create(entity)], default));
            var stored = await store.GetAsync(tenant, id, default);
            Assert.NotNull(stored);
            Assert.Equal(name, stored.Attributes.Get(Ns + type)![0].Value!.GetValue<string>());
            var byType = await store.QueryAsync(tenant, new EntityQuery { Types = new TypeName(Ns + type), Attrs = [Ns + type], Ids = [id], Count = true }, default);
            Assert.Equal([id], byType.Entities.Select(e => e.Id));
            var byValue = await store.QueryAsync(tenant, new EntityQuery
            {
                Q = new ComparisonExpression(new AttributePath(Ns + type, [], [], name), ComparisonOperator.Equal, new SingleValueOperand(new StringLiteral(name))),
            }, default);
            Assert.Single(byValue.Entities);
            Assert.Null(await store.GetAsync(NewTenant() + name, id, default));
        }
    }
}
