using Broker.Storage;
using Ontology.Model;

namespace Broker.Temporal;

/// <summary>
/// What a change record adds to an entity's history: every attribute instance that the change created or modified, as
/// it was after the change, and a deletion for every instance it removed. An instance the change left as it was (the
/// other datasetIds of a multi-attribute, the attributes a partial update did not name) adds nothing.
/// </summary>
public static class ChangeProjection
{
    public static TemporalWrite? Project(EntityChange change)
    {
        switch (change.Kind)
        {
            case ChangeKind.Create when change.After is { } created:
                {
                    var instances = new List<TemporalInstance>();
                    foreach (var (name, list) in created.Attributes)
                    {
                        foreach (var instance in list)
                            instances.Add(new TemporalInstance(name, TemporalInstance.NewInstanceId(), instance));
                    }
                    return new TemporalWrite(RecordOf(created, deletedAt: null), instances, created);
                }
            case ChangeKind.Update when change.After is { } after:
                {
                    var previous = change.Before;
                    var instances = new List<TemporalInstance>();
                    foreach (var name in change.ChangedAttributes)
                    {
                        var now = after.Attributes.Get(name);
                        var before = previous?.Attributes.Get(name);
                        if (now is not null)
                        {
                            foreach (var instance in now)
                            {
                                var was = before?.Find(candidate => candidate.DatasetId == instance.DatasetId);
                                if (was is null || was.ModifiedAt != instance.ModifiedAt)
                                    instances.Add(new TemporalInstance(name, TemporalInstance.NewInstanceId(), instance));
                            }
                        }
                        if (before is null)
                            continue;
                        foreach (var instance in before)
                        {
                            if (now is null || !now.Exists(candidate => candidate.DatasetId == instance.DatasetId))
                                instances.Add(Deletion(name, instance, change.At));
                        }
                    }
                    return new TemporalWrite(RecordOf(after, deletedAt: null), instances, after);
                }
            case ChangeKind.Delete when change.Before is { } deleted:
                {
                    var instances = new List<TemporalInstance>();
                    foreach (var (name, list) in deleted.Attributes)
                    {
                        foreach (var instance in list)
                            instances.Add(Deletion(name, instance, change.At));
                    }
                    return new TemporalWrite(RecordOf(deleted, deletedAt: change.At) with { ModifiedAt = change.At }, instances, deleted);
                }
            default:
                return null;
        }
    }

    /// <summary>
    /// The deletion of an instance: its kind and datasetId, modified (deleted) at the change's instant, without observedAt
    /// (a deletion observes nothing, so queries by observedAt do not return it).
    /// </summary>
    private static TemporalInstance Deletion(string name, AttributeInstance instance, DateTimeOffset at)
    {
        var deleted = instance.DeepClone();
        deleted.ObservedAt = null;
        deleted.ModifiedAt = at;
        return new TemporalInstance(name, TemporalInstance.NewInstanceId(), deleted, DeletedAt: at);
    }

    private static TemporalEntity RecordOf(Entity entity, DateTimeOffset? deletedAt) =>
        new(entity.Id, [.. entity.Types], entity.Scopes is null ? null : [.. entity.Scopes], entity.CreatedAt, entity.ModifiedAt, deletedAt);
}
