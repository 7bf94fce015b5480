using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Temporal;

/// <summary>
/// The history and the entity API agree: a temporal query sees every write acknowledged before it (read-your-writes,
/// though the history is recorded from the change feed in the background), and tenants (clause 4.14) have histories of
/// their own.
/// </summary>
public sealed class ConsistencyTests(BrokerFactory factory) : TemporalTest<BrokerFactory>(factory)
{
    [Fact]
    public async Task A_temporal_query_right_after_a_patch_sees_it()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("v", Property(0, T0))));

        for (var i = 1; i <= 25; i++)
        {
            await PatchValueAsync(id, "v", i, T0.AddMinutes(i));

            var history = await RetrieveTemporalAsync(id, "options=temporalValues&lastN=1");
            Assert.Equal([(double)i], ValueNumbers(history, "v"));
        }
        Assert.Equal(Enumerable.Range(0, 26).Select(i => (double)i), ValueNumbers(await RetrieveTemporalAsync(id, "options=temporalValues"), "v"));
    }

    [Fact]
    public async Task A_temporal_query_right_after_a_create_and_a_delete_sees_them()
    {
        var type = NewType();
        for (var i = 0; i < 5; i++)
        {
            var id = NewId(type);
            await CreateAsync(Entity(id, type, ("v", Property(i, T0))));
            Assert.Contains(id, IdsOf(await QueryTemporalAsync($"type={type}")));

            await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Delete, Path(id));
            var deletions = await RetrieveTemporalAsync(id, "timeproperty=deletedAt");
            Assert.Single(Instances(deletions, "v"));
        }
    }

    [Fact]
    public async Task Concurrent_writers_each_see_their_own_writes()
    {
        var type = NewType();
        var ids = Enumerable.Range(0, 4).Select(_ => NewId(type)).ToList();
        foreach (var id in ids)
            await CreateAsync(Entity(id, type, ("v", Property(0, T0))));

        await Task.WhenAll(ids.Select(async id =>
        {
            for (var i = 1; i <= 10; i++)
            {
                await PatchValueAsync(id, "v", i, T0.AddMinutes(i));
                Assert.Equal([(double)i], ValueNumbers(await RetrieveTemporalAsync(id, "options=temporalValues&lastN=1"), "v"));
            }
        }));

        foreach (var id in ids)
            Assert.Equal(Enumerable.Range(0, 11).Select(i => (double)i), ValueNumbers(await RetrieveTemporalAsync(id, "options=temporalValues"), "v"));
    }

    [Fact]
    public async Task Tenants_have_histories_of_their_own()
    {
        var type = NewType();
        var id = NewId(type);
        using var a = ClientOf("temporal-a-" + Guid.NewGuid().ToString("N")[..8]);
        using var b = ClientOf("temporal-b-" + Guid.NewGuid().ToString("N")[..8]);
        await AssertStatus(HttpStatusCode.Created, await a.SendAsync(Request(HttpMethod.Post, Entities, Entity(id, type, ("v", Property(1, T0))).ToJsonString())));
        await AssertStatus(HttpStatusCode.Created, await b.SendAsync(Request(HttpMethod.Post, Entities, Entity(id, type, ("v", Property(2, T0))).ToJsonString())));
        await AssertStatus(HttpStatusCode.NoContent, await a.SendAsync(Request(HttpMethod.Patch, AttrsPath(id), new JsonObject { ["v"] = Property(3, T0.AddHours(1)) }.ToJsonString())));

        var inA = Assert.IsType<JsonObject>(JsonNode.Parse(await a.GetStringAsync(new Uri(TemporalPath(id), UriKind.Relative))));
        var inB = Assert.IsType<JsonObject>(JsonNode.Parse(await b.GetStringAsync(new Uri(TemporalPath(id), UriKind.Relative))));
        var queriedInB = Assert.IsType<JsonArray>(JsonNode.Parse(await b.GetStringAsync(new Uri($"{TemporalEntities}?type={type}", UriKind.Relative))));

        Assert.Equal([1.0, 3], Numbers(inA, "v"));
        Assert.Equal([2.0], Numbers(inB, "v"));
        Assert.Equal([2.0], Numbers(Assert.IsType<JsonObject>(Assert.Single(queriedInB)), "v"));
        // This class's own tenant (which exists) has none of it.
        await CreateAsync(Entity(NewId(type), type, ("v", Property(0, T0))));
        await AssertProblem(await GetAsync(TemporalPath(id)), HttpStatusCode.NotFound, "ResourceNotFound");
    }

    [Fact]
    public async Task Temporal_provision_writes_only_into_its_own_tenant()
    {
        var type = NewType();
        var id = NewId(type);
        using var a = ClientOf("temporal-a-" + Guid.NewGuid().ToString("N")[..8]);
        using var b = ClientOf("temporal-b-" + Guid.NewGuid().ToString("N")[..8]);
        await AssertStatus(HttpStatusCode.Created, await b.SendAsync(Request(HttpMethod.Post, Entities, Entity(id, type, ("v", Property(2, T0))).ToJsonString())));

        await AssertStatus(HttpStatusCode.Created, await a.SendAsync(Request(HttpMethod.Post, TemporalEntities,
            Entity(id, type, ("v", Array(Property(10, T0), Property(11, T0.AddHours(1))))).ToJsonString())));
        await AssertStatus(HttpStatusCode.NoContent, await a.SendAsync(Request(HttpMethod.Delete, TemporalPath(id))));

        var inB = Assert.IsType<JsonObject>(JsonNode.Parse(await b.GetStringAsync(new Uri(TemporalPath(id), UriKind.Relative))));
        Assert.Equal([2.0], Numbers(inB, "v"));
    }

    private HttpClient ClientOf(string tenant)
    {
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Add("NGSILD-Tenant", tenant);
        return client;
    }
}
