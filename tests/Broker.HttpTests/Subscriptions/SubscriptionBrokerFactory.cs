using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;
using Broker.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Broker.HttpTests.Subscriptions;

/// <summary>
/// A broker that may notify endpoints on loopback (where <see cref="NotificationReceiver"/> listens), with short retry
/// delays so that a failed delivery is tried again within a test (on PostgreSQL each factory has a database of its own,
/// see <see cref="BrokerFactory"/>).
/// </summary>
public class SubscriptionBrokerFactory : BrokerFactory
{
    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMilliseconds(400);

    /// <summary>The tenant of the warm-up notification (see <see cref="DispatchingAsync"/>), which no test uses.</summary>
    public const string WarmUpTenant = "subscription-warm-up";

    private readonly Lazy<Task> _dispatching;

    public SubscriptionBrokerFactory() : this([])
    {
    }

    protected SubscriptionBrokerFactory(Dictionary<string, string> settings) : base(WithDefaults(settings))
    {
        _dispatching = new(WarmUpAsync);
    }

    /// <summary>Whether <see cref="DispatchingAsync"/> proves dispatch with a notification to loopback (false where loopback is refused).</summary>
    protected virtual bool WarmsUp => true;

    /// <summary>
    /// Completes once the broker's dispatcher matches changes: a notification of a warm-up subscription has arrived. The
    /// dispatcher takes the lead in the background (on PostgreSQL over a connection of its own), so the first test of a
    /// class would otherwise time the dispatcher's start as well as its delivery (and before main's d6bcca2 a change
    /// made before the lead was lost, see NotificationStartupTests).
    /// </summary>
    public Task DispatchingAsync() => WarmsUp ? _dispatching.Value : Task.CompletedTask;

    private async Task WarmUpAsync()
    {
        await using var receiver = new NotificationReceiver();
        using var client = CreateClient();
        client.DefaultRequestHeaders.Add("NGSILD-Tenant", WarmUpTenant);
        var id = "urn:ngsi-ld:WarmUp:" + Guid.NewGuid().ToString("N");
        using var subscribed = await client.PostAsync(new Uri("/ngsi-ld/v1/subscriptions", UriKind.Relative), Json($$$"""
            {"type":"Subscription","entities":[{"type":"WarmUp"}],"notification":{"endpoint":{"uri":"{{{receiver.UrlOf("/warm-up")}}}"}} }
            """));
        if (subscribed.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"The warm-up subscription was refused: {await subscribed.Content.ReadAsStringAsync()}");
        using (var created = await client.PostAsync(new Uri("/ngsi-ld/v1/entities", UriKind.Relative), Json($$$"""{"id":"{{{id}}}","type":"WarmUp","n":{"type":"Property","value":0}}""")))
            created.EnsureSuccessStatusCode();
        // Change again until a notification comes: it proves the dispatcher runs, whatever became of earlier changes.
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(60);
        for (var n = 1; !await receiver.TryWaitForAsync("/warm-up", 1, TimeSpan.FromMilliseconds(200)); n++)
        {
            if (DateTimeOffset.UtcNow > deadline)
                throw new TimeoutException("The broker sent no notification within 60 s of its start.");
            using var updated = await client.PatchAsync(new Uri($"/ngsi-ld/v1/entities/{id}/attrs", UriKind.Relative), Json($$$"""{"n":{"type":"Property","value":{{{n}}}}}"""));
            updated.EnsureSuccessStatusCode();
        }
        // The warm-up subscription stays: it is of its own tenant and type. (Deleting it right after its notification can
        // fail on PostgreSQL, see DeleteWhileDeliveringTests.)
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static Dictionary<string, string> WithDefaults(Dictionary<string, string> settings)
    {
        var all = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Outbound:AllowLoopback"] = "true",
            ["Notifications:FirstRetryDelay"] = FirstRetryDelay.ToString("c", CultureInfo.InvariantCulture),
            ["Notifications:MaxRetryDelay"] = MaxRetryDelay.ToString("c", CultureInfo.InvariantCulture),
            ["Notifications:RetryFor"] = "00:00:10",
        };
        foreach (var (key, value) in settings)
            all[key] = value;
        return all;
    }

}

/// <summary>A subscription broker without <c>Outbound:AllowLoopback</c>: the default policy, which refuses loopback endpoints.</summary>
public sealed class LoopbackRefusedBrokerFactory : SubscriptionBrokerFactory
{
    public LoopbackRefusedBrokerFactory() : base(new() { ["Outbound:AllowLoopback"] = "false" })
    {
    }

    protected override bool WarmsUp => false;
}

/// <summary>A subscription broker that gives up a notification after <see cref="Timeout"/> without an answer.</summary>
public sealed class ShortTimeoutBrokerFactory : SubscriptionBrokerFactory
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(500);

    public ShortTimeoutBrokerFactory() : base(new() { ["Notifications:Timeout"] = Timeout.ToString("c", CultureInfo.InvariantCulture) })
    {
    }
}

/// <summary>
/// A subscription broker whose dispatcher takes the lead only when the test says so (<see cref="Lead"/>), as when the
/// dispatch lease is slow to come (on PostgreSQL: a connection of its own, or another node holding it): the store's
/// TryLeadAsync waits for the word.
/// </summary>
public sealed class LateLeaderBrokerFactory : SubscriptionBrokerFactory
{
    private readonly TaskCompletionSource _lead = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override bool WarmsUp => false;

    /// <summary>Lets the dispatcher take the lead.</summary>
    public void Lead() => _lead.TrySetResult();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services =>
        {
            var registered = services.Single(d => d.ServiceType == typeof(ISubscriptionStore));
            services.Remove(registered);
            services.AddSingleton(registered.ImplementationType!);
            services.AddSingleton(sp => LateLeaderStore.Wrap((ISubscriptionStore)sp.GetRequiredService(registered.ImplementationType!), _lead.Task));
        });
    }
}

/// <summary>A subscription store whose TryLeadAsync first waits for a task; everything else goes straight to the store.</summary>
public class LateLeaderStore : DispatchProxy
{
    private ISubscriptionStore _store = null!;
    private Task _lead = Task.CompletedTask;

    public static ISubscriptionStore Wrap(ISubscriptionStore store, Task lead)
    {
        var proxy = Create<ISubscriptionStore, LateLeaderStore>();
        var late = (LateLeaderStore)(object)proxy;
        (late._store, late._lead) = (store, lead);
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name == nameof(ISubscriptionStore.TryLeadAsync))
            return LeadAsync((CancellationToken)args![0]!);
        try
        {
            return targetMethod.Invoke(_store, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }

    private async ValueTask<IDispatchLease?> LeadAsync(CancellationToken cancellationToken)
    {
        await _lead.WaitAsync(cancellationToken);
        return await _store.TryLeadAsync(cancellationToken);
    }
}

/// <summary>A subscription broker that keeps only <see cref="QueueCapacity"/> notifications of a subscription in memory; the others wait in the outbox.</summary>
public sealed class SmallQueueBrokerFactory : SubscriptionBrokerFactory
{
    public const int QueueCapacity = 4;

    public SmallQueueBrokerFactory() : base(new() { ["Notifications:QueueCapacity"] = QueueCapacity.ToString(CultureInfo.InvariantCulture) })
    {
    }
}
