using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests;

/// <summary>The JSON-LD @context of requests and responses (clause 6.3.5): Link header, inline @context, compaction, unreachable contexts.</summary>
public sealed class JsonLdContextTests(BrokerFactory factory) : BrokerTest<BrokerFactory>(factory)
{
    private static string LinkTo(string url) => $"<{url}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"";

    private async Task<string> CreateParkingWithLinkAsync()
    {
        var id = NewId("Parking");
        var request = Request(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Parking","spots":{"type":"Property","value":120},"name":{"type":"Property","value":"P1"}}""");
        request.Headers.Add("Link", LinkTo(StubContextLoader.ParkingContextUrl));
        await AssertStatus(HttpStatusCode.Created, await Client.SendAsync(request));
        return id;
    }

    private async Task<HttpResponseMessage> GetWithLinkAsync(string uri, string? accept = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Add("Link", LinkTo(StubContextLoader.ParkingContextUrl));
        if (accept is not null)
            request.Headers.Add("Accept", accept);
        return await Client.SendAsync(request);
    }

    [Fact]
    public async Task Terms_of_a_Link_context_are_expanded_on_write_and_compacted_on_read()
    {
        var id = await CreateParkingWithLinkAsync();

        var response = await GetWithLinkAsync(Path(id));

        await AssertStatus(HttpStatusCode.OK, response);
        var entity = await ReadJsonAsync(response);
        AssertJsonEqual(JsonNode.Parse($$$"""{"id":"{{{id}}}","type":"Parking","spots":{"type":"Property","value":120},"name":{"type":"Property","value":"P1"}}"""), entity);
    }

    [Fact]
    public async Task Without_the_user_context_the_response_shows_full_IRIs()
    {
        var id = await CreateParkingWithLinkAsync();

        var entity = await GetEntityAsync(id);

        Assert.Equal(StubContextLoader.ParkingType, (string?)entity["type"]);
        Assert.Equal(120, (int)entity[StubContextLoader.SpotsIri]!["value"]!);
        Assert.Equal("P1", (string?)entity["name"]!["value"]);
    }

    [Fact]
    public async Task The_response_Link_header_echoes_the_request_context_URL()
    {
        var id = await CreateParkingWithLinkAsync();

        var response = await GetWithLinkAsync(Path(id));

        await AssertStatus(HttpStatusCode.OK, response);
        var link = Assert.Single(response.Headers.GetValues("Link"));
        Assert.Contains($"<{StubContextLoader.ParkingContextUrl}>", link, StringComparison.Ordinal);
        Assert.Contains("rel=\"http://www.w3.org/ns/json-ld#context\"", link, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_ld_json_response_carries_the_request_context_in_the_body()
    {
        var id = await CreateParkingWithLinkAsync();

        var response = await GetWithLinkAsync(Path(id), "application/ld+json");

        await AssertStatus(HttpStatusCode.OK, response);
        Assert.Equal("application/ld+json", response.Content.Headers.ContentType?.MediaType);
        var entity = await ReadJsonAsync(response);
        var context = entity["@context"]!;
        var urls = context is JsonArray array ? array.Select(c => (string?)c).ToList() : [(string?)context];
        Assert.Contains(StubContextLoader.ParkingContextUrl, urls);
        Assert.Equal("Parking", (string?)entity["type"]);
    }

    [Fact]
    public async Task Query_by_a_compacted_type_uses_the_Link_context()
    {
        var id = await CreateParkingWithLinkAsync();

        var withContext = await GetWithLinkAsync($"{Entities}?type=Parking&attrs=spots");
        var byIri = Assert.IsType<JsonArray>(await GetJsonAsync($"{Entities}?type={Uri.EscapeDataString(StubContextLoader.ParkingType)}"));
        var withoutContext = Assert.IsType<JsonArray>(await GetJsonAsync($"{Entities}?type=Parking"));

        await AssertStatus(HttpStatusCode.OK, withContext);
        var found = Assert.IsType<JsonArray>(await ReadJsonAsync(withContext));
        Assert.Contains(found, e => (string?)e!["id"] == id && e["spots"] is not null);
        Assert.Contains(byIri, e => (string?)e!["id"] == id);
        Assert.DoesNotContain(withoutContext, e => (string?)e!["id"] == id);
    }

    [Fact]
    public async Task An_inline_context_of_an_ld_json_body_expands_the_terms()
    {
        var id = NewId("Parking");
        var body = $$$"""{"id":"{{{id}}}","type":"Parking","spots":{"type":"Property","value":7},"@context":["{{{StubContextLoader.ParkingContextUrl}}}","{{{CoreContextUrl}}}"]}""";

        await AssertStatus(HttpStatusCode.Created, await SendAsync(HttpMethod.Post, Entities, body, "application/ld+json"));

        var entity = await GetEntityAsync(id);
        Assert.Equal(StubContextLoader.ParkingType, (string?)entity["type"]);
        Assert.Equal(7, (int)entity[StubContextLoader.SpotsIri]!["value"]!);
    }

    [Fact]
    public async Task An_embedded_context_object_is_applied()
    {
        var id = NewId("Parking");
        var body = $$$"""{"id":"{{{id}}}","type":"Lot","capacity":{"type":"Property","value":9},"@context":{"Lot":"https://example.org/Lot","capacity":"https://example.org/capacity"}}""";

        await AssertStatus(HttpStatusCode.Created, await SendAsync(HttpMethod.Post, Entities, body, "application/ld+json"));

        var entity = await GetEntityAsync(id);
        Assert.Equal("https://example.org/Lot", (string?)entity["type"]);
        Assert.Equal(9, (int)entity["https://example.org/capacity"]!["value"]!);
    }

    [Fact]
    public async Task A_Link_context_that_cannot_be_loaded_is_503_LdContextNotAvailable_and_stores_nothing()
    {
        var id = NewId("Parking");
        var request = Request(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Parking"}""");
        request.Headers.Add("Link", LinkTo("https://contexts.example.org/missing.jsonld"));

        var response = await Client.SendAsync(request);

        await AssertProblem(response, HttpStatusCode.ServiceUnavailable, "LdContextNotAvailable");
        await AssertEntityAbsent(id);
    }

    [Fact]
    public async Task In_a_JSON_LD_batch_each_entity_whose_context_cannot_be_loaded_fails_alone_with_LdContextNotAvailable()
    {
        var (missing, parked) = (NewId("Parking"), NewId("Parking"));
        var body = $$$"""
            [{"id":"{{{missing}}}","type":"Parking","@context":"https://contexts.example.org/missing.jsonld"},
             {"id":"{{{parked}}}","type":"Parking","@context":"{{{StubContextLoader.ParkingContextUrl}}}"}]
            """;

        var response = await SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entityOperations/create", body, "application/ld+json");

        await AssertStatus(HttpStatusCode.MultiStatus, response);
        var result = await ReadJsonAsync(response);
        Assert.Equal([parked], result["success"]!.AsArray().Select(n => (string?)n));
        var error = Assert.Single(result["errors"]!.AsArray())!;
        Assert.Equal(missing, (string?)error["entityId"]);
        Assert.Equal(ErrorBase + "LdContextNotAvailable", (string?)error["error"]!["type"]);
        Assert.Equal(503, (int)error["error"]!["status"]!);
        await AssertEntityAbsent(missing);
    }

    [Fact]
    public async Task An_inline_context_URL_that_cannot_be_loaded_is_503_on_a_read_too()
    {
        var id = await CreateParkingWithLinkAsync();
        var request = new HttpRequestMessage(HttpMethod.Get, Path(id));
        request.Headers.Add("Link", LinkTo("https://contexts.example.org/gone.jsonld"));

        var response = await Client.SendAsync(request);

        await AssertProblem(response, HttpStatusCode.ServiceUnavailable, "LdContextNotAvailable");
    }

    [Fact]
    public async Task A_context_document_that_is_not_a_context_is_400_or_503_and_stores_nothing()
    {
        const string Url = "https://contexts.example.org/not-a-context.jsonld";
        Factory.ContextLoader.Serve(Url, """{"hello":"world"}""");
        var id = NewId("Parking");
        var request = Request(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Parking"}""");
        request.Headers.Add("Link", LinkTo(Url));

        var response = await Client.SendAsync(request);

        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.BadRequest, HttpStatusCode.ServiceUnavailable });
        await AssertEntityAbsent(id);
    }

    [Fact]
    public async Task A_remote_context_is_fetched_once_for_many_requests()
    {
        var url = $"https://contexts.example.org/cached-{Guid.NewGuid():N}.jsonld";
        Factory.ContextLoader.Serve(url, StubContextLoader.ParkingContext);
        var before = Factory.ContextLoader.Loads;

        for (var i = 0; i < 5; i++)
        {
            var request = Request(HttpMethod.Post, Entities, $$$"""{"id":"{{{NewId("Parking")}}}","type":"Parking"}""");
            request.Headers.Add("Link", LinkTo(url));
            await AssertStatus(HttpStatusCode.Created, await Client.SendAsync(request));
        }

        Assert.Equal(1, Factory.ContextLoader.Loads - before);
    }

    [Fact]
    public async Task A_malformed_Link_header_is_400()
    {
        var request = Request(HttpMethod.Post, Entities, $$$"""{"id":"{{{NewId("Parking")}}}","type":"Parking"}""");
        request.Headers.TryAddWithoutValidation("Link", "https://contexts.example.org/x.jsonld; rel=\"http://www.w3.org/ns/json-ld#context\"");

        var response = await Client.SendAsync(request);

        await AssertProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
    }

    [Fact]
    public async Task An_invalid_inline_context_is_400()
    {
        var id = NewId("Parking");
        var body = $$$"""{"id":"{{{id}}}","type":"Parking","@context":42}""";

        var response = await SendAsync(HttpMethod.Post, Entities, body, "application/ld+json");

        await AssertProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
        await AssertEntityAbsent(id);
    }
}

/// <summary>The broker's own HTTP loader, against a context server that is not there (a closed loopback port).</summary>
public sealed class UnreachableContextTests(HttpLoaderBrokerFactory factory) : BrokerTest<HttpLoaderBrokerFactory>(factory)
{
    private static int ClosedLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Fact]
    public async Task A_context_on_a_closed_port_is_503_LdContextNotAvailable_and_stores_nothing()
    {
        var id = NewId("Parking");
        var request = Request(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Parking"}""");
        request.Headers.Add("Link", $"<http://127.0.0.1:{ClosedLoopbackPort()}/context.jsonld>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"");

        var response = await Client.SendAsync(request);

        await AssertProblem(response, HttpStatusCode.ServiceUnavailable, "LdContextNotAvailable");
        await AssertEntityAbsent(id);
    }

    [Fact]
    public async Task An_inline_context_on_a_closed_port_is_503_LdContextNotAvailable()
    {
        var id = NewId("Parking");
        var body = $$$"""{"id":"{{{id}}}","type":"Parking","@context":"http://127.0.0.1:{{{ClosedLoopbackPort()}}}/context.jsonld"}""";

        var response = await SendAsync(HttpMethod.Post, Entities, body, "application/ld+json");

        await AssertProblem(response, HttpStatusCode.ServiceUnavailable, "LdContextNotAvailable");
        await AssertEntityAbsent(id);
    }
}
