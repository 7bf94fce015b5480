using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Security;

/// <summary>Per-client rate limiting: a client over its budget gets 429 with Retry-After; another client is not held back by it.</summary>
public sealed class RateLimitTests(RateLimitedBrokerFactory factory) : IClassFixture<RateLimitedBrokerFactory>
{
    [Fact]
    public async Task A_client_over_its_budget_gets_429_and_another_client_does_not()
    {
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", factory.IdentityProvider.Token("greedy", ["read"]));
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 6 && limited is null; i++)
        {
            var response = await client.GetAsync(new Uri("/ngsi-ld/v1/types", UriKind.Relative));
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
                limited = response;
        }
        Assert.True(limited is not null, "no 429 in 6 requests: " + string.Join(", ", statuses));
        Assert.True(statuses.Count >= 4, "limited before the burst of 3 was used: " + string.Join(", ", statuses));
        Assert.Equal("1", limited.Headers.RetryAfter?.ToString());
        var problem = JsonNode.Parse(await limited.Content.ReadAsStringAsync())!;
        Assert.Equal(429, (int)problem["status"]!);

        using var other = factory.CreateClient();
        other.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", factory.IdentityProvider.Token("modest", ["read"]));
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync(new Uri("/ngsi-ld/v1/types", UriKind.Relative))).StatusCode);
    }
}
