using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.TestSupport;
using Xunit;

namespace Broker.HttpTests;

/// <summary>A broker on a fresh embedded store holding the query corpus entities (tests/Broker.Tests/Data/QueryCorpus).</summary>
public sealed class CorpusBroker : TempStoreBroker
{
    /// <summary>A tenant of its own, so that the corpus is alone even in a database other tests share.</summary>
    public string Tenant { get; } = "corpus" + Guid.NewGuid().ToString("N")[..12];

    public CorpusBroker()
    {
        var entities = QueryCorpus.EntitiesJson();
        using var client = CreateClient();
        client.DefaultRequestHeaders.Add("NGSILD-Tenant", Tenant);
        using var content = new StringContent(entities, Encoding.UTF8, "application/json");
        var response = client.PostAsync("/ngsi-ld/v1/entityOperations/create", content).GetAwaiter().GetResult();
        if (response.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"Loading the corpus failed: {response.StatusCode} {response.Content.ReadAsStringAsync().GetAwaiter().GetResult()}");
    }
}

/// <summary>Every case of the query corpus through GET /ngsi-ld/v1/entities on the embedded store.</summary>
public sealed class QueryCorpusHttpTests(CorpusBroker broker) : IClassFixture<CorpusBroker>
{
    [Theory]
    [MemberData(nameof(QueryCorpus.CaseNames), MemberType = typeof(QueryCorpus))]
    public async Task Case_gives_the_expected_entities(string name)
    {
        var corpusCase = QueryCorpus.Cases[name];
        var query = QueryCorpus.QueryPath(corpusCase);
        if (corpusCase["type"] is null && corpusCase["q"] is null && corpusCase["scopeQ"] is null && corpusCase["georel"] is null)
            Assert.Fail($"Case '{name}' has no selector.");

        using var client = broker.CreateClient();
        client.DefaultRequestHeaders.Add("NGSILD-Tenant", broker.Tenant);
        var response = await client.GetAsync(query);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{query} answered {response.StatusCode}: {body}");

        var expected = QueryCorpus.ExpectedIds(corpusCase);
        var actual = JsonDocument.Parse(body).RootElement.EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToList();
        Assert.Equal(expected, actual);
        Assert.Equal(expected.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), response.Headers.GetValues("NGSILD-Results-Count").Single());
    }
}
