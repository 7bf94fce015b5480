using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests;

/// <summary>
/// Filters of query entities that the broker accepts as parameters: q (clause 4.9), geo-queries (clause 4.10) and scopeQ
/// (clause 4.19). A broker either applies them or refuses them (501 OperationNotSupported); it never ignores a filter
/// and answers entities that do not match it.
/// </summary>
public sealed class QueryFilterTests(BrokerFactory factory) : BrokerTest<BrokerFactory>(factory)
{
    private async Task<(string Type, string Slow, string Fast)> SeedAsync()
    {
        var type = "Car" + Guid.NewGuid().ToString("N")[..8];
        var slow = await CreateAsync(type, """ "speed":{"type":"Property","value":30},"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[10.0,53.0]}},"scope":"/Europe/Germany" """);
        var fast = await CreateAsync(type, """ "speed":{"type":"Property","value":90},"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[-70.0,-30.0]}},"scope":"/America/Chile" """);
        return (type, slow, fast);
    }

    private async Task AssertAppliedOrRefused(string query, string expectedId, string excludedId)
    {
        var response = await Client.GetAsync(new Uri($"{Entities}?{query}", UriKind.Relative));
        if (response.StatusCode == HttpStatusCode.NotImplemented)
        {
            await AssertProblem(response, HttpStatusCode.NotImplemented, "OperationNotSupported");
            return;
        }
        await AssertStatus(HttpStatusCode.OK, response);
        var ids = Assert.IsType<JsonArray>(await ReadJsonAsync(response)).Select(e => (string?)e!["id"]).ToList();
        Assert.DoesNotContain(excludedId, ids);
        Assert.Contains(expectedId, ids);
    }

    [Fact]
    public async Task Q_is_applied_or_refused()
    {
        var (type, slow, fast) = await SeedAsync();

        await AssertAppliedOrRefused($"type={type}&q={Uri.EscapeDataString("speed>50")}", fast, slow);
    }

    [Fact]
    public async Task Q_without_type_is_applied_or_refused()
    {
        var (_, slow, fast) = await SeedAsync();

        await AssertAppliedOrRefused($"q={Uri.EscapeDataString("speed<50")}", slow, fast);
    }

    [Fact]
    public async Task A_geo_query_is_applied_or_refused()
    {
        var (type, slow, fast) = await SeedAsync();

        await AssertAppliedOrRefused($"type={type}&georel={Uri.EscapeDataString("near;maxDistance==10000")}&geometry=Point&coordinates={Uri.EscapeDataString("[10.0,53.0]")}", slow, fast);
    }

    [Fact]
    public async Task ScopeQ_is_applied_or_refused()
    {
        var (type, slow, fast) = await SeedAsync();

        await AssertAppliedOrRefused($"type={type}&scopeQ={Uri.EscapeDataString("/Europe/#")}", slow, fast);
    }

    [Fact]
    public async Task Scope_round_trips()
    {
        var (_, slow, _) = await SeedAsync();

        var entity = await GetEntityAsync(slow);

        var scope = entity["scope"]!;
        var scopes = scope is JsonArray array ? array.Select(s => (string?)s).ToList() : [(string?)scope];
        Assert.Equal(["/Europe/Germany"], scopes);
    }
}
