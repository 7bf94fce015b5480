using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Temporal;

/// <summary>
/// Temporal provision (clauses 5.6.11–5.6.16): create or update a temporal representation, add attributes, delete the
/// history of an entity, of an attribute (datasetId, deleteAll) or one instance, and replace an instance. A temporal
/// representation is the entity's history: its newest instance per attribute and datasetId becomes the entity's value.
/// </summary>
public sealed class ProvisionTests(BrokerFactory factory) : TemporalTest<BrokerFactory>(factory)
{
    [Fact]
    public async Task Posting_a_new_temporal_representation_is_201_with_its_location_and_keeps_every_instance()
    {
        var type = NewType();
        var id = NewId(type);

        var response = await PostTemporalAsync(Entity(id, type, ("speed", Array(
            Property(5, T0), Property(7, T0.AddHours(2)), Property(6, T0.AddHours(1))))));

        Assert.Equal(TemporalPath(id), response.Headers.Location?.OriginalString);
        var history = await RetrieveTemporalAsync(id, "options=temporalValues");
        Assert.Equal([5.0, 6, 7], ValueNumbers(history, "speed"));
        Assert.Equal([T0, T0.AddHours(1), T0.AddHours(2)], Values(history, "speed").Select(v => v.At));
    }

    [Fact]
    public async Task The_newest_posted_instance_of_each_attribute_and_datasetId_becomes_the_entity()
    {
        var type = NewType();
        var id = NewId(type);

        await PostTemporalAsync(Entity(id, type, ("speed", Array(
            Property(5, T0), Property(7, T0.AddHours(2)), Property(6, T0.AddHours(1)),
            Property(50, T0.AddHours(3), "urn:ngsi-ld:Dataset:gps"), Property(40, T0, "urn:ngsi-ld:Dataset:gps")))));

        var entity = await GetEntityAsync(id);
        var speed = Assert.IsType<JsonArray>(entity["speed"]).Select(i => Assert.IsType<JsonObject>(i)).ToDictionary(i => (string?)i["datasetId"] ?? "@none");
        Assert.Equal(7, (int)speed["@none"]["value"]!);
        Assert.Equal(T0.AddHours(2), Instant(speed["@none"]["observedAt"]));
        Assert.Equal(50, (int)speed["urn:ngsi-ld:Dataset:gps"]["value"]!);
    }

    [Fact]
    public async Task Posting_to_an_existing_history_is_204_and_older_instances_do_not_change_the_entity()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("speed", Property(30, T0.AddHours(5)))));

        await PostTemporalAsync(Entity(id, type, ("speed", Array(Property(10, T0), Property(20, T0.AddHours(1))))), HttpStatusCode.NoContent);

        Assert.Equal([10.0, 20, 30], ValueNumbers(await RetrieveTemporalAsync(id, "options=temporalValues"), "speed"));
        Assert.Equal(30, (int)(await GetEntityAsync(id))["speed"]!["value"]!);
    }

    [Fact]
    public async Task Posting_a_newer_instance_updates_the_entity()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("speed", Property(30, T0))));

        await PostTemporalAsync(Entity(id, type, ("speed", Array(Property(40, T0.AddHours(1))))), HttpStatusCode.NoContent);

        Assert.Equal(40, (int)(await GetEntityAsync(id))["speed"]!["value"]!);
        Assert.Equal([30.0, 40], ValueNumbers(await RetrieveTemporalAsync(id, "options=temporalValues"), "speed"));
    }

    [Fact]
    public async Task An_observation_given_again_replaces_the_recorded_one()
    {
        var type = NewType();
        var id = NewId(type);
        await PostTemporalAsync(Entity(id, type, ("speed", Array(Property(5, T0), Property(6, T0.AddHours(1)), Property(7, T0.AddHours(2))))));

        await PostTemporalAsync(Entity(id, type, ("speed", Array(Property(66, T0.AddHours(1))))), HttpStatusCode.NoContent);
        await PostTemporalAsync(Entity(id, type, ("speed", Array(Property(77, T0.AddHours(2))))), HttpStatusCode.NoContent);

        var history = await RetrieveTemporalAsync(id, "options=temporalValues");
        Assert.Equal([5.0, 66, 77], ValueNumbers(history, "speed"));
        Assert.Equal(77, (int)(await GetEntityAsync(id))["speed"]!["value"]!);
    }

    [Fact]
    public async Task A_representation_given_again_after_its_history_was_deleted_is_recorded_whole()
    {
        // Deleting the temporal representation keeps the entity; giving the same representation again must record all of
        // it, the entity's own (newest) observation too.
        var type = NewType();
        var id = NewId(type);
        var representation = Entity(id, type, ("speed", Array(Property(5, T0), Property(6, T0.AddHours(1)))));
        await PostTemporalAsync(representation);
        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Delete, TemporalPath(id));

        await PostTemporalAsync(Entity(id, type, ("speed", Array(Property(5, T0), Property(6, T0.AddHours(1))))));
        await PostTemporalAsync(Entity(id, type, ("speed", Array(Property(6, T0.AddHours(1))))), HttpStatusCode.NoContent);

        Assert.Equal([5.0, 6], ValueNumbers(await RetrieveTemporalAsync(id, "options=temporalValues"), "speed"));
    }

    [Fact]
    public async Task InstanceIds_in_a_posted_representation_are_replaced_by_the_brokers_own()
    {
        var type = NewType();
        var id = NewId(type);
        var copied = Property(1, T0);
        copied["instanceId"] = "urn:ngsi-ld:attribute:instance:copied";

        await PostTemporalAsync(Entity(id, type, ("speed", Array(copied))));

        var instance = Assert.Single(Instances(await RetrieveTemporalAsync(id), "speed"));
        Assert.NotEqual("urn:ngsi-ld:attribute:instance:copied", (string?)instance["instanceId"]);
    }

    [Fact]
    public async Task A_new_temporal_representation_without_type_is_400()
    {
        var response = await SendAsync(HttpMethod.Post, TemporalEntities, new JsonObject { ["id"] = NewId(), ["speed"] = Array(Property(1, T0)) });

        await AssertProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("{\"type\":\"Thing\"}")]
    [InlineData("{\"id\":\"not a uri\",\"type\":\"Thing\"}")]
    public async Task An_invalid_temporal_representation_is_400(string body)
    {
        var response = await SendAsync(HttpMethod.Post, TemporalEntities, body);

        await AssertStatus(HttpStatusCode.BadRequest, response);
        Assert.Contains((string?)(await ReadJsonAsync(response))["type"], new[] { ErrorBase + "BadRequestData", ErrorBase + "InvalidRequest" });
    }

    [Fact]
    public async Task Adding_attributes_adds_their_instances_to_the_history()
    {
        var type = NewType();
        var id = await SeriesAsync(type, "speed", [(T0, 1)]);

        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Post, TemporalAttrsPath(id), new JsonObject
        {
            ["fuel"] = Array(Property(40, T0), Property(35, T0.AddHours(1))),
            ["speed"] = Array(Property(2, T0.AddHours(1))),
        });

        var history = await RetrieveTemporalAsync(id, "options=temporalValues");
        Assert.Equal([40.0, 35], ValueNumbers(history, "fuel"));
        Assert.Equal([1.0, 2], ValueNumbers(history, "speed"));
        Assert.Equal(35, (int)(await GetEntityAsync(id))["fuel"]!["value"]!);
    }

    [Fact]
    public async Task Adding_attributes_to_an_unknown_history_is_404()
    {
        await SeriesAsync(NewType(), "v", [(T0, 1)]);

        var response = await SendAsync(HttpMethod.Post, TemporalAttrsPath(NewId()), new JsonObject { ["fuel"] = Array(Property(40, T0)) });

        await AssertProblem(response, HttpStatusCode.NotFound, "ResourceNotFound");
    }

    [Fact]
    public async Task Adding_no_instances_is_400()
    {
        var id = await SeriesAsync(NewType(), "v", [(T0, 1)]);

        await AssertProblem(await SendAsync(HttpMethod.Post, TemporalAttrsPath(id), new JsonObject()), HttpStatusCode.BadRequest, "BadRequestData");
    }

    [Fact]
    public async Task Deleting_a_history_removes_it_and_a_second_delete_is_404()
    {
        var type = NewType();
        var id = await SeriesAsync(type, "v", [(T0, 1), (T0.AddHours(1), 2)]);
        var other = await SeriesAsync(type, "v", [(T0, 3)]);

        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Delete, TemporalPath(id));

        await AssertProblem(await GetAsync(TemporalPath(id)), HttpStatusCode.NotFound, "ResourceNotFound");
        await AssertProblem(await SendAsync(HttpMethod.Delete, TemporalPath(id)), HttpStatusCode.NotFound, "ResourceNotFound");
        Assert.Equal([other], IdsOf(await QueryTemporalAsync($"type={type}")));
    }

    [Fact]
    public async Task Deleting_an_unknown_history_is_404()
    {
        await SeriesAsync(NewType(), "v", [(T0, 1)]);

        await AssertProblem(await SendAsync(HttpMethod.Delete, TemporalPath(NewId())), HttpStatusCode.NotFound, "ResourceNotFound");
    }

    [Fact]
    public async Task Deleting_an_attribute_removes_its_default_instances_only()
    {
        var type = NewType();
        var id = NewId(type);
        await PostTemporalAsync(Entity(id, type,
            ("speed", Array(Property(1, T0), Property(2, T0.AddHours(1)), Property(10, T0, "urn:ngsi-ld:Dataset:gps"))),
            ("fuel", Array(Property(40, T0)))));

        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Delete, TemporalAttrPath(id, "speed"));

        var history = await RetrieveTemporalAsync(id, "options=temporalValues");
        var left = Assert.Single(Series(history, "speed"));
        Assert.Equal("urn:ngsi-ld:Dataset:gps", left.DatasetId);
        Assert.Equal([10.0], left.Points.Select(p => (double)p.Value!));
        Assert.Equal([40.0], ValueNumbers(history, "fuel"));
    }

    [Fact]
    public async Task Deleting_an_attribute_with_a_datasetId_removes_that_series_only()
    {
        var type = NewType();
        var id = NewId(type);
        await PostTemporalAsync(Entity(id, type, ("speed", Array(
            Property(1, T0), Property(10, T0, "urn:ngsi-ld:Dataset:gps"), Property(11, T0.AddHours(1), "urn:ngsi-ld:Dataset:gps")))));

        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Delete, TemporalAttrPath(id, "speed") + "?datasetId=urn:ngsi-ld:Dataset:gps");

        var left = Assert.Single(Series(await RetrieveTemporalAsync(id, "options=temporalValues"), "speed"));
        Assert.Null(left.DatasetId);
        Assert.Equal([1.0], left.Points.Select(p => (double)p.Value!));
    }

    [Fact]
    public async Task Deleting_an_attribute_with_deleteAll_removes_every_series()
    {
        var type = NewType();
        var id = NewId(type);
        await PostTemporalAsync(Entity(id, type,
            ("speed", Array(Property(1, T0), Property(10, T0, "urn:ngsi-ld:Dataset:gps"))),
            ("fuel", Array(Property(40, T0)))));

        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Delete, TemporalAttrPath(id, "speed") + "?deleteAll=true");

        var history = await RetrieveTemporalAsync(id);
        Assert.Null(history["speed"]);
        Assert.Equal([40.0], Numbers(history, "fuel"));
    }

    [Theory]
    [InlineData("nothing", "")]
    [InlineData("speed", "?datasetId=urn:ngsi-ld:Dataset:none")]
    public async Task Deleting_an_attribute_the_history_does_not_have_is_404(string attr, string query)
    {
        var id = await SeriesAsync(NewType(), "speed", [(T0, 1)]);

        await AssertProblem(await SendAsync(HttpMethod.Delete, TemporalAttrPath(id, attr) + query), HttpStatusCode.NotFound, "ResourceNotFound");
    }

    [Fact]
    public async Task Deleting_an_attribute_with_datasetId_and_deleteAll_is_400()
    {
        var id = await SeriesAsync(NewType(), "speed", [(T0, 1)]);

        var response = await SendAsync(HttpMethod.Delete, TemporalAttrPath(id, "speed") + "?datasetId=urn:ngsi-ld:Dataset:gps&deleteAll=true");

        await AssertProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
    }

    [Fact]
    public async Task Patching_an_instance_replaces_its_value_and_keeps_its_instanceId()
    {
        var type = NewType();
        var id = await SeriesAsync(type, "speed", [(T0, 1), (T0.AddHours(1), 2), (T0.AddHours(2), 3)]);
        var before = Instances(await RetrieveTemporalAsync(id), "speed");
        var target = (string)before[1]["instanceId"]!;

        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Patch, InstancePath(id, "speed", target),
            new JsonObject { ["speed"] = Property(20, T0.AddHours(1)) });

        var after = Instances(await RetrieveTemporalAsync(id), "speed");
        Assert.Equal([1.0, 20, 3], after.Select(i => (double)i["value"]!));
        Assert.Equal(before.Select(i => (string?)i["instanceId"]), after.Select(i => (string?)i["instanceId"]));
    }

    [Fact]
    public async Task Patching_an_instance_with_the_instance_itself_as_payload_works_too()
    {
        var type = NewType();
        var id = await SeriesAsync(type, "speed", [(T0, 1), (T0.AddHours(1), 2)]);
        var target = (string)Instances(await RetrieveTemporalAsync(id), "speed")[0]["instanceId"]!;

        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Patch, InstancePath(id, "speed", target), Property(10, T0));

        Assert.Equal([10.0, 2], Numbers(await RetrieveTemporalAsync(id), "speed"));
    }

    [Fact]
    public async Task Patching_an_instance_can_move_it_in_time()
    {
        var type = NewType();
        var id = await SeriesAsync(type, "speed", [(T0, 1), (T0.AddHours(1), 2)]);
        var target = (string)Instances(await RetrieveTemporalAsync(id), "speed")[0]["instanceId"]!;

        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Patch, InstancePath(id, "speed", target), new JsonObject { ["speed"] = Property(1, T0.AddHours(3)) });

        var history = await RetrieveTemporalAsync(id, $"options=temporalValues&timerel=after&timeAt={Hours(2)}");
        Assert.Equal([1.0], ValueNumbers(history, "speed"));
        Assert.Equal(T0.AddHours(3), Assert.Single(Values(history, "speed")).At);
    }

    [Fact]
    public async Task Patching_an_unknown_instance_or_entity_is_404()
    {
        var id = await SeriesAsync(NewType(), "speed", [(T0, 1)]);
        var instanceId = (string)Instances(await RetrieveTemporalAsync(id), "speed")[0]["instanceId"]!;
        var body = new JsonObject { ["speed"] = Property(2, T0) };

        await AssertProblem(await SendAsync(HttpMethod.Patch, InstancePath(id, "speed", "urn:ngsi-ld:attribute:instance:none"), body), HttpStatusCode.NotFound, "ResourceNotFound");
        await AssertProblem(await SendAsync(HttpMethod.Patch, InstancePath(id, "other", instanceId), new JsonObject { ["other"] = Property(2, T0) }), HttpStatusCode.NotFound, "ResourceNotFound");
        await AssertProblem(await SendAsync(HttpMethod.Patch, InstancePath(NewId(), "speed", instanceId), body.DeepClone()), HttpStatusCode.NotFound, "ResourceNotFound");
    }

    [Fact]
    public async Task Patching_an_instance_with_an_instanceId_that_is_not_a_uri_is_400()
    {
        var id = await SeriesAsync(NewType(), "speed", [(T0, 1)]);

        await AssertProblem(await SendAsync(HttpMethod.Patch, InstancePath(id, "speed", "not a uri"), new JsonObject { ["speed"] = Property(2, T0) }),
            HttpStatusCode.BadRequest, "BadRequestData");
    }

    [Fact]
    public async Task Deleting_an_instance_removes_it_and_a_second_delete_is_404()
    {
        var id = await SeriesAsync(NewType(), "speed", [(T0, 1), (T0.AddHours(1), 2), (T0.AddHours(2), 3)]);
        var target = (string)Instances(await RetrieveTemporalAsync(id), "speed")[1]["instanceId"]!;

        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Delete, InstancePath(id, "speed", target));

        var left = Instances(await RetrieveTemporalAsync(id), "speed");
        Assert.Equal([1.0, 3], left.Select(i => (double)i["value"]!));
        Assert.DoesNotContain(target, left.Select(i => (string?)i["instanceId"]));
        await AssertProblem(await SendAsync(HttpMethod.Delete, InstancePath(id, "speed", target)), HttpStatusCode.NotFound, "ResourceNotFound");
    }

    [Fact]
    public async Task Deleting_an_instance_of_another_attribute_is_404_and_deletes_nothing()
    {
        var type = NewType();
        var id = NewId(type);
        await PostTemporalAsync(Entity(id, type, ("speed", Array(Property(1, T0))), ("fuel", Array(Property(40, T0)))));
        var speedInstance = (string)Instances(await RetrieveTemporalAsync(id), "speed")[0]["instanceId"]!;

        await AssertProblem(await SendAsync(HttpMethod.Delete, InstancePath(id, "fuel", speedInstance)), HttpStatusCode.NotFound, "ResourceNotFound");

        Assert.Equal([1.0], Numbers(await RetrieveTemporalAsync(id), "speed"));
    }

    [Fact]
    public async Task Changes_after_a_deleted_history_start_a_new_one()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("speed", Property(1, T0))));
        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Delete, TemporalPath(id));

        await PatchValueAsync(id, "speed", 2, T0.AddHours(1));

        Assert.Equal([2.0], Numbers(await RetrieveTemporalAsync(id), "speed"));
    }
}
