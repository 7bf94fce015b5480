using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Problems;
using Ontology.JsonLd;
using Ontology.Model;

namespace Broker.Entities.Representation;

/// <summary>What a payload may leave out or must carry, by operation.</summary>
public enum ReadMode
{
    /// <summary>Create and replace: id and type are required, null values are errors.</summary>
    Create,

    /// <summary>Update, append and merge fragments: id and type optional; null values allowed where <see cref="EntityReader.AllowNull"/>.</summary>
    Fragment,

    /// <summary>The store's own documents: system attributes are kept.</summary>
    Stored,

    /// <summary>An entity as a context source answered it (distributed operations, clause 4.3.6): names expanded with the request's context, system timestamps kept.</summary>
    Received,
}

/// <summary>
/// Reads NGSI-LD entities and attributes in the normalized or concise representation (clause 4.5) into the
/// expanded model, validating them. Every error is a BadRequestData with a detail that names the offending member.
/// </summary>
public sealed class EntityReader(JsonLdContext context, ReadMode mode, bool allowNull = false)
{
    /// <summary>In merge-patch operations (clause 5.5.8) null or "urn:ngsi-ld:null" deletes; the reader marks such attributes with <see cref="NullMarker"/>.</summary>
    public bool AllowNull { get; } = allowNull;

    public const string NullUri = "urn:ngsi-ld:null";

    private bool KeepsTimestamps => mode is ReadMode.Stored or ReadMode.Received;

    private static readonly HashSet<string> StructuralAttributeMembers = new(StringComparer.Ordinal)
    {
        "type", "value", "object", "languageMap", "vocab", "valueList", "objectList", "json",
        "datasetId", "observedAt", "unitCode", "objectType", "createdAt", "modifiedAt", "deletedAt", "instanceId", "@context",
        "lang", "previousValue", "previousObject", "previousLanguageMap", "previousVocab", "previousValueList", "previousObjectList", "previousJson",
    };

    /// <summary>
    /// Parses a request body. The document rents pooled memory: dispose it once nothing reads its elements any more
    /// (entities read from it refer to clones of their own elements, see <see cref="ReadEntity"/>).
    /// </summary>
    public static JsonDocument ParseBody(ReadOnlyMemory<byte> utf8, int maxDepth)
    {
        // The reader checks the UTF-8 of the JSON structure, not of string contents, which would fail only when read.
        if (!System.Text.Unicode.Utf8.IsValid(utf8.Span))
            throw NgsiLdException.InvalidRequest("The request body is not valid UTF-8.");
        JsonDocument document;
        try
        {
            // A repeated member name (RFC 8259 leaves its meaning open) would otherwise let the last one win silently.
            document = JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = maxDepth, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            // The duplicate-member error of JsonDocument carries no position.
            var at = e.LineNumber is { } line ? $" (line {line + 1}, byte {e.BytePositionInLine + 1})" : "";
            var reason = e.Message.Contains("depth", StringComparison.OrdinalIgnoreCase)
                ? $"The JSON payload is nested deeper than the limit of {maxDepth} levels."
                : e.Message.Contains("uplicate", StringComparison.Ordinal)
                    ? $"The request body repeats a member name in one JSON object{at}."
                    : $"The request body is not valid JSON{at}.";
            throw NgsiLdException.InvalidRequest(reason);
        }
        if (document.RootElement.ValueKind == JsonValueKind.Null)
        {
            document.Dispose();
            throw NgsiLdException.InvalidRequest("The request body is the JSON literal null.");
        }
        return document;
    }

    /// <summary>
    /// A JSON node over an element, of the kind <see cref="JsonNode.Parse(string, JsonNodeOptions?, JsonDocumentOptions)"/> would give
    /// (objects and arrays are read lazily from the element); null for a JSON null.
    /// </summary>
    public static JsonNode? Node(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => JsonObject.Create(element),
        JsonValueKind.Array => JsonArray.Create(element),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => JsonValue.Create(element),
    };

    /// <summary>
    /// Reads an entity. The values of the entity refer to the element's document, so the element must outlive the
    /// entity: pass a <see cref="JsonElement.Clone"/> of an element of a pooled document.
    /// </summary>
    public Entity ReadEntity(JsonElement json, string? expectedId = null)
    {
        if (json.ValueKind != JsonValueKind.Object)
            throw NgsiLdException.InvalidRequest("An entity must be a JSON object.");

        var id = ReadId(json, expectedId);
        var entity = new Entity { Id = id };
        foreach (var member in json.EnumerateObject())
        {
            var value = member.Value;
            if (member.NameEquals("id"u8) || member.NameEquals("@id"u8) || member.NameEquals("@context"u8))
                continue;
            if (member.NameEquals("type"u8) || member.NameEquals("@type"u8))
            {
                entity.Types = ReadTypes(value);
            }
            else if (member.NameEquals("scope"u8))
            {
                entity.Scopes = ReadScopes(value);
            }
            else if (member.NameEquals("createdAt"u8) || member.NameEquals("modifiedAt"u8) || member.NameEquals("deletedAt"u8))
            {
                if (KeepsTimestamps && value.ValueKind == JsonValueKind.String && Timestamps.TryParse(value.GetString(), out var instant))
                {
                    if (member.NameEquals("createdAt"u8))
                        entity.CreatedAt = instant;
                    else if (member.NameEquals("modifiedAt"u8))
                        entity.ModifiedAt = instant;
                }
            }
            else if (mode == ReadMode.Stored && member.NameEquals("version"u8))
            {
                entity.Version = value.GetInt64();
            }
            else
            {
                ReadAttributeInto(entity.Attributes, member.Name, value);
            }
        }
        if (entity.Types.Count == 0 && mode != ReadMode.Fragment)
            throw NgsiLdException.BadRequestData($"The entity '{id}' has no type: every entity needs at least one type.");
        return entity;
    }

    /// <summary>Reads the value of one attribute (an instance or an array of instances) under an already expanded name; see <see cref="ReadEntity"/> on the element's lifetime.</summary>
    public List<AttributeInstance> ReadAttribute(string expandedName, JsonElement value, string displayName)
    {
        var instances = new List<AttributeInstance>();
        if (value.ValueKind == JsonValueKind.Array && LooksLikeInstanceArray(value))
        {
            foreach (var item in value.EnumerateArray())
                AddInstance(instances, ReadInstance(item, displayName, nested: false), displayName);
        }
        else
        {
            instances.Add(ReadInstance(value, displayName, nested: false));
        }
        return instances;
    }

    /// <summary>
    /// The instances of an attribute in a temporal representation (clause 4.5.7): each item of an array is one instance of
    /// the attribute's history, so several may share a datasetId.
    /// </summary>
    public List<AttributeInstance> ReadTemporalInstances(JsonElement value, string displayName)
    {
        var instances = new List<AttributeInstance>();
        if (value.ValueKind == JsonValueKind.Array && LooksLikeInstanceArray(value))
        {
            foreach (var item in value.EnumerateArray())
                instances.Add(ReadInstance(item, displayName, nested: false));
        }
        else
        {
            instances.Add(ReadInstance(value, displayName, nested: false));
        }
        return instances;
    }

    public string ExpandName(string name)
    {
        if (!Uris.IsValidName(name))
            throw NgsiLdException.BadRequestData($"'{name}' is not a valid attribute name.");
        return mode == ReadMode.Stored ? name : context.ExpandTerm(name);
    }

    private void ReadAttributeInto(AttributeMap attributes, string key, JsonElement value)
    {
        var name = ExpandName(key);
        if (name is "@id" or "@type" or NgsiLd.CreatedAt or NgsiLd.ModifiedAt or NgsiLd.DeletedAt)
            throw NgsiLdException.BadRequestData($"'{key}' is a reserved name and cannot be an attribute.");
        if (name == NgsiLd.Scope)
            return;
        foreach (var instance in ReadAttribute(name, value, key))
        {
            if (attributes.Find(name, instance.DatasetId) is not null)
                throw NgsiLdException.BadRequestData($"The attribute '{key}' has two instances with the same datasetId.");
            attributes.Put(name, instance);
        }
    }

    private static void AddInstance(List<AttributeInstance> instances, AttributeInstance instance, string displayName)
    {
        foreach (var existing in instances)
        {
            if (existing.DatasetId == instance.DatasetId)
                throw NgsiLdException.BadRequestData($"The attribute '{displayName}' has two instances with the same datasetId.");
        }
        instances.Add(instance);
    }

    private static bool LooksLikeInstanceArray(JsonElement array)
    {
        if (array.GetArrayLength() == 0)
            return false;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || !(Has(item, "type"u8) || HasValueMember(item)))
                return false;
        }
        return true;
    }

    /// <summary>Whether the object has the member, whatever its value (null included).</summary>
    private static bool Has(JsonElement json, ReadOnlySpan<byte> name) => json.TryGetProperty(name, out _);

    /// <summary>The member's value, or false when it is missing or JSON null (as a <see cref="JsonObject"/> indexer answers).</summary>
    private static bool TryGet(JsonElement json, ReadOnlySpan<byte> name, out JsonElement value) =>
        json.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    private static bool TryGet(JsonElement json, string name, out JsonElement value) =>
        json.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    private static bool IsString(JsonElement value, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? text)
    {
        text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        return text is not null;
    }

    private static string ReadId(JsonElement json, string? expectedId)
    {
        if (!TryGet(json, "id"u8, out var node) && !TryGet(json, "@id"u8, out node))
        {
            if (expectedId is not null)
                return expectedId;
            throw NgsiLdException.BadRequestData("The entity has no id.");
        }
        if (!IsString(node, out var id))
            throw NgsiLdException.BadRequestData("The entity id must be a string.");
        if (!Uris.IsAbsoluteUri(id))
            throw NgsiLdException.BadRequestData($"The entity id '{id}' is not a URI.");
        if (expectedId is not null && id != expectedId)
            throw NgsiLdException.BadRequestData($"The id '{id}' in the payload differs from the id '{expectedId}' in the URL.");
        return id;
    }

    public List<string> ReadTypes(JsonElement node)
    {
        var types = new List<string>(1);
        if (IsScalar(node))
        {
            types.Add(ExpandType(node));
        }
        else if (node.ValueKind == JsonValueKind.Array && node.GetArrayLength() > 0)
        {
            foreach (var item in node.EnumerateArray())
            {
                if (!IsScalar(item))
                    throw NgsiLdException.BadRequestData("Entity types must be strings.");
                var type = ExpandType(item);
                if (!types.Contains(type))
                    types.Add(type);
            }
        }
        else
        {
            throw NgsiLdException.BadRequestData("The entity type must be a string or a non-empty array of strings.");
        }
        return types;
    }

    /// <summary>A string, number, true or false: what a <see cref="JsonValue"/> can hold.</summary>
    private static bool IsScalar(JsonElement value) => value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False;

    private string ExpandType(JsonElement value)
    {
        if (!IsString(value, out var type) || !Uris.IsValidName(type))
            throw NgsiLdException.BadRequestData($"'{JsonValue.Create(value)!.ToJsonString()}' is not a valid entity type.");
        if (mode == ReadMode.Stored)
            return type;
        var expanded = context.ExpandTerm(type);
        if (expanded.StartsWith('@'))
            throw NgsiLdException.BadRequestData($"'{type}' is a JSON-LD keyword, not an entity type.");
        return expanded;
    }

    private static List<string> ReadScopes(JsonElement node)
    {
        var scopes = new List<string>();
        if (IsString(node, out var one))
        {
            scopes.Add(ValidScope(one));
        }
        else if (node.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in node.EnumerateArray())
            {
                if (!IsString(item, out var scope))
                    throw NgsiLdException.BadRequestData("A scope must be a string.");
                scopes.Add(ValidScope(scope));
            }
        }
        else
        {
            throw NgsiLdException.BadRequestData("scope must be a string or an array of strings.");
        }
        return scopes;
    }

    private static string ValidScope(string scope)
    {
        if (scope.Length < 2 || scope[0] != '/' || scope.EndsWith('/') || scope.Contains("//", StringComparison.Ordinal)
            || scope.AsSpan().IndexOfAny("+#;,()\"' ") >= 0)
            throw NgsiLdException.BadRequestData($"'{scope}' is not a valid scope: scopes look like /Lübeck/Altstadt (clause 4.18).");
        return scope;
    }

    /// <summary>
    /// Reads the payload of a partial attribute update (clause 5.6.4): any members of the instance, where type and
    /// value may be left out (the instance keeps its own). A left-out value leaves <see cref="AttributeInstance.Value"/> null.
    /// </summary>
    public AttributeInstance ReadFragmentInstance(JsonElement node, string displayName, AttributeKind existingKind) =>
        ReadInstance(node, displayName, nested: false, existingKind);

    private AttributeInstance ReadInstance(JsonElement node, string displayName, bool nested, AttributeKind? fragmentOf = null)
    {
        if (node.ValueKind == JsonValueKind.Null || node.ValueKind == JsonValueKind.String && node.ValueEquals(NullUri))
        {
            if (AllowNull)
                return NullMarker(null);
            throw NgsiLdException.BadRequestData($"The attribute '{displayName}' is null.");
        }
        if (node.ValueKind != JsonValueKind.Object)
            return ConciseValue(node, displayName);

        var json = node;
        var partial = fragmentOf is not null && !Has(json, "type"u8) && !HasValueMember(json);
        var kind = partial ? fragmentOf!.Value : InferKind(json, displayName);
        var instance = new AttributeInstance { Kind = kind };
        var valueMember = kind.ValueMember();
        var hasValue = TryGet(json, valueMember, out var valueNode);
        if (kind == AttributeKind.GeoProperty && !hasValue && TryGet(json, "type"u8, out var geoType) && IsString(geoType, out var gt) && gt != "GeoProperty")
        {
            valueNode = json;
            hasValue = true;
        }
        if (AllowNull && IsNullValue(kind, json, valueMember))
            return NullMarker(TryGet(json, "datasetId"u8, out var d0) && IsString(d0, out var nullDataset) ? nullDataset : null);
        if (partial)
        {
            instance.Value = null;
        }
        else
        {
            if (!hasValue)
                throw NgsiLdException.BadRequestData(json.TryGetProperty(valueMember, out _)
                    ? $"The '{valueMember}' of {kind.TypeName()} '{displayName}' is null; to delete it, send \"urn:ngsi-ld:null\"."
                    : $"The {kind.TypeName()} '{displayName}' has no '{valueMember}'.");
            instance.Value = ReadValue(kind, valueNode, displayName, out var geometry);
            instance.DerivedValue = geometry;
        }

        foreach (var property in json.EnumerateObject())
        {
            var member = property.Value;
            if (property.NameEquals("type"u8))
                continue;
            if (property.NameEquals("datasetId"u8))
            {
                if (!IsString(member, out var datasetId) || !Uris.IsAbsoluteUri(datasetId))
                    throw NgsiLdException.BadRequestData($"The datasetId of '{displayName}' must be a URI.");
                if (nested)
                    throw NgsiLdException.BadRequestData($"The sub-attribute '{displayName}' cannot have a datasetId.");
                instance.DatasetId = datasetId;
            }
            else if (property.NameEquals("observedAt"u8))
            {
                if (!IsString(member, out var observedAt) || !Timestamps.TryParse(observedAt, out _))
                    throw NgsiLdException.BadRequestData($"The observedAt of '{displayName}' must be an ISO 8601 date-time in UTC.");
                instance.ObservedAt = observedAt;
            }
            else if (property.NameEquals("unitCode"u8))
            {
                if (!IsString(member, out var unitCode) || unitCode.Length == 0)
                    throw NgsiLdException.BadRequestData($"The unitCode of '{displayName}' must be a non-empty string.");
                instance.UnitCode = unitCode;
            }
            else if (property.NameEquals("objectType"u8))
            {
                instance.ObjectType = ReadObjectType(member, displayName);
            }
            else if (property.NameEquals("createdAt"u8) || property.NameEquals("modifiedAt"u8))
            {
                if (KeepsTimestamps && member.ValueKind == JsonValueKind.String && Timestamps.TryParse(member.GetString(), out var stamp))
                {
                    if (property.NameEquals("createdAt"u8))
                        instance.CreatedAt = stamp;
                    else
                        instance.ModifiedAt = stamp;
                }
            }
            else
            {
                var key = property.Name;
                if (StructuralAttributeMembers.Contains(key))
                    continue;
                var subName = ExpandName(key);
                var sub = ReadInstance(member, key, nested: true);
                instance.WritableSubAttributes.Put(subName, sub);
            }
        }
        return instance;
    }

    private static AttributeInstance NullMarker(string? datasetId) => new() { Kind = AttributeKind.Property, Value = JsonValue.Create(NullUri), DatasetId = datasetId };

    private static bool HasValueMember(JsonElement json) =>
        Has(json, "value"u8) || Has(json, "object"u8) || Has(json, "languageMap"u8) || Has(json, "vocab"u8)
        || Has(json, "valueList"u8) || Has(json, "objectList"u8) || Has(json, "json"u8);

    /// <summary>The merge-patch null of each kind (clause 5.5.8): "urn:ngsi-ld:null", {"@none": "urn:ngsi-ld:null"}, ["urn:ngsi-ld:null"].</summary>
    private static bool IsNullValue(AttributeKind kind, JsonElement json, string valueMember)
    {
        // A JSON null inside an attribute is no value at all (a BadRequestData); deleting takes "urn:ngsi-ld:null".
        if (!TryGet(json, valueMember, out var value))
            return false;
        if (IsNullUri(value))
            return true;
        if (kind == AttributeKind.LanguageProperty && value.ValueKind == JsonValueKind.Object && CountMembers(value) == 1
            && TryGet(value, "@none"u8, out var none) && IsNullUri(none))
            return true;
        return value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 1 && IsNullUri(value[0]);
    }

    private static int CountMembers(JsonElement json)
    {
        var count = 0;
        foreach (var _ in json.EnumerateObject())
            count++;
        return count;
    }

    private static bool IsNullUri(JsonElement node) => node.ValueKind == JsonValueKind.String && node.ValueEquals(NullUri);

    /// <summary>Is this instance the merge-patch deletion marker?</summary>
    public static bool IsNullMarker(AttributeInstance instance) =>
        instance.Kind == AttributeKind.Property && instance.Value is JsonValue v && v.TryGetValue<string>(out var s) && s == NullUri && instance.SubAttributes.Count == 0;

    private static AttributeKind InferKind(JsonElement json, string displayName)
    {
        if (json.TryGetProperty("type"u8, out var typeValue))
        {
            if (IsString(typeValue, out var typeName))
            {
                if (AttributeKinds.TryParse(typeName, out var declared))
                    return declared;
                if (IsGeometryType(typeName) && Has(json, "coordinates"u8))
                    return AttributeKind.GeoProperty;
                throw NgsiLdException.BadRequestData($"The attribute '{displayName}' has the unknown type '{typeName}'.");
            }
            throw NgsiLdException.BadRequestData($"The type of attribute '{displayName}' must be a string.");
        }
        // Concise representation (clause 4.5.2.3, 4.5.3.3): the kind follows from the value member.
        if (Has(json, "object"u8))
            return AttributeKind.Relationship;
        if (Has(json, "languageMap"u8))
            return AttributeKind.LanguageProperty;
        if (Has(json, "vocab"u8))
            return AttributeKind.VocabProperty;
        if (Has(json, "valueList"u8))
            return AttributeKind.ListProperty;
        if (Has(json, "objectList"u8))
            return AttributeKind.ListRelationship;
        if (Has(json, "json"u8))
            return AttributeKind.JsonProperty;
        if (json.TryGetProperty("value"u8, out var value))
        {
            if (value.ValueKind == JsonValueKind.Object && TryGet(value, "type"u8, out var gt) && IsString(gt, out var g) && IsGeometryType(g) && Has(value, "coordinates"u8))
                return AttributeKind.GeoProperty;
            return AttributeKind.Property;
        }
        throw NgsiLdException.BadRequestData($"The attribute '{displayName}' has neither a type nor a value member.");
    }

    private AttributeInstance ConciseValue(JsonElement node, string displayName)
    {
        if (mode == ReadMode.Stored)
            throw new InvalidDataException($"Stored attribute '{displayName}' is not an object.");
        return new AttributeInstance { Kind = AttributeKind.Property, Value = Node(node) };
    }

    internal static bool IsGeometryType(string type) =>
        type is "Point" or "MultiPoint" or "LineString" or "MultiLineString" or "Polygon" or "MultiPolygon" or "GeometryCollection";

    /// <summary>The value of an instance; for a GeoProperty also its geometry, which the reader has to parse to validate it anyway.</summary>
    private JsonNode? ReadValue(AttributeKind kind, JsonElement value, string displayName, out NetTopologySuite.Geometries.Geometry? parsedGeometry)
    {
        parsedGeometry = null;
        if (mode != ReadMode.Stored && kind is AttributeKind.Property or AttributeKind.ListProperty or AttributeKind.JsonProperty)
            RejectUnrepresentableNumbers(value, displayName);
        switch (kind)
        {
            case AttributeKind.Property:
                return Node(value);
            case AttributeKind.GeoProperty:
                if (!Geo.GeoJson.TryParse(value, out var geometry, out var reason))
                    throw NgsiLdException.BadRequestData($"The GeoProperty '{displayName}' is not a valid GeoJSON geometry: {reason}");
                parsedGeometry = geometry;
                return Node(value);
            case AttributeKind.Relationship:
                return ReadObject(value, displayName, allowArray: true);
            case AttributeKind.ListRelationship:
                if (value.ValueKind != JsonValueKind.Array)
                    throw NgsiLdException.BadRequestData($"The objectList of '{displayName}' must be an array.");
                var list = new JsonArray();
                foreach (var target in value.EnumerateArray())
                {
                    var item = target;
                    if (target.ValueKind == JsonValueKind.Object && !TryGet(target, "object"u8, out item))
                        throw NgsiLdException.BadRequestData($"The object of relationship '{displayName}' must be a URI.");
                    list.Add(ReadObject(item, displayName, allowArray: false));
                }
                return list;
            case AttributeKind.LanguageProperty:
                if (value.ValueKind != JsonValueKind.Object || CountMembers(value) == 0)
                    throw NgsiLdException.BadRequestData($"The languageMap of '{displayName}' must be a non-empty object from language tag to string.");
                foreach (var entry in value.EnumerateObject())
                {
                    var text = entry.Value;
                    if (entry.NameEquals(""u8) || !(text.ValueKind == JsonValueKind.String || text.ValueKind == JsonValueKind.Array && AllStrings(text)))
                        throw NgsiLdException.BadRequestData($"The languageMap of '{displayName}' maps '{entry.Name}' to something that is not a string.");
                }
                return Node(value);
            case AttributeKind.VocabProperty:
                return ReadVocab(value, displayName);
            case AttributeKind.ListProperty:
                if (value.ValueKind != JsonValueKind.Array)
                    throw NgsiLdException.BadRequestData($"The valueList of '{displayName}' must be an array.");
                return Node(value);
            case AttributeKind.JsonProperty:
                return Node(value);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary>
    /// A number beyond the range of a double (1e999999) is valid JSON that no query could compare and each store would
    /// read differently: it is refused.
    /// </summary>
    private static void RejectUnrepresentableNumbers(JsonElement value, string displayName)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Number:
                if (!value.TryGetDouble(out var number) || !double.IsFinite(number))
                    throw NgsiLdException.BadRequestData($"The value of '{displayName}' holds the number {Shorten(value.GetRawText())}, which is beyond the range of a double.");
                break;
            case JsonValueKind.Array:
                foreach (var item in value.EnumerateArray())
                    RejectUnrepresentableNumbers(item, displayName);
                break;
            case JsonValueKind.Object:
                foreach (var member in value.EnumerateObject())
                    RejectUnrepresentableNumbers(member.Value, displayName);
                break;
        }
    }

    private static string Shorten(string text) => text.Length > 40 ? text[..40] + "…" : text;

    private static bool AllStrings(JsonElement array)
    {
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
                return false;
        }
        return true;
    }

    private static JsonNode ReadObject(JsonElement value, string displayName, bool allowArray)
    {
        if (IsString(value, out var target))
        {
            if (!Uris.IsAbsoluteUri(target))
                throw NgsiLdException.BadRequestData($"The relationship '{displayName}' points to '{target}', which is not a URI.");
            return JsonValue.Create(target);
        }
        if (allowArray && value.ValueKind == JsonValueKind.Array && value.GetArrayLength() > 0)
        {
            var targets = new JsonArray();
            foreach (var item in value.EnumerateArray())
                targets.Add(ReadObject(item, displayName, allowArray: false));
            return targets;
        }
        throw NgsiLdException.BadRequestData($"The object of relationship '{displayName}' must be a URI.");
    }

    private JsonNode ReadVocab(JsonElement value, string displayName)
    {
        if (IsString(value, out var term) && term.Length > 0)
            return JsonValue.Create(mode == ReadMode.Stored ? term : context.ExpandTerm(term));
        if (value.ValueKind == JsonValueKind.Array && value.GetArrayLength() > 0)
        {
            var terms = new JsonArray();
            foreach (var item in value.EnumerateArray())
                terms.Add(ReadVocab(item, displayName));
            return terms;
        }
        throw NgsiLdException.BadRequestData($"The vocab of '{displayName}' must be a string or an array of strings.");
    }

    private JsonNode ReadObjectType(JsonElement value, string displayName)
    {
        if (IsString(value, out var type) && Uris.IsValidName(type))
            return JsonValue.Create(mode == ReadMode.Stored ? type : context.ExpandTerm(type));
        if (value.ValueKind == JsonValueKind.Array && value.GetArrayLength() > 0)
        {
            var types = new JsonArray();
            foreach (var item in value.EnumerateArray())
                types.Add(ReadObjectType(item, displayName));
            return types;
        }
        throw NgsiLdException.BadRequestData($"The objectType of '{displayName}' must be a type name or an array of them.");
    }
}
