using Broker.Api.Http;
using Broker.Contexts;
using Broker.Discovery;
using Broker.Entities;
using Broker.Storage;
using Broker.Storage.Embedded;
using Broker.Storage.Postgres;
using Ontology.JsonLd;

namespace Broker.Hosting;

/// <summary>The broker's services and their configuration (see README: Storage:Provider, Storage:DataPath, Broker:*).</summary>
public static class BrokerServices
{
    public static WebApplicationBuilder AddBroker(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var services = builder.Services;
        var brokerOptions = configuration.GetSection("Broker").Get<BrokerOptions>() ?? new BrokerOptions();
        services.AddSingleton(brokerOptions);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = brokerOptions.MaxBodyBytes + 1);
        services.AddSingleton(TimeProvider.System);

        var contextOptions = configuration.GetSection("JsonLd").Get<RemoteContextOptions>() ?? new RemoteContextOptions();
        services.AddSingleton(contextOptions);
        services.AddHttpClient(nameof(HttpRemoteContextLoader));
        services.AddSingleton<IRemoteContextLoader>(sp => new HttpRemoteContextLoader(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(HttpRemoteContextLoader)), contextOptions));
        // Hosted @contexts (clause 5.13) live beside the store's data and are served to the resolver without an HTTP round trip.
        services.AddSingleton(sp => new HostedContextStore(configuration["Storage:DataPath"] ?? "data", sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<HostedContextStore>>()));
        services.AddSingleton(sp => new ContextResolver(sp.GetRequiredService<IRemoteContextLoader>(), contextOptions, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<HostedContextStore>()));
        services.AddSingleton<ContextRegistry>();

        var provider = configuration["Storage:Provider"] ?? "Embedded";
        switch (provider)
        {
            case "Embedded":
                var embedded = new EmbeddedStoreOptions { DataPath = configuration["Storage:DataPath"] ?? "data" };
                services.AddSingleton(embedded);
                services.AddSingleton<IEntityStore, EmbeddedEntityStore>();
                break;
            case "Postgres":
                var connectionString = configuration.GetConnectionString("Postgres")
                    ?? throw new InvalidOperationException("Storage:Provider is Postgres but ConnectionStrings:Postgres is not set.");
                var defaults = new PostgresStoreOptions { ConnectionString = connectionString };
                services.AddSingleton(new PostgresStoreOptions
                {
                    ConnectionString = connectionString,
                    WriteCacheCapacity = configuration.GetValue("Storage:WriteCacheCapacity", defaults.WriteCacheCapacity),
                });
                services.AddSingleton<IEntityStore, PostgresEntityStore>();
                break;
            default:
                throw new InvalidOperationException($"Storage:Provider '{provider}' is not known: use Embedded or Postgres.");
        }
        services.AddHostedService<StoreInitializer>();
        services.AddSingleton<EntityLocks>();
        services.AddSingleton<EntityService>();
        services.AddSingleton<DiscoveryService>();
        services.AddSingleton<BatchService>();
        return builder;
    }
}

/// <summary>Opens and migrates the store before the server accepts requests.</summary>
internal sealed class StoreInitializer(IEntityStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => store.InitializeAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
