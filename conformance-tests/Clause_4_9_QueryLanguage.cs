using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Conformance;

/// <summary>
/// Clause 4.9 query language (q), 4.10 geo-queries and 4.19 scopeQ on query entities: a broker applies the filter or
/// refuses it with 501; answering entities that do not match is never conformant.
/// </summary>
public abstract class QueryFilterConformanceTest(BrokerUnderTest broker) : ConformanceTest(broker)
{
    protected async Task AppliedOrRefused(string query, string expected, string excluded)
    {
        var response = await Client.GetAsync(Relative($"{Entities}?{query}"));
        if (response.StatusCode == HttpStatusCode.NotImplemented)
            return;
        await ExpectStatus(HttpStatusCode.OK, response);
        var ids = Assert.IsType<JsonArray>(await ReadJsonAsync(response)).Select(e => (string?)e!["id"]).ToList();
        Assert.DoesNotContain(excluded, ids);
        Assert.Contains(expected, ids);
    }

    protected async Task<(string Type, string Slow, string Fast)> SeedAsync()
    {
        var type = "Car" + Guid.NewGuid().ToString("N")[..8];
        var slow = await CreateAsync(type, """ "speed":{"type":"Property","value":30},"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[10.0,53.0]}},"scope":"/Europe/Germany" """);
        var fast = await CreateAsync(type, """ "speed":{"type":"Property","value":90},"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[-70.0,-30.0]}},"scope":"/America/Chile" """);
        return (type, slow, fast);
    }

}

/// <summary>Clause 4.9 query language (q).</summary>
public sealed class Clause_4_9_QueryLanguage(BrokerUnderTest broker) : QueryFilterConformanceTest(broker)
{
    [Fact]
    public async Task Q_filters_by_attribute_value()
    {
        var (type, slow, fast) = await SeedAsync();

        await AppliedOrRefused($"type={type}&q={Uri.EscapeDataString("speed>50")}", fast, slow);
    }

}

/// <summary>Clause 4.10 geo-queries (georel, geometry, coordinates).</summary>
public sealed class Clause_4_10_GeoQueries(BrokerUnderTest broker) : QueryFilterConformanceTest(broker)
{
    [Fact]
    public async Task Near_filters_by_distance()
    {
        var (type, slow, fast) = await SeedAsync();

        await AppliedOrRefused($"type={type}&georel={Uri.EscapeDataString("near;maxDistance==10000")}&geometry=Point&coordinates={Uri.EscapeDataString("[10.0,53.0]")}", slow, fast);
    }

}

/// <summary>Clause 4.19 scope queries (scopeQ).</summary>
public sealed class Clause_4_19_ScopeQueries(BrokerUnderTest broker) : QueryFilterConformanceTest(broker)
{
    [Fact]
    public async Task ScopeQ_filters_by_scope()
    {
        var (type, slow, fast) = await SeedAsync();

        await AppliedOrRefused($"type={type}&scopeQ={Uri.EscapeDataString("/Europe/#")}", slow, fast);
    }
}
