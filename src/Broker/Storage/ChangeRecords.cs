using System.Text.Json;
using Ontology.Model;

namespace Broker.Storage;

/// <summary>The columns of a change record as both stores keep them (changes: kind, attributes, after, previous).</summary>
public static class ChangeRecords
{
    /// <summary>
    /// What a change replaced, kept with its record so that a consumer reading it back (after a restart, or on another
    /// node) knows what the change did without the records before it: nothing for a create; the whole entity for a delete;
    /// for an update the entity's types, scopes and system members with the instances of the changed attributes as they
    /// were (an attribute missing from it did not exist).
    /// </summary>
    public static Entity? PreviousOf(EntityChange change)
    {
        if (change.Before is not { } before)
            return null;
        if (change.Kind == ChangeKind.Delete)
            return before;
        var previous = new Entity
        {
            Id = before.Id,
            Types = before.Types,
            Scopes = before.Scopes,
            CreatedAt = before.CreatedAt,
            ModifiedAt = before.ModifiedAt,
            Version = before.Version,
        };
        foreach (var name in change.ChangedAttributes)
        {
            if (before.Attributes.Get(name) is { } instances)
                previous.Attributes.Set(name, instances);
        }
        return previous;
    }

    public static ChangeKind? KindOf(string name) => name switch
    {
        "Create" => ChangeKind.Create,
        "Update" => ChangeKind.Update,
        "Delete" => ChangeKind.Delete,
        _ => null,
    };

    /// <summary>A change record read back; null for records that are not changes (the embedded store's migration snapshots).</summary>
    public static EntityChange? Read(string kind, string entityId, DateTimeOffset at, string attributes, string? after, string? previous)
    {
        if (KindOf(kind) is not { } changeKind)
            return null;
        var names = JsonSerializer.Deserialize(attributes, StorageJsonContext.Default.IReadOnlyListString) ?? [];
        return new EntityChange(changeKind, entityId,
            previous is null ? null : StoredEntityJson.Deserialize(previous),
            after is null ? null : StoredEntityJson.Deserialize(after),
            names, at);
    }
}
