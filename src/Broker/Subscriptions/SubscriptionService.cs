using System.Text.Json.Nodes;
using Broker.Entities.Representation;
using Broker.Problems;
using Broker.Storage;
using Ontology.JsonLd;

namespace Broker.Subscriptions;

/// <summary>The @context of a subscription request: for expanding its terms, to keep for notifications, and its URL for Link headers.</summary>
public sealed record RequestContext(JsonLdContext Context, JsonNode? Node, string? Url);

/// <summary>A subscription with its delivery status, as retrieve and query show it.</summary>
public sealed record SubscriptionView(Subscription Subscription, DeliveryStatus Status);

/// <summary>
/// Subscription management (clause 5.8.1–5.8.5). A subscription is in force on this node before its request is answered:
/// the dispatcher's index has it before the store does, and a change committed later is matched against it.
/// </summary>
public sealed class SubscriptionService(ISubscriptionStore store, NotificationDispatcher dispatcher, ContextResolver resolver, Outbound.OutboundAddressPolicy outbound, TimeProvider clock)
{
    public async Task<string> CreateAsync(string tenant, JsonObject body, RequestContext context, CancellationToken ct)
    {
        var id = SubscriptionReader.IdOf(body);
        var now = Timestamps.Now(clock);
        var subscription = SubscriptionReader.Read(body, tenant, id, _ => context.Context.ExpandTerm, now, checkExpiry: true, now, now, context.Node) with
        {
            ContextUrl = context.Url,
            ActiveSince = now,
            Restriction = Security.AccessScope.Current,
        };
        await RequireDereferenceableAsync(subscription, ct);
        if (await store.GetAsync(tenant, id, ct) is not null)
            throw AlreadyExists(id);
        dispatcher.Apply(subscription, DeliveryStatus.None);
        bool inserted;
        try
        {
            inserted = await store.InsertAsync(new StoredSubscription(tenant, id, SubscriptionDocument.Write(subscription), now), ct);
        }
        catch
        {
            dispatcher.Remove(tenant, id);
            throw;
        }
        if (!inserted)
        {
            // Created meanwhile by another request: that one is in force.
            if (await store.GetAsync(tenant, id, ct) is { } winner)
                dispatcher.Apply(SubscriptionDocument.Read(winner), winner.Status);
            throw AlreadyExists(id);
        }
        return id;
    }

    public async Task<SubscriptionView> GetAsync(string tenant, string id, CancellationToken ct)
    {
        var stored = await store.GetAsync(tenant, id, ct) ?? throw NotFound(id);
        return View(stored);
    }

    public async Task<(IReadOnlyList<SubscriptionView> Page, long Total)> ListAsync(string tenant, int offset, int limit, CancellationToken ct)
    {
        var page = await store.ListAsync(tenant, offset, limit, ct);
        return ([.. page.Subscriptions.Select(View)], page.Total);
    }

    /// <summary>
    /// Update subscription (clause 5.8.2): each member of the fragment replaces the member of that name (notification
    /// too, as a whole), null removes one; the result is checked as a new subscription would be. The fragment's terms are
    /// expanded with the request's @context, the other members keep their expansions.
    /// </summary>
    public async Task UpdateAsync(string tenant, string id, JsonObject fragment, RequestContext context, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var stored = await store.GetAsync(tenant, id, ct) ?? throw NotFound(id);
            var current = SubscriptionDocument.Read(stored);
            var merged = (JsonObject)current.Source.DeepClone();
            foreach (var (name, value) in fragment)
            {
                if (name == "@context")
                    continue;
                if (SubscriptionReader.IsNull(value))
                    merged.Remove(name);
                else
                    merged[name] = value!.DeepClone();
            }
            merged["type"] ??= "Subscription";
            var now = Timestamps.Now(clock);
            var userContext = context.Node is not null;
            var updated = SubscriptionReader.Read(merged, tenant, id,
                member => fragment.ContainsKey(member) || !current.Terms.TryGetValue(member, out var recorded)
                    ? context.Context.ExpandTerm
                    : term => recorded.GetValueOrDefault(term) ?? context.Context.ExpandTerm(term),
                now, checkExpiry: fragment.ContainsKey("expiresAt"), current.CreatedAt, now, userContext ? context.Node : current.Context) with
            {
                ContextUrl = userContext ? context.Url : current.ContextUrl,
                ActiveSince = current.StatusAt(now) == "active" ? current.ActiveSince : now,
                Restriction = Security.AccessScope.Current,
            };
            await RequireDereferenceableAsync(updated, ct);
            dispatcher.Apply(updated, stored.Status);
            if (await store.UpdateAsync(tenant, id, SubscriptionDocument.Write(updated), stored.Revision, ct))
                return;
            // Changed meanwhile: read it again and apply the fragment to what it is now.
        }
        if (await store.GetAsync(tenant, id, ct) is { } latest)
            dispatcher.Apply(SubscriptionDocument.Read(latest), latest.Status);
        throw new NgsiLdException(ErrorType.Contended, $"The subscription '{id}' kept changing while it was updated; retry.");
    }

    public async Task DeleteAsync(string tenant, string id, CancellationToken ct)
    {
        if (await store.GetAsync(tenant, id, ct) is null)
            throw NotFound(id);
        dispatcher.Remove(tenant, id);
        if (!await store.DeleteAsync(tenant, id, ct))
            throw NotFound(id);
    }

    private SubscriptionView View(StoredSubscription stored) =>
        new(SubscriptionDocument.Read(stored), dispatcher.LiveStatus(stored.Tenant, stored.Id) ?? stored.Status);

    /// <summary>
    /// The endpoint must be one the outbound-address policy lets the broker reach (checked again on every connection),
    /// and jsonldContext an @context that can be fetched (clause 5.2.12): a notification is compacted with it.
    /// </summary>
    private async Task RequireDereferenceableAsync(Subscription subscription, CancellationToken ct)
    {
        if (outbound.CheckEndpoint(subscription.Notification.Endpoint.Uri) is { } refused)
            throw NgsiLdException.BadRequestData($"The subscription's notification.endpoint.uri cannot be notified: {refused}.");
        if (subscription.JsonldContext is not { } url)
            return;
        try
        {
            await resolver.ResolveAsync(null, url, ct);
        }
        catch (JsonLdContextException e)
        {
            throw e.Kind == JsonLdContextError.ContextNotAvailable
                ? new NgsiLdException(ErrorType.LdContextNotAvailable, $"The jsonldContext '{url}' cannot be fetched: {e.Message}")
                : NgsiLdException.BadRequestData($"The jsonldContext '{url}' is not a valid @context: {e.Message}");
        }
    }

    private static NgsiLdException NotFound(string id) => NgsiLdException.NotFound($"No subscription with id '{id}' exists.");

    private static NgsiLdException AlreadyExists(string id) => new(ErrorType.AlreadyExists, $"A subscription with id '{id}' already exists.");
}
