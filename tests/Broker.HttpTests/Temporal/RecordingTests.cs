using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Temporal;

/// <summary>
/// The history is a projection of the entity API's changes (issue 11, "Recording"): every create, update, append, merge,
/// replace and batch operation records the instances it created or changed, every attribute or entity delete records a
/// deletion (deletedAt, the NGSI-LD Null, clause 4.5.6–4.5.8), and nothing else is recorded.
/// </summary>
public sealed class RecordingTests(BrokerFactory factory) : TemporalTest<BrokerFactory>(factory)
{
    [Fact]
    public async Task Create_records_every_attribute_instance_with_its_datasetId_and_observedAt()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type,
            ("temperature", Array(Property(21.5, T0), Property(19, T0.AddMinutes(1), "urn:ngsi-ld:Dataset:b"))),
            ("status", Property("ok", T0.AddMinutes(2)))));

        var history = await RetrieveTemporalAsync(id);

        var temperature = Instances(history, "temperature");
        Assert.Equal(2, temperature.Count);
        var byDataset = temperature.ToDictionary(i => (string?)i["datasetId"] ?? "@none");
        Assert.Equal(21.5, (double)byDataset["@none"]["value"]!);
        Assert.Equal(T0, Instant(byDataset["@none"]["observedAt"]));
        Assert.Equal(19, (double)byDataset["urn:ngsi-ld:Dataset:b"]["value"]!);
        Assert.Equal(T0.AddMinutes(1), Instant(byDataset["urn:ngsi-ld:Dataset:b"]["observedAt"]));
        var status = Assert.Single(Instances(history, "status"));
        Assert.Equal("ok", (string?)status["value"]);
        Assert.Equal(type, (string?)history["type"]);
        Assert.Equal(id, (string?)history["id"]);
    }

    [Fact]
    public async Task Every_recorded_instance_has_its_own_instanceId_uri()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("speed", Property(1, T0))));
        await PatchValueAsync(id, "speed", 2, T0.AddHours(1));
        await PatchValueAsync(id, "speed", 3, T0.AddHours(2));

        var instanceIds = Instances(await RetrieveTemporalAsync(id), "speed").Select(i => (string?)i["instanceId"]).ToList();

        Assert.Equal(3, instanceIds.Count);
        Assert.Equal(3, instanceIds.Distinct(StringComparer.Ordinal).Count());
        Assert.All(instanceIds, i => Assert.True(Uri.TryCreate(i, UriKind.Absolute, out _), $"instanceId '{i}' is not a URI"));
    }

    [Fact]
    public async Task Patch_attrs_records_the_changed_attribute_only()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("speed", Property(10, T0)), ("heading", Property(90, T0))));

        await PatchValueAsync(id, "speed", 20, T0.AddHours(1));
        await PatchValueAsync(id, "speed", 30, T0.AddHours(2));

        var history = await RetrieveTemporalAsync(id);
        Assert.Equal([(10.0, T0), (20.0, T0.AddHours(1)), (30.0, T0.AddHours(2))], Observed(history, "speed").Select(p => ((double)p.Value!, p.At)));
        Assert.Equal([90.0], Numbers(history, "heading"));
    }

    [Fact]
    public async Task Partial_attribute_update_records_the_attribute_as_it_is_after_the_change()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("level", new JsonObject { ["type"] = "Property", ["value"] = 1, ["unitCode"] = "MTR", ["observedAt"] = Iso(T0) })));

        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Patch, AttrPath(id, "level"), new JsonObject { ["value"] = 2, ["observedAt"] = Iso(T0.AddHours(1)) });

        var instances = Instances(await RetrieveTemporalAsync(id), "level");
        Assert.Equal(2, instances.Count);
        Assert.Equal(2, (int)instances[1]["value"]!);
        Assert.Equal(T0.AddHours(1), Instant(instances[1]["observedAt"]));
        // The merged attribute keeps what the patch did not name.
        Assert.Equal("MTR", (string?)instances[1]["unitCode"]);
    }

    [Fact]
    public async Task Replace_attribute_records_the_new_instance()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("level", new JsonObject { ["type"] = "Property", ["value"] = 1, ["unitCode"] = "MTR", ["observedAt"] = Iso(T0) })));

        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Put, AttrPath(id, "level"), Property(5, T0.AddHours(1)));

        var instances = Instances(await RetrieveTemporalAsync(id), "level");
        Assert.Equal([1.0, 5.0], instances.Select(i => (double)i["value"]!));
        Assert.Null(instances[1]["unitCode"]);
    }

    [Fact]
    public async Task Append_records_new_attributes_and_overwritten_ones()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("speed", Property(1, T0))));

        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Post, AttrsPath(id),
            new JsonObject { ["speed"] = Property(2, T0.AddHours(1)), ["fuel"] = Property(40, T0.AddHours(1)) });

        var history = await RetrieveTemporalAsync(id);
        Assert.Equal([1.0, 2.0], Numbers(history, "speed"));
        Assert.Equal([40.0], Numbers(history, "fuel"));
    }

    [Fact]
    public async Task Append_with_noOverwrite_records_only_what_it_added()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("speed", Property(1, T0))));

        // 207: speed was not overwritten (clause 5.6.3).
        await AssertStatus(HttpStatusCode.MultiStatus, await SendAsync(HttpMethod.Post, AttrsPath(id) + "?options=noOverwrite",
            new JsonObject { ["speed"] = Property(2, T0.AddHours(1)), ["fuel"] = Property(40, T0.AddHours(1)) }));

        var history = await RetrieveTemporalAsync(id);
        Assert.Equal([1.0], Numbers(history, "speed"));
        Assert.Equal([40.0], Numbers(history, "fuel"));
    }

    [Fact]
    public async Task Merge_records_changed_attributes_and_a_deletion_for_an_attribute_merged_with_null()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("speed", Property(1, T0)), ("fuel", Property(40, T0))));

        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Patch, Path(id), new JsonObject { ["speed"] = Property(2, T0.AddHours(1)), ["fuel"] = NgsiLdNull });

        var history = await RetrieveTemporalAsync(id, "timeproperty=modifiedAt");
        Assert.Equal([1.0, 2.0], Numbers(history, "speed"));
        var fuel = Instances(history, "fuel");
        Assert.Equal(2, fuel.Count);
        Assert.Null(fuel[0]["deletedAt"]);
        AssertDeletion(fuel[1]);
    }

    [Fact]
    public async Task Replace_entity_records_a_deletion_for_each_attribute_it_drops()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("speed", Property(1, T0)), ("fuel", Property(40, T0))));

        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Put, Path(id), new JsonObject { ["type"] = type, ["speed"] = Property(2, T0.AddHours(1)) });

        var observed = await RetrieveTemporalAsync(id);
        Assert.Equal([1.0, 2.0], Numbers(observed, "speed"));
        var deletions = await RetrieveTemporalAsync(id, "timeproperty=deletedAt");
        AssertDeletion(Assert.Single(Instances(deletions, "fuel")));
        Assert.Null(deletions["speed"]);
    }

    [Fact]
    public async Task Batch_create_upsert_update_merge_and_delete_are_recorded()
    {
        var type = NewType();
        var id = NewId(type);
        var batch = "/ngsi-ld/v1/entityOperations";

        await AssertStatus(HttpStatusCode.Created, await SendAsync(HttpMethod.Post, $"{batch}/create", Array(Entity(id, type, ("v", Property(1, T0))))));
        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Post, $"{batch}/upsert", Array(Entity(id, type, ("v", Property(2, T0.AddHours(1)))))));
        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Post, $"{batch}/upsert?options=update", Array(Entity(id, type, ("v", Property(3, T0.AddHours(2)))))));
        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Post, $"{batch}/update", Array(Entity(id, type, ("v", Property(4, T0.AddHours(3)))))));
        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Post, $"{batch}/merge", Array(Entity(id, type, ("v", Property(5, T0.AddHours(4)))))));
        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Post, $"{batch}/delete", Array(id)));

        var history = await RetrieveTemporalAsync(id);
        Assert.Equal([(1.0, T0), (2.0, T0.AddHours(1)), (3.0, T0.AddHours(2)), (4.0, T0.AddHours(3)), (5.0, T0.AddHours(4))],
            Observed(history, "v").Select(p => ((double)p.Value!, p.At)));
        AssertDeletion(Assert.Single(Instances(await RetrieveTemporalAsync(id, "timeproperty=deletedAt"), "v")));
    }

    [Fact]
    public async Task Batch_upsert_records_the_creation_of_a_new_entity()
    {
        var type = NewType();
        var id = NewId(type);

        await AssertStatus(HttpStatusCode.Created, await SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entityOperations/upsert", Array(Entity(id, type, ("v", Property(7, T0))))));

        Assert.Equal([7.0], Numbers(await RetrieveTemporalAsync(id), "v"));
    }

    [Fact]
    public async Task Deleting_an_attribute_records_a_deletion_without_observedAt_that_observedAt_queries_leave_out()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("speed", Property(1, T0)), ("fuel", Property(40, T0))));

        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Delete, AttrPath(id, "speed"));

        var all = await RetrieveTemporalAsync(id, "timeproperty=modifiedAt");
        var speed = Instances(all, "speed");
        Assert.Equal(2, speed.Count);
        Assert.Equal(1, (int)speed[0]["value"]!);
        AssertDeletion(speed[1]);
        // By observedAt (the default), the deletion is not an observation.
        Assert.Equal([1.0], Numbers(await RetrieveTemporalAsync(id), "speed"));
    }

    [Fact]
    public async Task Deleting_one_datasetId_records_the_deletion_of_that_instance_only()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("speed", Array(Property(1, T0), Property(2, T0, "urn:ngsi-ld:Dataset:gps")))));

        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Delete, AttrPath(id, "speed") + "?datasetId=urn:ngsi-ld:Dataset:gps");

        var deletion = Assert.Single(Instances(await RetrieveTemporalAsync(id, "timeproperty=deletedAt"), "speed"));
        AssertDeletion(deletion);
        Assert.Equal("urn:ngsi-ld:Dataset:gps", (string?)deletion["datasetId"]);
    }

    [Fact]
    public async Task Deleting_an_attribute_with_deleteAll_records_a_deletion_per_datasetId()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("speed", Array(Property(1, T0), Property(2, T0, "urn:ngsi-ld:Dataset:gps")))));

        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Delete, AttrPath(id, "speed") + "?deleteAll=true");

        var deletions = Instances(await RetrieveTemporalAsync(id, "timeproperty=deletedAt"), "speed");
        Assert.Equal(2, deletions.Count);
        Assert.All(deletions, AssertDeletion);
        Assert.Equal(["@none", "urn:ngsi-ld:Dataset:gps"], deletions.Select(d => (string?)d["datasetId"] ?? "@none").Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Deleting_the_entity_records_a_deletion_of_every_attribute_and_keeps_the_history()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("speed", Property(1, T0)), ("fuel", Property(40, T0))));
        await PatchValueAsync(id, "speed", 2, T0.AddHours(1));

        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Delete, Path(id));

        await AssertEntityAbsent(id);
        var observed = await RetrieveTemporalAsync(id);
        Assert.Equal([1.0, 2.0], Numbers(observed, "speed"));
        Assert.Equal([40.0], Numbers(observed, "fuel"));
        var deletions = await RetrieveTemporalAsync(id, "timeproperty=deletedAt&options=sysAttrs");
        var speedDeletion = Assert.Single(Instances(deletions, "speed"));
        var fuelDeletion = Assert.Single(Instances(deletions, "fuel"));
        AssertDeletion(speedDeletion);
        AssertDeletion(fuelDeletion);
        // One delete: one instant, which is also the entity's deletedAt.
        Assert.Equal(Instant(speedDeletion["deletedAt"]), Instant(fuelDeletion["deletedAt"]));
        Assert.Equal(Instant(speedDeletion["deletedAt"]), Instant(deletions["deletedAt"]));
    }

    [Fact]
    public async Task Recreating_a_deleted_entity_continues_its_history()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("speed", Property(1, T0))));
        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Delete, Path(id));

        await CreateAsync(Entity(id, type, ("speed", Property(2, T0.AddHours(1)))));

        Assert.Equal([1.0, 2.0], Numbers(await RetrieveTemporalAsync(id), "speed"));
    }

    [Fact]
    public async Task Updating_one_datasetId_records_only_that_instance()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("speed", Array(Property(1, T0), Property(100, T0, "urn:ngsi-ld:Dataset:gps")))));

        await PatchValueAsync(id, "speed", 101, T0.AddHours(1), "urn:ngsi-ld:Dataset:gps");

        var series = Series(await RetrieveTemporalAsync(id, "options=temporalValues"), "speed").ToDictionary(s => s.DatasetId ?? "@none");
        Assert.Equal([1.0], series["@none"].Points.Select(p => (double)p.Value!));
        Assert.Equal([100.0, 101.0], series["urn:ngsi-ld:Dataset:gps"].Points.Select(p => (double)p.Value!));
    }

    [Fact]
    public async Task An_update_that_fails_records_nothing()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("speed", Property(1, T0))));

        var response = await SendAsync(HttpMethod.Patch, AttrsPath(id), new JsonObject { ["speed"] = new JsonObject { ["type"] = "Property" } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal([1.0], Numbers(await RetrieveTemporalAsync(id, "timeproperty=modifiedAt"), "speed"));
    }

    /// <summary>A deletion instance: deletedAt, the NGSI-LD Null as its value, no observedAt, modified when it was deleted.</summary>
    private static void AssertDeletion(JsonObject instance)
    {
        Assert.NotNull(instance["deletedAt"]);
        Assert.Equal(NgsiLdNull, (string?)instance["value"]);
        Assert.Null(instance["observedAt"]);
        Assert.NotNull(instance["instanceId"]);
    }
}
