using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests;

/// <summary>Multi-tenancy (clause 4.14, header NGSILD-Tenant of clause 6.3.14).</summary>
public sealed class TenantTests(BrokerFactory factory) : BrokerTest<BrokerFactory>(factory)
{
    private HttpClient ClientOf(string? tenant)
    {
        var client = Factory.CreateClient();
        if (tenant is not null)
            client.DefaultRequestHeaders.Add("NGSILD-Tenant", tenant);
        return client;
    }

    private static string NewTenant() => "tenant-" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task An_entity_of_one_tenant_is_invisible_in_another_and_in_the_default_tenant()
    {
        var a = ClientOf(NewTenant());
        var otherTenant = NewTenant();
        var b = ClientOf(otherTenant);
        var defaultTenant = ClientOf(null);
        var id = NewId("Secret");
        await AssertStatus(HttpStatusCode.Created, await a.SendAsync(Request(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Secret"}""")));
        await AssertStatus(HttpStatusCode.Created, await b.SendAsync(Request(HttpMethod.Post, Entities, $$$"""{"id":"{{{NewId("Other")}}}","type":"Other"}""")));
        await AssertStatus(HttpStatusCode.Created, await defaultTenant.SendAsync(Request(HttpMethod.Post, Entities, $$$"""{"id":"{{{NewId("Other")}}}","type":"Other"}""")));

        await AssertStatus(HttpStatusCode.OK, await a.GetAsync(new Uri(Path(id), UriKind.Relative)));
        await AssertProblem(await b.GetAsync(new Uri(Path(id), UriKind.Relative)), HttpStatusCode.NotFound, "ResourceNotFound");
        await AssertProblem(await defaultTenant.GetAsync(new Uri(Path(id), UriKind.Relative)), HttpStatusCode.NotFound, "ResourceNotFound");
        var inB = Assert.IsType<JsonArray>(JsonNode.Parse(await b.GetStringAsync(new Uri($"{Entities}?type=Secret", UriKind.Relative))));
        Assert.Empty(inB);
        var typesInB = JsonNode.Parse(await b.GetStringAsync(new Uri("/ngsi-ld/v1/types", UriKind.Relative)))!;
        Assert.Equal(["Other"], typesInB["typeList"]!.AsArray().Select(t => (string?)t));
    }

    [Fact]
    public async Task The_same_id_can_exist_in_two_tenants_independently()
    {
        var a = ClientOf(NewTenant());
        var b = ClientOf(NewTenant());
        var id = NewId("Twin");

        await AssertStatus(HttpStatusCode.Created, await a.SendAsync(Request(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Twin","n":{"type":"Property","value":1}}""")));
        await AssertStatus(HttpStatusCode.Created, await b.SendAsync(Request(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Twin","n":{"type":"Property","value":2}}""")));
        await AssertStatus(HttpStatusCode.NoContent, await b.DeleteAsync(new Uri(Path(id), UriKind.Relative)));

        var inA = JsonNode.Parse(await a.GetStringAsync(new Uri(Path(id), UriKind.Relative)))!;
        Assert.Equal(1, (int)inA["n"]!["value"]!);
        await AssertProblem(await b.GetAsync(new Uri(Path(id), UriKind.Relative)), HttpStatusCode.NotFound, "ResourceNotFound");
    }

    [Theory]
    [InlineData("/ngsi-ld/v1/entities/urn:ngsi-ld:X:1")]
    [InlineData("/ngsi-ld/v1/entities?type=X")]
    [InlineData("/ngsi-ld/v1/types")]
    [InlineData("/ngsi-ld/v1/types/X")]
    [InlineData("/ngsi-ld/v1/attributes")]
    [InlineData("/ngsi-ld/v1/attributes/x")]
    public async Task A_read_of_a_tenant_that_never_had_a_write_is_404_NonexistentTenant(string uri)
    {
        var client = ClientOf(NewTenant());

        var response = await client.GetAsync(new Uri(uri, UriKind.Relative));

        await AssertProblem(response, HttpStatusCode.NotFound, "NonexistentTenant");
    }

    [Theory]
    [InlineData("PATCH", "/attrs")]
    [InlineData("POST", "/attrs")]
    [InlineData("PATCH", "")]
    [InlineData("DELETE", "")]
    public async Task A_write_to_an_entity_of_a_tenant_that_does_not_exist_is_404_and_does_not_create_the_tenant(string method, string suffix)
    {
        var tenant = NewTenant();
        var client = ClientOf(tenant);
        var id = NewId("Ghost");
        var request = Request(new HttpMethod(method), Path(id) + suffix, method == "DELETE" ? null : """{"n":{"type":"Property","value":1}}""");

        var response = await client.SendAsync(request);

        await AssertStatus(HttpStatusCode.NotFound, response);
        await AssertProblem(await client.GetAsync(new Uri("/ngsi-ld/v1/types", UriKind.Relative)), HttpStatusCode.NotFound, "NonexistentTenant");
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("semi;colon")]
    [InlineData("slash/tenant")]
    public async Task An_invalid_tenant_name_is_400(string tenant)
    {
        var request = Request(HttpMethod.Post, Entities, $$$"""{"id":"{{{NewId("X")}}}","type":"X"}""");
        request.Headers.TryAddWithoutValidation("NGSILD-Tenant", tenant);

        var response = await Factory.CreateClient().SendAsync(request);

        await AssertProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
    }

    [Fact]
    public async Task A_URI_tenant_name_is_accepted()
    {
        var client = ClientOf("urn:ngsi-ld:tenant:" + Guid.NewGuid().ToString("N"));
        var id = NewId("X");

        await AssertStatus(HttpStatusCode.Created, await client.SendAsync(Request(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"X"}""")));
        await AssertStatus(HttpStatusCode.OK, await client.GetAsync(new Uri(Path(id), UriKind.Relative)));
    }
}
