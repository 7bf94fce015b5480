using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests;

/// <summary>The configured limits: Broker:MaxBodyBytes (413), Broker:MaxJsonDepth (400) and Broker:MaxLimit (403 TooManyResults).</summary>
public sealed class LimitsTests(SmallLimitsBrokerFactory factory) : BrokerTest<SmallLimitsBrokerFactory>(factory)
{
    private static string EntityOfSize(string id, int size)
    {
        var head = $$$"""{"id":"{{{id}}}","type":"Blob","data":{"type":"Property","value":" """;
        const string Tail = "\"}}";
        return head + new string('x', size - Encoding.UTF8.GetByteCount(head) - Tail.Length) + Tail;
    }

    [Fact]
    public async Task A_body_at_the_limit_is_accepted()
    {
        var id = NewId("Blob");
        var body = EntityOfSize(id, SmallLimitsBrokerFactory.MaxBodyBytes);
        Assert.Equal(SmallLimitsBrokerFactory.MaxBodyBytes, Encoding.UTF8.GetByteCount(body));

        await AssertStatus(HttpStatusCode.Created, await SendAsync(HttpMethod.Post, Entities, body));
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_and_stores_nothing()
    {
        var id = NewId("Blob");

        var response = await SendAsync(HttpMethod.Post, Entities, EntityOfSize(id, SmallLimitsBrokerFactory.MaxBodyBytes + 1));

        await AssertStatus(HttpStatusCode.RequestEntityTooLarge, response);
        var problem = await ReadJsonAsync(response);
        Assert.StartsWith(ErrorBase, (string?)problem["type"], StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty((string?)problem["detail"]));
        await AssertEntityAbsent(id);
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_413()
    {
        var id = NewId("Blob");
        var request = new HttpRequestMessage(HttpMethod.Post, Entities)
        {
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(EntityOfSize(id, 3 * SmallLimitsBrokerFactory.MaxBodyBytes)))),
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = true;

        var response = await Client.SendAsync(request);

        await AssertStatus(HttpStatusCode.RequestEntityTooLarge, response);
        await AssertEntityAbsent(id);
    }

    private static string Nested(int depth) =>
        string.Concat(Enumerable.Repeat("{\"a\":", depth - 1)) + "1" + new string('}', depth - 1);

    [Fact]
    public async Task JSON_nested_deeper_than_MaxJsonDepth_is_400_and_stores_nothing()
    {
        var id = NewId("Deep");
        var body = $$$"""{"id":"{{{id}}}","type":"Deep","data":{"type":"JsonProperty","json":{{{Nested(SmallLimitsBrokerFactory.MaxJsonDepth + 2)}}}}}""";

        var response = await SendAsync(HttpMethod.Post, Entities, body);

        await AssertStatus(HttpStatusCode.BadRequest, response);
        var type = (string?)(await ReadJsonAsync(response))["type"];
        Assert.Contains(type, new[] { ErrorBase + "InvalidRequest", ErrorBase + "BadRequestData" });
        await AssertEntityAbsent(id);
    }

    [Fact]
    public async Task JSON_nested_to_MaxJsonDepth_is_accepted()
    {
        var id = NewId("Deep");
        // entity (1) > data (2) > json (3) > ...: the innermost object is at depth MaxJsonDepth.
        var body = $$$"""{"id":"{{{id}}}","type":"Deep","data":{"type":"JsonProperty","json":{{{Nested(SmallLimitsBrokerFactory.MaxJsonDepth - 2)}}}}}""";

        await AssertStatus(HttpStatusCode.Created, await SendAsync(HttpMethod.Post, Entities, body));
        Assert.NotNull((await GetEntityAsync(id))["data"]!["json"]);
    }

    [Fact]
    public async Task A_limit_over_MaxLimit_is_403_TooManyResults()
    {
        await CreateAsync("Car");

        var response = await Client.GetAsync(new Uri($"{Entities}?type=Car&limit={SmallLimitsBrokerFactory.MaxLimit + 1}", UriKind.Relative));

        await AssertProblem(response, HttpStatusCode.Forbidden, "TooManyResults");
    }

    [Fact]
    public async Task A_limit_of_MaxLimit_is_accepted()
    {
        var id = await CreateAsync("Car");

        var result = Assert.IsType<JsonArray>(await GetJsonAsync($"{Entities}?type=Car&limit={SmallLimitsBrokerFactory.MaxLimit}"));

        Assert.Contains(result, e => (string?)e!["id"] == id);
    }
}
