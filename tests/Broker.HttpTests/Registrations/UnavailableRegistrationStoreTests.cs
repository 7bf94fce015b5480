using System.Net;
using Broker.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Xunit;

namespace Broker.HttpTests.Registrations;

/// <summary>A registration store that cannot be reached, as the PostgreSQL one reports an unreachable database.</summary>
internal sealed class UnavailableRegistrationStore : IRegistrationStore
{
    public const string Secret = "SECRET-registration-store-detail-0815";

    private static StoreUnavailableException Down() => new("connection refused " + Secret);

    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask<bool> InsertAsync(StoredRegistration registration, CancellationToken cancellationToken) => throw Down();

    public ValueTask<StoredRegistration?> GetAsync(string tenant, string id, CancellationToken cancellationToken) => throw Down();

    public ValueTask<IReadOnlyList<StoredRegistration>> ListAsync(string tenant, CancellationToken cancellationToken) => throw Down();

    public ValueTask<bool> UpdateAsync(string tenant, string id, string document, long expectedRevision, CancellationToken cancellationToken) => throw Down();

    public ValueTask<bool> DeleteAsync(string tenant, string id, CancellationToken cancellationToken) => throw Down();

    public ValueTask AddStatusAsync(string tenant, string id, StoredRegistrationStatus delta, CancellationToken cancellationToken) => throw Down();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>The broker with its entity store working and its registration store unreachable, in the Production environment.</summary>
public sealed class UnavailableRegistrationStoreBrokerFactory : BrokerFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseEnvironment("Production");
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<IRegistrationStore>();
            services.AddSingleton<IRegistrationStore, UnavailableRegistrationStore>();
        });
    }
}

/// <summary>Entity reads look up registrations (distributed retrieval): without the registration store they are 503, not 500.</summary>
public sealed class UnavailableRegistrationStoreTests(UnavailableRegistrationStoreBrokerFactory factory)
    : BrokerTest<UnavailableRegistrationStoreBrokerFactory>(factory)
{
    [Theory]
    [InlineData("by id")]
    [InlineData("query")]
    public async Task An_entity_GET_is_503_ProblemDetails_without_the_exception_message(string what)
    {
        var response = await Client.GetAsync(new Uri(what == "query" ? $"{Entities}?type=Thing" : Path(NewId("Thing")), UriKind.Relative));

        await AssertProblem(response, HttpStatusCode.ServiceUnavailable, "InternalError");
        Assert.DoesNotContain(UnavailableRegistrationStore.Secret, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
