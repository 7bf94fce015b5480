using System.Net;
using System.Text;
using System.Text.Json;
using Tests.Shared;
using Xunit;
using static Broker.StoreTests.DistributedRetrievalTests;

namespace Broker.StoreTests;

/// <summary>
/// Writes on broker A routed to the context sources registered with it (clause 4.3.6.2 and 4.3.6.3): brokers A and B,
/// each with its own embedded store and named in Via by the address the other reaches it at. Each test uses its own
/// tenant, so its registrations and entities are its alone.
/// </summary>
public sealed class DistributedWriteTests(DistributedWriteTests.Brokers brokers) : IClassFixture<DistributedWriteTests.Brokers>
{
    /// <summary>A registration without operations supports federationOps, which has no writes (clause 4.20).</summary>
    private static readonly string[] Writes = ["redirectionOps"];

    [Fact]
    public async Task Create_with_an_inclusive_registration_writes_the_entity_on_A_and_on_B()
    {
        const string Tenant = "write-inclusive";
        await RegisterAsync(brokers.A, Tenant, Registration(brokers.B.BaseAddress, "inclusive", """{"type":"Vehicle"}""", null, Writes, Tenant));

        using var a = Client(brokers.A, Tenant);
        using var created = await PostAsync(a, "/ngsi-ld/v1/entities", """{"id":"urn:v:1","type":"Vehicle","speed":{"type":"Property","value":50}}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        Assert.Equal(50, Value(await GetOkAsync(a, "/ngsi-ld/v1/entities/urn:v:1?local=true&options=keyValues"), "speed"));
        using var b = Client(brokers.B, Tenant);
        Assert.Equal(50, Value(await GetOkAsync(b, "/ngsi-ld/v1/entities/urn:v:1?options=keyValues"), "speed"));

        using var updated = await SendAsync(a, HttpMethod.Patch, "/ngsi-ld/v1/entities/urn:v:1/attrs", """{"speed":{"type":"Property","value":60}}""");
        Assert.Equal(HttpStatusCode.NoContent, updated.StatusCode);
        Assert.Equal(60, Value(await GetOkAsync(b, "/ngsi-ld/v1/entities/urn:v:1?options=keyValues"), "speed"));
        Assert.Equal(60, Value(await GetOkAsync(a, "/ngsi-ld/v1/entities/urn:v:1?local=true&options=keyValues"), "speed"));

        using var deleted = await a.DeleteAsync("/ngsi-ld/v1/entities/urn:v:1");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync("/ngsi-ld/v1/entities/urn:v:1")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync("/ngsi-ld/v1/entities/urn:v:1?local=true")).StatusCode);
    }

    [Fact]
    public async Task Updating_an_attribute_that_only_the_inclusive_source_holds_is_204_not_a_partial_failure()
    {
        const string Tenant = "write-inclusive-held-there";
        using var b = Client(brokers.B, Tenant);
        using (var there = await PostAsync(b, "/ngsi-ld/v1/entities", """{"id":"urn:v:2","type":"Vehicle","fuel":{"type":"Property","value":10}}"""))
            Assert.Equal(HttpStatusCode.Created, there.StatusCode);
        using var a = Client(brokers.A, Tenant);
        using (var here = await PostAsync(a, "/ngsi-ld/v1/entities?local=true", """{"id":"urn:v:2","type":"Vehicle","speed":{"type":"Property","value":50}}"""))
            Assert.Equal(HttpStatusCode.Created, here.StatusCode);
        await RegisterAsync(brokers.A, Tenant, Registration(brokers.B.BaseAddress, "inclusive", """{"type":"Vehicle"}""", null, Writes, Tenant));

        using var updated = await SendAsync(a, HttpMethod.Patch, "/ngsi-ld/v1/entities/urn:v:2/attrs", """{"fuel":{"type":"Property","value":20}}""");
        Assert.True(updated.StatusCode == HttpStatusCode.NoContent, await updated.Content.ReadAsStringAsync());
        Assert.Equal(20, Value(await GetOkAsync(b, "/ngsi-ld/v1/entities/urn:v:2?options=keyValues"), "fuel"));
        using var patched = await SendAsync(a, HttpMethod.Patch, "/ngsi-ld/v1/entities/urn:v:2/attrs/fuel", """{"type":"Property","value":30}""");
        Assert.True(patched.StatusCode == HttpStatusCode.NoContent, await patched.Content.ReadAsStringAsync());
        Assert.Equal(30, Value(await GetOkAsync(b, "/ngsi-ld/v1/entities/urn:v:2?options=keyValues"), "fuel"));

        // An attribute neither holds is added where the update goes (update adds what an entity lacks, NGSI-LD 1.6.1).
        using var nowhere = await SendAsync(a, HttpMethod.Patch, "/ngsi-ld/v1/entities/urn:v:2/attrs", """{"colour":{"type":"Property","value":"red"}}""");
        Assert.True(nowhere.StatusCode == HttpStatusCode.NoContent, await nowhere.Content.ReadAsStringAsync());
        Assert.Contains("red", await GetOkAsync(a, "/ngsi-ld/v1/entities/urn:v:2?local=true&options=keyValues"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_exclusive_registration_takes_its_attribute_and_A_keeps_the_others()
    {
        const string Tenant = "write-exclusive";
        await CreateAsync(brokers.A, Tenant, """{"id":"urn:v:2","type":"Vehicle","brandName":{"type":"Property","value":"Mercedes"}}""");
        await CreateAsync(brokers.B, Tenant, """{"id":"urn:v:2","type":"Vehicle"}""");
        await RegisterAsync(brokers.A, Tenant, Registration(brokers.B.BaseAddress, "exclusive", """{"id":"urn:v:2","type":"Vehicle"}""", "speed", Writes, Tenant));

        using var a = Client(brokers.A, Tenant);
        using var appended = await PostAsync(a, "/ngsi-ld/v1/entities/urn:v:2/attrs",
            """{"speed":{"type":"Property","value":80},"colour":{"type":"Property","value":"red"}}""");
        Assert.True(appended.StatusCode == HttpStatusCode.NoContent, await appended.Content.ReadAsStringAsync());

        using var local = JsonDocument.Parse(await GetOkAsync(a, "/ngsi-ld/v1/entities/urn:v:2?local=true&options=keyValues"));
        Assert.False(local.RootElement.TryGetProperty("speed", out _));
        Assert.Equal("red", local.RootElement.GetProperty("colour").GetString());
        using var b = Client(brokers.B, Tenant);
        using var remote = JsonDocument.Parse(await GetOkAsync(b, "/ngsi-ld/v1/entities/urn:v:2?options=keyValues"));
        Assert.Equal(80, remote.RootElement.GetProperty("speed").GetInt32());
        Assert.False(remote.RootElement.TryGetProperty("colour", out _));

        using var merged = JsonDocument.Parse(await GetOkAsync(a, "/ngsi-ld/v1/entities/urn:v:2?options=keyValues"));
        Assert.Equal(80, merged.RootElement.GetProperty("speed").GetInt32());
        Assert.Equal("Mercedes", merged.RootElement.GetProperty("brandName").GetString());
    }

    [Fact]
    public async Task An_exclusive_registration_without_the_operation_makes_the_write_a_conflict_that_changes_nothing()
    {
        const string Tenant = "write-exclusive-conflict";
        await CreateAsync(brokers.A, Tenant, """{"id":"urn:v:3","type":"Vehicle"}""");
        await RegisterAsync(brokers.A, Tenant, Registration(brokers.B.BaseAddress, "exclusive", """{"id":"urn:v:3","type":"Vehicle"}""", "speed", ["retrieveOps"], Tenant));

        using var a = Client(brokers.A, Tenant);
        using var appended = await PostAsync(a, "/ngsi-ld/v1/entities/urn:v:3/attrs",
            """{"speed":{"type":"Property","value":80},"colour":{"type":"Property","value":"red"}}""");
        Assert.Equal(HttpStatusCode.Conflict, appended.StatusCode);
        using var local = JsonDocument.Parse(await GetOkAsync(a, "/ngsi-ld/v1/entities/urn:v:3?local=true&options=keyValues"));
        Assert.False(local.RootElement.TryGetProperty("colour", out _));
        Assert.False(local.RootElement.TryGetProperty("speed", out _));
    }

    [Fact]
    public async Task A_redirect_registration_writes_the_entity_on_B_alone()
    {
        const string Tenant = "write-redirect";
        await RegisterAsync(brokers.A, Tenant, Registration(brokers.B.BaseAddress, "redirect", """{"type":"Vehicle"}""", null, Writes, Tenant));

        using var a = Client(brokers.A, Tenant);
        using var created = await PostAsync(a, "/ngsi-ld/v1/entities", """{"id":"urn:v:4","type":"Vehicle","speed":{"type":"Property","value":30}}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var b = Client(brokers.B, Tenant);
        Assert.Equal(30, Value(await GetOkAsync(b, "/ngsi-ld/v1/entities/urn:v:4?options=keyValues"), "speed"));
        Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync("/ngsi-ld/v1/entities/urn:v:4?local=true")).StatusCode);

        using var patched = await SendAsync(a, HttpMethod.Patch, "/ngsi-ld/v1/entities/urn:v:4/attrs/speed", """{"value":35}""");
        Assert.Equal(HttpStatusCode.NoContent, patched.StatusCode);
        Assert.Equal(35, Value(await GetOkAsync(b, "/ngsi-ld/v1/entities/urn:v:4?options=keyValues"), "speed"));

        using var deleted = await a.DeleteAsync("/ngsi-ld/v1/entities/urn:v:4");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync("/ngsi-ld/v1/entities/urn:v:4")).StatusCode);
    }

    [Fact]
    public async Task A_dead_source_fails_its_part_alone_and_the_response_says_which_in_a_207()
    {
        const string Tenant = "write-dead";
        var dead = new Uri($"http://127.0.0.1:{ServiceProcess.FreePort()}");
        var registration = Registration(dead, "inclusive", """{"type":"Vehicle"}""", null, Writes, null);
        await RegisterAsync(brokers.A, Tenant, registration);

        using var a = Client(brokers.A, Tenant);
        using var created = await PostAsync(a, "/ngsi-ld/v1/entities", """{"id":"urn:v:5","type":"Vehicle","speed":{"type":"Property","value":10}}""");
        var body = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.MultiStatus, body);
        using var result = JsonDocument.Parse(body);
        Assert.Equal(["urn:v:5"], result.RootElement.GetProperty("success").EnumerateArray().Select(id => id.GetString()));
        var error = Assert.Single(result.RootElement.GetProperty("errors").EnumerateArray());
        Assert.Equal(RegistrationId(registration), error.GetProperty("registrationId").GetString());
        Assert.Equal(503, error.GetProperty("error").GetProperty("status").GetInt32());
        Assert.Equal(10, Value(await GetOkAsync(a, "/ngsi-ld/v1/entities/urn:v:5?local=true&options=keyValues"), "speed"));

        using var updated = await SendAsync(a, HttpMethod.Patch, "/ngsi-ld/v1/entities/urn:v:5/attrs", """{"speed":{"type":"Property","value":11}}""");
        var update = await updated.Content.ReadAsStringAsync();
        Assert.True(updated.StatusCode == HttpStatusCode.MultiStatus, update);
        using var updateResult = JsonDocument.Parse(update);
        Assert.Equal(["speed"], updateResult.RootElement.GetProperty("updated").EnumerateArray().Select(name => name.GetString()));
        var notUpdated = Assert.Single(updateResult.RootElement.GetProperty("notUpdated").EnumerateArray());
        Assert.Equal("speed", notUpdated.GetProperty("attributeName").GetString());
        Assert.Equal(RegistrationId(registration), notUpdated.GetProperty("registrationId").GetString());
    }

    [Fact]
    public async Task Local_true_writes_on_A_alone()
    {
        const string Tenant = "write-local";
        await RegisterAsync(brokers.A, Tenant, Registration(brokers.B.BaseAddress, "inclusive", """{"type":"Vehicle"}""", null, Writes, Tenant));

        using var a = Client(brokers.A, Tenant);
        using var created = await PostAsync(a, "/ngsi-ld/v1/entities?local=true", """{"id":"urn:v:6","type":"Vehicle"}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var b = Client(brokers.B, Tenant);
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync("/ngsi-ld/v1/entities/urn:v:6")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(a, "/ngsi-ld/v1/entities?local=perhaps", """{"id":"urn:v:7","type":"Vehicle"}""")).StatusCode);
    }

    [Fact]
    public async Task A_loop_of_inclusive_registrations_A_to_B_to_A_writes_once_on_each()
    {
        const string Tenant = "write-loop";
        await RegisterAsync(brokers.A, Tenant, Registration(brokers.B.BaseAddress, "inclusive", """{"type":"Loop"}""", null, Writes, Tenant));
        await RegisterAsync(brokers.B, Tenant, Registration(brokers.A.BaseAddress, "inclusive", """{"type":"Loop"}""", null, Writes, Tenant));

        using var a = Client(brokers.A, Tenant);
        using var created = await PostAsync(a, "/ngsi-ld/v1/entities", """{"id":"urn:loop:1","type":"Loop"}""");
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        await GetOkAsync(a, "/ngsi-ld/v1/entities/urn:loop:1?local=true");
        using var b = Client(brokers.B, Tenant);
        await GetOkAsync(b, "/ngsi-ld/v1/entities/urn:loop:1?local=true");
    }

    [Fact]
    public async Task A_batch_goes_to_each_source_as_one_batch_and_its_results_are_joined_per_entity()
    {
        const string Tenant = "write-batch";
        var dead = Registration(new Uri($"http://127.0.0.1:{ServiceProcess.FreePort()}"), "inclusive", """{"type":"Tram"}""", null, Writes, null);
        await RegisterAsync(brokers.A, Tenant, Registration(brokers.B.BaseAddress, "redirect", """{"type":"Vehicle"}""", null, Writes, Tenant));
        await RegisterAsync(brokers.A, Tenant, dead);

        using var a = Client(brokers.A, Tenant);
        using var created = await PostAsync(a, "/ngsi-ld/v1/entityOperations/create",
            """[{"id":"urn:v:b1","type":"Vehicle"},{"id":"urn:v:b2","type":"Vehicle"},{"id":"urn:p:b3","type":"Person"}]""");
        var body = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, body);
        Assert.Equal(["urn:v:b1", "urn:v:b2", "urn:p:b3"], JsonDocument.Parse(body).RootElement.EnumerateArray().Select(id => id.GetString()));
        using var b = Client(brokers.B, Tenant);
        await GetOkAsync(b, "/ngsi-ld/v1/entities/urn:v:b1");
        await GetOkAsync(b, "/ngsi-ld/v1/entities/urn:v:b2");
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync("/ngsi-ld/v1/entities/urn:p:b3")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync("/ngsi-ld/v1/entities/urn:v:b1?local=true")).StatusCode);
        await GetOkAsync(a, "/ngsi-ld/v1/entities/urn:p:b3?local=true");

        using var upserted = await PostAsync(a, "/ngsi-ld/v1/entityOperations/upsert",
            """[{"id":"urn:t:b4","type":"Tram"},{"id":"urn:v:b1","type":"Vehicle","speed":{"type":"Property","value":5}}]""");
        var upsert = await upserted.Content.ReadAsStringAsync();
        Assert.True(upserted.StatusCode == HttpStatusCode.MultiStatus, upsert);
        using var result = JsonDocument.Parse(upsert);
        Assert.Equal(["urn:t:b4", "urn:v:b1"], result.RootElement.GetProperty("success").EnumerateArray().Select(id => id.GetString()));
        var error = Assert.Single(result.RootElement.GetProperty("errors").EnumerateArray());
        Assert.Equal("urn:t:b4", error.GetProperty("entityId").GetString());
        Assert.Equal(RegistrationId(dead), error.GetProperty("registrationId").GetString());
        Assert.Equal(5, Value(await GetOkAsync(b, "/ngsi-ld/v1/entities/urn:v:b1?options=keyValues"), "speed"));
        await GetOkAsync(a, "/ngsi-ld/v1/entities/urn:t:b4?local=true");

        // The type of urn:v:b1 is not known on A, so both registrations by type may hold it: the dead one would fail its delete.
        Assert.Equal(HttpStatusCode.NoContent, (await a.DeleteAsync("/ngsi-ld/v1/csourceRegistrations/" + RegistrationId(dead))).StatusCode);
        using var deleted = await PostAsync(a, "/ngsi-ld/v1/entityOperations/delete", """["urn:v:b1","urn:p:b3"]""");
        Assert.True(deleted.StatusCode == HttpStatusCode.NoContent, await deleted.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync("/ngsi-ld/v1/entities/urn:v:b1")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync("/ngsi-ld/v1/entities/urn:p:b3?local=true")).StatusCode);
    }

    [Fact]
    public async Task A_registration_for_queries_alone_receives_no_writes()
    {
        const string Tenant = "write-queries-only";
        await RegisterAsync(brokers.A, Tenant, Registration(brokers.B.BaseAddress, "inclusive", """{"type":"Vehicle"}""", null, null, Tenant));

        using var a = Client(brokers.A, Tenant);
        using var created = await PostAsync(a, "/ngsi-ld/v1/entities", """{"id":"urn:v:q1","type":"Vehicle"}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var b = Client(brokers.B, Tenant);
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync("/ngsi-ld/v1/entities/urn:v:q1")).StatusCode);
        await GetOkAsync(a, "/ngsi-ld/v1/entities/urn:v:q1?local=true");
    }

    private static string Registration(Uri endpoint, string mode, string entity, string? propertyName, string[]? operations, string? tenant)
    {
        var registration = new Dictionary<string, object>
        {
            ["id"] = "urn:ngsi-ld:ContextSourceRegistration:" + Guid.NewGuid(),
            ["type"] = "ContextSourceRegistration",
            ["endpoint"] = endpoint.ToString().TrimEnd('/'),
            ["mode"] = mode,
        };
        var information = new Dictionary<string, object> { ["entities"] = new[] { JsonDocument.Parse(entity).RootElement } };
        if (propertyName is not null)
            information["propertyNames"] = new[] { propertyName };
        registration["information"] = new[] { information };
        if (operations is not null)
            registration["operations"] = operations;
        if (tenant is not null)
            registration["tenant"] = tenant;
        return JsonSerializer.Serialize(registration);
    }

    private static string RegistrationId(string registration) => JsonDocument.Parse(registration).RootElement.GetProperty("id").GetString()!;

    private static async Task RegisterAsync(ServiceProcess broker, string tenant, string registration)
    {
        using var client = Client(broker, tenant);
        using var response = await PostAsync(client, "/ngsi-ld/v1/csourceRegistrations", registration);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string body) => SendAsync(client, HttpMethod.Post, path, body);

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string body) =>
        client.SendAsync(new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") });

    private static int Value(string entity, string attribute)
    {
        using var document = JsonDocument.Parse(entity);
        return document.RootElement.GetProperty(attribute).GetInt32();
    }

    /// <summary>Brokers A and B, each naming itself in Via by the host and port the other's registrations name.</summary>
    public sealed class Brokers : IAsyncLifetime
    {
        public ServiceProcess A { get; private set; } = null!;

        public ServiceProcess B { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            var started = await Task.WhenAll(Start(), Start());
            (A, B) = (started[0], started[1]);
        }

        private static Task<ServiceProcess> Start()
        {
            var dll = ServiceProcess.BuiltDll("src/Broker", "Broker");
            var dataPath = Directory.CreateTempSubdirectory("broker-process-").FullName;
            return ServiceProcess.StartAsync(dll, address =>
            [
                "--Storage:Provider", "Embedded", "--Storage:DataPath", dataPath, "--Logging:LogLevel:Default", "Warning",
                "--Outbound:AllowLoopback", "true", "--Federation:Timeout", "00:00:02", "--Federation:BrokerId", address.Authority,
            ], "/ready", dataPath);
        }

        public async Task DisposeAsync()
        {
            foreach (var broker in new[] { A, B })
            {
                if (broker is not null)
                    await broker.DisposeAsync();
            }
        }
    }
}
