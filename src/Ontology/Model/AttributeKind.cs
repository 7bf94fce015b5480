namespace Ontology.Model;

/// <summary>The NGSI-LD attribute types (clause 4.5 and 5.2.5–5.2.7, 5.2.32, 5.2.35–5.2.38).</summary>
public enum AttributeKind
{
    Property,
    Relationship,
    GeoProperty,
    LanguageProperty,
    VocabProperty,
    ListProperty,
    ListRelationship,
    JsonProperty,
}

public static class AttributeKinds
{
    /// <summary>The member that carries the value of an instance of this kind in the normalized representation.</summary>
    public static string ValueMember(this AttributeKind kind) => kind switch
    {
        AttributeKind.Relationship => "object",
        AttributeKind.LanguageProperty => "languageMap",
        AttributeKind.VocabProperty => "vocab",
        AttributeKind.ListProperty => "valueList",
        AttributeKind.ListRelationship => "objectList",
        AttributeKind.JsonProperty => "json",
        _ => "value",
    };

    public static string TypeName(this AttributeKind kind) => kind switch
    {
        AttributeKind.Property => "Property",
        AttributeKind.Relationship => "Relationship",
        AttributeKind.GeoProperty => "GeoProperty",
        AttributeKind.LanguageProperty => "LanguageProperty",
        AttributeKind.VocabProperty => "VocabProperty",
        AttributeKind.ListProperty => "ListProperty",
        AttributeKind.ListRelationship => "ListRelationship",
        AttributeKind.JsonProperty => "JsonProperty",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static bool TryParse(string? typeName, out AttributeKind kind)
    {
        switch (typeName)
        {
            case "Property" or "https://uri.etsi.org/ngsi-ld/Property": kind = AttributeKind.Property; return true;
            case "Relationship" or "https://uri.etsi.org/ngsi-ld/Relationship": kind = AttributeKind.Relationship; return true;
            case "GeoProperty" or "https://uri.etsi.org/ngsi-ld/GeoProperty": kind = AttributeKind.GeoProperty; return true;
            case "LanguageProperty" or "https://uri.etsi.org/ngsi-ld/LanguageProperty": kind = AttributeKind.LanguageProperty; return true;
            case "VocabProperty" or "https://uri.etsi.org/ngsi-ld/VocabProperty": kind = AttributeKind.VocabProperty; return true;
            case "ListProperty" or "https://uri.etsi.org/ngsi-ld/ListProperty": kind = AttributeKind.ListProperty; return true;
            case "ListRelationship" or "https://uri.etsi.org/ngsi-ld/ListRelationship": kind = AttributeKind.ListRelationship; return true;
            case "JsonProperty" or "https://uri.etsi.org/ngsi-ld/JsonProperty": kind = AttributeKind.JsonProperty; return true;
            default: kind = default; return false;
        }
    }
}
