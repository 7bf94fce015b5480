using System.Text.Json.Nodes;
using Broker.Entities.Representation;
using Broker.Problems;
using Broker.Storage;
using Microsoft.Extensions.Logging;

namespace Broker.Federation;

/// <summary>A registration with the status of the distributed operations sent for it, as retrieve and query show it.</summary>
public sealed record RegistrationView(ContextSourceRegistration Registration, StoredRegistrationStatus Status);

/// <summary>
/// Context source registration (clause 5.9.2–5.9.4) and discovery (clause 5.10.1–5.10.2). Exclusive and redirect
/// registrations are checked against each other and against the entities held here before they are stored (clause
/// 4.3.6.3); those checks and the write that follows run one at a time on this node.
/// </summary>
public sealed partial class RegistrationService(IRegistrationStore store, IEntityStore entities, CsourceSubscriptionService subscriptions, TimeProvider clock,
    ILogger<RegistrationService> logger)
{
    private const int MaxUpdateAttempts = 8;

    private readonly SemaphoreSlim _overlapCheck = new(1, 1);

    public async Task<string> CreateAsync(string tenant, JsonObject body, Func<string, string> expand, CancellationToken ct)
    {
        var id = RegistrationReader.IdOf(body);
        var now = Timestamps.Now(clock);
        var registration = RegistrationReader.Read(body, tenant, id, expand, now, checkExpiry: true, now, now);
        await WithOverlapCheckAsync(registration, async () =>
        {
            var inserted = await store.InsertAsync(new StoredRegistration(tenant, id, RegistrationDocument.Write(registration)), ct);
            _forMatching.TryRemove(tenant, out _);
            if (!inserted)
                throw AlreadyExists(id);
            return true;
        }, ct);
        await NotifySubscriptionsAsync(tenant, null, registration, ct);
        return id;
    }

    public async Task<RegistrationView> GetAsync(string tenant, string id, CancellationToken ct)
    {
        var stored = await store.GetAsync(tenant, id, ct) ?? throw NotFound(id);
        return new RegistrationView(RegistrationDocument.Read(stored), stored.Status);
    }

    /// <summary>Query context source registrations (clause 5.10.2): a page of those that match, in id order, and how many match.</summary>
    public async Task<(IReadOnlyList<RegistrationView> Page, long Total)> QueryAsync(string tenant, RegistrationQuery query, int offset, int limit, CancellationToken ct)
    {
        var stored = await store.ListAsync(tenant, ct);
        var now = clock.GetUtcNow();
        var matching = new List<RegistrationView>();
        foreach (var item in stored)
        {
            var registration = RegistrationDocument.Read(item);
            if (RegistrationMatcher.Match(registration, query, now) is not null)
                matching.Add(new RegistrationView(registration, item.Status));
        }
        return ([.. matching.Skip(offset).Take(limit)], matching.Count);
    }

    /// <summary>The registrations of the tenant that can answer <paramref name="query"/>: the remote legs of a distributed operation.</summary>
    public async Task<IReadOnlyList<RegistrationMatch>> MatchAsync(string tenant, RegistrationQuery query, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (!_forMatching.TryGetValue(tenant, out var cached) || now - cached.ReadAt > MatchingCacheTime)
        {
            cached = (now, await ReadAllAsync(tenant, ct));
            _forMatching[tenant] = cached;
        }
        return RegistrationMatcher.MatchAll(cached.Registrations, query, now);
    }

    /// <summary>
    /// The registrations distributed operations match against, per tenant, so that an entity request does not read and
    /// parse every registration: read again after this node changes one, and when older than <see cref="MatchingCacheTime"/>,
    /// within which another node's changes are seen.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (DateTimeOffset ReadAt, List<ContextSourceRegistration> Registrations)> _forMatching = new(StringComparer.Ordinal);

    private static readonly TimeSpan MatchingCacheTime = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Update context source registration (clause 5.9.3): each member of the fragment replaces the member of that name,
    /// null removes one; the result is checked as a new registration would be. Terms of the fragment are expanded with
    /// the request's @context; the other members are kept expanded and stay as they are.
    /// </summary>
    public async Task UpdateAsync(string tenant, string id, JsonObject fragment, Func<string, string> expand, CancellationToken ct)
    {
        for (var attempt = 0; attempt < MaxUpdateAttempts; attempt++)
        {
            var stored = await store.GetAsync(tenant, id, ct) ?? throw NotFound(id);
            var current = RegistrationDocument.Read(stored);
            var merged = JsonNode.Parse(RegistrationDocument.Write(current))!["registration"]!.AsObject();
            foreach (var (name, value) in fragment)
            {
                if (RegistrationReader.ReadOnlyMembers.Contains(name))
                    continue;
                var key = RegistrationReader.Members.Contains(name) ? name : merged.Select(m => m.Key).FirstOrDefault(k => expand(k) == expand(name)) ?? name;
                if (RegistrationReader.IsNull(value))
                    merged.Remove(key);
                else
                    merged[key] = value!.DeepClone();
            }
            var now = Timestamps.Now(clock);
            var updated = RegistrationReader.Read(merged, tenant, id, expand, now, checkExpiry: fragment.ContainsKey("expiresAt"), current.CreatedAt, now);
            var written = await WithOverlapCheckAsync(updated,
                async () =>
                {
                    var replaced = await store.UpdateAsync(tenant, id, RegistrationDocument.Write(updated), stored.Revision, ct);
                    _forMatching.TryRemove(tenant, out _);
                    return replaced;
                }, ct);
            if (written)
            {
                await NotifySubscriptionsAsync(tenant, current, updated, ct);
                return;
            }
            // Changed meanwhile: read it again and apply the fragment to what it is now.
        }
        throw new NgsiLdException(ErrorType.Contended, $"The registration '{id}' kept changing while it was updated; retry.");
    }

    public async Task DeleteAsync(string tenant, string id, CancellationToken ct)
    {
        var stored = await store.GetAsync(tenant, id, ct) ?? throw NotFound(id);
        var deleted = await store.DeleteAsync(tenant, id, ct);
        _forMatching.TryRemove(tenant, out _);
        if (!deleted)
            throw NotFound(id);
        await NotifySubscriptionsAsync(tenant, RegistrationDocument.Read(stored), null, ct);
    }

    /// <summary>
    /// Tells the csourceSubscriptions of a change that is already stored: a failure to do so (their store unreachable, a
    /// pattern that runs too long) is logged, not answered, since the request did what it asked.
    /// </summary>
    private async Task NotifySubscriptionsAsync(string tenant, ContextSourceRegistration? before, ContextSourceRegistration? after, CancellationToken ct)
    {
        try
        {
            await subscriptions.RegistrationChangedAsync(tenant, before, after, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogNotificationFailed(logger, e, (after ?? before)!.Id);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The csourceSubscriptions were not told of the change of registration {RegistrationId}")]
    private static partial void LogNotificationFailed(ILogger logger, Exception exception, string registrationId);

    private async Task<List<ContextSourceRegistration>> ReadAllAsync(string tenant, CancellationToken ct) =>
        [.. (await store.ListAsync(tenant, ct)).Select(RegistrationDocument.Read)];

    /// <summary>Runs the write of an exclusive or redirect registration after checking its overlaps, one such write at a time.</summary>
    private async Task<bool> WithOverlapCheckAsync(ContextSourceRegistration registration, Func<Task<bool>> write, CancellationToken ct)
    {
        if (registration.Mode is not (RegistrationMode.Exclusive or RegistrationMode.Redirect))
            return await write();
        await _overlapCheck.WaitAsync(ct);
        try
        {
            await RequireNoOverlapAsync(registration, ct);
            return await write();
        }
        finally
        {
            _overlapCheck.Release();
        }
    }

    /// <summary>
    /// An exclusive registration may not claim an entity attribute that an exclusive or redirect registration of the
    /// tenant claims, nor one of an entity (named by id) held here; a redirect registration not one an exclusive
    /// registration claims (clause 4.3.6.3). Each is 409 Conflict. A redirect registration may claim an entity held here
    /// (the ETSI suite's redirect tests register one over local entities): from then on its writes go to the source.
    /// </summary>
    private async Task RequireNoOverlapAsync(ContextSourceRegistration registration, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        foreach (var other in await ReadAllAsync(registration.Tenant, ct))
        {
            if (other.Id == registration.Id)
                continue;
            var competes = registration.Mode == RegistrationMode.Exclusive
                ? other.Mode is RegistrationMode.Exclusive or RegistrationMode.Redirect
                : other.Mode == RegistrationMode.Exclusive;
            if (competes && RegistrationMatcher.Overlap(registration, other, now) is { } overlap)
                throw new NgsiLdException(ErrorType.AlreadyExists,
                    $"The {RegistrationWriter.ModeName(registration.Mode)} registration claims the attribute '{overlap.Attribute}' of the entity '{overlap.EntityId}', which the {RegistrationWriter.ModeName(other.Mode)} registration '{other.Id}' provides.");
        }
        if (registration.Mode != RegistrationMode.Exclusive)
            return;
        var mode = RegistrationWriter.ModeName(registration.Mode);
        foreach (var info in registration.Information)
        {
            foreach (var registered in info.Entities ?? [])
            {
                if (registered.Id is not { } entityId || await entities.GetAsync(registration.Tenant, entityId, ct) is not { } entity
                    || !registered.Types.Any(entity.Types.Contains))
                    continue;
                if (info.CoversEveryAttribute)
                    throw new NgsiLdException(ErrorType.AlreadyExists, $"The {mode} registration claims the entity '{entityId}', which this broker holds itself.");
                foreach (var attribute in info.AttributeNames)
                {
                    if (entity.Attributes.Contains(attribute))
                        throw new NgsiLdException(ErrorType.AlreadyExists,
                            $"The {mode} registration claims the attribute '{attribute}' of the entity '{entityId}', which this broker holds itself.");
                }
            }
        }
    }

    private static NgsiLdException NotFound(string id) => NgsiLdException.NotFound($"No context source registration with id '{id}' exists.");

    private static NgsiLdException AlreadyExists(string id) => new(ErrorType.AlreadyExists, $"A context source registration with id '{id}' already exists.");
}
