using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Storage;
using Broker.Storage.Postgres;
using Broker.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Broker.StoreTests;

/// <summary>Two brokers holding the query corpus entities: one on the embedded store, one on a fresh PostgreSQL database.</summary>
public sealed class CorpusBrokers : IDisposable
{
    public TestBroker? Postgres { get; }

    public TestBroker? Embedded { get; }

    private readonly string? _connectionString;

    public CorpusBrokers()
    {
        if (TestDatabase.SkipReason is not null)
            return;
        _connectionString = TestDatabase.CreateDatabase("corpus");
        Postgres = new TestBroker(_connectionString);
        Embedded = new TestBroker(null);
        var entities = QueryCorpus.EntitiesJson();
        foreach (var broker in new[] { Postgres, Embedded })
        {
            using var client = broker.Client();
            var response = client.PostAsync("/ngsi-ld/v1/entityOperations/create", TestBroker.Json(entities)).GetAwaiter().GetResult();
            if (response.StatusCode != HttpStatusCode.Created)
                throw new InvalidOperationException($"Loading the corpus failed: {response.StatusCode} {response.Content.ReadAsStringAsync().GetAwaiter().GetResult()}");
        }
    }

    public void Dispose()
    {
        Postgres?.Dispose();
        Embedded?.Dispose();
        if (_connectionString is not null)
            TestDatabase.DropDatabase(_connectionString);
    }
}

/// <summary>
/// The differential test: every case of the query corpus (tests/Broker.Tests/Data/QueryCorpus) through the HTTP API
/// must give exactly the expected ids on PostgreSQL, and the same ids as on the embedded store. A failure prints the
/// query, the SQL the store ran and both answers.
/// </summary>
public sealed class QueryCorpusDifferentialTests(CorpusBrokers brokers) : IClassFixture<CorpusBrokers>
{
    [PostgresTheory]
    [MemberData(nameof(QueryCorpus.CaseNames), MemberType = typeof(QueryCorpus))]
    public async Task Case_gives_the_expected_entities_on_both_stores(string name)
    {
        var corpusCase = QueryCorpus.Cases[name];
        var query = QueryCorpus.QueryPath(corpusCase);
        var expected = QueryCorpus.ExpectedIds(corpusCase);

        var (postgres, postgresCount) = await IdsAsync(brokers.Postgres!, query);
        var sql = ((PostgresEntityStore)brokers.Postgres!.Services.GetRequiredService<IEntityStore>()).LastQuerySql;
        var (embedded, _) = await IdsAsync(brokers.Embedded!, query);

        if (!expected.SequenceEqual(postgres) || !embedded.SequenceEqual(postgres) || postgresCount != expected.Count)
        {
            var parameters = string.Join(" ", QueryCorpus.Parameters.Where(p => corpusCase[p] is not null).Select(p => $"{p}={corpusCase[p]!.GetValue<string>()}"));
            Assert.Fail($"""
                Case '{name}': {parameters}
                SQL: {sql}
                expected:   [{string.Join(", ", expected)}]
                PostgreSQL: [{string.Join(", ", postgres)}] (count {postgresCount})
                embedded:   [{string.Join(", ", embedded)}]
                """);
        }
    }

    private static async Task<(List<string> Ids, int Count)> IdsAsync(TestBroker broker, string query)
    {
        using var client = broker.Client();
        var response = await client.GetAsync(query);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{query} answered {response.StatusCode}: {body}");
        var ids = JsonDocument.Parse(body).RootElement.EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToList();
        return (ids, int.Parse(response.Headers.GetValues("NGSILD-Results-Count").Single(), System.Globalization.CultureInfo.InvariantCulture));
    }
}
