using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Temporal;

/// <summary>
/// POST /temporal/entityOperations/query (clause 6.24, data types Query 5.2.23 and TemporalQuery 5.2.21): the temporal
/// query in a payload answers as the same query in the URL does.
/// </summary>
public sealed class QueryPostTests(BrokerFactory factory) : TemporalTest<BrokerFactory>(factory)
{
    private async Task<HttpResponseMessage> PostQueryAsync(JsonObject query, string parameters = "")
    {
        query["type"] ??= "Query";
        return await SendAsync(HttpMethod.Post, TemporalQuery + (parameters.Length == 0 ? "" : "?" + parameters), query);
    }

    private async Task<JsonArray> PostQueryOkAsync(JsonObject query, string parameters = "")
    {
        var response = await PostQueryAsync(query, parameters);
        await AssertStatus(HttpStatusCode.OK, response);
        return Assert.IsType<JsonArray>(await ReadJsonAsync(response));
    }

    private static JsonObject Selector(string type) => new() { ["type"] = type };

    private async Task<(string Type, string First, string Second)> SeedAsync()
    {
        var type = NewType();
        var first = await SeriesAsync(type, "v", Enumerable.Range(0, 4).Select(h => (T0.AddHours(h), (JsonNode?)h)));
        var second = await SeriesAsync(type, "v", Enumerable.Range(0, 4).Select(h => (T0.AddHours(h), (JsonNode?)(10 + h))));
        return (type, first, second);
    }

    [Fact]
    public async Task A_temporalQ_payload_answers_as_the_url_parameters_do()
    {
        var (type, first, _) = await SeedAsync();

        var posted = await PostQueryOkAsync(new JsonObject
        {
            ["entities"] = Array(Selector(type)),
            ["temporalQ"] = new JsonObject { ["timerel"] = "between", ["timeAt"] = Hours(1), ["endTimeAt"] = Hours(3) },
        }, "options=temporalValues");
        var got = await QueryTemporalAsync($"type={type}&timerel=between&timeAt={Hours(1)}&endTimeAt={Hours(3)}&options=temporalValues");

        AssertJsonEqual(got, posted);
        Assert.Equal(2, posted.Count);
        Assert.Equal([1.0, 2], ValueNumbers(Assert.IsType<JsonObject>(posted.Single(e => (string?)e!["id"] == first)), "v"));
    }

    [Fact]
    public async Task LastN_and_timeproperty_are_read_from_temporalQ()
    {
        var (type, first, _) = await SeedAsync();

        var posted = await PostQueryOkAsync(new JsonObject
        {
            ["entities"] = Array(new JsonObject { ["type"] = type, ["id"] = first }),
            ["temporalQ"] = new JsonObject { ["lastN"] = 2, ["timeproperty"] = "observedAt" },
        }, "options=temporalValues");

        var entity = Assert.IsType<JsonObject>(Assert.Single(posted));
        Assert.Equal(first, (string?)entity["id"]);
        Assert.Equal([2.0, 3], ValueNumbers(entity, "v"));
    }

    [Fact]
    public async Task Attrs_and_q_of_the_payload_select()
    {
        var (type, _, second) = await SeedAsync();

        var posted = await PostQueryOkAsync(new JsonObject
        {
            ["entities"] = Array(Selector(type)),
            ["attrs"] = Array("v"),
            ["q"] = "v>=10",
        });

        Assert.Equal([second], IdsOf(posted));
    }

    [Fact]
    public async Task Several_entity_selectors_give_the_union_paged_once_with_its_count()
    {
        var (a, a1, a2) = await SeedAsync();
        var (b, b1, b2) = await SeedAsync();
        var all = new[] { a1, a2, b1, b2 }.Order(StringComparer.Ordinal).ToList();

        var response = await PostQueryAsync(new JsonObject { ["entities"] = Array(Selector(a), Selector(b)) }, "count=true&limit=3");
        var rest = await PostQueryOkAsync(new JsonObject { ["entities"] = Array(Selector(a), Selector(b)) }, "limit=3&offset=3");

        await AssertStatus(HttpStatusCode.OK, response);
        Assert.Equal("4", Assert.Single(response.Headers.GetValues("NGSILD-Results-Count")));
        var page = IdsOf(Assert.IsType<JsonArray>(await ReadJsonAsync(response)));
        Assert.Equal(all, page.Concat(IdsOf(rest)));
    }

    [Fact]
    public async Task AggregatedValues_are_given_for_a_posted_query()
    {
        var (type, first, second) = await SeedAsync();

        var posted = await PostQueryOkAsync(new JsonObject
        {
            ["entities"] = Array(Selector(type)),
            ["temporalQ"] = new JsonObject { ["timerel"] = "after", ["timeAt"] = Iso(T0.AddMinutes(-1)) },
        }, "options=aggregatedValues&aggrMethods=sum,max");

        var byId = posted.ToDictionary(e => (string)e!["id"]!, e => e!["v"]!);
        Assert.Equal(0 + 1 + 2 + 3, (double)byId[first]["sum"]![0]![0]!);
        Assert.Equal(10 + 11 + 12 + 13, (double)byId[second]["sum"]![0]![0]!);
        Assert.Equal(13, (double)byId[second]["max"]![0]![0]!);
    }

    [Fact]
    public async Task A_geoQ_of_the_payload_selects_by_location()
    {
        var type = NewType();
        var near = NewId(type);
        await CreateAsync(Entity(near, type, ("v", Property(1, T0)),
            ("location", new JsonObject { ["type"] = "GeoProperty", ["value"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(10.6866, 53.8655) } })));
        await CreateAsync(Entity(NewId(type), type, ("v", Property(2, T0)),
            ("location", new JsonObject { ["type"] = "GeoProperty", ["value"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(13.405, 52.52) } })));

        var posted = await PostQueryOkAsync(new JsonObject
        {
            ["entities"] = Array(Selector(type)),
            ["geoQ"] = new JsonObject { ["georel"] = "near;maxDistance==5000", ["geometry"] = "Point", ["coordinates"] = new JsonArray(10.69, 53.87) },
        });

        Assert.Equal([near], IdsOf(posted));
    }

    [Theory]
    [InlineData("""{"type":"Query","entities":[{"type":"T"}],"temporalQ":{"timerel":"before"}}""")]
    [InlineData("""{"type":"Query","entities":[{"type":"T"}],"temporalQ":{"timerel":"after","timeAt":"2024-01-01T00:00:00Z","endTimeAt":"2024-01-02T00:00:00Z"}}""")]
    [InlineData("""{"type":"Query","entities":[{"type":"T"}],"temporalQ":{"lastN":0}}""")]
    [InlineData("""{"type":"Query","entities":[{"type":"T"}],"temporalQ":{"lastN":[1]}}""")]
    [InlineData("""{"type":"Query","entities":[{"type":"T"}],"temporalQ":{"timeproperty":"seenAt"}}""")]
    [InlineData("""{"type":"Query","entities":[{"type":"T"}],"temporalQ":"yesterday"}""")]
    [InlineData("""{"entities":[{"type":"T"}]}""")]
    [InlineData("""{"type":"Query","entities":[]}""")]
    public async Task An_invalid_query_payload_is_400(string body)
    {
        await SeriesAsync(NewType(), "v", [(T0, 1)]);

        await AssertProblem(await SendAsync(HttpMethod.Post, TemporalQuery, body), HttpStatusCode.BadRequest, "BadRequestData");
    }

    [Fact]
    public async Task An_unknown_url_parameter_is_400()
    {
        var (type, _, _) = await SeedAsync();

        var response = await PostQueryAsync(new JsonObject { ["entities"] = Array(Selector(type)) }, "timerel=before");

        await AssertProblem(response, HttpStatusCode.BadRequest, "InvalidRequest");
    }
}
