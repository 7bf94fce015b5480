using System.Text.Json.Nodes;
using Adapters.Core;

namespace Adapters.Museums;

/// <summary>
/// The entities of consecutive records, to be submitted together: each collection object once, each museum once
/// however many of the records it holds (the attributes of its first occurrence, completed by later ones).
/// </summary>
internal sealed class LidoBatch
{
    private readonly List<AdapterEntity> objects = [];
    private readonly List<AdapterEntity> museums = [];
    private readonly Dictionary<string, AdapterEntity> museumsById = new(StringComparer.Ordinal);

    public int Objects => objects.Count;

    public void Add(LidoEntities entities)
    {
        objects.Add(entities.CollectionObject);
        if (entities.Museum is not { } museum)
            return;
        if (!museumsById.TryGetValue(museum.Id, out var first))
        {
            museumsById.Add(museum.Id, museum);
            museums.Add(museum);
            return;
        }
        foreach (var (name, value) in museum.Body)
            if (!first.Body.ContainsKey(name))
                first.Body[name] = value?.DeepClone();
    }

    /// <summary>The museums first, then the collection objects that refer to them.</summary>
    public IReadOnlyList<AdapterEntity> Entities() => [.. museums, .. objects];

    public void Clear()
    {
        objects.Clear();
        museums.Clear();
        museumsById.Clear();
    }
}
