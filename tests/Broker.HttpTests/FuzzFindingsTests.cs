using System.Net;
using System.Text;
using Xunit;

namespace Broker.HttpTests;

/// <summary>What the hostile-request fuzzing (Broker.StoreTests.HostileRequestFuzzTests) found, pinned one by one: each was a 500, a bare 404 or a write that should have been refused.</summary>
public sealed class FuzzFindingsTests(BrokerFactory factory) : BrokerTest<BrokerFactory>(factory)
{
    private Task<HttpResponseMessage> SendBytesAsync(HttpMethod method, string path, byte[] body)
    {
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return Client.SendAsync(request);
    }

    [Theory]
    [InlineData("PATCH", "/attrs")]
    [InlineData("POST", "/attrs")]
    [InlineData("PATCH", "")]
    [InlineData("PUT", "")]
    public async Task A_string_of_invalid_UTF_8_in_an_update_is_400_and_changes_nothing(string method, string suffix)
    {
        var id = await CreateAsync("Thing", """ "name":{"type":"Property","value":"before"}""");
        byte[] body = [.. "{\"name\":{\"type\":\"Property\",\"value\":\""u8, 0xED, 0xA0, 0x80, .. "\"},\"type\":\"Thing\"}"u8];
        await AssertProblem(await SendBytesAsync(new HttpMethod(method), Path(id) + suffix, body), HttpStatusCode.BadRequest, "InvalidRequest");
        Assert.Equal("before", (string?)(await GetEntityAsync(id, "?options=keyValues"))["name"]);
    }

    [Theory]
    [InlineData("1e999999")]
    [InlineData("-1e999999")]
    [InlineData("[1, {\"deep\": 1e400}]")]
    public async Task A_number_beyond_the_range_of_a_double_is_400_and_creates_nothing(string value)
    {
        var id = NewId();
        await AssertProblem(await SendAsync(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Thing","big":{"type":"Property","value":{{{value}}}}}"""),
            HttpStatusCode.BadRequest, "BadRequestData");
        await AssertEntityAbsent(id);
    }

    [Theory]
    [InlineData("PUT", "/ngsi-ld/v1/types/urn:ngsi-ld:Thing:.*", HttpStatusCode.MethodNotAllowed)]
    [InlineData("GET", "/ngsi-ld/v1/nothing/here.json", HttpStatusCode.NotImplemented)]
    [InlineData("GET", "/no/such/file.txt", HttpStatusCode.NotFound)]
    public async Task A_path_whose_last_segment_looks_like_a_file_name_gets_a_ProblemDetails(string method, string path, HttpStatusCode status)
    {
        using var response = await SendAsync(new HttpMethod(method), path, method == "GET" ? null : "{}");
        Assert.Equal(status, response.StatusCode);
        var problem = await ReadJsonAsync(response);
        Assert.Equal((int)status, (int)problem["status"]!);
    }

    [Fact]
    public async Task A_polygon_of_more_positions_than_the_limit_is_400()
    {
        var ring = string.Join(",", Enumerable.Range(0, Geo.GeoJson.MaxPositions + 1).Select(i => $"[{i % 180},{i % 90}]"));
        var query = $$$"""{"type":"Query","entities":[{"type":"Thing"}],"geoQ":{"geometry":"Polygon","coordinates":[[{{{ring}}},[0,0]]],"georel":"within"}}""";
        var problem = await AssertProblem(await SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entityOperations/query", query), HttpStatusCode.BadRequest, "BadRequestData");
        Assert.Contains("positions", (string?)problem["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hosted_context_that_a_JSON_LD_processor_would_reject_is_400()
    {
        await AssertProblem(await SendAsync(HttpMethod.Post, "/ngsi-ld/v1/jsonldContexts", """{"@context":{"@version":99,"name":"https://example.org/name"}}"""),
            HttpStatusCode.BadRequest, "BadRequestData");
    }
}
