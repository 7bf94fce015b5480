using System.Net;
using System.Text.Json;
using Npgsql;
using Xunit;

namespace Broker.StoreTests;

/// <summary>
/// Quotes, statement separators, comments, unicode and huge numbers in q values, ids, types, attribute names and
/// tenant names are answered correctly (a 4xx or the right, possibly empty, result) and leave the tables intact.
/// </summary>
public sealed class HostileInputHttpTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    private const string Name = "O'Brien; DROP TABLE entities; -- /* */ 日本語 🚀 $1 \\x";

    private static readonly string Entity = JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["id"] = "urn:ngsi-ld:Hostile:1';--",
        ["type"] = "Hostile",
        ["name"] = new Dictionary<string, object> { ["type"] = "Property", ["value"] = Name },
        ["big"] = new Dictionary<string, object> { ["type"] = "Property", ["value"] = 1e300 },
    });

    public static TheoryData<string, string[]?> Queries() => new()
    {
        // null: a 400 is as correct as an empty answer; otherwise exactly these ids.
        { "q=" + Uri.EscapeDataString("name==\"" + Name + "\""), ["urn:ngsi-ld:Hostile:1';--"] },
        { "q=" + Uri.EscapeDataString("name==\"x' OR '1'='1\""), [] },
        { "q=" + Uri.EscapeDataString("name==\"'; DELETE FROM entities; --\""), [] },
        { "q=" + Uri.EscapeDataString("name~=\"^O'Brien; DROP\""), ["urn:ngsi-ld:Hostile:1';--"] },
        { "q=" + Uri.EscapeDataString("name~=\"'.*\""), ["urn:ngsi-ld:Hostile:1';--"] },
        { "q=" + Uri.EscapeDataString("big>1e299"), ["urn:ngsi-ld:Hostile:1';--"] },
        { "q=" + Uri.EscapeDataString("big==1e400"), null },
        { "q=" + Uri.EscapeDataString("big<99999999999999999999999999999999999999999999999999"), [] },
        { "q=" + Uri.EscapeDataString("big==-0.0000000000000000000000000000000000001"), [] },
        { "q=" + Uri.EscapeDataString("name/*x*/==1"), null },
        { "q=" + Uri.EscapeDataString("name;DROP TABLE entities"), null },
        { "q=" + Uri.EscapeDataString("日本語==\"x\""), null },
        { "q=" + Uri.EscapeDataString("name==\"\u0000\""), null },
        { "id=" + Uri.EscapeDataString("urn:ngsi-ld:Hostile:1';--") + "&local=true", ["urn:ngsi-ld:Hostile:1';--"] },
        { "id=" + Uri.EscapeDataString("urn:x:'); DROP TABLE entities; --"), null },
        { "id=" + Uri.EscapeDataString("urn:x:');DROP/**/TABLE/**/entities;--") + "&local=true", [] },
        { "idPattern=" + Uri.EscapeDataString("^urn:ngsi-ld:Hostile:1';"), ["urn:ngsi-ld:Hostile:1';--"] },
        // .NET syntax (named group, a class POSIX would read as [:alpha:]): evaluated as .NET regex, so it matches the quote.
        { "idPattern=" + Uri.EscapeDataString("(?<x>')|[[:alpha:]]"), ["urn:ngsi-ld:Hostile:1';--"] },
        { "type=" + Uri.EscapeDataString("Hostile';--"), null },
        { "type=" + Uri.EscapeDataString("Hostile"), ["urn:ngsi-ld:Hostile:1';--"] },
        { "type=Hostile&attrs=" + Uri.EscapeDataString("name';--,big"), null },
        { "type=Hostile&attrs=" + Uri.EscapeDataString("other,big"), ["urn:ngsi-ld:Hostile:1';--"] },
        { "type=Hostile&attrs=" + Uri.EscapeDataString("x'--"), null },
        { "type=Hostile&scopeQ=" + Uri.EscapeDataString("/a'b/#"), null },
        { "type=Hostile&georel=near;maxDistance==1e400&geometry=Point&coordinates=" + Uri.EscapeDataString("[1,2]"), null },
    };

    [PostgresTheory]
    [MemberData(nameof(Queries))]
    public async Task Hostile_queries_are_answered_correctly_and_leave_the_tables_intact(string query, string[]? expected)
    {
        using var broker = new TestBroker(database.ConnectionString);
        using var client = broker.Client();
        var create = await client.PostAsync("/ngsi-ld/v1/entities", TestBroker.Json(Entity));
        Assert.True(create.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict, $"create: {create.StatusCode}");

        var response = await client.GetAsync("/ngsi-ld/v1/entities?limit=1000&" + query);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode is 200 or (>= 400 and < 500) && response.StatusCode != HttpStatusCode.NotFound || expected is null,
            $"{query}: {response.StatusCode} {body}");
        Assert.True((int)response.StatusCode < 500, $"{query}: {response.StatusCode} {body}");
        if (expected is not null)
        {
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{query}: {response.StatusCode} {body}");
            Assert.Equal(expected, JsonDocument.Parse(body).RootElement.EnumerateArray().Select(e => e.GetProperty("id").GetString()));
        }
        else if (response.StatusCode == HttpStatusCode.OK)
        {
            Assert.Empty(JsonDocument.Parse(body).RootElement.EnumerateArray());
        }

        await AssertTablesIntactAsync();
    }

    [PostgresTheory]
    [InlineData("x'; DROP TABLE entities; --")]
    [InlineData("a/*b*/c")]
    [InlineData("日本語")]
    [InlineData("t;1")]
    public async Task Hostile_tenant_names_are_refused_with_400(string tenant)
    {
        using var broker = new TestBroker(database.ConnectionString);
        using var client = broker.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ngsi-ld/v1/entities?type=Hostile");
        request.Headers.TryAddWithoutValidation("NGSILD-Tenant", tenant);
        var response = await client.SendAsync(request);
        Assert.True((int)response.StatusCode is >= 400 and < 500, $"{tenant}: {response.StatusCode}");
        await AssertTablesIntactAsync();
    }

    [PostgresFact]
    public async Task Hostile_entity_payloads_are_stored_as_data()
    {
        using var broker = new TestBroker(database.ConnectionString);
        using var client = broker.Client("hostile.tenant:1");
        const string payload = """
            {"id": "urn:x:'||pg_sleep(10)||'", "type": "T'ype",
             "a'b": {"type": "Property", "value": "'); DROP TABLE tenants; --"},
             "n": {"type": "Property", "value": 123456789012345678901234567890123456789.5e300}}
            """;
        var create = await client.PostAsync("/ngsi-ld/v1/entities", TestBroker.Json(payload));
        if (create.StatusCode == HttpStatusCode.Created)
        {
            var read = await client.GetAsync("/ngsi-ld/v1/entities/" + Uri.EscapeDataString("urn:x:'||pg_sleep(10)||'"));
            var body = await read.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.Contains("DROP TABLE tenants", body, StringComparison.Ordinal);
        }
        else
        {
            Assert.True((int)create.StatusCode is >= 400 and < 500, $"create: {create.StatusCode}");
        }
        var nul = await client.PostAsync("/ngsi-ld/v1/entities", TestBroker.Json("""{"id":"urn:x:nul","type":"T","p":{"type":"Property","value":"a\u0000b"}}"""));
        Assert.True((int)nul.StatusCode is 201 or (>= 400 and < 500), $"NUL: {nul.StatusCode} {await nul.Content.ReadAsStringAsync()}");
        await AssertTablesIntactAsync();
    }

    private async Task AssertTablesIntactAsync()
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('entities', 'tenants', 'changes', 'entity_geometries', 'schema_migrations')", connection);
        Assert.Equal(5L, await command.ExecuteScalarAsync());
        await using var entities = new NpgsqlCommand("SELECT count(*) FROM entities WHERE id = 'urn:ngsi-ld:Hostile:1'';--'", connection);
        Assert.True((long)(await entities.ExecuteScalarAsync())! <= 1);
    }
}
