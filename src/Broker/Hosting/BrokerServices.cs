using Broker.Api.Http;
using Broker.Contexts;
using Broker.Discovery;
using Broker.Entities;
using Broker.Federation;
using Broker.Federation.Distributed;
using Broker.Outbound;
using Broker.Storage;
using Broker.Storage.Embedded;
using Broker.Storage.Postgres;
using Broker.Subscriptions;
using Broker.Subscriptions.Delivery;
using Broker.Temporal;
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
        // Remote @contexts are fetched on a client's behalf (its Link header or @context names the URL): through the outbound-address policy.
        services.AddHttpClient(nameof(HttpRemoteContextLoader))
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<OutboundAddressPolicy>().CreateHttpHandler());
        services.AddSingleton<IRemoteContextLoader>(sp => new HttpRemoteContextLoader(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(HttpRemoteContextLoader)), contextOptions));
        // Hosted @contexts (clause 5.13) live beside the store's data and are served to the resolver without an HTTP round trip.
        services.AddSingleton(sp => new HostedContextStore(configuration["Storage:DataPath"] ?? "data", sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<HostedContextStore>>()));
        services.AddSingleton(sp => new ContextResolver(sp.GetRequiredService<IRemoteContextLoader>(), contextOptions, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<HostedContextStore>()));
        services.AddSingleton<ContextRegistry>();

        var provider = configuration["Storage:Provider"] ?? "Embedded";
        // Only a broker that restricts roles to some entities pays for the stores' access checks.
        var restricted = Security.SecurityServices.RestrictsEntities(configuration);
        switch (provider)
        {
            case "Embedded":
                var embedded = new EmbeddedStoreOptions { DataPath = configuration["Storage:DataPath"] ?? "data" };
                services.AddSingleton(embedded);
                services.AddSingleton<EmbeddedEntityStore>();
                services.AddSingleton<IEntityStore>(sp => Restricted(sp.GetRequiredService<EmbeddedEntityStore>(), restricted));
                services.AddSingleton<IChangeFeed>(sp => sp.GetRequiredService<EmbeddedEntityStore>());
                services.AddSingleton<ISubscriptionStore, EmbeddedSubscriptionStore>();
                AddTemporalStore<EmbeddedTemporalStore>(services, restricted);
                services.AddSingleton<IRegistrationStore, EmbeddedRegistrationStore>();
                services.AddSingleton<ICsourceSubscriptionStore, EmbeddedCsourceSubscriptionStore>();
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
                services.AddSingleton<PostgresEntityStore>();
                services.AddSingleton<IEntityStore>(sp => Restricted(sp.GetRequiredService<PostgresEntityStore>(), restricted));
                services.AddSingleton<IChangeFeed>(sp => sp.GetRequiredService<PostgresEntityStore>());
                services.AddSingleton<ISubscriptionStore, PostgresSubscriptionStore>();
                AddTemporalStore<PostgresTemporalStore>(services, restricted);
                services.AddSingleton<IRegistrationStore, PostgresRegistrationStore>();
                services.AddSingleton<ICsourceSubscriptionStore, PostgresCsourceSubscriptionStore>();
                break;
            default:
                throw new InvalidOperationException($"Storage:Provider '{provider}' is not known: use Embedded or Postgres.");
        }
        services.AddHostedService<StoreInitializer>();
        services.AddSingleton<EntityLocks>();
        services.AddSingleton<EntityService>();
        services.AddSingleton<DiscoveryService>();
        services.AddSingleton<BatchService>();
        AddSubscriptions(services, configuration);
        AddTemporal(services, configuration);
        return builder;
    }

    /// <summary>The temporal API (clauses 5.6.11–5.6.16, 5.7.3–5.7.4): the history's projector and housekeeping (hosted services) and the service.</summary>
    private static void AddTemporal(IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection("Temporal").Get<TemporalOptions>() ?? new TemporalOptions();
        services.AddSingleton(options);
        if (!options.Enabled)
            return;
        services.AddSingleton<TemporalProjector>();
        services.AddHostedService(sp => sp.GetRequiredService<TemporalProjector>());
        services.AddSingleton<IChangeFeedConsumer>(sp => sp.GetRequiredService<TemporalProjector>());
        services.AddHostedService<TemporalMaintenance>();
        services.AddSingleton<TemporalService>();
    }

    /// <summary>Subscriptions and notifications (clause 5.8): the service, the dispatcher (a hosted service) and the senders (HTTP, MQTT).</summary>
    private static void AddSubscriptions(IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(configuration.GetSection("Notifications").Get<NotificationOptions>() ?? new NotificationOptions());
        // A bad Outbound section fails at start-up, naming the entry.
        var outbound = configuration.GetSection(OutboundPolicyOptions.SectionName).Get<OutboundPolicyOptions>() ?? new OutboundPolicyOptions();
        services.AddSingleton(new OutboundAddressPolicy(outbound));
        // One client for all notifications, on the policy's handler: every connection is judged where it is made. No
        // client factory: its handler chain (logging scopes) costs on every notification and the handler lives as long.
        services.AddSingleton<INotificationSender>(sp => new HttpNotificationSender(new HttpClient(sp.GetRequiredService<OutboundAddressPolicy>().CreateHttpHandler())
        {
            Timeout = Timeout.InfiniteTimeSpan,
            // HTTP/3 runs over QUIC, which does not pass the policy's connect callback.
            DefaultRequestVersion = System.Net.HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        }));
        // MQTT (clause 7): the container disposes the sender, which closes its pooled connections.
        var mqtt = configuration.GetSection(MqttNotificationOptions.SectionName).Get<MqttNotificationOptions>() ?? new MqttNotificationOptions();
        services.AddSingleton(sp => new MqttNotificationSender(sp.GetRequiredService<OutboundAddressPolicy>(), mqtt, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<MqttNotificationSender>>()));
        services.AddSingleton<INotificationSender>(sp => sp.GetRequiredService<MqttNotificationSender>());
        services.AddSingleton<NotificationDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<NotificationDispatcher>());
        services.AddSingleton<SubscriptionService>();
        // Context source registrations (clauses 5.9-5.11); their subscriptions are notified through the same senders.
        services.AddSingleton<CsourceNotifier>();
        services.AddHostedService(sp => sp.GetRequiredService<CsourceNotifier>());
        services.AddSingleton<CsourceSubscriptionService>();
        services.AddSingleton<RegistrationService>();
        AddDistributedOperations(services, configuration);
    }

    /// <summary>Distributed operations (clause 4.3.6): requests forwarded to registered context sources through the outbound policy.</summary>
    private static void AddDistributedOperations(IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(configuration.GetSection(FederationOptions.SectionName).Get<FederationOptions>() ?? new FederationOptions());
        services.AddHttpClient(ContextSourceClient.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<OutboundAddressPolicy>().CreateHttpHandler())
            .AddHttpMessageHandler(() => new StaleConnectionRetryHandler());
        services.AddSingleton<ContextSourceClient>();
        services.AddSingleton<DistributedRetrieval>();
        services.AddSingleton<DistributedWrite>();
        services.AddSingleton<DistributedPurge>();
        services.AddSingleton<DistributedBatch>();
        services.AddSingleton<DistributedDiscovery>();
        services.AddSingleton<DistributedTemporal>();
    }

    private static IEntityStore Restricted(IEntityStore store, bool restricted) => restricted ? new Security.RestrictedEntityStore(store) : store;

    /// <summary>The temporal store, behind the access decorator when roles are restricted; registered once, so that it is disposed once.</summary>
    private static void AddTemporalStore<TStore>(IServiceCollection services, bool restricted) where TStore : class, ITemporalStore
    {
        if (!restricted)
        {
            services.AddSingleton<ITemporalStore, TStore>();
            return;
        }
        services.AddSingleton<TStore>();
        services.AddSingleton<ITemporalStore>(sp => new Security.RestrictedTemporalStore(sp.GetRequiredService<TStore>()));
    }
}

/// <summary>Opens and migrates the stores before the server accepts requests (the entity store migrates the schema of both).</summary>
internal sealed class StoreInitializer(IEntityStore store, ISubscriptionStore subscriptions, ITemporalStore temporal, IRegistrationStore registrations,
    ICsourceSubscriptionStore csourceSubscriptions) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.InitializeAsync(cancellationToken);
        await subscriptions.InitializeAsync(cancellationToken);
        await temporal.InitializeAsync(cancellationToken);
        await registrations.InitializeAsync(cancellationToken);
        await csourceSubscriptions.InitializeAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
