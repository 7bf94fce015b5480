using System.Net;
using Broker.Storage;
using Broker.Storage.Embedded;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Ontology.Model;
using Xunit;

namespace Broker.HttpTests;

/// <summary>A store that fails: with an unexpected exception for tenant "boom", as unavailable for tenant "down".</summary>
internal sealed class FailingStore : IEntityStore
{
    public const string Secret = "SECRET-internal-detail-4711";

    private static ValueTask<T> Fail<T>(string tenant) => tenant switch
    {
        "down" => throw new StoreUnavailableException("connection refused " + Secret),
        _ => throw new InvalidOperationException(Secret),
    };

    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<bool> IsReadyAsync(CancellationToken cancellationToken) => throw new StoreUnavailableException("down");

    public ValueTask<bool> TenantExistsAsync(string tenant, CancellationToken cancellationToken) => ValueTask.FromResult(true);

    public ValueTask<Entity?> GetAsync(string tenant, string id, CancellationToken cancellationToken) => Fail<Entity?>(tenant);

    public ValueTask<EntityPage> QueryAsync(string tenant, EntityQuery query, CancellationToken cancellationToken) => Fail<EntityPage>(tenant);

    public ValueTask<IReadOnlyList<CommitOutcome>> CommitAsync(string tenant, IReadOnlyList<EntityChange> changes, CancellationToken cancellationToken) =>
        Fail<IReadOnlyList<CommitOutcome>>(tenant);

    public ValueTask<IReadOnlyList<EntityShape>> GetShapesAsync(string tenant, CancellationToken cancellationToken) => Fail<IReadOnlyList<EntityShape>>(tenant);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>The broker on a failing store, in the Production environment (no developer exception page).</summary>
public sealed class FailingStoreBrokerFactory : BrokerFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseEnvironment("Production");
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<IEntityStore>();
            services.AddSingleton<IEntityStore, FailingStore>();
            // Entity requests look up registrations. On PostgreSQL the registrations' table comes with the entity store's
            // migrations, which the failing store does not run: the registrations are kept embedded here.
            services.RemoveAll<IRegistrationStore>();
            services.AddSingleton<IRegistrationStore>(new EmbeddedRegistrationStore(new EmbeddedStoreOptions
            {
                DataPath = Path.Combine(Path.GetTempPath(), "ngsi-failing-store-" + Guid.NewGuid().ToString("N")),
            }));
        });
    }
}

/// <summary>Failures nobody asked for: a 500 is a ProblemDetails that never shows the exception; an unavailable store is 503.</summary>
public sealed class FailingStoreTests(FailingStoreBrokerFactory factory) : BrokerTest<FailingStoreBrokerFactory>(factory)
{
    private HttpClient ClientOf(string tenant)
    {
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Add("NGSILD-Tenant", tenant);
        return client;
    }

    [Theory]
    [InlineData("GET", "")]
    [InlineData("POST", "create")]
    [InlineData("GET", "query")]
    [InlineData("GET", "types")]
    public async Task An_unexpected_failure_is_500_InternalError_without_the_exception_message(string method, string what)
    {
        var id = NewId("Thing");
        var request = what switch
        {
            "create" => Request(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Thing"}"""),
            "query" => Request(HttpMethod.Get, $"{Entities}?type=Thing"),
            "types" => Request(HttpMethod.Get, "/ngsi-ld/v1/types"),
            _ => Request(new HttpMethod(method), Path(id)),
        };

        var response = await ClientOf("boom").SendAsync(request);

        await AssertProblem(response, HttpStatusCode.InternalServerError, "InternalError");
        Assert.DoesNotContain(FailingStore.Secret, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unavailable_store_is_503_without_the_exception_message()
    {
        var response = await ClientOf("down").GetAsync(new Uri(Path(NewId("Thing")), UriKind.Relative));

        await AssertStatus(HttpStatusCode.ServiceUnavailable, response);
        Assert.DoesNotContain(FailingStore.Secret, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ready_is_503_when_the_store_does_not_answer_but_health_is_200()
    {
        var ready = await Client.GetAsync(new Uri("/ready", UriKind.Relative));
        var health = await Client.GetAsync(new Uri("/health", UriKind.Relative));

        await AssertStatus(HttpStatusCode.ServiceUnavailable, ready);
        await AssertStatus(HttpStatusCode.OK, health);
    }

    /// <summary>Regression: POST /entities/{id}/attrs matched two routes; the routing failure escaped the ProblemDetails handler.</summary>
    [Fact]
    public async Task A_routing_failure_is_still_a_ProblemDetails_without_internals()
    {
        var response = await ClientOf("boom").SendAsync(Request(HttpMethod.Post, AttrsPath(NewId("Thing")), """{"a":{"type":"Property","value":1}}"""));

        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("AmbiguousMatchException", body, StringComparison.Ordinal);
        Assert.DoesNotContain(FailingStore.Secret, body, StringComparison.Ordinal);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith(ErrorBase, (string?)(await ReadJsonAsync(response))["type"], StringComparison.Ordinal);
    }
}
