using Broker.Entities.Representation;
using Ontology.Model;

namespace Broker.Entities;

/// <summary>
/// The provision operations as functions from the current entity to the next one (clause 5.6). Single-entity
/// and batch operations share them, so a batch means exactly what the same requests one by one would mean.
/// The current entity is never modified: the next one is a new entity with new attribute lists and new instances
/// where something changed, sharing unchanged instances and JSON values with it (stored entities are immutable
/// snapshots). A payload read from a request belongs to the operation: <see cref="Create"/> and <see cref="Replace"/>
/// stamp it in place instead of copying it, and every field they set is set again if a retry applies it again.
/// </summary>
public static class EntityMutations
{
    public static Entity Create(Entity entity, DateTimeOffset now)
    {
        entity.CreatedAt = entity.ModifiedAt = now;
        entity.Version = 0;
        StampAll(entity.Attributes, now);
        return entity;
    }

    /// <summary>Replace entity (clause 5.6.18): everything but id and createdAt is replaced.</summary>
    public static Entity Replace(Entity current, Entity replacement, DateTimeOffset now, out IReadOnlyList<string> changed)
    {
        var next = replacement;
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
        var next = Next(current);
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
                    var copy = Copy(instance);
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
    /// Append (clause 5.6.3) and update (clause 5.6.2) of attributes: each instance of the fragment is added or replaces
    /// the instance of its datasetId (unless noOverwrite), and an NGSI-LD Null deletes it. Returns the current entity
    /// itself when nothing changed. Update (<paramref name="scopeMustExist"/>) changes the scope only of an entity that has one.
    /// </summary>
    public static Entity Upsert(Entity current, Entity fragment, bool noOverwrite, DateTimeOffset now, out UpdateResult result, bool scopeMustExist = false)
    {
        var next = Next(current);
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
        if (fragment.Scopes is not null && scopeMustExist && next.Scopes is null)
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
                if (existing is not null && noOverwrite)
                {
                    notUpdated.Add(new NotUpdated(name, "The attribute exists and noOverwrite was given."));
                    continue;
                }
                var copy = Copy(instance);
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
        var merged = Copy(existing);
        merged.Kind = fragment.Kind;
        if (fragment.Value is not null)
            (merged.Value, merged.DerivedValue) = (fragment.Value, fragment.DerivedValue);
        if (fragment.ObservedAt is not null)
            merged.ObservedAt = fragment.ObservedAt;
        if (fragment.UnitCode is not null)
            merged.UnitCode = fragment.UnitCode;
        if (fragment.ObjectType is not null)
            merged.ObjectType = fragment.ObjectType;
        foreach (var (subName, subInstances) in fragment.SubAttributes)
        {
            foreach (var sub in subInstances)
            {
                if (EntityReader.IsNullMarker(sub))
                {
                    merged.SubAttributes.Remove(subName);
                    continue;
                }
                var copy = Copy(sub);
                Stamp(copy, now, merged.SubAttributes.Find(subName, null)?.CreatedAt);
                merged.WritableSubAttributes.Put(subName, copy);
            }
        }
        merged.ModifiedAt = now;
        return merged;
    }

    /// <summary>
    /// The start of the next version of an entity: its own lists of types, scopes and attribute instances, so that
    /// putting or removing instances leaves <paramref name="current"/> as it is; the instances themselves are shared.
    /// </summary>
    public static Entity Next(Entity current)
    {
        var attributes = new AttributeMap();
        foreach (var (name, instances) in current.Attributes)
            attributes.Set(name, [.. instances]);
        return new Entity
        {
            Id = current.Id,
            Types = [.. current.Types],
            Scopes = current.Scopes is null ? null : [.. current.Scopes],
            Attributes = attributes,
            CreatedAt = current.CreatedAt,
            ModifiedAt = current.ModifiedAt,
            Version = current.Version,
        };
    }

    /// <summary>A copy of an instance and its sub-attributes that can be stamped; JSON values (and what was derived from them) are shared, as no one modifies them.</summary>
    public static AttributeInstance Copy(AttributeInstance instance)
    {
        var copy = new AttributeInstance
        {
            Kind = instance.Kind,
            Value = instance.Value,
            DerivedValue = instance.DerivedValue,
            DatasetId = instance.DatasetId,
            ObservedAt = instance.ObservedAt,
            UnitCode = instance.UnitCode,
            ObjectType = instance.ObjectType,
            CreatedAt = instance.CreatedAt,
            ModifiedAt = instance.ModifiedAt,
        };
        foreach (var (name, subs) in instance.SubAttributes)
        {
            var list = new List<AttributeInstance>(subs.Count);
            foreach (var sub in subs)
                list.Add(Copy(sub));
            copy.WritableSubAttributes.Set(name, list);
        }
        return copy;
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
