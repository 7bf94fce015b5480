using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
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
/// Sends CsourceNotifications through the notification senders of the subscriptions feature (HTTP, MQTT, both behind the
/// outbound-address policy), in the order they were owed, each tried a few times with growing delays. Owed notifications
/// wait in a bounded queue in memory: unlike entity notifications they are not kept in an outbox, so a restart loses
/// those not yet sent, and a full queue drops new ones (logged). The delivery status is kept in memory too.
/// </summary>
public sealed partial class CsourceNotifier(IEnumerable<INotificationSender> senders, ContextResolver resolver, NotificationOptions options, TimeProvider clock,
    ILogger<CsourceNotifier> logger) : BackgroundService
{
    private const int Attempts = 3;

    private readonly INotificationSender[] _senders = [.. senders];
    private readonly Channel<CsourceNotice> _queue = Channel.CreateBounded<CsourceNotice>(new BoundedChannelOptions(Math.Max(1, options.QueueCapacity))
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.DropWrite,
    });

    private readonly ConcurrentDictionary<(string Tenant, string Id), DeliveryStatus> _statuses = new();

    public void Enqueue(CsourceNotice notice)
    {
        if (!_queue.Writer.TryWrite(notice))
            LogDropped(logger, notice.Subscription.Id);
    }

    public DeliveryStatus StatusOf(string tenant, string id) => _statuses.GetValueOrDefault((tenant, id), DeliveryStatus.None);

    /// <summary>Subscriptions deleted since their notifications were queued: what they still owe is not sent, not even a retry.</summary>
    private readonly ConcurrentDictionary<(string Tenant, string Id), bool> _deleted = new();

    /// <summary>The subscription was deleted: its status goes, and so do the notifications it still owes.</summary>
    public void Forget(string tenant, string id)
    {
        _statuses.TryRemove((tenant, id), out _);
        _deleted[(tenant, id)] = true;
    }

    /// <summary>A subscription was created (perhaps with the id of a deleted one): it is notified again.</summary>
    public void Created(string tenant, string id) => _deleted.TryRemove((tenant, id), out _);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var notice in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
                await DeliverAsync(notice, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: what is still queued is not sent (see the class remarks).
        }
    }

    private async Task DeliverAsync(CsourceNotice notice, CancellationToken cancellationToken)
    {
        var subscription = notice.Subscription;
        var endpoint = subscription.Notification.Endpoint;
        var sender = Array.Find(_senders, s => s.Handles(endpoint.Uri));
        var delay = options.FirstRetryDelay;
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            if (_deleted.ContainsKey((subscription.Tenant, subscription.Id)))
                return;
            DeliveryAttempt outcome;
            var now = clock.GetUtcNow();
            if (sender is null)
            {
                outcome = DeliveryAttempt.Failed($"no binding sends to '{endpoint.Uri.Scheme}' endpoints");
            }
            else
            {
                byte[] body;
                try
                {
                    body = Render(notice, await ResolveContextAsync(subscription, cancellationToken).ConfigureAwait(false), now);
                }
                catch (JsonLdContextException e)
                {
                    outcome = DeliveryAttempt.Failed("its @context cannot be resolved: " + e.Message);
                    Count(subscription, outcome, now);
                    LogFailed(logger, subscription.Id, outcome.Failure!);
                    return;
                }
                var timeout = endpoint.TimeoutMilliseconds is { } ms ? TimeSpan.FromMilliseconds(Math.Min(ms, options.MaxTimeout.TotalMilliseconds)) : options.Timeout;
                outcome = await sender.SendAsync(new NotificationMessage(endpoint.Uri, endpoint.MediaType, body, NotificationRenderer.Headers(subscription),
                    endpoint.NotifierInfo, timeout), cancellationToken).ConfigureAwait(false);
            }
            Count(subscription, outcome, now);
            if (outcome.Delivered)
                return;
            LogFailed(logger, subscription.Id, outcome.Failure ?? "failed");
            if (attempt < Attempts)
            {
                await Task.Delay(delay, clock, cancellationToken).ConfigureAwait(false);
                delay *= 2;
            }
        }
    }

    private void Count(Subscription subscription, DeliveryAttempt outcome, DateTimeOffset now)
    {
        var delta = outcome.Delivered ? new DeliveryStatus(1, 0, now, now, null) : new DeliveryStatus(1, 1, now, null, now);
        _statuses.AddOrUpdate((subscription.Tenant, subscription.Id), delta, (_, status) => status.Add(delta));
    }

    /// <summary>The @context the registrations are compacted with: jsonldContext, or the subscription's own.</summary>
    private async Task<JsonLdContext> ResolveContextAsync(Subscription subscription, CancellationToken cancellationToken)
    {
        if (subscription.JsonldContext is { } url)
            return await resolver.ResolveAsync(null, url, cancellationToken).ConfigureAwait(false);
        return subscription.Context switch
        {
            null => JsonLdContext.Core,
            System.Text.Json.Nodes.JsonValue value when value.GetValueKind() == JsonValueKind.String =>
                await resolver.ResolveAsync(null, value.GetValue<string>(), cancellationToken).ConfigureAwait(false),
            var inline => await resolver.ResolveAsync(JsonSerializer.SerializeToElement(inline, Api.Http.JsonNodeContext.Default.JsonNode), null, cancellationToken).ConfigureAwait(false),
        };
    }

    /// <summary>A CsourceNotification (clause 5.3.2, type ContextSourceNotification as the spec's text and the ETSI suite have it; the OpenAPI file says CsourceNotification); JSON-LD notifications carry the @context as a member, JSON ones link to it.</summary>
    private static byte[] Render(CsourceNotice notice, JsonLdContext context, DateTimeOffset now)
    {
        var subscription = notice.Subscription;
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
            foreach (var registration in notice.Registrations)
                RegistrationWriter.Write(json, registration, StoredRegistrationStatus.None, context.CompactIri, shown: true, sysAttrs: subscription.Notification.SysAttrs == true, writeContext: null);
            json.WriteEndArray();
            if (subscription.Notification.Endpoint.MediaType == "application/ld+json")
            {
                json.WriteString("@context"u8, NotificationRenderer.LinkContextUrl(subscription));
            }
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Csource notification of subscription {SubscriptionId} dropped: the queue is full")]
    private static partial void LogDropped(ILogger logger, string subscriptionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Csource notification of subscription {SubscriptionId} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string subscriptionId, string reason);
}
