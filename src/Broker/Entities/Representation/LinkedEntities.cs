using System.Text.Json.Nodes;
using Broker.Storage;
using Ontology.Model;

namespace Broker.Entities.Representation;

/// <summary>join (clause 4.5.23): flat adds the linked entities to the response, inline puts each one into its relationship.</summary>
public enum JoinKind
{
    None,
    Flat,
    Inline,
}

/// <summary>join, joinLevel and containedBy of a request (clause 4.5.23, 6.3.x).</summary>
public sealed record JoinOptions(JoinKind Kind, int Level = 1, IReadOnlySet<string>? ContainedBy = null)
{
    public static readonly JoinOptions None = new(JoinKind.None);

    /// <summary>Each level needs one read of the store; beyond this a graph walk is refused.</summary>
    public const int MaxLevel = 16;

    public static JoinKind ParseKind(string? text) => text switch
    {
        null or "@none" => JoinKind.None,
        "flat" => JoinKind.Flat,
        "inline" => JoinKind.Inline,
        _ => throw Problems.NgsiLdException.BadRequestData($"join '{text}' is not a kind of linked entity retrieval: use flat, inline or @none."),
    };
}

/// <summary>
/// The entities that the relationships of a response's entities link to, up to joinLevel hops (clause 4.5.23). A linked
/// entity is read from this broker's store, so it is shown as this client may see it; one that does not exist, or that
/// containedBy names, is left out and its relationship is shown as it is. A subscription's notifications pass its
/// restriction, since they are not written within a request.
/// </summary>
public sealed class LinkedEntities
{
    private readonly Dictionary<string, Entity> _byId = new(StringComparer.Ordinal);
    private readonly List<(Entity Entity, AttributeProjection Projection)> _flat = [];

    private LinkedEntities(JoinOptions join) => (Kind, Level) = (join.Kind, join.Level);

    /// <summary>inline or flat: how the linked entities are written.</summary>
    public JoinKind Kind { get; }

    /// <summary>How many hops are followed from the response's entities.</summary>
    public int Level { get; }

    /// <summary>The linked entities that are not themselves among the response's entities, in the order they were met, each with the projection of the relationship that led to it first.</summary>
    public IReadOnlyList<(Entity Entity, AttributeProjection Projection)> Flat => _flat;

    public bool TryGet(string id, out Entity entity) => _byId.TryGetValue(id, out entity!);

    /// <summary>The entity ids a relationship instance links to: its object (one or several) or objectList.</summary>
    public static IEnumerable<string> Targets(AttributeInstance instance)
    {
        if (instance.Kind is not (AttributeKind.Relationship or AttributeKind.ListRelationship))
            yield break;
        switch (instance.Value)
        {
            case JsonValue single when single.TryGetValue<string>(out var id):
                yield return id;
                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    if (item is JsonValue value && value.TryGetValue<string>(out var target))
                        yield return target;
                    else if (item is JsonObject { } member && member["object"] is JsonValue inner && inner.TryGetValue<string>(out var objectId))
                        yield return objectId;
                }
                break;
        }
    }

    /// <summary>The entities <paramref name="roots"/> link to, or null when the request asks for no join.</summary>
    public static async Task<LinkedEntities?> RetrieveAsync(IEntityStore store, string tenant, IReadOnlyList<Entity> roots, RepresentationOptions options,
        JoinOptions join, CancellationToken cancellationToken, EntityRestriction? restriction = null)
    {
        if (join.Kind == JoinKind.None)
            return null;
        var links = new LinkedEntities(join);
        var rootIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var root in roots)
        {
            rootIds.Add(root.Id);
            links._byId.TryAdd(root.Id, root);
        }
        var visited = roots.Select(root => (root.Id, options.Projection)).ToHashSet();
        var frontier = roots.Select(root => (Entity: root, Projection: options.Projection)).ToList();
        var flatIds = new HashSet<string>(StringComparer.Ordinal);
        for (var level = 1; level <= join.Level && frontier.Count > 0; level++)
        {
            var wanted = new List<(string Id, AttributeProjection Projection)>();
            foreach (var (entity, projection) in frontier)
            {
                foreach (var (name, instances) in entity.Attributes)
                {
                    if (!projection.Shows(name))
                        continue;
                    var linkedProjection = projection.ForLinked(name);
                    foreach (var instance in instances)
                    {
                        if (options.DatasetIds is { } datasetIds && !datasetIds.Contains(instance.DatasetId ?? "@none"))
                            continue;
                        foreach (var target in Targets(instance))
                        {
                            if (join.ContainedBy is { } containedBy && containedBy.Contains(target))
                                continue;
                            wanted.Add((target, linkedProjection));
                        }
                    }
                }
            }
            var unknown = wanted.Select(w => w.Id).Where(id => !links._byId.ContainsKey(id)).Distinct(StringComparer.Ordinal).ToList();
            if (unknown.Count > 0)
            {
                var found = await store.GetManyAsync(tenant, unknown, cancellationToken).ConfigureAwait(false);
                foreach (var (id, entity) in found)
                {
                    if (restriction is null || restriction.Allows(entity))
                        links._byId[id] = entity;
                }
            }
            frontier = [];
            foreach (var (id, projection) in wanted)
            {
                if (!links._byId.TryGetValue(id, out var entity))
                    continue;
                if (!rootIds.Contains(id) && flatIds.Add(id))
                    links._flat.Add((entity, projection));
                if (visited.Add((id, projection)))
                    frontier.Add((entity, projection));
            }
        }
        return links;
    }
}
