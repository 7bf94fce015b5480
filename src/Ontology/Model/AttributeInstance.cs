using System.Text.Json.Nodes;

namespace Ontology.Model;

/// <summary>
/// One instance of an attribute, in expanded form (clause 4.5.2–4.5.5). Several instances of one attribute
/// are told apart by <see cref="DatasetId"/>; the default instance has none.
/// </summary>
/// <remarks>
/// <see cref="Value"/> holds the member named by <see cref="AttributeKinds.ValueMember"/>:
/// Property and GeoProperty: the JSON value (a GeoJSON geometry object for GeoProperty);
/// Relationship: the target URI as a string, or an array of URIs;
/// LanguageProperty: an object from language tag to string (or array of strings);
/// VocabProperty: an expanded IRI string, or an array of them;
/// ListProperty: an array of values; ListRelationship: an array of target URIs;
/// JsonProperty: any JSON, kept verbatim.
/// </remarks>
public sealed class AttributeInstance
{
    public required AttributeKind Kind { get; set; }

    public JsonNode? Value { get; set; }

    public string? DatasetId { get; set; }

    /// <summary>observedAt as the ISO 8601 UTC string the client sent (validated on input).</summary>
    public string? ObservedAt { get; set; }

    public string? UnitCode { get; set; }

    /// <summary>objectType of a Relationship or ListRelationship, expanded.</summary>
    public JsonNode? ObjectType { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ModifiedAt { get; set; }

    /// <summary>
    /// A value derived from <see cref="Value"/> by a consumer (the parsed geometry of a GeoProperty, the number of a Property), kept so that it is
    /// computed once per stored instance. Never part of the representation; set by the reader that created the instance or on
    /// instances that are no longer modified (stored snapshots); whoever changes <see cref="Value"/> of an instance must
    /// drop it, and <see cref="DeepClone"/> drops it.
    /// </summary>
    public object? DerivedValue { get; set; }

    private AttributeMap? _subAttributes;

    /// <summary>
    /// Sub-attributes (properties of properties, relationships of properties...), by expanded name, for reading: most
    /// instances have none and share <see cref="AttributeMap.Empty"/>, which cannot be written; write through
    /// <see cref="WritableSubAttributes"/>.
    /// </summary>
    public AttributeMap SubAttributes
    {
        get => _subAttributes ?? AttributeMap.Empty;
        set => _subAttributes = value;
    }

    /// <summary>The instance's own sub-attribute map, created when it has none yet.</summary>
    public AttributeMap WritableSubAttributes => _subAttributes ??= new();

    public AttributeInstance DeepClone() => new()
    {
        Kind = Kind,
        Value = Value?.DeepClone(),
        DatasetId = DatasetId,
        ObservedAt = ObservedAt,
        UnitCode = UnitCode,
        ObjectType = ObjectType?.DeepClone(),
        CreatedAt = CreatedAt,
        ModifiedAt = ModifiedAt,
        _subAttributes = _subAttributes?.DeepClone(),
    };
}
