using Broker.Entities.Representation;
using Ontology.Model;

namespace Broker.Entities;

/// <summary>
/// The provision operations as pure functions from the current entity to the next one (clause 5.6). Single-entity
/// and batch operations share them, so a batch means exactly what the same requests one by one would mean.
/// Inputs are never modified; results share no mutable state with them.
/// </summary>
public static class EntityMutations
{
    public static Entity Create(Entity entity, DateTimeOffset now)
    {
        var created = entity.DeepClone();
        created.CreatedAt = created.ModifiedAt = now;
        created.Version = 0;
        StampAll(created.Attributes, now);
        return created;
    }

    /// <summary>Replace entity (clause 5.6.18): everything but id and createdAt is replaced.</summary>
    public static Entity Replace(Entity current, Entity replacement, DateTimeOffset now, out IReadOnlyList<string> changed)
    {
        var next = replacement.DeepClone();
        next.CreatedAt = current.CreatedAt;
        next.ModifiedAt = now;
        next.Version = current.Version;
        StampAll(next.Attributes, now);
        changed = current.Attributes.Names.Union(next.Attributes.Names).ToList();
        return next;
    }

    /// <summary>Merge entity (clause 5.6.17, merge-patch of clause 5.5.8): attributes are merged, null deletes.</summary>
    public static Entity Merge(Entity current, Entity fragment, DateTimeOffset now, out IReadOnlyList<string> changed)
    {
        var next = current.DeepClone();
        next.ModifiedAt = now;
        foreach (var type in fragment.Types)
        {
            if (!next.Types.Contains(type))
                next.Types.Add(type);
        }
        if (fragment.Scopes is not null)
            next.Scopes = fragment.Scopes;
        var names = new List<string>();
        foreach (var (name, instances) in fragment.Attributes)
        {
            foreach (var instance in instances)
            {
                var existing = next.Attributes.Find(name, instance.DatasetId);
                if (EntityReader.IsNullMarker(instance))
                {
                    if (existing is not null)
                        RemoveInstance(next.Attributes, name, instance.DatasetId);
                }
                else if (existing is null)
                {
                    var copy = instance.DeepClone();
                    Stamp(copy, now, null);
                    next.Attributes.Put(name, copy);
                }
                else
                {
                    next.Attributes.Put(name, MergeInstance(existing, instance, now));
                }
            }
            names.Add(name);
        }
        changed = names;
        return next;
    }

    /// <summary>
    /// Append (clause 5.6.3) and update (clause 5.6.2) of attributes: append adds or overwrites (unless noOverwrite),
    /// update only replaces instances that exist. Returns the current entity itself when nothing changed.
    /// </summary>
    public static Entity Upsert(Entity current, Entity fragment, bool mustExist, bool noOverwrite, DateTimeOffset now, out UpdateResult result)
    {
        var next = current.DeepClone();
        next.ModifiedAt = now;
        var updated = new List<string>();
        var notUpdated = new List<NotUpdated>();
        foreach (var type in fragment.Types)
        {
            if (!next.Types.Contains(type))
            {
                next.Types.Add(type);
                if (!updated.Contains("type"))
                    updated.Add("type");
            }
        }
        if (fragment.Scopes is not null && mustExist && next.Scopes is null)
        {
            notUpdated.Add(new NotUpdated("scope", "The entity has no scope to update."));
        }
        else if (fragment.Scopes is { } scopes)
        {
            if (noOverwrite && next.Scopes is not null)
                next.Scopes = [.. next.Scopes.Union(scopes)];
            else
                next.Scopes = [.. scopes];
            updated.Add("scope");
        }
        foreach (var (name, instances) in fragment.Attributes)
        {
            var any = false;
            foreach (var instance in instances)
            {
                var existing = next.Attributes.Find(name, instance.DatasetId);
                if (EntityReader.IsNullMarker(instance))
                {
                    if (existing is null)
                    {
                        notUpdated.Add(new NotUpdated(name, "The entity has no such attribute to delete."));
                        continue;
                    }
                    RemoveInstance(next.Attributes, name, instance.DatasetId);
                    any = true;
                    continue;
                }
                if (existing is null && mustExist)
                {
                    notUpdated.Add(new NotUpdated(name, instance.DatasetId is null
                        ? "The entity has no such attribute."
                        : $"The attribute has no instance with datasetId '{instance.DatasetId}'."));
                    continue;
                }
                if (existing is not null && noOverwrite)
                {
                    notUpdated.Add(new NotUpdated(name, "The attribute exists and noOverwrite was given."));
                    continue;
                }
                var copy = instance.DeepClone();
                Stamp(copy, now, existing?.CreatedAt);
                next.Attributes.Put(name, copy);
                any = true;
            }
            if (any)
                updated.Add(name);
        }
        result = new UpdateResult(updated, notUpdated);
        return updated.Count == 0 ? current : next;
    }

    public static void RemoveInstance(AttributeMap attributes, string name, string? datasetId)
    {
        var list = attributes.Get(name)!;
        list.RemoveAll(i => i.DatasetId == datasetId);
        if (list.Count == 0)
            attributes.Remove(name);
    }

    public static AttributeInstance MergeInstance(AttributeInstance existing, AttributeInstance fragment, DateTimeOffset now)
    {
        var merged = existing.DeepClone();
        merged.Kind = fragment.Kind;
        if (fragment.Value is not null)
            merged.Value = fragment.Value.DeepClone();
        if (fragment.ObservedAt is not null)
            merged.ObservedAt = fragment.ObservedAt;
        if (fragment.UnitCode is not null)
            merged.UnitCode = fragment.UnitCode;
        if (fragment.ObjectType is not null)
            merged.ObjectType = fragment.ObjectType.DeepClone();
        foreach (var (subName, subInstances) in fragment.SubAttributes)
        {
            foreach (var sub in subInstances)
            {
                if (EntityReader.IsNullMarker(sub))
                {
                    merged.SubAttributes.Remove(subName);
                    continue;
                }
                var copy = sub.DeepClone();
                Stamp(copy, now, merged.SubAttributes.Find(subName, null)?.CreatedAt);
                merged.SubAttributes.Put(subName, copy);
            }
        }
        merged.ModifiedAt = now;
        return merged;
    }

    public static void Stamp(AttributeInstance instance, DateTimeOffset now, DateTimeOffset? createdAt)
    {
        instance.CreatedAt = createdAt ?? now;
        instance.ModifiedAt = now;
        StampAll(instance.SubAttributes, now);
    }

    public static void StampAll(AttributeMap attributes, DateTimeOffset now)
    {
        foreach (var (_, instances) in attributes)
        {
            foreach (var instance in instances)
                Stamp(instance, now, null);
        }
    }
}
