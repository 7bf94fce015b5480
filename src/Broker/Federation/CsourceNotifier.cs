using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Entities.Representation;
using Broker.Storage;
using Broker.Subscriptions;
using Broker.Subscriptions.Delivery;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Ontology.JsonLd;

namespace Broker.Federation;

/// <summary>A CsourceNotification owed (clause 5.3.2): registrations that newly match, were updated, or no longer match a subscription.</summary>
public sealed record CsourceNotice(Subscription Subscription, IReadOnlyList<ContextSourceRegistration> Registrations, string TriggerReason);

/// <summary>
/// Delivers CsourceNotifications as the subscriptions feature delivers entity notifications: each is written to the
/// csourceSubscriptions' outbox before the change that owes it is answered, and leaves it once delivered or given up,
/// so a killed broker delivers what it owed after its restart (at least once). The same senders (HTTP, MQTT, behind
/// the outbound-address policy), retry delays (<see cref="NotificationOptions.RetryDelay"/>) and status counts
/// (<see cref="DeliveryReport"/>) are used; only the node that holds the notification dispatcher's lead delivers.
/// Notifications of one subscription go in the order they were owed, one at a time, after its throttling window; a
/// failed one is retried before any later one goes. It also owes the periodic notifications (timeInterval) and the
/// noLongerMatching notifications of registrations that expired (those that expired while no node led are missed).
/// </summary>
public sealed partial class CsourceNotifier(ICsourceSubscriptionStore store, IRegistrationStore registrations, IEnumerable<INotificationSender> senders,
    ContextResolver resolver, NotificationDispatcher dispatcher, NotificationOptions options, TimeProvider clock, ILogger<CsourceNotifier> logger) : BackgroundService
{
    private const int PageSize = 1024;

    /// <summary>The longest the notifier sleeps: how soon it sees what another node owed, a periodic notification or an expiry.</summary>
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(1);

    private readonly INotificationSender[] _senders = [.. senders];
    private readonly ConcurrentDictionary<(string Tenant, string Id), Task> _delivering = new();
    private readonly ConcurrentDictionary<(string Tenant, string Id), bool> _deleted = new();

    /// <summary>When each subscription's last delivery ended, as a count of ended deliveries (see <see cref="_ended"/>).</summary>
    private readonly ConcurrentDictionary<(string Tenant, string Id), long> _endedAt = new();

    /// <summary>Deliveries ended so far: an outbox read before a subscription's delivery ended may still show what it delivered.</summary>
    private long _ended;
    private readonly Dictionary<(string Tenant, string Id), (double Interval, DateTimeOffset Next)> _periodic = [];
    private DateTimeOffset _expiriesSeenUntil;
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Stores the notifications in the outbox (durably: the change that owes them is answered after this) and wakes the delivery.</summary>
    public async Task OweAsync(IReadOnlyList<CsourceNotice> notices, CancellationToken cancellationToken)
    {
        if (notices.Count == 0)
            return;
        var now = clock.GetUtcNow();
        await store.AppendNoticesAsync([.. notices.Select(n => new StoredCsourceNotice(n.Subscription.Tenant, n.Subscription.Id, n.TriggerReason, Documents(n.Registrations), 0, now))],
            cancellationToken).ConfigureAwait(false);
        Wake();
    }

    /// <summary>The subscription was deleted on this node: a delivery under way sends nothing more of it.</summary>
    public void Forget(string tenant, string id) => _deleted[(tenant, id)] = true;

    /// <summary>A subscription was created (perhaps with the id of a deleted one): it is notified again.</summary>
    public void Created(string tenant, string id) => _deleted.TryRemove((tenant, id), out _);

    private void Wake() => Interlocked.Exchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _expiriesSeenUntil = clock.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var woken = Volatile.Read(ref _wake).Task;
                var wait = MaxWait;
                if (dispatcher.Leading)
                {
                    var now = clock.GetUtcNow();
                    var readAfter = Interlocked.Read(ref _ended);
                    var subscriptions = (await store.ListAllAsync(stoppingToken).ConfigureAwait(false))
                        .ToDictionary(s => (s.Tenant, s.Id), s => (Subscription: Read(s), s.Status));
                    var owed = await store.ReadNoticesAsync(PageSize, stoppingToken).ConfigureAwait(false);
                    await OwePeriodicAsync(subscriptions, owed, now, stoppingToken).ConfigureAwait(false);
                    await OweExpiriesAsync(subscriptions, now, stoppingToken).ConfigureAwait(false);
                    if (StartDue(subscriptions, owed, readAfter, now, stoppingToken) is { } next && next - now < wait)
                        wait = next - now;
                }
                if (wait > TimeSpan.Zero)
                    await Task.WhenAny(Task.Delay(wait, clock, stoppingToken), woken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The store does not answer now: what is owed stays in the outbox.
                LogNotifierFailed(logger, e);
                await Task.Delay(MaxWait, clock, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(_delivering.Values).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts delivering, for each subscription not being delivered already, the notifications it owes that are due;
    /// returns when the earliest one that is not due yet will be. A subscription whose delivery ended after the outbox
    /// was read (<paramref name="readAfter"/>) waits for the next read, which the end of the delivery wakes: this one
    /// may show notifications that delivery has sent since.
    /// </summary>
    private DateTimeOffset? StartDue(Dictionary<(string, string), (Subscription Subscription, DeliveryStatus Status)> subscriptions, IReadOnlyList<StoredCsourceNotice> owed,
        long readAfter, DateTimeOffset now, CancellationToken stoppingToken)
    {
        DateTimeOffset? next = null;
        foreach (var group in owed.GroupBy(n => (n.Tenant, n.SubscriptionId)))
        {
            if (_delivering.ContainsKey(group.Key) || _endedAt.TryGetValue(group.Key, out var endedAt) && endedAt > readAfter)
                continue;
            List<StoredCsourceNotice> notices = [.. group];
            if (!subscriptions.TryGetValue(group.Key, out var subscribed))
            {
                // Deleted between the read of the subscriptions and that of the outbox: the delete removes them.
                continue;
            }
            var due = DueAt(subscribed.Subscription, notices[0], subscribed.Status.LastNotification);
            if (due > now)
            {
                next = next is { } earlier && earlier < due ? earlier : due;
                continue;
            }
            var delivery = Task.Run(() => DeliverAsync(subscribed.Subscription, subscribed.Status.LastNotification, notices, stoppingToken), CancellationToken.None);
            _delivering[group.Key] = delivery;
            _ = delivery.ContinueWith(_ =>
            {
                _endedAt[group.Key] = Interlocked.Increment(ref _ended);
                _delivering.TryRemove(group.Key, out Task? _);
                Wake();
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        return next;
    }

    /// <summary>When a notification may go: when due (a retry after its delay), and not within the throttling window.</summary>
    private static DateTimeOffset DueAt(Subscription subscription, StoredCsourceNotice notice, DateTimeOffset? lastNotification)
    {
        var due = notice.Due;
        if (subscription.Throttling is { } throttling && lastNotification is { } last && last + TimeSpan.FromSeconds(throttling) > due)
            due = last + TimeSpan.FromSeconds(throttling);
        return due;
    }

    /// <summary>Delivers the subscription's notifications in order until one is not due or fails (it is rescheduled).</summary>
    private async Task DeliverAsync(Subscription subscription, DateTimeOffset? lastNotification, List<StoredCsourceNotice> notices, CancellationToken stoppingToken)
    {
        try
        {
            foreach (var notice in notices)
            {
                var now = clock.GetUtcNow();
                if (DueAt(subscription, notice, lastNotification) > now || _deleted.ContainsKey((subscription.Tenant, subscription.Id)))
                    return;
                if (subscription.StatusAt(now) != "active")
                {
                    // Paused or expired: nothing owed earlier is delivered any more.
                    await ReportAsync(subscription, notice, removed: true, null, DeliveryStatus.None, stoppingToken).ConfigureAwait(false);
                    continue;
                }
                var attempt = await SendAsync(subscription, notice, now, stoppingToken).ConfigureAwait(false);
                var sentAt = clock.GetUtcNow();
                lastNotification = sentAt;
                if (attempt.Delivered)
                {
                    await ReportAsync(subscription, notice, removed: true, null, new DeliveryStatus(1, 0, sentAt, sentAt, null), stoppingToken).ConfigureAwait(false);
                    continue;
                }
                LogFailed(logger, subscription.Id, attempt.Failure ?? "failed");
                var failed = new DeliveryStatus(1, 1, sentAt, null, sentAt);
                var attempts = notice.Attempts + 1;
                if (RetriedFor(attempts, subscription.Notification.Endpoint.CooldownMilliseconds) > options.RetryFor)
                {
                    LogGivenUp(logger, subscription.Id, attempts);
                    await ReportAsync(subscription, notice, removed: true, null, failed, stoppingToken).ConfigureAwait(false);
                    continue;
                }
                var retryAt = sentAt + options.RetryDelay(attempts, subscription.Notification.Endpoint.CooldownMilliseconds);
                await ReportAsync(subscription, notice, removed: false, new OutboxEntry(notice.Tenant, notice.SubscriptionId, notice.Sequence, "", attempts, retryAt), failed,
                    stoppingToken).ConfigureAwait(false);
                return;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: what is not reported stays in the outbox and is delivered after the restart.
        }
        catch (Exception e)
        {
            LogNotifierFailed(logger, e);
        }
    }

    /// <summary>How long a notification has been retried after <paramref name="attempts"/> failed attempts.</summary>
    private TimeSpan RetriedFor(int attempts, double? cooldownMilliseconds)
    {
        var total = TimeSpan.Zero;
        for (var attempt = 1; attempt < attempts && total <= options.RetryFor; attempt++)
            total += options.RetryDelay(attempt, cooldownMilliseconds);
        return total;
    }

    private Task ReportAsync(Subscription subscription, StoredCsourceNotice notice, bool removed, OutboxEntry? rescheduled, DeliveryStatus status, CancellationToken stoppingToken) =>
        store.CompleteNoticesAsync([new DeliveryReport(subscription.Tenant, subscription.Id, removed ? [notice.Sequence] : [], rescheduled is null ? [] : [rescheduled], status)],
            stoppingToken).AsTask();

    private async Task<DeliveryAttempt> SendAsync(Subscription subscription, StoredCsourceNotice notice, DateTimeOffset now, CancellationToken stoppingToken)
    {
        var endpoint = subscription.Notification.Endpoint;
        if (Array.Find(_senders, s => s.Handles(endpoint.Uri)) is not { } sender)
            return DeliveryAttempt.Failed($"no binding sends to '{endpoint.Uri.Scheme}' endpoints");
        byte[] body;
        try
        {
            body = Render(subscription, notice, await NotificationContext.ResolveAsync(resolver, subscription, stoppingToken).ConfigureAwait(false), now);
        }
        catch (JsonLdContextException e)
        {
            return DeliveryAttempt.Failed("its @context cannot be resolved: " + e.Message);
        }
        var timeout = endpoint.TimeoutMilliseconds is { } ms ? TimeSpan.FromMilliseconds(Math.Min(ms, options.MaxTimeout.TotalMilliseconds)) : options.Timeout;
        return await sender.SendAsync(new NotificationMessage(endpoint.Uri, endpoint.MediaType, body, NotificationRenderer.Headers(subscription), endpoint.NotifierInfo, timeout),
            stoppingToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Periodic subscriptions (timeInterval) that are due owe a notification of every registration they match (none
    /// when there is none, or while an earlier one is still owed); the first is due one interval after the
    /// subscription became active, when it was notified of what it matched then.
    /// </summary>
    private async Task OwePeriodicAsync(Dictionary<(string, string), (Subscription Subscription, DeliveryStatus Status)> subscriptions, IReadOnlyList<StoredCsourceNotice> owed,
        DateTimeOffset now, CancellationToken stoppingToken)
    {
        foreach (var key in _periodic.Keys.Where(k => !subscriptions.TryGetValue(k, out var s) || s.Subscription.TimeInterval is null).ToList())
            _periodic.Remove(key);
        var pending = owed.Select(n => (n.Tenant, n.SubscriptionId)).ToHashSet();
        var notices = new List<CsourceNotice>();
        Dictionary<string, List<ContextSourceRegistration>> byTenant = new(StringComparer.Ordinal);
        foreach (var (key, (subscription, _)) in subscriptions)
        {
            if (subscription.TimeInterval is not { } interval)
                continue;
            if (!_periodic.TryGetValue(key, out var schedule) || schedule.Interval != interval)
            {
                var first = subscription.ActiveSince + TimeSpan.FromSeconds(interval);
                _periodic[key] = (interval, first > now ? first : now + TimeSpan.FromSeconds(interval));
                continue;
            }
            if (schedule.Next > now)
                continue;
            _periodic[key] = (interval, now + TimeSpan.FromSeconds(interval));
            if (subscription.StatusAt(now) != "active" || pending.Contains(key))
                continue;
            if (!byTenant.TryGetValue(subscription.Tenant, out var all))
                byTenant[subscription.Tenant] = all = await ReadRegistrationsAsync(subscription.Tenant, stoppingToken).ConfigureAwait(false);
            var matching = all.Select(r => RegistrationMatcher.MatchSubscription(r, subscription, now)).OfType<ContextSourceRegistration>().ToList();
            if (matching.Count > 0)
                notices.Add(new CsourceNotice(subscription, matching, "updated"));
        }
        await OweAsync(notices, stoppingToken).ConfigureAwait(false);
    }

    /// <summary>Registrations that expired since the last look are noLongerMatching for the (non-periodic) subscriptions they matched until then.</summary>
    private async Task OweExpiriesAsync(Dictionary<(string, string), (Subscription Subscription, DeliveryStatus Status)> subscriptions, DateTimeOffset now, CancellationToken stoppingToken)
    {
        var since = _expiriesSeenUntil;
        if (now - since < MaxWait)
            return;
        var notices = new List<CsourceNotice>();
        foreach (var tenant in subscriptions.Values.Where(s => s.Subscription.TimeInterval is null && s.Subscription.StatusAt(now) == "active")
            .GroupBy(s => s.Subscription.Tenant, StringComparer.Ordinal))
        {
            foreach (var registration in await ReadRegistrationsAsync(tenant.Key, stoppingToken).ConfigureAwait(false))
            {
                if (registration.ExpiresAt is not { } expiresAt || expiresAt <= since || expiresAt > now)
                    continue;
                var lastMatched = expiresAt - TimeSpan.FromTicks(1);
                foreach (var (subscription, _) in tenant)
                {
                    if (RegistrationMatcher.MatchSubscription(registration, subscription, lastMatched) is { } shown)
                        notices.Add(new CsourceNotice(subscription, [shown], "noLongerMatching"));
                }
            }
        }
        await OweAsync(notices, stoppingToken).ConfigureAwait(false);
        _expiriesSeenUntil = now;
    }

    private async Task<List<ContextSourceRegistration>> ReadRegistrationsAsync(string tenant, CancellationToken stoppingToken) =>
        [.. (await registrations.ListAsync(tenant, stoppingToken).ConfigureAwait(false)).Select(RegistrationDocument.Read)];

    private static Subscription Read(StoredCsourceSubscription stored) =>
        SubscriptionDocument.Read(new StoredSubscription(stored.Tenant, stored.Id, stored.Document, stored.CreatedAt) { Revision = stored.Revision });

    /// <summary>The registrations a notification carries, as a JSON array of their stored documents.</summary>
    private static string Documents(IReadOnlyList<ContextSourceRegistration> carried)
    {
        var builder = new StringBuilder("[");
        foreach (var registration in carried)
        {
            if (builder.Length > 1)
                builder.Append(',');
            builder.Append(RegistrationDocument.Write(registration));
        }
        return builder.Append(']').ToString();
    }

    private static IEnumerable<ContextSourceRegistration> Registrations(StoredCsourceNotice notice)
    {
        foreach (var document in JsonNode.Parse(notice.Registrations)!.AsArray())
        {
            var id = document!["registration"]!["id"]!.GetValue<string>();
            yield return RegistrationDocument.Read(new StoredRegistration(notice.Tenant, id, document.ToJsonString()));
        }
    }

    /// <summary>A CsourceNotification (clause 5.3.2, type ContextSourceNotification as the spec's text and the ETSI suite have it; the OpenAPI file says CsourceNotification); JSON-LD notifications carry the @context as a member, JSON ones link to it.</summary>
    private static byte[] Render(Subscription subscription, StoredCsourceNotice notice, JsonLdContext context, DateTimeOffset now)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("id"u8, "urn:ngsi-ld:Notification:" + Guid.NewGuid().ToString("D"));
            json.WriteString("type"u8, "ContextSourceNotification");
            json.WriteString("subscriptionId"u8, subscription.Id);
            json.WriteString("notifiedAt"u8, Timestamps.Format6(now));
            json.WriteString("triggerReason"u8, notice.TriggerReason);
            json.WriteStartArray("data"u8);
            foreach (var registration in Registrations(notice))
                RegistrationWriter.Write(json, registration, StoredRegistrationStatus.None, context.CompactIri, shown: true, sysAttrs: subscription.Notification.SysAttrs == true, writeContext: null);
            json.WriteEndArray();
            if (subscription.Notification.Endpoint.MediaType == "application/ld+json")
                json.WriteString("@context"u8, NotificationRenderer.LinkContextUrl(subscription));
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Csource notification of subscription {SubscriptionId} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string subscriptionId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Gave up a csource notification of subscription {SubscriptionId} after {Attempts} attempts")]
    private static partial void LogGivenUp(ILogger logger, string subscriptionId, int attempts);

    [LoggerMessage(Level = LogLevel.Error, Message = "The csource notifier stopped on an error; it starts again")]
    private static partial void LogNotifierFailed(ILogger logger, Exception exception);
}
