using System.Net;
using Xunit;

namespace Broker.HttpTests.Temporal;

/// <summary>Temporal reads of a tenant that never had a write answer as the entity API's reads do (clause 4.14).</summary>
public sealed class NonexistentTenantTests(BrokerFactory factory) : TemporalTest<BrokerFactory>(factory)
{
    [Theory]
    [InlineData("GET", "/ngsi-ld/v1/temporal/entities?type=Thing")]
    [InlineData("GET", "/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:Thing:1")]
    [InlineData("POST", "/ngsi-ld/v1/temporal/entityOperations/query")]
    public async Task A_temporal_read_of_a_tenant_that_never_had_a_write_is_404_NonexistentTenant(string method, string uri)
    {
        using var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Add("NGSILD-Tenant", "temporal-none-" + Guid.NewGuid().ToString("N")[..8]);
        var body = method == "POST" ? """{"type":"Query","entities":[{"type":"Thing"}]}""" : null;

        var response = await client.SendAsync(Request(new HttpMethod(method), uri, body));

        await AssertProblem(response, HttpStatusCode.NotFound, "NonexistentTenant");
    }
}
