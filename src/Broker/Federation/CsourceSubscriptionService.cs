using System.Text.Json.Nodes;
using Broker.Entities.Representation;
using Broker.Problems;
using Broker.Storage;
using Broker.Subscriptions;

namespace Broker.Federation;

/// <summary>
/// Context source registration subscriptions (clause 5.11.2–5.11.6): a Subscription (clause 5.2.12, read and checked by
/// <see cref="SubscriptionReader"/>) whose entities, watchedAttributes, q and geoQ select registrations as discovery does
/// (<see cref="RegistrationMatcher.MatchesSubscription"/>). A new or updated subscription is notified of the registrations
/// that match it; then every registration created, updated or deleted is notified to the subscriptions it newly matches
/// (newlyMatching), still matches (updated) or no longer matches (noLongerMatching); a periodic subscription
/// (timeInterval) is instead notified of every registration it matches once per interval. The notifications are in the
/// <see cref="CsourceNotifier"/>'s outbox before the change that owes them is answered.
/// </summary>
public sealed class CsourceSubscriptionService(ICsourceSubscriptionStore store, IRegistrationStore registrations, CsourceNotifier notifier,
    Outbound.OutboundAddressPolicy outbound, TimeProvider clock)
{
    private const int MaxUpdateAttempts = 8;

    public async Task<string> CreateAsync(string tenant, JsonObject body, RequestContext context, CancellationToken ct)
    {
        var id = SubscriptionReader.IdOf(body);
        var now = Timestamps.Now(clock);
        var subscription = SubscriptionReader.Read(body, tenant, id, _ => context.Context.ExpandTerm, now, checkExpiry: true, now, now, context.Node) with
        {
            ContextUrl = context.Url,
            ActiveSince = now,
        };
        RequireReachable(subscription);
        if (!await store.InsertAsync(new StoredCsourceSubscription(tenant, id, SubscriptionDocument.Write(subscription), now), ct))
            throw new NgsiLdException(ErrorType.AlreadyExists, $"A context source registration subscription with id '{id}' already exists.");
        notifier.Created(tenant, id);
        await NotifyMatchingAsync(subscription, ct);
        return id;
    }

    /// <summary>The registrations that match a subscription created or changed, notified as newlyMatching (if there are any).</summary>
    private async Task NotifyMatchingAsync(Subscription subscription, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (subscription.StatusAt(now) != "active")
            return;
        var matching = new List<ContextSourceRegistration>();
        foreach (var stored in await registrations.ListAsync(subscription.Tenant, ct))
        {
            if (RegistrationMatcher.MatchSubscription(RegistrationDocument.Read(stored), subscription, now) is { } shown)
                matching.Add(shown);
        }
        if (matching.Count > 0)
            await notifier.OweAsync([new CsourceNotice(subscription, matching, "newlyMatching")], ct);
    }

    public async Task<SubscriptionView> GetAsync(string tenant, string id, CancellationToken ct)
    {
        var stored = await store.GetAsync(tenant, id, ct) ?? throw NotFound(id);
        return View(stored);
    }

    public async Task<(IReadOnlyList<SubscriptionView> Page, long Total)> ListAsync(string tenant, int offset, int limit, CancellationToken ct)
    {
        var all = await store.ListAsync(tenant, ct);
        return ([.. all.Skip(offset).Take(limit).Select(View)], all.Count);
    }

    /// <summary>As update subscription (clause 5.8.2): each member of the fragment replaces the one of that name, null removes it.</summary>
    public async Task UpdateAsync(string tenant, string id, JsonObject fragment, RequestContext context, CancellationToken ct)
    {
        if (fragment.TryGetPropertyValue("type", out var type) && SubscriptionReader.IsNull(type))
            throw NgsiLdException.BadRequestData("The subscription's type cannot be removed: it is Subscription.");
        for (var attempt = 0; attempt < MaxUpdateAttempts; attempt++)
        {
            var stored = await store.GetAsync(tenant, id, ct) ?? throw NotFound(id);
            var current = Read(stored);
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
                ActiveSince = current.ActiveSince,
            };
            RequireReachable(updated);
            if (await store.UpdateAsync(tenant, id, SubscriptionDocument.Write(updated), stored.Revision, ct))
            {
                await NotifyMatchingAsync(updated, ct);
                return;
            }
        }
        throw new NgsiLdException(ErrorType.Contended, $"The subscription '{id}' kept changing while it was updated; retry.");
    }

    public async Task DeleteAsync(string tenant, string id, CancellationToken ct)
    {
        if (!await store.DeleteAsync(tenant, id, ct))
            throw NotFound(id);
        notifier.Forget(tenant, id);
    }

    /// <summary>Notifies the tenant's subscriptions of a registration created (no <paramref name="before"/>), updated, or deleted (no <paramref name="after"/>).</summary>
    public async Task RegistrationChangedAsync(string tenant, ContextSourceRegistration? before, ContextSourceRegistration? after, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var notices = new List<CsourceNotice>();
        foreach (var stored in await store.ListAsync(tenant, ct))
        {
            var subscription = Read(stored);
            if (subscription.StatusAt(now) != "active" || subscription.TimeInterval is not null)
                continue;
            var shownBefore = before is null ? null : RegistrationMatcher.MatchSubscription(before, subscription, now);
            var shownNow = after is null ? null : RegistrationMatcher.MatchSubscription(after, subscription, now);
            if (shownNow is not null)
                notices.Add(new CsourceNotice(subscription, [shownNow], shownBefore is null ? "newlyMatching" : "updated"));
            else if (shownBefore is not null)
                notices.Add(new CsourceNotice(subscription, [after ?? before!], "noLongerMatching"));
        }
        await notifier.OweAsync(notices, ct);
    }

    private static SubscriptionView View(StoredCsourceSubscription stored) => new(Read(stored), stored.Status);

    private static Subscription Read(StoredCsourceSubscription stored) =>
        SubscriptionDocument.Read(new StoredSubscription(stored.Tenant, stored.Id, stored.Document, stored.CreatedAt) { Revision = stored.Revision });

    private void RequireReachable(Subscription subscription)
    {
        if (outbound.CheckEndpoint(subscription.Notification.Endpoint.Uri) is { } refused)
            throw NgsiLdException.BadRequestData($"The subscription's notification.endpoint.uri cannot be notified: {refused}.");
    }

    private static NgsiLdException NotFound(string id) => NgsiLdException.NotFound($"No context source registration subscription with id '{id}' exists.");
}
