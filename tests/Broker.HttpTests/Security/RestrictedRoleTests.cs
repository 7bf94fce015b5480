using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Broker.HttpTests.Subscriptions;
using Xunit;

namespace Broker.HttpTests.Security;

/// <summary>
/// Roles the broker defines (Security:Roles): write and read only for parking spots, read only for Lübeck's museum
/// records (by id), subscribe only for parking spots. Each test works in a tenant of its own.
/// </summary>
public sealed class RestrictedRolesBrokerFactory() : SecuredBrokerFactory(new Dictionary<string, string>
{
    ["Security:Roles:parking-adapter:Grants:0"] = "write",
    ["Security:Roles:parking-adapter:Grants:1"] = "read",
    ["Security:Roles:parking-adapter:Types:0"] = "ParkingSpot",
    ["Security:Roles:museum-reader:Grants:0"] = "read",
    ["Security:Roles:museum-reader:IdPattern"] = "urn:ngsi-ld:Museum:luebeck-.*",
    ["Security:Roles:spot-watcher:Grants:0"] = "subscribe",
    ["Security:Roles:spot-watcher:Types:0"] = "https://uri.etsi.org/ngsi-ld/default-context/ParkingSpot",
    ["Outbound:AllowLoopback"] = "true",
});

/// <summary>
/// A role restricted to some entity types or ids reaches only those entities, on every path: retrieval, queries (with
/// their counts), type and attribute discovery, the temporal API, single and batch writes, and notifications. What it
/// does not reach is not found, and a write that would create or change such an entity is a 403 that changes nothing.
/// </summary>
public sealed class RestrictedRoleTests(RestrictedRolesBrokerFactory factory) : IClassFixture<RestrictedRolesBrokerFactory>, IClassFixture<NotificationReceiver>
{
    private const string Spot1 = "urn:ngsi-ld:ParkingSpot:1";
    private const string Spot2 = "urn:ngsi-ld:ParkingSpot:2";
    private const string Garage = "urn:ngsi-ld:OffStreetParking:1";
    private const string LuebeckMuseum = "urn:ngsi-ld:Museum:luebeck-behnhaus";
    private const string KielMuseum = "urn:ngsi-ld:Museum:kiel-stadtmuseum";

    private readonly string _tenant = "restricted-" + Guid.NewGuid().ToString("N")[..12];

    private string Parking => factory.IdentityProvider.Token("parking-adapter", ["parking-adapter"]);

    private string Museums => factory.IdentityProvider.Token("museum-app", ["museum-reader"]);

    private string Admin => factory.IdentityProvider.Token("city-admin", ["admin"]);

    private static string Entity(string id, string type, string status = "free") =>
        $$$"""{"id":"{{{id}}}","type":"{{{type}}}","status":{"type":"Property","value":"{{{status}}}","observedAt":"2026-12-01T10:00:00Z"}}""";

    private async Task<HttpResponseMessage> SendAsync(string method, string path, string token, string body = "")
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        if (body.Length > 0)
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("NGSILD-Tenant", _tenant);
        using var client = factory.CreateClient();
        return await client.SendAsync(request);
    }

    private async Task<string> BodyAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{response.StatusCode}: {body}");
        return body;
    }

    private async Task SeedAsync()
    {
        var entities = string.Join(',', Entity(Spot1, "ParkingSpot"), Entity(Spot2, "ParkingSpot"), Entity(Garage, "OffStreetParking"),
            Entity(LuebeckMuseum, "Museum"), Entity(KielMuseum, "Museum"));
        await BodyAsync(await SendAsync("POST", "/ngsi-ld/v1/entityOperations/create", Admin, $"[{entities}]"), HttpStatusCode.Created);
    }

    private static List<string> Ids(string body) => [.. JsonNode.Parse(body)!.AsArray().Select(e => (string)e!["id"]!).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task A_join_shows_only_the_linked_entities_the_role_reaches()
    {
        var spot = $$$"""
            {"id":"urn:ngsi-ld:ParkingSpot:linked","type":"ParkingSpot","refParkingSite":{"type":"Relationship","object":"{{{Garage}}}"},
             "nextSpot":{"type":"Relationship","object":"{{{Spot1}}}"}}
            """;
        await SeedAsync();
        await BodyAsync(await SendAsync("POST", "/ngsi-ld/v1/entities", Admin, spot), HttpStatusCode.Created);

        var restricted = JsonNode.Parse(await BodyAsync(await SendAsync("GET", "/ngsi-ld/v1/entities/urn:ngsi-ld:ParkingSpot:linked?join=inline", Parking), HttpStatusCode.OK))!;
        Assert.Null(restricted["refParkingSite"]!["entity"]);
        Assert.Equal(Spot1, (string)restricted["nextSpot"]!["entity"]!["id"]!);
        var flat = await BodyAsync(await SendAsync("GET", "/ngsi-ld/v1/entities?type=ParkingSpot&join=flat&idPattern=.*linked", Parking), HttpStatusCode.OK);
        Assert.Equal(["urn:ngsi-ld:ParkingSpot:linked", Spot1], JsonNode.Parse(flat)!.AsArray().Select(e => (string)e!["id"]!));

        var whole = JsonNode.Parse(await BodyAsync(await SendAsync("GET", "/ngsi-ld/v1/entities/urn:ngsi-ld:ParkingSpot:linked?join=inline", Admin), HttpStatusCode.OK))!;
        Assert.Equal(Garage, (string)whole["refParkingSite"]!["entity"]!["id"]!);
    }

    [Fact]
    public async Task Queries_and_their_counts_see_only_the_entities_the_role_reaches()
    {
        await SeedAsync();
        using var byType = await SendAsync("GET", "/ngsi-ld/v1/entities?type=ParkingSpot,OffStreetParking,Museum&count=true", Parking);
        Assert.Equal([Spot1, Spot2], Ids(await BodyAsync(byType, HttpStatusCode.OK)));
        Assert.Equal("2", byType.Headers.GetValues("NGSILD-Results-Count").Single());

        using var paged = await SendAsync("GET", "/ngsi-ld/v1/entities?type=ParkingSpot,OffStreetParking&limit=1&offset=1&count=true", Parking);
        Assert.Equal([Spot2], Ids(await BodyAsync(paged, HttpStatusCode.OK)));
        Assert.Equal("2", paged.Headers.GetValues("NGSILD-Results-Count").Single());

        using var posted = await SendAsync("POST", "/ngsi-ld/v1/entityOperations/query", Parking,
            """{"type":"Query","entities":[{"type":"OffStreetParking"},{"idPattern":"urn:ngsi-ld:.*"}]}""");
        Assert.Equal([Spot1, Spot2], Ids(await BodyAsync(posted, HttpStatusCode.OK)));

        using var museums = await SendAsync("GET", "/ngsi-ld/v1/entities?type=Museum,ParkingSpot&count=true", Museums);
        Assert.Equal([LuebeckMuseum], Ids(await BodyAsync(museums, HttpStatusCode.OK)));
        Assert.Equal("1", museums.Headers.GetValues("NGSILD-Results-Count").Single());

        using var all = await SendAsync("GET", "/ngsi-ld/v1/entities?type=ParkingSpot,OffStreetParking,Museum", Admin);
        Assert.Equal(5, Ids(await BodyAsync(all, HttpStatusCode.OK)).Count);
    }

    [Fact]
    public async Task An_entity_out_of_reach_is_not_found()
    {
        await SeedAsync();
        await BodyAsync(await SendAsync("GET", $"/ngsi-ld/v1/entities/{Spot1}", Parking), HttpStatusCode.OK);
        await BodyAsync(await SendAsync("GET", $"/ngsi-ld/v1/entities/{Garage}", Parking), HttpStatusCode.NotFound);
        await BodyAsync(await SendAsync("GET", $"/ngsi-ld/v1/entities/{LuebeckMuseum}", Museums), HttpStatusCode.OK);
        await BodyAsync(await SendAsync("GET", $"/ngsi-ld/v1/entities/{KielMuseum}", Museums), HttpStatusCode.NotFound);
        await BodyAsync(await SendAsync("GET", $"/ngsi-ld/v1/entities/{Spot1}", Museums), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Writes_out_of_reach_are_refused_and_change_nothing()
    {
        await SeedAsync();
        var created = await BodyAsync(await SendAsync("POST", "/ngsi-ld/v1/entities", Parking, Entity("urn:ngsi-ld:OffStreetParking:new", "OffStreetParking")),
            HttpStatusCode.Forbidden);
        Assert.Equal(403, (int)JsonNode.Parse(created)!["status"]!);
        Assert.Contains("Security:Roles", (string?)JsonNode.Parse(created)!["detail"], StringComparison.Ordinal);
        await BodyAsync(await SendAsync("GET", "/ngsi-ld/v1/entities/urn:ngsi-ld:OffStreetParking:new", Admin), HttpStatusCode.NotFound);

        var taken = """{"status":{"type":"Property","value":"taken"}}""";
        await BodyAsync(await SendAsync("PATCH", $"/ngsi-ld/v1/entities/{Garage}/attrs", Parking, taken), HttpStatusCode.NotFound);
        await BodyAsync(await SendAsync("POST", $"/ngsi-ld/v1/entities/{Garage}/attrs", Parking, taken), HttpStatusCode.NotFound);
        await BodyAsync(await SendAsync("PUT", $"/ngsi-ld/v1/entities/{Garage}", Parking, Entity(Garage, "OffStreetParking", "taken")), HttpStatusCode.NotFound);
        await BodyAsync(await SendAsync("DELETE", $"/ngsi-ld/v1/entities/{Garage}", Parking), HttpStatusCode.NotFound);
        var garage = JsonNode.Parse(await BodyAsync(await SendAsync("GET", $"/ngsi-ld/v1/entities/{Garage}?options=keyValues", Admin), HttpStatusCode.OK))!;
        Assert.Equal("free", (string?)garage["status"]);

        // Within reach, and turning a reached entity into one of another type as well stays within reach (any of its types).
        await BodyAsync(await SendAsync("PATCH", $"/ngsi-ld/v1/entities/{Spot1}/attrs", Parking, taken), HttpStatusCode.NoContent);
        var spot = JsonNode.Parse(await BodyAsync(await SendAsync("GET", $"/ngsi-ld/v1/entities/{Spot1}?options=keyValues", Admin), HttpStatusCode.OK))!;
        Assert.Equal("taken", (string?)spot["status"]);
    }

    [Fact]
    public async Task A_batch_commits_the_entities_within_reach_and_reports_the_others_as_403()
    {
        var batch = $"[{Entity("urn:ngsi-ld:ParkingSpot:b1", "ParkingSpot")},{Entity("urn:ngsi-ld:OffStreetParking:b1", "OffStreetParking")}]";
        var body = JsonNode.Parse(await BodyAsync(await SendAsync("POST", "/ngsi-ld/v1/entityOperations/upsert", Parking, batch), HttpStatusCode.MultiStatus))!;
        Assert.Equal(["urn:ngsi-ld:ParkingSpot:b1"], body["success"]!.AsArray().Select(n => (string)n!));
        var error = Assert.Single(body["errors"]!.AsArray());
        Assert.Equal("urn:ngsi-ld:OffStreetParking:b1", (string?)error!["entityId"]);
        Assert.Equal(403, (int)error["error"]!["status"]!);
        await BodyAsync(await SendAsync("GET", "/ngsi-ld/v1/entities/urn:ngsi-ld:OffStreetParking:b1", Admin), HttpStatusCode.NotFound);
        await BodyAsync(await SendAsync("GET", "/ngsi-ld/v1/entities/urn:ngsi-ld:ParkingSpot:b1", Admin), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Type_and_attribute_discovery_show_only_what_the_role_reaches()
    {
        await SeedAsync();
        await BodyAsync(await SendAsync("POST", $"/ngsi-ld/v1/entities/{Garage}/attrs", Admin, """{"levels":{"type":"Property","value":3}}"""), HttpStatusCode.NoContent);
        var types = JsonNode.Parse(await BodyAsync(await SendAsync("GET", "/ngsi-ld/v1/types", Parking), HttpStatusCode.OK))!;
        Assert.Equal(["ParkingSpot"], types["typeList"]!.AsArray().Select(n => (string)n!));
        var attributes = JsonNode.Parse(await BodyAsync(await SendAsync("GET", "/ngsi-ld/v1/attributes", Parking), HttpStatusCode.OK))!;
        Assert.DoesNotContain("levels", attributes["attributeList"]!.AsArray().Select(n => (string)n!));
        var museumTypes = JsonNode.Parse(await BodyAsync(await SendAsync("GET", "/ngsi-ld/v1/types?details=true", Museums), HttpStatusCode.OK))!;
        Assert.Equal(["Museum"], museumTypes.AsArray().Select(n => (string)n!["typeName"]!));
    }

    [Fact]
    public async Task The_temporal_api_shows_and_changes_only_histories_within_reach()
    {
        await SeedAsync();
        using var query = await SendAsync("GET", "/ngsi-ld/v1/temporal/entities?type=ParkingSpot,OffStreetParking&count=true", Parking);
        Assert.Equal([Spot1, Spot2], Ids(await BodyAsync(query, HttpStatusCode.OK)));
        Assert.Equal("2", query.Headers.GetValues("NGSILD-Results-Count").Single());
        await BodyAsync(await SendAsync("GET", $"/ngsi-ld/v1/temporal/entities/{Garage}", Parking), HttpStatusCode.NotFound);
        await BodyAsync(await SendAsync("GET", $"/ngsi-ld/v1/temporal/entities/{Spot1}", Parking), HttpStatusCode.OK);
        await BodyAsync(await SendAsync("DELETE", $"/ngsi-ld/v1/temporal/entities/{Garage}", Parking), HttpStatusCode.NotFound);
        var instances = """{"id":"ID","type":"OffStreetParking","status":[{"type":"Property","value":"full","observedAt":"2026-11-30T10:00:00Z"}]}""".Replace("ID", Garage, StringComparison.Ordinal);
        await BodyAsync(await SendAsync("POST", "/ngsi-ld/v1/temporal/entities", Parking, instances), HttpStatusCode.Forbidden);
        await BodyAsync(await SendAsync("POST", $"/ngsi-ld/v1/temporal/entities/{Garage}/attrs", Parking, instances), HttpStatusCode.NotFound);
        var history = JsonNode.Parse(await BodyAsync(await SendAsync("GET", $"/ngsi-ld/v1/temporal/entities/{Garage}", Admin), HttpStatusCode.OK))!;
        Assert.Single(history["status"] is JsonArray values ? values : [history["status"]]);
    }

    [Fact]
    public async Task A_subscription_of_a_restricted_role_notifies_only_entities_within_reach_and_keeps_its_restriction()
    {
        await using var receiver = new NotificationReceiver();
        await receiver.InitializeAsync();
        var path = NotificationReceiver.NewPath();
        var watcher = factory.IdentityProvider.Token("spot-app", ["spot-watcher"]);
        var subscription = """{"type":"Subscription","entities":[{"type":"ParkingSpot"},{"type":"OffStreetParking"}],"notification":{"endpoint":{"uri":"URL"}}}"""
            .Replace("URL", receiver.UrlOf(path), StringComparison.Ordinal);
        await BodyAsync(await SendAsync("POST", "/ngsi-ld/v1/subscriptions", watcher, subscription), HttpStatusCode.Created);
        await SendAsync("POST", "/ngsi-ld/v1/entities", Admin, Entity(Garage, "OffStreetParking"));
        await SendAsync("POST", "/ngsi-ld/v1/entities", Admin, Entity(Spot1, "ParkingSpot"));
        var received = await receiver.WaitForAsync(path, 1, TimeSpan.FromSeconds(20));
        Assert.Equal(Spot1, (string?)received[0].Json["data"]![0]!["id"]);
        await SendAsync("PATCH", $"/ngsi-ld/v1/entities/{Garage}/attrs", Admin, """{"status":{"type":"Property","value":"full"}}""");
        await SendAsync("PATCH", $"/ngsi-ld/v1/entities/{Spot1}/attrs", Admin, """{"status":{"type":"Property","value":"taken"}}""");
        var all = await receiver.WaitForAsync(path, 2, TimeSpan.FromSeconds(20));
        await receiver.AssertStaysAtAsync(path, 2, TimeSpan.FromMilliseconds(500));
        Assert.All(all, r => Assert.Equal(Spot1, (string?)r.Json["data"]![0]!["id"]));
    }

    [Fact]
    public async Task An_unrestricted_grant_of_the_same_role_lifts_the_restriction()
    {
        await SeedAsync();
        var both = factory.IdentityProvider.Token("both", ["parking-adapter", "read"]);
        using var response = await SendAsync("GET", "/ngsi-ld/v1/entities?type=ParkingSpot,OffStreetParking", both);
        Assert.Equal([Garage, Spot1, Spot2], Ids(await BodyAsync(response, HttpStatusCode.OK)));
        // The restricted write stays restricted: read is the only unrestricted grant.
        await BodyAsync(await SendAsync("POST", "/ngsi-ld/v1/entities", both, Entity("urn:ngsi-ld:OffStreetParking:both", "OffStreetParking")), HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("Security:Roles:odd:Grants:0", "superuser", "is not a role")]
    [InlineData("Security:Roles:odd:IdPattern", "urn:(", "is not a regular expression")]
    [InlineData("Security:Roles:write:Grants:0", "read", "role of the broker itself")]
    public async Task A_role_definition_that_cannot_hold_refuses_the_start(string key, string value, string reason)
    {
        var dataPath = Path.Combine(Path.GetTempPath(), "broker-roles-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (exitCode, output) = await BrokerProcess.RunUntilExitAsync($"http://127.0.0.1:{BrokerProcess.FreePort()}", dataPath, TimeSpan.FromSeconds(60),
                "--Security:Roles:odd:Grants:0", "read", "--" + key, value);
            Assert.Equal(1, exitCode);
            Assert.Contains(reason, output, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(dataPath))
                Directory.Delete(dataPath, recursive: true);
        }
    }
}
