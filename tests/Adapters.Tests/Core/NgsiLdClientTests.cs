using System.Net;
using System.Text.Json.Nodes;
using Adapters.Core;
using Xunit;

namespace Adapters.Tests.Core;

public sealed class NgsiLdClientTests
{
    private readonly FakeBroker _broker = new();

    private NgsiLdClient Client(NgsiLdClientOptions? options = null) => new(new HttpClient(_broker), options ?? FakeBroker.Options());

    [Fact]
    public async Task An_upsert_is_one_request_per_data_model_with_options_update_and_the_registered_context_as_Link()
    {
        var result = await Client().UpsertAsync([FakeBroker.ParkingSpot("a"), FakeBroker.Device("d1"), FakeBroker.ParkingSpot("b")], default);

        Assert.Equal(["urn:ngsi-ld:ParkingSpot:a", "urn:ngsi-ld:ParkingSpot:b", "urn:ngsi-ld:Device:d1"], result.Succeeded);
        Assert.Empty(result.Refused);
        var contexts = _broker.Requests.Where(request => request.Uri.AbsolutePath == "/ngsi-ld/v1/jsonldContexts").ToList();
        Assert.Equal(2, contexts.Count);
        Assert.All(contexts, request => Assert.Contains("\"@context\"", request.Body, StringComparison.Ordinal));
        var upserts = _broker.Upserts;
        Assert.Equal(2, upserts.Count);
        Assert.All(upserts, request =>
        {
            Assert.Equal("?options=update", request.Uri.Query);
            Assert.Equal("application/json", request.ContentType);
            Assert.Matches("^<http://broker.test:1026/ngsi-ld/v1/jsonldContexts/context-[0-9]+-[0-9]+>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld\\+json\"$", request.Link);
            Assert.Null(request.Tenant);
            Assert.All(request.Entities, entity => Assert.False(entity!.AsObject().ContainsKey("@context")));
        });
        Assert.Equal([["urn:ngsi-ld:Device:d1"], ["urn:ngsi-ld:ParkingSpot:a", "urn:ngsi-ld:ParkingSpot:b"]],
            upserts.Select(request => request.Entities.Select(entity => (string)entity!["id"]!).ToList()).OrderBy(ids => ids[0], StringComparer.Ordinal));
        Assert.NotEqual(upserts[0].Link, upserts[1].Link);
    }

    [Fact]
    public async Task A_query_asks_for_the_attributes_of_the_ids_in_chunks_of_the_batch_size_with_the_context_as_Link()
    {
        _broker.Answer = (request, _) => FakeBroker.Json(HttpStatusCode.OK,
            new JsonArray([.. JsonNode.Parse(request.Body)!["entities"]!.AsArray().Select(JsonNode? (selector) => new JsonObject { ["id"] = selector!["id"]!.DeepClone(), ["type"] = "ParkingSpot" })]).ToJsonString());

        var found = await Client(FakeBroker.Options(batchSize: 2)).QueryAsync("dataModel.Parking", "ParkingSpot", ["a", "b", "c", "a"], ["status"], default);

        Assert.Equal(["a", "b", "c"], found.Select(entity => (string)entity["id"]!));
        var queries = _broker.Queries;
        Assert.Equal(["?limit=2", "?limit=1"], queries.Select(request => request.Uri.Query));
        Assert.All(queries, request =>
        {
            Assert.Matches("^<http://broker.test:1026/ngsi-ld/v1/jsonldContexts/context-[0-9]+-[0-9]+>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld\\+json\"$", request.Link);
            var body = JsonNode.Parse(request.Body)!;
            Assert.Equal("Query", (string)body["type"]!);
            Assert.Equal(["status"], body["attrs"]!.AsArray().Select(attr => (string)attr!));
            Assert.All(body["entities"]!.AsArray(), selector => Assert.Equal("ParkingSpot", (string)selector!["type"]!));
        });
    }

    [Fact]
    public async Task A_query_of_a_tenant_that_does_not_exist_yet_finds_nothing_and_a_refused_one_throws()
    {
        _broker.Answer = (_, _) => FakeBroker.Json(HttpStatusCode.NotFound, """{"type":"https://uri.etsi.org/ngsi-ld/errors/NonexistentTenant","title":"Tenant does not exist"}""");
        Assert.Empty(await Client().QueryAsync("dataModel.Parking", "ParkingSpot", ["a"], ["status"], default));

        _broker.Answer = (_, _) => FakeBroker.Json(HttpStatusCode.BadRequest, """{"type":"https://uri.etsi.org/ngsi-ld/errors/BadRequestData","title":"Bad request data"}""");
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => Client().QueryAsync("dataModel.Parking", "ParkingSpot", ["a"], ["status"], default));
        Assert.StartsWith("the broker refused the query: 400", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_data_models_context_is_registered_once()
    {
        var client = Client();
        await client.UpsertAsync([FakeBroker.ParkingSpot("a")], default);
        await client.UpsertAsync([FakeBroker.ParkingSpot("b")], default);

        Assert.Single(_broker.Requests, request => request.Uri.AbsolutePath.EndsWith("/jsonldContexts", StringComparison.Ordinal));
        Assert.Equal(2, _broker.Upserts.Count);
        Assert.Equal(_broker.Upserts[0].Link, _broker.Upserts[1].Link);
    }

    [Fact]
    public async Task A_configured_context_url_is_used_without_registering()
    {
        var options = FakeBroker.Options();
        options.Contexts["dataModel.Parking"] = new Uri("https://smart-data-models.github.io/dataModel.Parking/context.jsonld");
        await Client(options).UpsertAsync([FakeBroker.ParkingSpot("a")], default);

        var request = Assert.Single(_broker.Requests);
        Assert.StartsWith("<https://smart-data-models.github.io/dataModel.Parking/context.jsonld>;", request.Link, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_tenant_is_sent_when_configured()
    {
        var options = FakeBroker.Options();
        options.Tenant = "luebeck";
        await Client(options).UpsertAsync([FakeBroker.ParkingSpot("a")], default);

        Assert.All(_broker.Requests, request => Assert.Equal("luebeck", request.Tenant));
    }

    [Fact]
    public async Task Entities_are_sent_in_chunks_of_the_batch_size()
    {
        var entities = Enumerable.Range(0, 7).Select(i => FakeBroker.ParkingSpot($"s{i}")).ToList();
        var result = await Client(FakeBroker.Options(batchSize: 3)).UpsertAsync(entities, default);

        Assert.Equal([3, 3, 1], _broker.Upserts.Select(request => request.Entities.Count));
        Assert.Equal(7, result.Succeeded.Count);
    }

    [Fact]
    public async Task The_errors_of_a_207_are_refused_with_the_brokers_reason_and_the_successes_accepted()
    {
        _broker.Answer = (_, _) => FakeBroker.Json(HttpStatusCode.MultiStatus, """
            {"success": ["urn:ngsi-ld:ParkingSpot:a"],
             "errors": [{"entityId": "urn:ngsi-ld:ParkingSpot:b",
                         "error": {"type": "https://uri.etsi.org/ngsi-ld/errors/BadRequestData", "title": "Bad request data", "status": 400, "detail": "status is not a Property"}}]}
            """);
        var result = await Client().UpsertAsync([FakeBroker.ParkingSpot("a"), FakeBroker.ParkingSpot("b")], default);

        Assert.Equal(["urn:ngsi-ld:ParkingSpot:a"], result.Succeeded);
        var refused = Assert.Single(result.Refused);
        Assert.Equal("urn:ngsi-ld:ParkingSpot:b", refused.EntityId);
        Assert.Equal("the broker refused the entity: Bad request data: status is not a Property (https://uri.etsi.org/ngsi-ld/errors/BadRequestData)", refused.Reason);
    }

    [Fact]
    public async Task A_400_refuses_every_entity_of_the_batch_without_a_retry()
    {
        _broker.Answer = (_, _) => FakeBroker.Json(HttpStatusCode.BadRequest, """{"type": "https://uri.etsi.org/ngsi-ld/errors/InvalidRequest", "title": "Invalid request", "detail": "not JSON"}""");
        var result = await Client().UpsertAsync([FakeBroker.ParkingSpot("a"), FakeBroker.ParkingSpot("b")], default);

        Assert.Empty(result.Succeeded);
        Assert.Equal(["urn:ngsi-ld:ParkingSpot:a", "urn:ngsi-ld:ParkingSpot:b"], result.Refused.Select(entity => entity.EntityId));
        Assert.All(result.Refused, entity => Assert.Equal("the broker refused the batch: 400 Bad Request: Invalid request: not JSON (https://uri.etsi.org/ngsi-ld/errors/InvalidRequest)", entity.Reason));
        Assert.Single(_broker.Upserts);
    }

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    public async Task A_5xx_or_429_is_retried(HttpStatusCode status)
    {
        _broker.Answer = (_, attempt) => attempt < 3 ? new HttpResponseMessage(status) : new HttpResponseMessage(HttpStatusCode.NoContent);
        var result = await Client().UpsertAsync([FakeBroker.ParkingSpot("a")], default);

        Assert.Equal(3, _broker.Upserts.Count);
        Assert.Single(result.Succeeded);
    }

    [Fact]
    public async Task Retry_After_is_honoured()
    {
        _broker.Answer = (_, attempt) =>
        {
            if (attempt > 1)
                return new HttpResponseMessage(HttpStatusCode.NoContent);
            var busy = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
            busy.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(1));
            return busy;
        };
        var started = DateTime.UtcNow;
        await Client().UpsertAsync([FakeBroker.ParkingSpot("a")], default);

        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(950), $"the retry came after {(DateTime.UtcNow - started).TotalMilliseconds} ms, not after the second asked for");
        Assert.Equal(2, _broker.Upserts.Count);
    }

    [Fact]
    public async Task A_broker_that_keeps_failing_is_unavailable_after_the_retries()
    {
        _broker.Answer = (_, _) => new HttpResponseMessage(HttpStatusCode.BadGateway);
        var e = await Assert.ThrowsAsync<BrokerUnavailableException>(() => Client(FakeBroker.Options(retries: 2)).UpsertAsync([FakeBroker.ParkingSpot("a")], default));

        Assert.Equal(3, _broker.Upserts.Count);
        Assert.Contains("502", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broker_that_is_not_listening_is_unavailable_after_the_retries()
    {
        var options = FakeBroker.Options(retries: 2);
        options.Url = new Uri($"http://127.0.0.1:{FreePort()}");
        var client = new NgsiLdClient(new HttpClient(), options);

        var e = await Assert.ThrowsAsync<BrokerUnavailableException>(() => client.UpsertAsync([FakeBroker.ParkingSpot("a")], default));
        Assert.Contains("not reachable after 3 attempts", e.Message, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
