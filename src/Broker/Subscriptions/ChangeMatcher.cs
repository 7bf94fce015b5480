using Broker.Storage;
using Ontology.Model;

namespace Broker.Subscriptions;

/// <summary>
/// What one committed change did, attribute by attribute, worked out once and shared by every subscription it is
/// matched against: which attributes (or attribute instances, by datasetId) it created, updated or deleted, and the
/// entity before and after it.
/// </summary>
public sealed class ChangeAnalysis
{
    private Entity? _before;

    public ChangeAnalysis(FeedChange change)
    {
        Change = change;
        var entityChange = change.Change;
        switch (entityChange.Kind)
        {
            case ChangeKind.Create:
                Created.UnionWith(entityChange.After!.Attributes.Names);
                break;
            case ChangeKind.Delete:
                if (entityChange.Before is { } deleted)
                    Deleted.UnionWith(deleted.Attributes.Names);
                break;
            default:
                Compare(entityChange);
                break;
        }
    }

    public FeedChange Change { get; }

    public ChangeKind Kind => Change.Change.Kind;

    /// <summary>The entity the change is about: after it, or as it was for a delete (null for a delete recorded without it).</summary>
    public Entity? Subject => Change.Change.After ?? Change.Change.Before;

    public HashSet<string> Created { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Updated { get; } = new(StringComparer.Ordinal);

    /// <summary>Attributes with at least one instance deleted (the attribute itself may remain with other instances).</summary>
    public HashSet<string> Deleted { get; } = new(StringComparer.Ordinal);

    /// <summary>Every attribute the change created, updated or deleted (what watchedAttributes are tested against).</summary>
    public IReadOnlyCollection<string> Touched
    {
        get
        {
            if (_touched is not null)
                return _touched;
            if (Updated.Count == 0 && Deleted.Count == 0)
                return _touched = Created;
            if (Created.Count == 0 && Updated.Count == 0)
                return _touched = Deleted;
            var touched = new HashSet<string>(Created, StringComparer.Ordinal);
            touched.UnionWith(Updated);
            touched.UnionWith(Deleted);
            return _touched = touched;
        }
    }

    private HashSet<string>? _touched;

    /// <summary>
    /// The whole entity before an update: the entity after it with the changed attributes as they were (a change record
    /// read back keeps only those, see <see cref="ChangeRecords.PreviousOf"/>).
    /// </summary>
    public Entity? Before
    {
        get
        {
            var change = Change.Change;
            if (change.Kind != ChangeKind.Update || change.Before is not { } previous || change.After is not { } after)
                return change.Kind == ChangeKind.Delete ? change.Before : null;
            if (_before is not null)
                return _before;
            var before = new Entity { Id = after.Id, Types = previous.Types, Scopes = previous.Scopes, CreatedAt = previous.CreatedAt, ModifiedAt = previous.ModifiedAt, Version = previous.Version };
            foreach (var (name, instances) in after.Attributes)
            {
                if (!change.ChangedAttributes.Contains(name))
                    before.Attributes.Set(name, instances);
                else if (previous.Attributes.Get(name) is { } old)
                    before.Attributes.Set(name, old);
            }
            foreach (var name in change.ChangedAttributes)
            {
                if (!before.Attributes.Contains(name) && previous.Attributes.Get(name) is { } old)
                    before.Attributes.Set(name, old);
            }
            return _before = before;
        }
    }

    private void Compare(EntityChange change)
    {
        var after = change.After!;
        foreach (var name in change.ChangedAttributes)
        {
            var now = after.Attributes.Get(name);
            if (change.Before is null)
            {
                (now is null ? Deleted : Updated).Add(name);
                continue;
            }
            var old = change.Before.Attributes.Get(name);
            if (old is null)
            {
                if (now is not null)
                    Created.Add(name);
                continue;
            }
            if (now is null)
            {
                Deleted.Add(name);
                continue;
            }
            foreach (var instance in old)
            {
                if (!now.Exists(i => i.DatasetId == instance.DatasetId))
                    Deleted.Add(name);
            }
            foreach (var instance in now)
            {
                var existed = old.Exists(i => i.DatasetId == instance.DatasetId);
                (existed ? Updated : Created).Add(name);
            }
        }
    }
}

/// <summary>
/// The notification rules of clause 5.8.6 for one change and one on-change subscription: the entity selectors, the
/// triggers with the watched attributes, and q, geoQ and scopeQ, which are evaluated by <see cref="EntityQueryMatcher"/>,
/// the meaning every query has. Decisions the spec leaves open:
/// <list type="bullet">
/// <item>Creating an entity creates its attributes: the default triggers (attributeCreated, attributeUpdated) notify it.</item>
/// <item>Deleting an entity deletes its attributes: attributeDeleted notifies it for the watched attributes.</item>
/// <item>The filters hold on the entity after a create or update; on the entity before for a delete, and also for an
/// update whose deleted attributes are the reason to notify (an attribute that is gone cannot meet a q on itself).</item>
/// <item>A subscription notifies only changes made since it was created or resumed (the feed holds earlier ones too).</item>
/// </list>
/// </summary>
public static class ChangeMatcher
{
    /// <summary>Why a subscription is notified of a change; None when it is not.</summary>
    public static NotificationTriggers Match(Subscription subscription, ChangeAnalysis change, DateTimeOffset now)
    {
        if (!subscription.Active || subscription.TimeInterval is not null || subscription.ExpiresAt <= now)
            return NotificationTriggers.None;
        if (change.Change.Change.At < subscription.ActiveSince)
            return NotificationTriggers.None;
        if (change.Subject is not { } subject)
            return NotificationTriggers.None;
        var triggers = subscription.Triggers;
        var watched = subscription.WatchedAttributes;
        var fired = NotificationTriggers.None;
        switch (change.Kind)
        {
            case ChangeKind.Create:
                if (triggers.HasFlag(NotificationTriggers.EntityCreated))
                    fired |= NotificationTriggers.EntityCreated;
                if (triggers.HasFlag(NotificationTriggers.AttributeCreated) && Watches(watched, change.Created))
                    fired |= NotificationTriggers.AttributeCreated;
                break;
            case ChangeKind.Delete:
                if (triggers.HasFlag(NotificationTriggers.EntityDeleted))
                    fired |= NotificationTriggers.EntityDeleted;
                if (triggers.HasFlag(NotificationTriggers.AttributeDeleted) && Watches(watched, change.Deleted))
                    fired |= NotificationTriggers.AttributeDeleted;
                break;
            default:
                if (triggers.HasFlag(NotificationTriggers.AttributeCreated) && Watches(watched, change.Created))
                    fired |= NotificationTriggers.AttributeCreated;
                if (triggers.HasFlag(NotificationTriggers.AttributeUpdated) && Watches(watched, change.Updated))
                    fired |= NotificationTriggers.AttributeUpdated;
                if (triggers.HasFlag(NotificationTriggers.AttributeDeleted) && Watches(watched, change.Deleted))
                    fired |= NotificationTriggers.AttributeDeleted;
                break;
        }
        if (fired == NotificationTriggers.None || !Selects(subscription, subject))
            return NotificationTriggers.None;
        if (subscription.Q is null && subscription.ScopeQ is null && subscription.GeoQ is null && subscription.Restriction is null)
            return fired;
        var filter = subscription.Filter;
        if (EntityQueryMatcher.Matches(subject, filter))
            return fired;
        if (change.Kind == ChangeKind.Update && fired.HasFlag(NotificationTriggers.AttributeDeleted) && change.Before is { } before
            && EntityQueryMatcher.Matches(before, filter))
            return NotificationTriggers.AttributeDeleted;
        return NotificationTriggers.None;
    }

    /// <summary>The entity selectors (any of them), or any entity when the subscription has none.</summary>
    public static bool Selects(Subscription subscription, Entity entity)
    {
        if (subscription.Entities is not { } selectors)
            return true;
        for (var i = 0; i < selectors.Count; i++)
        {
            if (selectors[i].Matches(entity))
                return true;
        }
        return false;
    }

    private static bool Watches(IReadOnlyList<string>? watched, HashSet<string> names)
    {
        if (names.Count == 0)
            return false;
        if (watched is null)
            return true;
        for (var i = 0; i < watched.Count; i++)
        {
            if (names.Contains(watched[i]))
                return true;
        }
        return false;
    }
}
