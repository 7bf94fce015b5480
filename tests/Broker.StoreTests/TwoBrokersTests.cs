using System.Net;
using System.Text.Json;
using Xunit;

namespace Broker.StoreTests;

/// <summary>Two broker instances on one PostgreSQL database behave as one broker.</summary>
public sealed class TwoBrokersTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    [PostgresFact]
    public async Task An_entity_created_through_one_broker_is_read_updated_and_deleted_through_the_other()
    {
        using var first = new TestBroker(database.ConnectionString);
        using var second = new TestBroker(database.ConnectionString);
        using var a = first.Client("two-brokers");
        using var b = second.Client("two-brokers");

        var create = await a.PostAsync("/ngsi-ld/v1/entities", TestBroker.Json("""{"id":"urn:x:shared","type":"Room","temperature":{"type":"Property","value":20}}"""));
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        Assert.Contains("20", await (await b.GetAsync("/ngsi-ld/v1/entities/urn:x:shared?options=keyValues")).Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var patch = await b.PatchAsync("/ngsi-ld/v1/entities/urn:x:shared/attrs", TestBroker.Json("""{"temperature":{"type":"Property","value":23}}"""));
        Assert.Equal(HttpStatusCode.NoContent, patch.StatusCode);
        Assert.Equal(23, await TemperatureAsync(a));

        Assert.Equal(HttpStatusCode.NoContent, (await b.DeleteAsync("/ngsi-ld/v1/entities/urn:x:shared")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync("/ngsi-ld/v1/entities/urn:x:shared")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await b.PostAsync("/ngsi-ld/v1/entities", TestBroker.Json("""{"id":"urn:x:other","type":"Room"}"""))) switch
        {
            { StatusCode: HttpStatusCode.Created } => (await a.PostAsync("/ngsi-ld/v1/entities", TestBroker.Json("""{"id":"urn:x:other","type":"Room"}"""))).StatusCode,
            var failed => failed.StatusCode,
        });
    }

    [PostgresFact]
    public async Task Concurrent_patches_of_different_attributes_through_both_brokers_lose_nothing()
    {
        const int Attributes = 16;
        const int Rounds = 4;
        using var first = new TestBroker(database.ConnectionString);
        using var second = new TestBroker(database.ConnectionString);
        using var a = first.Client("concurrent");
        using var b = second.Client("concurrent");
        var entity = new Dictionary<string, object> { ["id"] = "urn:x:contended", ["type"] = "Room" };
        for (var i = 0; i < Attributes; i++)
            entity["a" + i] = new Dictionary<string, object> { ["type"] = "Property", ["value"] = -1 };
        Assert.Equal(HttpStatusCode.Created, (await a.PostAsync("/ngsi-ld/v1/entities", TestBroker.Json(JsonSerializer.Serialize(entity)))).StatusCode);

        var tasks = new List<Task>();
        for (var i = 0; i < Attributes; i++)
        {
            var attribute = "a" + i;
            var client = i % 2 == 0 ? a : b;
            tasks.Add(Task.Run(async () =>
            {
                for (var round = 0; round < Rounds; round++)
                {
                    var body = "{\"" + attribute + "\":{\"type\":\"Property\",\"value\":" + round + "}}";
                    HttpResponseMessage response;
                    do
                        response = await client.PatchAsync("/ngsi-ld/v1/entities/urn:x:contended/attrs", TestBroker.Json(body));
                    while (response.StatusCode == HttpStatusCode.Conflict);
                    Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
                }
            }));
        }
        await Task.WhenAll(tasks);

        foreach (var client in new[] { a, b })
        {
            using var document = JsonDocument.Parse(await (await client.GetAsync("/ngsi-ld/v1/entities/urn:x:contended?options=keyValues")).Content.ReadAsStringAsync());
            for (var i = 0; i < Attributes; i++)
                Assert.Equal(Rounds - 1, document.RootElement.GetProperty("a" + i).GetInt32());
        }
    }

    private static async Task<int> TemperatureAsync(HttpClient client)
    {
        using var document = JsonDocument.Parse(await (await client.GetAsync("/ngsi-ld/v1/entities/urn:x:shared?options=keyValues")).Content.ReadAsStringAsync());
        return document.RootElement.GetProperty("temperature").GetInt32();
    }
}
