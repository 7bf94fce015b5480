using System.Net;
using Xunit;

namespace Broker.HttpTests;

/// <summary>Health and readiness, unknown resources and methods, and the ProblemDetails shape of clause 6.3.2.</summary>
public sealed class ServiceTests(BrokerFactory factory) : BrokerTest<BrokerFactory>(factory)
{
    [Fact]
    public async Task Health_is_200()
    {
        var health = await GetJsonAsync("/health");

        Assert.Equal("ok", (string?)health["status"]);
    }

    [Fact]
    public async Task Ready_is_200_once_the_store_is_open()
    {
        var ready = await GetJsonAsync("/ready");

        Assert.Equal("ready", (string?)ready["status"]);
    }

    [Fact]
    public async Task An_unknown_path_is_404_ResourceNotFound()
    {
        var response = await Client.GetAsync(new Uri("/no/such/thing", UriKind.Relative));

        await AssertProblem(response, HttpStatusCode.NotFound, "ResourceNotFound");
    }

    [Fact]
    public async Task An_unimplemented_NGSI_LD_resource_is_501()
    {
        var response = await Client.GetAsync(new Uri("/ngsi-ld/v1/entityMaps", UriKind.Relative));

        await AssertStatus(HttpStatusCode.NotImplemented, response);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_method_the_resource_does_not_allow_is_405()
    {
        var response = await Client.SendAsync(Request(HttpMethod.Put, Entities, "{}"));

        await AssertStatus(HttpStatusCode.MethodNotAllowed, response);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotEmpty(response.Content.Headers.Allow);
    }

    [Fact]
    public async Task Every_error_is_a_ProblemDetails_with_type_title_status_and_detail()
    {
        var response = await SendAsync(HttpMethod.Post, Entities, "{");

        var problem = await AssertProblem(response, HttpStatusCode.BadRequest, "InvalidRequest");

        Assert.Equal(400, (int)problem["status"]!);
        Assert.Equal(["detail", "status", "title", "type"], problem.Select(p => p.Key).Order(StringComparer.Ordinal));
    }
}
