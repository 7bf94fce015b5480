namespace Ontology.Model;

/// <summary>
/// An NGSI-LD entity in expanded form (clause 4.5.1): types and attribute names are full IRIs,
/// so storage and queries never see a term that depends on a request's @context.
/// </summary>
public sealed class Entity
{
    public required string Id { get; init; }

    /// <summary>Expanded entity types, distinct, in the order given (clause 4.16).</summary>
    public List<string> Types { get; set; } = [];

    /// <summary>Scopes (clause 4.18), or null when the entity has none.</summary>
    public List<string>? Scopes { get; set; }

    public AttributeMap Attributes { get; set; } = new();

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ModifiedAt { get; set; }

    /// <summary>Increases with every committed write; stores use it for optimistic concurrency.</summary>
    public long Version { get; set; }

    /// <summary>
    /// A value derived from the whole entity by a consumer (a rendered representation), kept so that it is computed once
    /// per stored snapshot. Never part of the representation; set only on entities that are no longer modified, and
    /// dropped by <see cref="DeepClone"/>.
    /// </summary>
    public object? DerivedValue { get; set; }

    public Entity DeepClone() => new()
    {
        Id = Id,
        Types = [.. Types],
        Scopes = Scopes is null ? null : [.. Scopes],
        Attributes = Attributes.DeepClone(),
        CreatedAt = CreatedAt,
        ModifiedAt = ModifiedAt,
        Version = Version,
    };
}
