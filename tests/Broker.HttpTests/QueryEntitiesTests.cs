using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests;

/// <summary>Query entities (clause 5.7.2, 6.4.3.2) with pagination (clause 5.5.9) and counting (clause 4.13).</summary>
public sealed class QueryEntitiesTests(BrokerFactory factory) : BrokerTest<BrokerFactory>(factory)
{
    /// <summary>Five entities of a type of their own: ids ordered, every other one with a "speed".</summary>
    private async Task<(string Type, List<string> Ids)> SeedAsync(int count = 5)
    {
        var type = "Car" + Guid.NewGuid().ToString("N")[..8];
        var ids = new List<string>();
        var prefix = $"urn:ngsi-ld:{type}:";
        for (var i = 0; i < count; i++)
        {
            var id = prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var speed = i % 2 == 0 ? $$$""","speed":{"type":"Property","value":{{{i}}}}""" : "";
            await AssertStatus(HttpStatusCode.Created, await SendAsync(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"{{{type}}}","name":{"type":"Property","value":"car {{{i}}}"}{{{speed}}}}"""));
            ids.Add(id);
        }
        return (type, ids);
    }

    private async Task<List<string>> IdsAsync(string query)
    {
        var result = Assert.IsType<JsonArray>(await GetJsonAsync($"{Entities}?{query}"));
        return result.Select(e => (string)e!["id"]!).ToList();
    }

    [Fact]
    public async Task Query_by_type_returns_exactly_the_entities_of_that_type()
    {
        var (type, ids) = await SeedAsync();
        await SeedAsync(2);

        var found = await IdsAsync($"type={type}");

        Assert.Equal(ids.Order(StringComparer.Ordinal), found.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Query_by_several_types_returns_the_union()
    {
        var (first, firstIds) = await SeedAsync(2);
        var (second, secondIds) = await SeedAsync(3);

        var found = await IdsAsync($"type={first},{second}");

        Assert.Equal(firstIds.Concat(secondIds).Order(StringComparer.Ordinal), found.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Query_by_id_list_returns_those_entities()
    {
        var (_, ids) = await SeedAsync();

        var found = await IdsAsync($"id={ids[1]},{ids[3]},urn:ngsi-ld:Car:none&local=true");

        Assert.Equal([ids[1], ids[3]], found.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Query_by_id_alone_is_400_because_it_is_not_a_selector()
    {
        // Clause 5.7.2 as the ETSI suite reads it (test 019_03_05): id narrows a query, it does not make one.
        var (_, ids) = await SeedAsync(1);

        var response = await Client.GetAsync(new Uri($"{Entities}?id={ids[0]}", UriKind.Relative));

        await AssertProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
    }

    [Fact]
    public async Task Query_by_idPattern_matches_the_regular_expression()
    {
        var (type, ids) = await SeedAsync();

        var found = await IdsAsync($"idPattern={Uri.EscapeDataString($"^urn:ngsi-ld:{type}:[0-2]$")}");

        Assert.Equal(ids.Take(3), found.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Query_by_type_and_attrs_returns_the_entities_that_have_one_of_the_attributes()
    {
        var (type, ids) = await SeedAsync();

        var found = await IdsAsync($"type={type}&attrs=speed");

        Assert.Equal([ids[0], ids[2], ids[4]], found.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Query_with_attrs_projects_the_attributes()
    {
        var (type, _) = await SeedAsync();

        var result = Assert.IsType<JsonArray>(await GetJsonAsync($"{Entities}?type={type}&attrs=speed"));

        Assert.All(result, e => Assert.Equal(["id", "speed", "type"], e!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal)));
    }

    [Fact]
    public async Task Query_with_keyValues_returns_simplified_entities()
    {
        var (type, ids) = await SeedAsync(1);

        var result = Assert.IsType<JsonArray>(await GetJsonAsync($"{Entities}?type={type}&options=keyValues"));

        AssertJsonEqual(JsonNode.Parse($$$"""[{"id":"{{{ids[0]}}}","type":"{{{type}}}","name":"car 0","speed":0}]"""), result);
    }

    [Fact]
    public async Task Pages_of_limit_and_offset_cover_every_entity_exactly_once()
    {
        var (type, ids) = await SeedAsync();

        var pages = new List<string>();
        for (var offset = 0; offset < 6; offset += 2)
        {
            var page = await IdsAsync($"type={type}&limit=2&offset={offset}");
            Assert.True(page.Count <= 2);
            pages.AddRange(page);
        }

        Assert.Equal(ids, pages.Order(StringComparer.Ordinal));
        Assert.Empty(await IdsAsync($"type={type}&limit=2&offset=5"));
    }

    [Fact]
    public async Task Count_true_puts_the_total_in_the_NGSILD_Results_Count_header()
    {
        var (type, _) = await SeedAsync();

        var response = await Client.GetAsync(new Uri($"{Entities}?type={type}&count=true&limit=2", UriKind.Relative));

        await AssertStatus(HttpStatusCode.OK, response);
        Assert.Equal("5", Assert.Single(response.Headers.GetValues("NGSILD-Results-Count")));
        Assert.Equal(2, Assert.IsType<JsonArray>(await ReadJsonAsync(response)).Count);
    }

    [Fact]
    public async Task Limit_0_with_count_returns_only_the_count()
    {
        var (type, _) = await SeedAsync(3);

        var response = await Client.GetAsync(new Uri($"{Entities}?type={type}&count=true&limit=0", UriKind.Relative));

        await AssertStatus(HttpStatusCode.OK, response);
        Assert.Equal("3", Assert.Single(response.Headers.GetValues("NGSILD-Results-Count")));
        Assert.Empty(Assert.IsType<JsonArray>(await ReadJsonAsync(response)));
    }

    [Fact]
    public async Task Without_count_there_is_no_count_header()
    {
        var (type, _) = await SeedAsync(1);

        var response = await Client.GetAsync(new Uri($"{Entities}?type={type}", UriKind.Relative));

        await AssertStatus(HttpStatusCode.OK, response);
        Assert.False(response.Headers.Contains("NGSILD-Results-Count"));
    }

    [Fact]
    public async Task The_default_page_size_is_20()
    {
        var (type, _) = await SeedAsync(23);

        Assert.Equal(20, (await IdsAsync($"type={type}")).Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("limit=5")]
    [InlineData("options=keyValues")]
    public async Task Query_without_any_selector_is_400(string query)
    {
        await SeedAsync(1);

        var response = await Client.GetAsync(new Uri($"{Entities}?{query}", UriKind.Relative));

        await AssertProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
    }

    [Fact]
    public async Task Query_with_an_unknown_parameter_is_400_InvalidRequest()
    {
        var response = await Client.GetAsync(new Uri($"{Entities}?type=Building&frobnicate=1", UriKind.Relative));

        await AssertProblem(response, HttpStatusCode.BadRequest, "InvalidRequest");
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=-1")]
    [InlineData("limit=abc")]
    [InlineData("offset=-1")]
    [InlineData("count=yes")]
    [InlineData("idPattern=%5B")]
    [InlineData("id=not-a-uri")]
    [InlineData("type=a%20b")]
    [InlineData("attrs=,")]
    public async Task Query_with_an_invalid_parameter_is_400(string query)
    {
        await SeedAsync(1);

        var response = await Client.GetAsync(new Uri($"{Entities}?type=Car&{query}", UriKind.Relative));

        await AssertProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
    }

    [Fact]
    public async Task Query_with_a_known_but_unimplemented_parameter_is_501()
    {
        await SeedAsync(1);

        var response = await Client.GetAsync(new Uri($"{Entities}?type=Car&collect=name", UriKind.Relative));

        await AssertStatus(HttpStatusCode.NotImplemented, response);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }
}
