using System.Collections;

namespace Ontology.Model;

/// <summary>Attributes by expanded name, in the order they were first written; each name has one or more instances.</summary>
/// <remarks>
/// Most attribute instances have no sub-attributes, so the dictionary is created by the first write: an empty map is
/// one small object, which matters for the in-memory store's object count (and so for its garbage collections).
/// </remarks>
public sealed class AttributeMap : IEnumerable<KeyValuePair<string, List<AttributeInstance>>>
{
    private static readonly OrderedDictionary<string, List<AttributeInstance>> NoAttributes = new(StringComparer.Ordinal);

    /// <summary>An empty map shared by everything that has no attributes (see <see cref="AttributeInstance.SubAttributes"/>); writing to it throws.</summary>
    public static AttributeMap Empty { get; } = new() { _shared = true };

    private OrderedDictionary<string, List<AttributeInstance>>? _attributes;
    private bool _shared;

    private OrderedDictionary<string, List<AttributeInstance>> Attributes => _attributes ?? NoAttributes;

    private OrderedDictionary<string, List<AttributeInstance>> Writable =>
        _attributes ??= _shared ? throw new InvalidOperationException("The shared empty attribute map cannot be written.") : new(StringComparer.Ordinal);

    public int Count => _attributes?.Count ?? 0;

    public IEnumerable<string> Names => Attributes.Keys;

    public bool Contains(string name) => _attributes?.ContainsKey(name) == true;

    public bool TryGet(string name, out List<AttributeInstance> instances) => Attributes.TryGetValue(name, out instances!);

    public List<AttributeInstance>? Get(string name) => _attributes is not null && _attributes.TryGetValue(name, out var list) ? list : null;

    public void Set(string name, List<AttributeInstance> instances) => Writable[name] = instances;

    public bool Remove(string name) => _attributes?.Remove(name) == true;

    /// <summary>Adds an instance, replacing an existing instance with the same datasetId.</summary>
    public void Put(string name, AttributeInstance instance)
    {
        var attributes = Writable;
        if (!attributes.TryGetValue(name, out var list))
        {
            attributes[name] = [instance];
            return;
        }
        var index = list.FindIndex(i => i.DatasetId == instance.DatasetId);
        if (index >= 0)
            list[index] = instance;
        else
            list.Add(instance);
    }

    public AttributeInstance? Find(string name, string? datasetId)
    {
        if (_attributes is null || !_attributes.TryGetValue(name, out var list))
            return null;
        foreach (var instance in list)
        {
            if (instance.DatasetId == datasetId)
                return instance;
        }
        return null;
    }

    public AttributeMap DeepClone()
    {
        var copy = new AttributeMap();
        if (_attributes is null)
            return copy;
        var attributes = copy._attributes = new(_attributes.Count, StringComparer.Ordinal);
        foreach (var (name, instances) in _attributes)
        {
            var list = new List<AttributeInstance>(instances.Count);
            foreach (var instance in instances)
                list.Add(instance.DeepClone());
            attributes[name] = list;
        }
        return copy;
    }

    /// <summary>A struct enumerator, so that <c>foreach</c> over a map allocates nothing.</summary>
    public OrderedDictionary<string, List<AttributeInstance>>.Enumerator GetEnumerator() => Attributes.GetEnumerator();

    IEnumerator<KeyValuePair<string, List<AttributeInstance>>> IEnumerable<KeyValuePair<string, List<AttributeInstance>>>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
