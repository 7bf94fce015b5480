using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Security;

/// <summary>
/// Every role on every endpoint family, with real tokens signed by the test identity provider's keys: a role admits
/// exactly the requests it names, in the tenants it names; everything else is a 401 or 403 ProblemDetails that changes
/// nothing and is written to the audit log.
/// </summary>
public sealed class AccessControlTests(SecuredBrokerFactory factory) : IClassFixture<SecuredBrokerFactory>
{
    private const string Tenant = "luebeck";

    private static string NewEntityId() => "urn:ngsi-ld:ParkingSpot:" + Guid.NewGuid().ToString("N");

    /// <summary>A request of each endpoint family and the role it needs (null: none).</summary>
    public static TheoryData<string, string, string, string?> Requests()
    {
        var id = "urn:ngsi-ld:ParkingSpot:matrix";
        var entity = """{"id":"ID","type":"ParkingSpot","status":{"type":"Property","value":"free"}}""".Replace("ID", id, StringComparison.Ordinal);
        var subscription = """{"type":"Subscription","entities":[{"type":"ParkingSpot"}],"notification":{"endpoint":{"uri":"http://127.0.0.1:9/notify"}}}""";
        var registration = """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"ParkingSpot"}]}],"endpoint":"http://127.0.0.1:9"}""";
        return new TheoryData<string, string, string, string?>
        {
            { "GET", "/ngsi-ld/v1/entities?type=ParkingSpot", "", "read" },
            { "GET", $"/ngsi-ld/v1/entities/{id}", "", "read" },
            { "POST", "/ngsi-ld/v1/entities", entity, "write" },
            { "PATCH", $"/ngsi-ld/v1/entities/{id}/attrs", """{"status":{"type":"Property","value":"taken"}}""", "write" },
            { "DELETE", $"/ngsi-ld/v1/entities/{id}", "", "write" },
            { "POST", "/ngsi-ld/v1/entityOperations/upsert", "[" + entity + "]", "write" },
            { "POST", "/ngsi-ld/v1/entityOperations/query", """{"type":"Query","entities":[{"type":"ParkingSpot"}]}""", "read" },
            { "GET", "/ngsi-ld/v1/types", "", "read" },
            { "GET", "/ngsi-ld/v1/attributes", "", "read" },
            { "GET", "/ngsi-ld/v1/temporal/entities?type=ParkingSpot", "", "read" },
            { "POST", "/ngsi-ld/v1/temporal/entities", entity, "write" },
            { "POST", "/ngsi-ld/v1/temporal/entityOperations/query", """{"type":"Query","entities":[{"type":"ParkingSpot"}],"temporalQ":{"timerel":"after","timeAt":"2020-01-01T00:00:00Z"}}""", "read" },
            { "GET", "/ngsi-ld/v1/subscriptions", "", "subscribe" },
            { "POST", "/ngsi-ld/v1/subscriptions", subscription, "subscribe" },
            { "GET", "/ngsi-ld/v1/csourceSubscriptions", "", "subscribe" },
            { "GET", "/ngsi-ld/v1/csourceRegistrations", "", "read" },
            { "POST", "/ngsi-ld/v1/csourceRegistrations", registration, "admin" },
            { "POST", "/ngsi-ld/v1/jsonldContexts", """{"@context":{"spot":"https://example.org/spot"}}""", "admin" },
            { "GET", "/ngsi-ld/v1/jsonldContexts", "", null },
            { "GET", "/health", "", null },
            { "GET", "/ngsi-ld/v1/somethingNew", "", "admin" },
        };
    }

    public static TheoryData<string, string, string, string?, string> RequestsByRole()
    {
        var data = new TheoryData<string, string, string, string?, string>();
        foreach (var row in Requests())
        {
            foreach (var role in new[] { "read", "write", "subscribe", "admin" })
                data.Add((string)row[0], (string)row[1], (string)row[2], (string?)row[3], role);
        }
        return data;
    }

    private HttpRequestMessage Request(string method, string path, string body, string? bearer = null, string? tenant = Tenant)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        if (body.Length > 0)
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        if (bearer is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (tenant is not null)
            request.Headers.Add("NGSILD-Tenant", tenant);
        return request;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        using var client = factory.CreateClient();
        return await client.SendAsync(request);
    }

    private async Task<HttpResponseMessage> AsAdminAsync(string method, string path, string body = "", string tenant = Tenant) =>
        await SendAsync(Request(method, path, body, factory.IdentityProvider.Token("city-admin", ["admin"]), tenant));

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detailPart)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{response.StatusCode}: {body}");
        var problem = JsonNode.Parse(body)!;
        Assert.Equal((int)status, (int)problem["status"]!);
        Assert.False(string.IsNullOrEmpty((string?)problem["type"]));
        Assert.Contains(detailPart, (string?)problem["detail"], StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(RequestsByRole))]
    public async Task A_role_admits_exactly_the_requests_it_names(string method, string path, string body, string? needed, string role)
    {
        var token = factory.IdentityProvider.Token("user-" + role, [role + "@" + Tenant]);
        using var response = await SendAsync(Request(method, path, body, token));
        var admitted = needed is null || role == "admin" || role == needed;
        if (admitted)
            Assert.True(response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden), $"{role} on {method} {path}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        else
            await AssertProblemAsync(response, HttpStatusCode.Forbidden, $"no {needed} role in tenant '{Tenant}'");
    }

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task Without_credentials_only_the_open_resources_answer(string method, string path, string body, string? needed)
    {
        using var response = await SendAsync(Request(method, path, body));
        if (needed is null)
        {
            Assert.True(response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden), $"{method} {path}: {response.StatusCode}");
            return;
        }
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "needs credentials");
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_sent_again_and_at_once_is_admitted_each_time_with_its_own_roles_only()
    {
        var token = factory.IdentityProvider.Token("repeat-reader", ["read@" + Tenant]);
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => SendAsync(Request("GET", "/ngsi-ld/v1/types", "", token))));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        // Remembered as validated, the token still carries only its read role.
        await AssertProblemAsync(await SendAsync(Request("POST", "/ngsi-ld/v1/entities", $$"""{"id":"{{NewEntityId()}}","type":"ParkingSpot"}""", token)),
            HttpStatusCode.Forbidden, "no write role");
        await AssertProblemAsync(await SendAsync(Request("GET", "/ngsi-ld/v1/types", "", token, "elsewhere")), HttpStatusCode.Forbidden, "no read role");
    }

    [Fact]
    public async Task A_token_for_another_tenant_is_403_there_and_admitted_in_its_own()
    {
        var token = factory.IdentityProvider.Token("schwartau-app", ["write@bad-schwartau", "read@bad-schwartau"]);
        var entity = $$"""{"id":"{{NewEntityId()}}","type":"ParkingSpot"}""";
        await AssertProblemAsync(await SendAsync(Request("POST", "/ngsi-ld/v1/entities", entity, token)), HttpStatusCode.Forbidden, "tenant 'luebeck'");
        await AssertProblemAsync(await SendAsync(Request("POST", "/ngsi-ld/v1/entities", entity, token, tenant: null)), HttpStatusCode.Forbidden, "the default tenant");
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(Request("POST", "/ngsi-ld/v1/entities", entity, token, "bad-schwartau"))).StatusCode);
    }

    [Fact]
    public async Task A_role_without_a_tenant_holds_in_every_tenant_and_one_with_an_empty_tenant_only_in_the_default_one()
    {
        var everywhere = factory.IdentityProvider.Token("reader", ["read"]);
        // A tenant that holds nothing yet: admitted, and then told that it does not exist.
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(Request("GET", "/ngsi-ld/v1/types", "", everywhere, "any-tenant"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(Request("GET", "/ngsi-ld/v1/types", "", everywhere, tenant: null))).StatusCode);
        var defaultOnly = factory.IdentityProvider.Token("default-reader", ["read@"]);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(Request("GET", "/ngsi-ld/v1/types", "", defaultOnly, tenant: null))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(Request("GET", "/ngsi-ld/v1/types", "", defaultOnly, "luebeck"))).StatusCode);
    }

    [Fact]
    public async Task A_denied_write_changes_nothing()
    {
        var id = NewEntityId();
        var reader = factory.IdentityProvider.Token("reader", ["read@" + Tenant]);
        await AssertProblemAsync(await SendAsync(Request("POST", "/ngsi-ld/v1/entities", $$"""{"id":"{{id}}","type":"ParkingSpot"}""", reader)), HttpStatusCode.Forbidden, "no write role");
        Assert.Equal(HttpStatusCode.NotFound, (await AsAdminAsync("GET", $"/ngsi-ld/v1/entities/{id}")).StatusCode);
    }

    [Fact]
    public async Task An_expired_token_is_401_and_says_so()
    {
        var token = factory.IdentityProvider.Token("late", ["admin"], expiresIn: TimeSpan.FromMinutes(-5));
        using var response = await SendAsync(Request("GET", "/ngsi-ld/v1/types", "", token));
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "expired");
        Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_for_another_audience_is_401()
    {
        var token = factory.IdentityProvider.Token("elsewhere", ["admin"], audience: "museum-portal");
        await AssertProblemAsync(await SendAsync(Request("GET", "/ngsi-ld/v1/types", "", token)), HttpStatusCode.Unauthorized, "audience");
    }

    [Fact]
    public async Task A_token_of_another_issuer_is_401()
    {
        var token = factory.IdentityProvider.Token("stranger", ["admin"], issuer: "https://evil.example.org/realms/luebeck");
        await AssertProblemAsync(await SendAsync(Request("GET", "/ngsi-ld/v1/types", "", token)), HttpStatusCode.Unauthorized, "issuer");
    }

    [Theory]
    [InlineData(TestIdentityProvider.Key.Untrusted, "signature")]
    [InlineData(TestIdentityProvider.Key.Symmetric, "not")]
    public async Task A_token_not_signed_by_a_trusted_key_is_401(TestIdentityProvider.Key key, string detailPart)
    {
        var token = factory.IdentityProvider.Token("forger", ["admin"], key);
        await AssertProblemAsync(await SendAsync(Request("GET", "/ngsi-ld/v1/types", "", token)), HttpStatusCode.Unauthorized, detailPart);
    }

    [Fact]
    public async Task A_garbage_bearer_token_is_401()
    {
        await AssertProblemAsync(await SendAsync(Request("GET", "/ngsi-ld/v1/types", "", "not.a.token")), HttpStatusCode.Unauthorized, "credentials were refused");
    }

    [Fact]
    public async Task ES256_tokens_and_Keycloak_realm_roles_are_accepted()
    {
        var ec = factory.IdentityProvider.Token("ec-user", ["read@" + Tenant], TestIdentityProvider.Key.Ec);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(Request("GET", "/ngsi-ld/v1/types", "", ec))).StatusCode);
        var keycloak = factory.IdentityProvider.Token("kc-user", ["read@" + Tenant], keycloakRoles: true);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(Request("GET", "/ngsi-ld/v1/types", "", keycloak))).StatusCode);
        var unrelated = factory.IdentityProvider.Token("kc-nobody", ["uma_authorization"], keycloakRoles: true);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(Request("GET", "/ngsi-ld/v1/types", "", unrelated))).StatusCode);
    }

    [Fact]
    public async Task An_API_key_admits_its_roles_in_its_tenant_only()
    {
        var id = NewEntityId();
        var create = Request("POST", "/ngsi-ld/v1/entities", $$"""{"id":"{{id}}","type":"ParkingSpot"}""");
        create.Headers.Add("X-API-Key", factory.ApiKey);
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(create)).StatusCode);

        var read = Request("GET", $"/ngsi-ld/v1/entities/{id}", "");
        read.Headers.Authorization = new AuthenticationHeaderValue("ApiKey", factory.ApiKey);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(read)).StatusCode);

        var subscribe = Request("GET", "/ngsi-ld/v1/subscriptions", "");
        subscribe.Headers.Add("X-API-Key", factory.ApiKey);
        await AssertProblemAsync(await SendAsync(subscribe), HttpStatusCode.Forbidden, "apikey:lorawan-adapter has no subscribe role");

        var elsewhere = Request("GET", "/ngsi-ld/v1/types", "", tenant: "bad-schwartau");
        elsewhere.Headers.Add("X-API-Key", factory.ApiKey);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(elsewhere)).StatusCode);

        var wrong = Request("GET", "/ngsi-ld/v1/types", "");
        wrong.Headers.Add("X-API-Key", factory.ApiKey[..^1] + (factory.ApiKey[^1] == '0' ? '1' : '0'));
        await AssertProblemAsync(await SendAsync(wrong), HttpStatusCode.Unauthorized, "API key is not known");
    }

    [Fact]
    public async Task Writes_and_denials_are_in_the_audit_log_with_who_tenant_and_what()
    {
        var id = NewEntityId();
        Assert.Equal(HttpStatusCode.Created, (await AsAdminAsync("POST", "/ngsi-ld/v1/entities", $$"""{"id":"{{id}}","type":"ParkingSpot"}""")).StatusCode);
        var reader = factory.IdentityProvider.Token("curious-reader", ["read@" + Tenant]);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(Request("DELETE", $"/ngsi-ld/v1/entities/{id}", "", reader))).StatusCode);

        var records = factory.Audit.Records;
        var write = Assert.Single(records, r => Value(r.State, "Path") == "/ngsi-ld/v1/entities" && Value(r.State, "Client") == "city-admin" && Value(r.State, "Status") == "201");
        Assert.Equal((Tenant, "POST"), (Value(write.State, "Tenant"), Value(write.State, "Method")));
        Assert.NotNull(Value(write.State, "At"));
        var denied = Assert.Single(records, r => Value(r.State, "Client") == "curious-reader" && Value(r.State, "Path") == $"/ngsi-ld/v1/entities/{id}");
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, denied.Level);
        Assert.Equal(("DELETE", "403", Tenant), (Value(denied.State, "Method"), Value(denied.State, "Status"), Value(denied.State, "Tenant")));
        Assert.Contains("no write role", Value(denied.State, "Reason"), StringComparison.Ordinal);
    }

    private static string? Value(IReadOnlyList<KeyValuePair<string, object?>> state, string name) =>
        state.FirstOrDefault(p => p.Key == name).Value?.ToString();
}
