using System.Text.Json;
using Ontology.JsonLd;

namespace Broker.Discovery;

/// <summary>
/// The representations of type and attribute discovery (clause 5.2.24–5.2.29), with names compacted by the request's
/// @context; <c>writeContext</c> adds the @context member of JSON-LD responses, or is null.
/// </summary>
public static class DiscoveryWriter
{
    /// <summary>EntityTypeList (clause 5.2.24).</summary>
    public static void TypeList(Utf8JsonWriter json, IEnumerable<TypeSummary> types, JsonLdContext context, Action<Utf8JsonWriter>? writeContext) =>
        NameList(json, "EntityTypeList", "typeList"u8, types.Select(t => context.CompactIri(t.Type)), writeContext);

    /// <summary>An array of EntityType (clause 5.2.25), for details=true.</summary>
    public static void Types(Utf8JsonWriter json, IEnumerable<TypeSummary> types, JsonLdContext context, Action<Utf8JsonWriter>? writeContext)
    {
        json.WriteStartArray();
        foreach (var type in types)
        {
            json.WriteStartObject();
            json.WriteString("id"u8, type.Type);
            json.WriteString("type"u8, "EntityType");
            json.WriteString("typeName"u8, context.CompactIri(type.Type));
            json.WriteStartArray("attributeNames"u8);
            foreach (var name in type.Attributes.Keys.Order(StringComparer.Ordinal))
                json.WriteStringValue(context.CompactIri(name));
            json.WriteEndArray();
            writeContext?.Invoke(json);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    /// <summary>EntityTypeInfo (clause 5.2.26) with its AttributeDetails (clause 5.2.27).</summary>
    public static void TypeInfo(Utf8JsonWriter json, TypeSummary type, JsonLdContext context, Action<Utf8JsonWriter>? writeContext)
    {
        json.WriteStartObject();
        json.WriteString("id"u8, type.Type);
        json.WriteString("type"u8, "EntityTypeInfo");
        json.WriteString("typeName"u8, context.CompactIri(type.Type));
        json.WriteNumber("entityCount"u8, type.EntityCount);
        json.WriteStartArray("attributeDetails"u8);
        foreach (var (name, kinds) in type.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            json.WriteStartObject();
            json.WriteString("id"u8, name);
            json.WriteString("type"u8, "Attribute");
            json.WriteString("attributeName"u8, context.CompactIri(name));
            Strings(json, "attributeTypes"u8, kinds);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        writeContext?.Invoke(json);
        json.WriteEndObject();
    }

    /// <summary>AttributeList (clause 5.2.28).</summary>
    public static void AttributeList(Utf8JsonWriter json, IEnumerable<AttributeSummary> attributes, JsonLdContext context, Action<Utf8JsonWriter>? writeContext) =>
        NameList(json, "AttributeList", "attributeList"u8, attributes.Select(a => context.CompactIri(a.Name)), writeContext);

    /// <summary>A list of names under a fresh id: EntityTypeList and AttributeList have this one shape.</summary>
    private static void NameList(Utf8JsonWriter json, string type, ReadOnlySpan<byte> member, IEnumerable<string> names, Action<Utf8JsonWriter>? writeContext)
    {
        json.WriteStartObject();
        json.WriteString("id"u8, $"urn:ngsi-ld:{type}:{Guid.NewGuid()}");
        json.WriteString("type"u8, type);
        Strings(json, member, names);
        writeContext?.Invoke(json);
        json.WriteEndObject();
    }

    /// <summary>An array of Attribute, for details=true: without attributeCount and attributeTypes (as the ETSI suite expects, test 026_01).</summary>
    public static void Attributes(Utf8JsonWriter json, IEnumerable<AttributeSummary> attributes, JsonLdContext context, Action<Utf8JsonWriter>? writeContext)
    {
        json.WriteStartArray();
        foreach (var attribute in attributes)
            Attribute(json, attribute, context, writeContext, withCounts: false);
        json.WriteEndArray();
    }

    /// <summary>An Attribute (clause 5.2.29); attributeCount and attributeTypes are optional and shown here.</summary>
    public static void Attribute(Utf8JsonWriter json, AttributeSummary attribute, JsonLdContext context, Action<Utf8JsonWriter>? writeContext) =>
        Attribute(json, attribute, context, writeContext, withCounts: true);

    private static void Attribute(Utf8JsonWriter json, AttributeSummary attribute, JsonLdContext context, Action<Utf8JsonWriter>? writeContext, bool withCounts)
    {
        json.WriteStartObject();
        json.WriteString("id"u8, attribute.Name);
        json.WriteString("type"u8, "Attribute");
        json.WriteString("attributeName"u8, context.CompactIri(attribute.Name));
        if (withCounts)
        {
            json.WriteNumber("attributeCount"u8, attribute.InstanceCount);
            Strings(json, "attributeTypes"u8, attribute.AttributeTypes);
        }
        json.WriteStartArray("typeNames"u8);
        foreach (var type in attribute.TypeNames)
            json.WriteStringValue(context.CompactIri(type));
        json.WriteEndArray();
        writeContext?.Invoke(json);
        json.WriteEndObject();
    }

    private static void Strings(Utf8JsonWriter json, ReadOnlySpan<byte> name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
            json.WriteStringValue(value);
        json.WriteEndArray();
    }
}
