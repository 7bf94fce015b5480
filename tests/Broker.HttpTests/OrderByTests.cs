using System.Net;
using Xunit;

namespace Broker.HttpTests;

/// <summary>orderBy on queries (clause 4.23): by id, type, the entity's and an attribute's timestamps, values and sub-attribute values.</summary>
public sealed class OrderByTests(BrokerFactory factory) : BrokerTest<BrokerFactory>(factory)
{
    private async Task<(string Type, string A, string B, string C)> CreateBuildingsAsync()
    {
        var type = "Building" + Guid.NewGuid().ToString("N")[..8];
        // Created in the order B, A, C; names A < B < C; floors 30 > 20 > 10 for A, B, C; C has no height.
        async Task<string> Create(string suffix, string name, int floors, string height)
        {
            var id = $"urn:ngsi-ld:{type}:{suffix}";
            var body = $$$"""{"id":"{{{id}}}","type":"{{{type}}}","name":{"type":"Property","value":"{{{name}}}","rank":{"type":"Property","value":{{{floors}}}}}{{{height}}}}""";
            await AssertStatus(HttpStatusCode.Created, await SendAsync(HttpMethod.Post, Entities, body));
            return id;
        }
        var b = await Create("b", "B", 20, ""","height":{"type":"Property","value":12.5}""");
        var a = await Create("a", "A", 30, ""","height":{"type":"Property","value":40}""");
        var c = await Create("c", "C", 10, "");
        return (type, a, b, c);
    }

    private async Task<List<string>> IdsAsync(string type, string orderBy, string extra = "")
    {
        var page = await GetJsonAsync($"{Entities}?type={type}&orderBy={Uri.EscapeDataString(orderBy)}{extra}");
        return [.. page.AsArray().Select(e => (string)e!["id"]!)];
    }

    [Fact]
    public async Task Entities_are_ordered_by_each_kind_of_key_in_either_direction()
    {
        var (type, a, b, c) = await CreateBuildingsAsync();
        Assert.Equal([a, b, c], await IdsAsync(type, "name"));
        Assert.Equal([a, b, c], await IdsAsync(type, "id"));
        Assert.Equal([c, b, a], await IdsAsync(type, "name;desc"));
        Assert.Equal([b, a, c], await IdsAsync(type, "createdAt"));
        Assert.Equal([b, a, c], await IdsAsync(type, "name.createdAt"));
        Assert.Equal([c, b, a], await IdsAsync(type, "name.rank"));
        Assert.Equal([a, b, c], await IdsAsync(type, "type;asc,name.rank;desc"));
    }

    [Fact]
    public async Task Entities_without_the_key_come_last_in_both_directions_and_paging_applies_to_the_order()
    {
        var (type, a, b, c) = await CreateBuildingsAsync();
        Assert.Equal([b, a, c], await IdsAsync(type, "height"));
        Assert.Equal([a, b, c], await IdsAsync(type, "height;desc"));
        var response = await Client.GetAsync(new Uri($"{Entities}?type={type}&orderBy=name;desc&limit=1&offset=1&count=true", UriKind.Relative));
        await AssertStatus(HttpStatusCode.OK, response);
        Assert.Equal([b], (await ReadJsonAsync(response)).AsArray().Select(e => (string)e!["id"]!));
        Assert.Equal("3", response.Headers.GetValues("NGSILD-Results-Count").Single());
    }

    [Theory]
    [InlineData("name;up")]
    [InlineData("name;asc;desc")]
    [InlineData("name,,id")]
    [InlineData("name[")]
    public async Task A_malformed_orderBy_is_400(string orderBy)
    {
        var response = await Client.GetAsync(new Uri($"{Entities}?type=Building&orderBy={Uri.EscapeDataString(orderBy)}", UriKind.Relative));
        await AssertProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
    }
}

/// <summary>A broker that orders at most two entities.</summary>
public sealed class SmallOrderLimitBrokerFactory() : BrokerFactory(new Dictionary<string, string> { ["Broker:MaxOrderedEntities"] = "2" });

/// <summary>A query with orderBy that matches more entities than the broker sorts is refused, not cut short.</summary>
public sealed class OrderByLimitTests(SmallOrderLimitBrokerFactory factory) : BrokerTest<SmallOrderLimitBrokerFactory>(factory)
{
    [Fact]
    public async Task More_matches_than_may_be_sorted_are_403_TooManyResults_and_as_many_are_sorted()
    {
        var type = "Building" + Guid.NewGuid().ToString("N")[..8];
        await CreateAsync(type);
        await CreateAsync(type);
        var sorted = await Client.GetAsync(new Uri($"{Entities}?type={type}&orderBy=id;desc&count=true", UriKind.Relative));
        await AssertStatus(HttpStatusCode.OK, sorted);
        Assert.Equal("2", sorted.Headers.GetValues("NGSILD-Results-Count").Single());

        await CreateAsync(type);
        var refused = await Client.GetAsync(new Uri($"{Entities}?type={type}&orderBy=id", UriKind.Relative));
        await AssertProblem(refused, HttpStatusCode.Forbidden, "TooManyResults");
    }
}
