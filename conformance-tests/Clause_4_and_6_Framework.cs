using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Conformance;

/// <summary>Clause 4.14 Multi-tenancy (header NGSILD-Tenant, clause 6.3.14).</summary>
public sealed class Clause_4_14_Tenants(BrokerUnderTest broker) : ConformanceTest(broker)
{
    [Fact]
    public async Task Entities_are_isolated_between_tenants()
    {
        var id = await CreateAsync("Secret");
        using var other = Broker.CreateClient("ct-other-" + Guid.NewGuid().ToString("N"));
        using var defaultTenant = Broker.CreateClient(null);
        await ExpectStatus(HttpStatusCode.Created, await other.SendAsync(Request(HttpMethod.Post, Entities, $$$"""{"id":"{{{NewId("Other")}}}","type":"Other"}""")));

        await ExpectProblem(await other.GetAsync(Relative(EntityPath(id))), HttpStatusCode.NotFound, "ResourceNotFound");
        await ExpectStatus(HttpStatusCode.NotFound, await defaultTenant.GetAsync(Relative(EntityPath(id))));
        await ExpectStatus(HttpStatusCode.OK, await Client.GetAsync(Relative(EntityPath(id))));
    }

    [Fact]
    public async Task A_tenant_without_any_write_is_404_NonexistentTenant()
    {
        using var client = Broker.CreateClient("ct-never-" + Guid.NewGuid().ToString("N"));

        await ExpectProblem(await client.GetAsync(Relative($"{Entities}?type=Secret")), HttpStatusCode.NotFound, "NonexistentTenant");
    }
}

/// <summary>Clause 4.15 Language filter (lang) on LanguageProperty (clause 5.2.32).</summary>
public sealed class Clause_4_15_LanguageFilter(BrokerUnderTest broker) : ConformanceTest(broker)
{
    [Fact]
    public async Task Lang_picks_the_requested_language()
    {
        var id = await CreateAsync("Building", """ "street":{"type":"LanguageProperty","languageMap":{"fr":"Grand Place","nl":"Grote Markt"}}""");

        var entity = await GetJsonAsync($"{EntityPath(id)}?lang=nl");

        ExpectJson("""{"type":"Property","value":"Grote Markt","lang":"nl"}""", entity["street"]);
    }
}

/// <summary>Clause 4.21 Attribute projection (pick, omit).</summary>
public sealed class Clause_4_21_AttributeProjection(BrokerUnderTest broker) : ConformanceTest(broker)
{
    [Fact]
    public async Task Pick_and_omit_select_members()
    {
        var id = await CreateAsync("Building", """ "name":{"type":"Property","value":"A"},"height":{"type":"Property","value":3}""");

        var picked = (JsonObject)await GetJsonAsync($"{EntityPath(id)}?pick=id,name");
        var omitted = (JsonObject)await GetJsonAsync($"{EntityPath(id)}?omit=name,type");

        Assert.Equal(["id", "name"], picked.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(["height", "id"], omitted.Select(p => p.Key).Order(StringComparer.Ordinal));
    }
}

/// <summary>Clause 6.3.2 Error types: ProblemDetails with the NGSI-LD error type URIs and HTTP status codes.</summary>
public sealed class Clause_6_3_2_ErrorTypes(BrokerUnderTest broker) : ConformanceTest(broker)
{
    [Fact]
    public async Task BadRequestData_InvalidRequest_ResourceNotFound_AlreadyExists_have_their_status_codes()
    {
        var id = await CreateAsync("Thing");

        await ExpectProblem(await SendAsync(HttpMethod.Post, Entities, """{"id":"x y","type":"Thing"}"""), HttpStatusCode.BadRequest, "BadRequestData");
        await ExpectProblem(await SendAsync(HttpMethod.Post, Entities, "{"), HttpStatusCode.BadRequest, "InvalidRequest");
        await ExpectProblem(await Client.GetAsync(Relative(EntityPath(NewId("Thing")))), HttpStatusCode.NotFound, "ResourceNotFound");
        await ExpectProblem(await SendAsync(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Thing"}"""), HttpStatusCode.Conflict, "AlreadyExists");
    }

    [Fact]
    public async Task Problem_details_have_a_detail_different_from_the_title()
    {
        var problem = await ExpectProblem(await SendAsync(HttpMethod.Post, Entities, """{"type":"Thing"}"""), HttpStatusCode.BadRequest, "BadRequestData");

        var detail = (string?)problem["detail"];
        Assert.False(string.IsNullOrWhiteSpace(detail));
        Assert.NotEqual((string?)problem["title"], detail);
    }
}

/// <summary>Clause 6.3.4 Supported MIME types: 415 for request bodies, 406 for Accept.</summary>
public sealed class Clause_6_3_4_MimeTypes(BrokerUnderTest broker) : ConformanceTest(broker)
{
    [Fact]
    public async Task Unsupported_Content_Type_is_415()
    {
        var id = NewId("Thing");

        await ExpectProblem(await SendAsync(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Thing"}""", "text/plain"), HttpStatusCode.UnsupportedMediaType, "UnsupportedMediaType");
        await ExpectAbsent(id);
    }

    [Fact]
    public async Task Unsupported_Accept_is_406()
    {
        var id = await CreateAsync("Thing");
        var request = Request(HttpMethod.Get, EntityPath(id));
        request.Headers.Add("Accept", "text/csv");

        await ExpectProblem(await Client.SendAsync(request), HttpStatusCode.NotAcceptable, "NotAcceptable");
    }
}

/// <summary>Clause 6.3.5 JSON-LD @context resolution: Link header or inline, never both; ld+json responses carry @context.</summary>
public sealed class Clause_6_3_5_JsonLdContext(BrokerUnderTest broker) : ConformanceTest(broker)
{
    private const string CoreContext = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";

    [Fact]
    public async Task Link_header_with_ld_json_body_is_400()
    {
        var id = NewId("Thing");
        var request = Request(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Thing","@context":"{{{CoreContext}}}"}""", "application/ld+json");
        request.Headers.Add("Link", Link(CoreContext));

        await ExpectProblem(await Client.SendAsync(request), HttpStatusCode.BadRequest, "BadRequestData");
        await ExpectAbsent(id);
    }

    [Fact]
    public async Task Inline_context_with_application_json_is_400()
    {
        var id = NewId("Thing");

        await ExpectProblem(await SendAsync(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Thing","@context":"{{{CoreContext}}}"}"""), HttpStatusCode.BadRequest, "BadRequestData");
        await ExpectAbsent(id);
    }

    [Fact]
    public async Task Ld_json_response_has_an_at_context_member()
    {
        var id = await CreateAsync("Thing");
        var request = Request(HttpMethod.Get, EntityPath(id));
        request.Headers.Add("Accept", "application/ld+json");

        var response = await Client.SendAsync(request);

        await ExpectStatus(HttpStatusCode.OK, response);
        Assert.Equal("application/ld+json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull((await ReadJsonAsync(response))["@context"]);
    }

    [Fact]
    public async Task Json_response_has_a_context_Link_header()
    {
        var id = await CreateAsync("Thing");

        var response = await Client.GetAsync(Relative(EntityPath(id)));

        await ExpectStatus(HttpStatusCode.OK, response);
        Assert.Contains(response.Headers.GetValues("Link"), l => l.Contains(ContextRel, StringComparison.Ordinal));
    }

    [Fact]
    public async Task User_context_terms_are_compacted_and_the_Link_is_echoed()
    {
        using var server = new ContextServer();
        var id = NewId("Parking");
        var create = Request(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Parking","spots":{"type":"Property","value":12}}""");
        create.Headers.Add("Link", Link(server.Url));
        await ExpectStatus(HttpStatusCode.Created, await Client.SendAsync(create));

        var read = Request(HttpMethod.Get, EntityPath(id));
        read.Headers.Add("Link", Link(server.Url));
        var response = await Client.SendAsync(read);
        var expanded = await GetJsonAsync(EntityPath(id));

        await ExpectStatus(HttpStatusCode.OK, response);
        ExpectJson($$$"""{"id":"{{{id}}}","type":"Parking","spots":{"type":"Property","value":12}}""", await ReadJsonAsync(response));
        Assert.Contains(response.Headers.GetValues("Link"), l => l.Contains($"<{server.Url}>", StringComparison.Ordinal));
        Assert.Equal("https://smartdatamodels.org/dataModel.Parking/OffStreetParking", (string?)expanded["type"]);
        Assert.NotNull(expanded["https://example.org/spots"]);
    }

    [Fact]
    public async Task Unreachable_context_is_503_LdContextNotAvailable()
    {
        var id = NewId("Thing");
        var request = Request(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Thing"}""");
        request.Headers.Add("Link", Link($"http://127.0.0.1:{ContextServer.FreePort()}/nothing-here.jsonld"));

        await ExpectProblem(await Client.SendAsync(request), HttpStatusCode.ServiceUnavailable, "LdContextNotAvailable");
        await ExpectAbsent(id);
    }
}
