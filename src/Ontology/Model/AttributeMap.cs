using System.Collections;

namespace Ontology.Model;

/// <summary>Attributes by expanded name, in the order they were first written; each name has one or more instances.</summary>
public sealed class AttributeMap : IEnumerable<KeyValuePair<string, List<AttributeInstance>>>
{
    private readonly OrderedDictionary<string, List<AttributeInstance>> _attributes = new(StringComparer.Ordinal);

    public int Count => _attributes.Count;

    public IEnumerable<string> Names => _attributes.Keys;

    public bool Contains(string name) => _attributes.ContainsKey(name);

    public bool TryGet(string name, out List<AttributeInstance> instances) => _attributes.TryGetValue(name, out instances!);

    public List<AttributeInstance>? Get(string name) => _attributes.TryGetValue(name, out var list) ? list : null;

    public void Set(string name, List<AttributeInstance> instances) => _attributes[name] = instances;

    public bool Remove(string name) => _attributes.Remove(name);

    /// <summary>Adds an instance, replacing an existing instance with the same datasetId.</summary>
    public void Put(string name, AttributeInstance instance)
    {
        if (!_attributes.TryGetValue(name, out var list))
        {
            _attributes[name] = [instance];
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
        if (!_attributes.TryGetValue(name, out var list))
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
        foreach (var (name, instances) in _attributes)
        {
            var list = new List<AttributeInstance>(instances.Count);
            foreach (var instance in instances)
                list.Add(instance.DeepClone());
            copy._attributes[name] = list;
        }
        return copy;
    }

    public IEnumerator<KeyValuePair<string, List<AttributeInstance>>> GetEnumerator() => _attributes.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
