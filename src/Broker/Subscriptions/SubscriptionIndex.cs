using Broker.Query.Ast;
using Ontology.Model;

namespace Broker.Subscriptions;

/// <summary>
/// The on-change subscriptions of all tenants, indexed so that a change is tested only against the subscriptions that
/// can match it: by entity id for selectors with an id, by every type a type selection names (the type selection
/// language has no negation, so a matching entity has at least one of them), by watched attribute for subscriptions
/// without entity selectors. The index only narrows: <see cref="ChangeMatcher"/> decides. Periodic subscriptions are
/// not indexed. Not thread-safe: the dispatcher's loop owns it.
/// </summary>
public sealed class SubscriptionIndex
{
    private readonly Dictionary<(string Tenant, string Id), Subscription> _all = [];
    private readonly Dictionary<(string Tenant, string Key), List<Subscription>> _byKey = [];

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
            if (!_byKey.TryGetValue((subscription.Tenant, key), out var list))
                _byKey[(subscription.Tenant, key)] = list = [];
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
            if (_byKey.TryGetValue((tenant, key), out var list))
            {
                list.Remove(existing);
                if (list.Count == 0)
                    _byKey.Remove((tenant, key));
            }
        }
    }

    /// <summary>The subscriptions of <paramref name="tenant"/> that may match a change of <paramref name="entity"/> (each once).</summary>
    public void Candidates(string tenant, Entity entity, IEnumerable<string> changedAttributes, HashSet<Subscription> into)
    {
        Add(tenant, IdKey(entity.Id), into);
        foreach (var type in entity.Types)
            Add(tenant, TypeKey(type), into);
        foreach (var name in changedAttributes)
            Add(tenant, AttributeKey(name), into);
        Add(tenant, AnyAttributeKey, into);
    }

    private void Add(string tenant, string key, HashSet<Subscription> into)
    {
        if (_byKey.TryGetValue((tenant, key), out var list))
        {
            foreach (var subscription in list)
                into.Add(subscription);
        }
    }

    /// <summary>The keys a subscription is filed under: one per selector (its id, or every type it names), or its watched attributes.</summary>
    private static IEnumerable<string> KeysOf(Subscription subscription)
    {
        if (subscription.Entities is { } selectors)
        {
            foreach (var selector in selectors)
            {
                if (selector.Id is { } id)
                {
                    yield return IdKey(id);
                    continue;
                }
                foreach (var type in TypesOf(selector.Type))
                    yield return TypeKey(type);
            }
            yield break;
        }
        if (subscription.WatchedAttributes is { } watched)
        {
            foreach (var name in watched)
                yield return AttributeKey(name);
            yield break;
        }
        yield return AnyAttributeKey;
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

    private const string AnyAttributeKey = "*";

    private static string IdKey(string id) => "i " + id;

    private static string TypeKey(string type) => "t " + type;

    private static string AttributeKey(string name) => "a " + name;
}
