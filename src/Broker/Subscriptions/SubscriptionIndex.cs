using Broker.Query.Ast;
using Ontology.Model;

namespace Broker.Subscriptions;

/// <summary>
/// The on-change subscriptions of all tenants, indexed so that a change is tested only against the subscriptions that
/// can match it: by entity id for selectors with an id, by every type a type selection names (the type selection
/// language has no negation, so a matching entity has at least one of them), and for subscriptions that are notified only
/// of their watched attributes (no entityCreated or entityDeleted trigger), by those ids or types together with each
/// watched attribute; by watched attribute alone for subscriptions without entity selectors (which, with an entity
/// trigger, may match any entity). The index only narrows:
/// <see cref="ChangeMatcher"/> decides. Periodic subscriptions are not indexed. Not thread-safe: the dispatcher's lock
/// guards it.
/// </summary>
public sealed class SubscriptionIndex
{
    private enum KeyKind : byte
    {
        Id,
        Type,
        Attribute,
        Any,
    }

    /// <summary>A key: an id, type or attribute (<paramref name="Value"/>), optionally with the watched attribute it is combined with.</summary>
    private readonly record struct Key(string Tenant, KeyKind Kind, string Value, string? Attribute);

    private readonly Dictionary<(string Tenant, string Id), Subscription> _all = [];
    private readonly Dictionary<Key, List<Subscription>> _byKey = [];

    public int Count => _all.Count;

    public IEnumerable<Subscription> All => _all.Values;

    public Subscription? Find(string tenant, string id) => _all.GetValueOrDefault((tenant, id));

    public void Put(Subscription subscription)
    {
        Remove(subscription.Tenant, subscription.Id);
        _all[(subscription.Tenant, subscription.Id)] = subscription;
        if (subscription.TimeInterval is not null)
            return;
        foreach (var key in KeysOf(subscription))
        {
            if (!_byKey.TryGetValue(key, out var list))
                _byKey[key] = list = [];
            if (!list.Contains(subscription))
                list.Add(subscription);
        }
    }

    public void Remove(string tenant, string id)
    {
        if (!_all.Remove((tenant, id), out var existing) || existing.TimeInterval is not null)
            return;
        foreach (var key in KeysOf(existing))
        {
            if (_byKey.TryGetValue(key, out var list))
            {
                list.Remove(existing);
                if (list.Count == 0)
                    _byKey.Remove(key);
            }
        }
    }

    /// <summary>
    /// The subscriptions of <paramref name="tenant"/> that may match a change of <paramref name="entity"/> that created,
    /// updated or deleted <paramref name="attributes"/> (each subscription once).
    /// </summary>
    public void Candidates(string tenant, Entity entity, IReadOnlyCollection<string> attributes, HashSet<Subscription> into)
    {
        AddEntityKey(new Key(tenant, KeyKind.Id, entity.Id, null), attributes, into);
        foreach (var type in entity.Types)
            AddEntityKey(new Key(tenant, KeyKind.Type, type, null), attributes, into);
        foreach (var name in attributes)
            Add(new Key(tenant, KeyKind.Attribute, name, null), into);
        Add(new Key(tenant, KeyKind.Any, "", null), into);
    }

    private void AddEntityKey(Key key, IReadOnlyCollection<string> attributes, HashSet<Subscription> into)
    {
        Add(key, into);
        foreach (var name in attributes)
            Add(key with { Attribute = name }, into);
    }

    private void Add(Key key, HashSet<Subscription> into)
    {
        if (_byKey.TryGetValue(key, out var list))
        {
            foreach (var subscription in list)
                into.Add(subscription);
        }
    }

    private static IEnumerable<Key> KeysOf(Subscription subscription)
    {
        var tenant = subscription.Tenant;
        // entityCreated and entityDeleted notify whatever attributes the entity has; the other triggers only through
        // the watched attributes, one of which a change must touch.
        var entityTriggers = (subscription.Triggers & (NotificationTriggers.EntityCreated | NotificationTriggers.EntityDeleted)) != 0;
        if (subscription.Entities is { } selectors)
        {
            var watched = entityTriggers ? null : subscription.WatchedAttributes;
            foreach (var selector in selectors)
            {
                foreach (var key in SelectorKeys(tenant, selector))
                {
                    if (watched is null)
                    {
                        yield return key;
                        continue;
                    }
                    foreach (var name in watched)
                        yield return key with { Attribute = name };
                }
            }
            yield break;
        }
        if (subscription.WatchedAttributes is { } attributes && !entityTriggers)
        {
            foreach (var name in attributes)
                yield return new Key(tenant, KeyKind.Attribute, name, null);
            yield break;
        }
        yield return new Key(tenant, KeyKind.Any, "", null);
    }

    private static IEnumerable<Key> SelectorKeys(string tenant, EntitySelector selector)
    {
        if (selector.Id is { } id)
        {
            yield return new Key(tenant, KeyKind.Id, id, null);
            yield break;
        }
        foreach (var type in TypesOf(selector.Type))
            yield return new Key(tenant, KeyKind.Type, type, null);
    }

    private static IEnumerable<string> TypesOf(TypeSelector? selector)
    {
        switch (selector)
        {
            case TypeName name:
                yield return name.ExpandedType;
                break;
            case TypeAnd and:
                foreach (var operand in and.Operands)
                {
                    foreach (var type in TypesOf(operand))
                        yield return type;
                }
                break;
            case TypeOr or:
                foreach (var operand in or.Operands)
                {
                    foreach (var type in TypesOf(operand))
                        yield return type;
                }
                break;
        }
    }
}
