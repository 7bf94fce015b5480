using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Tests.Shared;
using Xunit;

namespace Broker.StoreTests;

/// <summary>
/// Three broker processes on loopback, each with its own embedded store, and a context source that answers too late:
/// broker A forwards retrievals to the sources registered with it (clause 4.3.6) and merges their entities with its own.
/// Each test uses its own tenant, so its registrations and entities are its alone.
/// </summary>
public sealed class DistributedRetrievalTests(DistributedRetrievalTests.Brokers brokers) : IClassFixture<DistributedRetrievalTests.Brokers>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Temporal_retrieval_and_query_on_A_unite_its_history_with_that_of_a_source()
    {
        const string Tenant = "dist-temporal";
        await CreateAsync(brokers.A, Tenant, """{"id":"urn:x:t1","type":"Room","humidity":{"type":"Property","value":40,"observedAt":"2026-01-01T10:00:00Z"}}""");
        await CreateAsync(brokers.B, Tenant, """{"id":"urn:x:t1","type":"Room","temperature":{"type":"Property","value":20,"observedAt":"2026-01-01T10:00:00Z"}}""");
        await CreateAsync(brokers.B, Tenant, """{"id":"urn:x:t2","type":"Room","temperature":{"type":"Property","value":5,"observedAt":"2026-01-01T10:00:00Z"}}""");
        using var b = Client(brokers.B, Tenant);
        using (var patched = await b.PatchAsync("/ngsi-ld/v1/entities/urn:x:t1/attrs",
            new StringContent("""{"temperature":{"type":"Property","value":21,"observedAt":"2026-01-01T11:00:00Z"}}""", Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.NoContent, patched.StatusCode);
        await RegisterAsync(brokers.A, Tenant, brokers.B.BaseAddress, "inclusive", Tenant, "retrieveTemporal", "queryTemporal");

        using var a = Client(brokers.A, Tenant);
        using (var history = JsonDocument.Parse(await GetOkAsync(a, "/ngsi-ld/v1/temporal/entities/urn:x:t1")))
        {
            Assert.Equal([20, 21], history.RootElement.GetProperty("temperature").EnumerateArray().Select(i => i.GetProperty("value").GetInt32()));
            Assert.Equal(40, Assert.Single(Instances(history.RootElement.GetProperty("humidity"))).GetProperty("value").GetInt32());
        }
        using (var remoteOnly = JsonDocument.Parse(await GetOkAsync(a, "/ngsi-ld/v1/temporal/entities/urn:x:t2")))
            Assert.Equal(5, Assert.Single(Instances(remoteOnly.RootElement.GetProperty("temperature"))).GetProperty("value").GetInt32());
        using (var lastOne = JsonDocument.Parse(await GetOkAsync(a, "/ngsi-ld/v1/temporal/entities/urn:x:t1?lastN=1&attrs=temperature")))
            Assert.Equal(21, Assert.Single(Instances(lastOne.RootElement.GetProperty("temperature"))).GetProperty("value").GetInt32());

        using var counted = await a.GetAsync("/ngsi-ld/v1/temporal/entities?type=Room&count=true");
        Assert.Equal(HttpStatusCode.OK, counted.StatusCode);
        Assert.Equal("2", counted.Headers.GetValues("NGSILD-Results-Count").Single());
        Assert.Equal(["urn:x:t1", "urn:x:t2"], Ids(await counted.Content.ReadAsStringAsync()));

        using var local = JsonDocument.Parse(await GetOkAsync(a, "/ngsi-ld/v1/temporal/entities/urn:x:t1?local=true"));
        Assert.False(local.RootElement.TryGetProperty("temperature", out _));
    }

    /// <summary>The instances of an attribute in a temporal representation: an array, or a single instance.</summary>
    private static IEnumerable<JsonElement> Instances(JsonElement attribute) =>
        attribute.ValueKind == JsonValueKind.Array ? attribute.EnumerateArray() : [attribute];

    [Fact]
    public async Task A_page_of_a_query_that_one_source_answers_alone_is_that_sources_page()
    {
        const string Tenant = "dist-one-source-pages";
        for (var i = 0; i < 12; i++)
            await CreateAsync(brokers.B, Tenant, $$"""{"id":"urn:x:p{{i:D2}}","type":"Room"}""");
        await RegisterAsync(brokers.A, Tenant, brokers.B.BaseAddress, "inclusive", Tenant);

        using var a = Client(brokers.A, Tenant);
        using var b = Client(brokers.B, Tenant);
        var expected = Ids(await GetOkAsync(b, "/ngsi-ld/v1/entities?type=Room&limit=4&offset=5"));
        Assert.Equal(4, expected.Length);
        Assert.Equal(expected, Ids(await GetOkAsync(a, "/ngsi-ld/v1/entities?type=Room&limit=4&offset=5")));
        Assert.Equal(12, Ids(await GetOkAsync(a, "/ngsi-ld/v1/entities?type=Room&limit=100")).Length);
        const string KeyValues = "/ngsi-ld/v1/entities?type=Room&limit=3&offset=2&options=keyValues,sysAttrs";
        var theirs = System.Text.Json.Nodes.JsonNode.Parse(await GetOkAsync(b, KeyValues));
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(theirs, System.Text.Json.Nodes.JsonNode.Parse(await GetOkAsync(a, KeyValues))));
        Assert.Equal(3, theirs!.AsArray().Count);

        using var counted = await a.GetAsync("/ngsi-ld/v1/entities?type=Room&limit=2&count=true");
        Assert.Equal("12", counted.Headers.GetValues("NGSILD-Results-Count").Single());
    }

    [Fact]
    public async Task Retrieve_and_query_on_A_merge_the_entities_of_an_inclusive_source_with_its_own()
    {
        const string Tenant = "dist-inclusive";
        await CreateAsync(brokers.A, Tenant, """{"id":"urn:x:shared","type":"Room","humidity":{"type":"Property","value":40}}""");
        await CreateAsync(brokers.A, Tenant, """{"id":"urn:x:a-only","type":"Room"}""");
        await CreateAsync(brokers.B, Tenant, """{"id":"urn:x:shared","type":"Room","temperature":{"type":"Property","value":21}}""");
        await CreateAsync(brokers.B, Tenant, """{"id":"urn:x:b-only","type":"Room"}""");
        await RegisterAsync(brokers.A, Tenant, brokers.B.BaseAddress, "inclusive", Tenant);

        using var a = Client(brokers.A, Tenant);
        using var shared = JsonDocument.Parse(await GetOkAsync(a, "/ngsi-ld/v1/entities/urn:x:shared?options=keyValues"));
        Assert.Equal(40, shared.RootElement.GetProperty("humidity").GetInt32());
        Assert.Equal(21, shared.RootElement.GetProperty("temperature").GetInt32());
        using var remoteOnly = JsonDocument.Parse(await GetOkAsync(a, "/ngsi-ld/v1/entities/urn:x:b-only"));
        Assert.Equal("Room", remoteOnly.RootElement.GetProperty("type").GetString());

        Assert.Equal(["urn:x:a-only", "urn:x:b-only", "urn:x:shared"], Ids(await GetOkAsync(a, "/ngsi-ld/v1/entities?type=Room")));
        using var page = await a.GetAsync("/ngsi-ld/v1/entities?type=Room&limit=1&offset=1&count=true&options=keyValues");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("3", page.Headers.GetValues("NGSILD-Results-Count").Single());
        Assert.Equal(["urn:x:b-only"], Ids(await page.Content.ReadAsStringAsync()));
        using var merged = JsonDocument.Parse(await GetOkAsync(a, "/ngsi-ld/v1/entities?type=Room&id=urn:x:shared&options=keyValues"));
        Assert.Equal(21, merged.RootElement[0].GetProperty("temperature").GetInt32());
        Assert.Equal(40, merged.RootElement[0].GetProperty("humidity").GetInt32());
    }

    [Fact]
    public async Task Local_true_answers_with_the_entities_of_A_alone()
    {
        const string Tenant = "dist-local";
        await CreateAsync(brokers.A, Tenant, """{"id":"urn:x:shared","type":"Room","humidity":{"type":"Property","value":40}}""");
        await CreateAsync(brokers.B, Tenant, """{"id":"urn:x:shared","type":"Room","temperature":{"type":"Property","value":21}}""");
        await CreateAsync(brokers.B, Tenant, """{"id":"urn:x:b-only","type":"Room"}""");
        await RegisterAsync(brokers.A, Tenant, brokers.B.BaseAddress, "inclusive", Tenant);

        using var a = Client(brokers.A, Tenant);
        using var shared = JsonDocument.Parse(await GetOkAsync(a, "/ngsi-ld/v1/entities/urn:x:shared?options=keyValues&local=true"));
        Assert.False(shared.RootElement.TryGetProperty("temperature", out _));
        Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync("/ngsi-ld/v1/entities/urn:x:b-only?local=true")).StatusCode);
        Assert.Equal(["urn:x:shared"], Ids(await GetOkAsync(a, "/ngsi-ld/v1/entities?type=Room&local=true")));
        Assert.Equal(HttpStatusCode.BadRequest, (await a.GetAsync("/ngsi-ld/v1/entities?type=Room&local=maybe")).StatusCode);
    }

    [Fact]
    public async Task An_auxiliary_source_adds_attributes_but_does_not_override_a_newer_observation()
    {
        const string Tenant = "dist-auxiliary";
        await CreateAsync(brokers.A, Tenant, """{"id":"urn:x:room","type":"Room","temperature":{"type":"Property","value":20,"observedAt":"2020-01-01T00:00:00Z"}}""");
        await CreateAsync(brokers.C, Tenant,
            """{"id":"urn:x:room","type":"Room","temperature":{"type":"Property","value":99,"observedAt":"2030-01-01T00:00:00Z"},"colour":{"type":"Property","value":"blue"}}""");
        await RegisterAsync(brokers.A, Tenant, brokers.C.BaseAddress, "auxiliary", Tenant);

        using var a = Client(brokers.A, Tenant);
        using var room = JsonDocument.Parse(await GetOkAsync(a, "/ngsi-ld/v1/entities/urn:x:room?options=keyValues"));
        Assert.Equal(20, room.RootElement.GetProperty("temperature").GetInt32());
        Assert.Equal("blue", room.RootElement.GetProperty("colour").GetString());
        using var queried = JsonDocument.Parse(await GetOkAsync(a, "/ngsi-ld/v1/entities?type=Room&options=keyValues"));
        Assert.Equal(20, queried.RootElement[0].GetProperty("temperature").GetInt32());
    }

    [Fact]
    public async Task Of_two_inclusive_sources_the_newer_observation_wins()
    {
        const string Tenant = "dist-newest";
        await CreateAsync(brokers.A, Tenant, """{"id":"urn:x:room","type":"Room","temperature":{"type":"Property","value":20,"observedAt":"2020-01-01T00:00:00Z"}}""");
        await CreateAsync(brokers.B, Tenant, """{"id":"urn:x:room","type":"Room","temperature":{"type":"Property","value":22,"observedAt":"2025-01-01T00:00:00Z"}}""");
        await RegisterAsync(brokers.A, Tenant, brokers.B.BaseAddress, "inclusive", Tenant);

        using var a = Client(brokers.A, Tenant);
        using var room = JsonDocument.Parse(await GetOkAsync(a, "/ngsi-ld/v1/entities/urn:x:room?options=keyValues"));
        Assert.Equal(22, room.RootElement.GetProperty("temperature").GetInt32());
    }

    [Fact]
    public async Task A_dead_source_and_a_slow_one_leave_A_answering_with_its_own_within_the_timeout()
    {
        const string Tenant = "dist-failing";
        await CreateAsync(brokers.A, Tenant, """{"id":"urn:x:room","type":"Room","humidity":{"type":"Property","value":40}}""");
        await RegisterAsync(brokers.A, Tenant, new Uri($"http://127.0.0.1:{ServiceProcess.FreePort()}"), "inclusive", null);
        await RegisterAsync(brokers.A, Tenant, brokers.SlowSource, "inclusive", null);

        using var a = Client(brokers.A, Tenant);
        var watch = Stopwatch.StartNew();
        using var retrieved = await a.GetAsync("/ngsi-ld/v1/entities/urn:x:room?options=keyValues");
        using var queried = await a.GetAsync("/ngsi-ld/v1/entities?type=Room&options=keyValues");
        watch.Stop();
        Assert.Equal(HttpStatusCode.OK, retrieved.StatusCode);
        Assert.Equal(HttpStatusCode.OK, queried.StatusCode);
        Assert.Equal(40, JsonDocument.Parse(await retrieved.Content.ReadAsStringAsync()).RootElement.GetProperty("humidity").GetInt32());
        Assert.Equal(["urn:x:room"], Ids(await queried.Content.ReadAsStringAsync()));
        Assert.Equal("199 - Miscellaneous Warning", retrieved.Headers.GetValues("NGSILD-Warning").Single());
        Assert.Equal("199 - Miscellaneous Warning", queried.Headers.GetValues("NGSILD-Warning").Single());
        Assert.True(watch.Elapsed < 2 * (Timeout + TimeSpan.FromSeconds(1)), $"two requests took {watch.Elapsed}");
        Assert.True(brokers.SlowRequests > 0, "the slow source was never asked");
    }

    [Fact]
    public async Task A_source_the_outbound_policy_denies_is_not_asked()
    {
        const string Tenant = "dist-denied";
        await CreateAsync(brokers.A, Tenant, """{"id":"urn:x:room","type":"Room","humidity":{"type":"Property","value":40}}""");
        await CreateAsync(brokers.B, Tenant, """{"id":"urn:x:room","type":"Room","temperature":{"type":"Property","value":21}}""");
        // B is reachable as localhost, but A's policy denies that host name.
        await RegisterAsync(brokers.A, Tenant, new Uri($"http://localhost:{brokers.B.BaseAddress.Port}"), "inclusive", Tenant);

        using var a = Client(brokers.A, Tenant);
        using var response = await a.GetAsync("/ngsi-ld/v1/entities/urn:x:room?options=keyValues");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.TryGetProperty("temperature", out _));
        Assert.Equal("199 - Miscellaneous Warning", response.Headers.GetValues("NGSILD-Warning").Single());
    }

    [Fact]
    public async Task A_loop_of_registrations_A_to_B_to_A_ends_at_A()
    {
        const string Tenant = "dist-loop";
        await CreateAsync(brokers.A, Tenant, """{"id":"urn:x:at-a","type":"Loop"}""");
        await CreateAsync(brokers.B, Tenant, """{"id":"urn:x:at-b","type":"Loop"}""");
        await RegisterAsync(brokers.A, Tenant, brokers.B.BaseAddress, "inclusive", Tenant);
        await RegisterAsync(brokers.B, Tenant, brokers.A.BaseAddress, "inclusive", Tenant);

        using var a = Client(brokers.A, Tenant);
        var watch = Stopwatch.StartNew();
        using var response = await a.GetAsync("/ngsi-ld/v1/entities?type=Loop");
        watch.Stop();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("NGSILD-Warning"), "a source was left out: the loop ran into the timeout");
        Assert.Equal(["urn:x:at-a", "urn:x:at-b"], Ids(await response.Content.ReadAsStringAsync()));
        Assert.True(watch.Elapsed < Timeout, $"the loop took {watch.Elapsed}");
    }

    internal static HttpClient Client(ServiceProcess broker, string tenant)
    {
        var client = new HttpClient { BaseAddress = broker.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("NGSILD-Tenant", tenant);
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    internal static async Task CreateAsync(ServiceProcess broker, string tenant, string entity)
    {
        using var client = Client(broker, tenant);
        using var response = await client.PostAsync("/ngsi-ld/v1/entities", new StringContent(entity, Encoding.UTF8, "application/json"));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    internal static async Task RegisterAsync(ServiceProcess broker, string tenant, Uri endpoint, string mode, string? sourceTenant, params string[] operations)
    {
        var registration = new Dictionary<string, object>
        {
            ["id"] = "urn:ngsi-ld:ContextSourceRegistration:" + Guid.NewGuid(),
            ["type"] = "ContextSourceRegistration",
            ["information"] = new[] { new { entities = new[] { new { type = "Room" }, new { type = "Loop" } } } },
            ["endpoint"] = endpoint.ToString().TrimEnd('/'),
            ["mode"] = mode,
        };
        if (sourceTenant is not null)
            registration["tenant"] = sourceTenant;
        if (operations.Length > 0)
            registration["operations"] = operations;
        using var client = Client(broker, tenant);
        using var response = await client.PostAsync("/ngsi-ld/v1/csourceRegistrations", new StringContent(JsonSerializer.Serialize(registration), Encoding.UTF8, "application/json"));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    internal static async Task<string> GetOkAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        return body;
    }

    internal static string[] Ids(string array)
    {
        using var document = JsonDocument.Parse(array);
        return [.. document.RootElement.EnumerateArray().Select(entity => entity.GetProperty("id").GetString()!)];
    }

    /// <summary>
    /// Brokers A (which forwards, with a 2 s timeout, and may not reach the host name localhost), B and C, a source that
    /// answers after 10 s, and a recording source that answers every entity request with one entity telling how it was
    /// asked (its "askedBy" property: "retrieveEntity", "queryEntity" or "queryBatch").
    /// </summary>
    public sealed class Brokers : IAsyncLifetime
    {
        private WebApplication? _slow;
        private WebApplication? _recorder;
        private int _slowRequests;

        /// <summary>The requests the recording source received: method, path and query, and body.</summary>
        public System.Collections.Concurrent.ConcurrentQueue<(string Request, string Body)> Recorded { get; } = new();

        public Uri RecordingSource { get; private set; } = null!;

        public ServiceProcess A { get; private set; } = null!;

        public ServiceProcess B { get; private set; } = null!;

        public ServiceProcess C { get; private set; } = null!;

        public Uri SlowSource { get; private set; } = null!;

        public int SlowRequests => Volatile.Read(ref _slowRequests);

        public async Task InitializeAsync()
        {
            string[] common = ["--Outbound:AllowLoopback", "true", "--Federation:Timeout", Timeout.ToString()];
            var started = await Task.WhenAll(
                BrokerProcess.StartAsync([.. common, "--Federation:BrokerId", "broker-a", "--Outbound:DeniedHosts:0", "localhost"]),
                BrokerProcess.StartAsync([.. common, "--Federation:BrokerId", "broker-b"]),
                BrokerProcess.StartAsync([.. common, "--Federation:BrokerId", "broker-c"]));
            (A, B, C) = (started[0], started[1], started[2]);

            var builder = WebApplication.CreateSlimBuilder();
            var port = ServiceProcess.FreePort();
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            _slow = builder.Build();
            _slow.MapGet("/{**path}", async (HttpContext http) =>
            {
                Interlocked.Increment(ref _slowRequests);
                await Task.Delay(TimeSpan.FromSeconds(10), http.RequestAborted);
                return Results.Json(Array.Empty<object>());
            });
            await _slow.StartAsync();
            SlowSource = new Uri($"http://127.0.0.1:{port}");

            var recorderBuilder = WebApplication.CreateSlimBuilder();
            var recorderPort = ServiceProcess.FreePort();
            recorderBuilder.WebHost.UseUrls($"http://127.0.0.1:{recorderPort}");
            _recorder = recorderBuilder.Build();
            _recorder.MapGet("/ngsi-ld/v1/entities/{id}", async (HttpContext http, string id) =>
            {
                await RecordAsync(http);
                return Results.Json(RecordedEntity(id, "retrieveEntity", ""));
            });
            _recorder.MapGet("/ngsi-ld/v1/entities", async (HttpContext http) =>
            {
                await RecordAsync(http);
                var id = http.Request.Query["id"].ToString();
                return Results.Json(new[] { RecordedEntity(id.Length == 0 ? "urn:x:recorded" : id.Split(',')[0], "queryEntity", http.Request.Query["type"].ToString()) });
            });
            _recorder.MapPost("/ngsi-ld/v1/entityOperations/query", async (HttpContext http) =>
            {
                using var query = JsonDocument.Parse(await RecordAsync(http));
                var selector = query.RootElement.TryGetProperty("entities", out var entities) ? entities[0] : default;
                var id = selector.ValueKind == JsonValueKind.Object && selector.TryGetProperty("id", out var given) ? given.GetString()! : "urn:x:recorded";
                var type = selector.ValueKind == JsonValueKind.Object && selector.TryGetProperty("type", out var typeName) ? typeName.GetString()! : "";
                return Results.Json(new[] { RecordedEntity(id, "queryBatch", type) });
            });
            await _recorder.StartAsync();
            RecordingSource = new Uri($"http://127.0.0.1:{recorderPort}");
        }

        private async Task<string> RecordAsync(HttpContext http)
        {
            var body = await new StreamReader(http.Request.Body).ReadToEndAsync();
            Recorded.Enqueue(($"{http.Request.Method} {http.Request.Path}{http.Request.QueryString}", body));
            return body;
        }

        /// <summary>An entity of type Room with an askedBy property, and the type the source was asked for as askedType.</summary>
        private static Dictionary<string, object> RecordedEntity(string id, string askedBy, string askedType) => new()
        {
            ["id"] = id,
            ["type"] = "Room",
            ["askedBy"] = new { type = "Property", value = askedBy },
            ["askedType"] = new { type = "Property", value = askedType },
        };

        public async Task DisposeAsync()
        {
            if (_slow is not null)
                await _slow.DisposeAsync();
            if (_recorder is not null)
                await _recorder.DisposeAsync();
            foreach (var broker in new[] { A, B, C })
            {
                if (broker is not null)
                    await broker.DisposeAsync();
            }
        }
    }
}
