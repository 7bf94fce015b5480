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

    private static readonly HashSet<string> StructuralAttributeMembers = new(StringComparer.Ordinal)
    {
        "type", "value", "object", "languageMap", "vocab", "valueList", "objectList", "json",
        "datasetId", "observedAt", "unitCode", "objectType", "createdAt", "modifiedAt", "deletedAt", "instanceId", "@context",
        "lang", "previousValue", "previousObject", "previousLanguageMap", "previousVocab", "previousValueList", "previousObjectList", "previousJson",
    };

    public static JsonNode ParseBody(ReadOnlySpan<byte> utf8, int maxDepth)
    {
        try
        {
            return JsonNode.Parse(utf8, documentOptions: new JsonDocumentOptions { MaxDepth = maxDepth })
                ?? throw NgsiLdException.InvalidRequest("The request body is the JSON literal null.");
        }
        catch (JsonException e)
        {
            var reason = e.Message.Contains("depth", StringComparison.OrdinalIgnoreCase)
                ? $"The JSON payload is nested deeper than the limit of {maxDepth} levels."
                : $"The request body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).";
            throw NgsiLdException.InvalidRequest(reason);
        }
    }

    public Entity ReadEntity(JsonNode? node, string? expectedId = null)
    {
        if (node is not JsonObject json)
            throw NgsiLdException.InvalidRequest("An entity must be a JSON object.");

        var id = ReadId(json, expectedId);
        var entity = new Entity { Id = id };
        foreach (var (key, value) in json)
        {
            switch (key)
            {
                case "id" or "@id":
                    break;
                case "type" or "@type":
                    entity.Types = ReadTypes(value);
                    break;
                case "scope":
                    entity.Scopes = ReadScopes(value);
                    break;
                case "@context":
                    break;
                case "createdAt" or "modifiedAt" or "deletedAt":
                    if (mode == ReadMode.Stored && value is JsonValue stamp && Timestamps.TryParse(stamp.GetValue<string>(), out var instant))
                    {
                        if (key == "createdAt")
                            entity.CreatedAt = instant;
                        else if (key == "modifiedAt")
                            entity.ModifiedAt = instant;
                    }
                    break;
                case "version" when mode == ReadMode.Stored:
                    entity.Version = value!.GetValue<long>();
                    break;
                default:
                    ReadAttributeInto(entity.Attributes, key, value);
                    break;
            }
        }
        if (entity.Types.Count == 0 && mode != ReadMode.Fragment)
            throw NgsiLdException.BadRequestData($"The entity '{id}' has no type: every entity needs at least one type.");
        return entity;
    }

    /// <summary>Reads the value of one attribute (an instance or an array of instances) under an already expanded name.</summary>
    public List<AttributeInstance> ReadAttribute(string expandedName, JsonNode? value, string displayName)
    {
        var instances = new List<AttributeInstance>();
        if (value is JsonArray array && LooksLikeInstanceArray(array))
        {
            foreach (var item in array)
                AddInstance(instances, ReadInstance(item, displayName, nested: false), displayName);
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

    private void ReadAttributeInto(AttributeMap attributes, string key, JsonNode? value)
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

    private static bool LooksLikeInstanceArray(JsonArray array)
    {
        if (array.Count == 0)
            return false;
        foreach (var item in array)
        {
            if (item is not JsonObject obj || !(obj.ContainsKey("type") || obj.ContainsKey("value") || obj.ContainsKey("object") || obj.ContainsKey("languageMap")
                || obj.ContainsKey("vocab") || obj.ContainsKey("valueList") || obj.ContainsKey("objectList") || obj.ContainsKey("json")))
                return false;
        }
        return true;
    }

    private string ReadId(JsonObject json, string? expectedId)
    {
        var node = json["id"] ?? json["@id"];
        if (node is null)
        {
            if (expectedId is not null)
                return expectedId;
            throw NgsiLdException.BadRequestData("The entity has no id.");
        }
        if (node is not JsonValue value || !value.TryGetValue<string>(out var id))
            throw NgsiLdException.BadRequestData("The entity id must be a string.");
        if (!Uris.IsAbsoluteUri(id))
            throw NgsiLdException.BadRequestData($"The entity id '{id}' is not a URI.");
        if (expectedId is not null && id != expectedId)
            throw NgsiLdException.BadRequestData($"The id '{id}' in the payload differs from the id '{expectedId}' in the URL.");
        return id;
    }

    public List<string> ReadTypes(JsonNode? node)
    {
        var types = new List<string>();
        if (node is JsonValue single)
        {
            types.Add(ExpandType(single));
        }
        else if (node is JsonArray array && array.Count > 0)
        {
            foreach (var item in array)
            {
                if (item is not JsonValue value)
                    throw NgsiLdException.BadRequestData("Entity types must be strings.");
                var type = ExpandType(value);
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

    private string ExpandType(JsonValue value)
    {
        if (!value.TryGetValue<string>(out var type) || !Uris.IsValidName(type))
            throw NgsiLdException.BadRequestData($"'{value.ToJsonString()}' is not a valid entity type.");
        if (mode == ReadMode.Stored)
            return type;
        var expanded = context.ExpandTerm(type);
        if (expanded.StartsWith('@'))
            throw NgsiLdException.BadRequestData($"'{type}' is a JSON-LD keyword, not an entity type.");
        return expanded;
    }

    private static List<string> ReadScopes(JsonNode? node)
    {
        var scopes = new List<string>();
        if (node is JsonValue single && single.TryGetValue<string>(out var one))
        {
            scopes.Add(ValidScope(one));
        }
        else if (node is JsonArray array)
        {
            foreach (var item in array)
            {
                if (item is not JsonValue value || !value.TryGetValue<string>(out var scope))
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
    public AttributeInstance ReadFragmentInstance(JsonNode? node, string displayName, AttributeKind existingKind) =>
        ReadInstance(node, displayName, nested: false, existingKind);

    private AttributeInstance ReadInstance(JsonNode? node, string displayName, bool nested, AttributeKind? fragmentOf = null)
    {
        if (node is null || node is JsonValue v && v.TryGetValue<string>(out var s) && s == NullUri)
        {
            if (AllowNull)
                return NullMarker(null);
            throw NgsiLdException.BadRequestData($"The attribute '{displayName}' is null.");
        }
        if (node is not JsonObject json)
            return ConciseValue(node, displayName);

        var partial = fragmentOf is not null && !json.ContainsKey("type") && !HasValueMember(json);
        var kind = partial ? fragmentOf!.Value : InferKind(json, displayName);
        var instance = new AttributeInstance { Kind = kind };
        var valueMember = kind.ValueMember();
        var valueNode = json[valueMember];
        if (kind == AttributeKind.GeoProperty && valueNode is null && json["type"] is JsonValue geoType && geoType.TryGetValue<string>(out var gt) && gt != "GeoProperty")
            valueNode = json;
        if (AllowNull && IsNullValue(kind, json, valueMember))
            return NullMarker(json["datasetId"] is JsonValue d0 && d0.TryGetValue<string>(out var nullDataset) ? nullDataset : null);
        if (partial)
        {
            instance.Value = null;
        }
        else
        {
            if (valueNode is null)
                throw NgsiLdException.BadRequestData(json.ContainsKey(valueMember)
                    ? $"The '{valueMember}' of {kind.TypeName()} '{displayName}' is null; to delete it, send \"urn:ngsi-ld:null\"."
                    : $"The {kind.TypeName()} '{displayName}' has no '{valueMember}'.");
            instance.Value = ReadValue(kind, valueNode, displayName);
        }

        foreach (var (key, member) in json)
        {
            switch (key)
            {
                case "type":
                    break;
                case "datasetId":
                    if (member is not JsonValue d || !d.TryGetValue<string>(out var datasetId) || !Uris.IsAbsoluteUri(datasetId))
                        throw NgsiLdException.BadRequestData($"The datasetId of '{displayName}' must be a URI.");
                    if (nested)
                        throw NgsiLdException.BadRequestData($"The sub-attribute '{displayName}' cannot have a datasetId.");
                    instance.DatasetId = datasetId;
                    break;
                case "observedAt":
                    if (member is not JsonValue o || !o.TryGetValue<string>(out var observedAt) || !Timestamps.TryParse(observedAt, out _))
                        throw NgsiLdException.BadRequestData($"The observedAt of '{displayName}' must be an ISO 8601 date-time in UTC.");
                    instance.ObservedAt = observedAt;
                    break;
                case "unitCode":
                    if (member is not JsonValue u || !u.TryGetValue<string>(out var unitCode) || unitCode.Length == 0)
                        throw NgsiLdException.BadRequestData($"The unitCode of '{displayName}' must be a non-empty string.");
                    instance.UnitCode = unitCode;
                    break;
                case "objectType":
                    instance.ObjectType = ReadObjectType(member, displayName);
                    break;
                case "createdAt" or "modifiedAt":
                    if (mode == ReadMode.Stored && member is JsonValue t && Timestamps.TryParse(t.GetValue<string>(), out var stamp))
                    {
                        if (key == "createdAt")
                            instance.CreatedAt = stamp;
                        else
                            instance.ModifiedAt = stamp;
                    }
                    break;
                default:
                    if (StructuralAttributeMembers.Contains(key))
                        break;
                    var subName = ExpandName(key);
                    var sub = ReadInstance(member, key, nested: true);
                    instance.SubAttributes.Put(subName, sub);
                    break;
            }
        }
        return instance;
    }

    private static AttributeInstance NullMarker(string? datasetId) => new() { Kind = AttributeKind.Property, Value = JsonValue.Create(NullUri), DatasetId = datasetId };

    private static bool HasValueMember(JsonObject json) =>
        json.ContainsKey("value") || json.ContainsKey("object") || json.ContainsKey("languageMap") || json.ContainsKey("vocab")
        || json.ContainsKey("valueList") || json.ContainsKey("objectList") || json.ContainsKey("json");

    /// <summary>The merge-patch null of each kind (clause 5.5.8): "urn:ngsi-ld:null", {"@none": "urn:ngsi-ld:null"}, ["urn:ngsi-ld:null"].</summary>
    private static bool IsNullValue(AttributeKind kind, JsonObject json, string valueMember)
    {
        // A JSON null inside an attribute is no value at all (a BadRequestData); deleting takes "urn:ngsi-ld:null".
        if (!json.TryGetPropertyValue(valueMember, out var value) || value is null)
            return false;
        if (IsNullUri(value))
            return true;
        if (kind == AttributeKind.LanguageProperty && value is JsonObject map && map.Count == 1 && map["@none"] is { } none && IsNullUri(none))
            return true;
        return value is JsonArray { Count: 1 } array && array[0] is { } only && IsNullUri(only);
    }

    private static bool IsNullUri(JsonNode node) => node is JsonValue v && v.TryGetValue<string>(out var s) && s == NullUri;

    /// <summary>Is this instance the merge-patch deletion marker?</summary>
    public static bool IsNullMarker(AttributeInstance instance) =>
        instance.Kind == AttributeKind.Property && instance.Value is JsonValue v && v.TryGetValue<string>(out var s) && s == NullUri && instance.SubAttributes.Count == 0;

    private AttributeKind InferKind(JsonObject json, string displayName)
    {
        if (json["type"] is JsonValue typeValue && typeValue.TryGetValue<string>(out var typeName))
        {
            if (AttributeKinds.TryParse(typeName, out var declared))
                return declared;
            if (IsGeometryType(typeName) && json.ContainsKey("coordinates"))
                return AttributeKind.GeoProperty;
            throw NgsiLdException.BadRequestData($"The attribute '{displayName}' has the unknown type '{typeName}'.");
        }
        if (json.ContainsKey("type"))
            throw NgsiLdException.BadRequestData($"The type of attribute '{displayName}' must be a string.");
        // Concise representation (clause 4.5.2.3, 4.5.3.3): the kind follows from the value member.
        if (json.ContainsKey("object"))
            return AttributeKind.Relationship;
        if (json.ContainsKey("languageMap"))
            return AttributeKind.LanguageProperty;
        if (json.ContainsKey("vocab"))
            return AttributeKind.VocabProperty;
        if (json.ContainsKey("valueList"))
            return AttributeKind.ListProperty;
        if (json.ContainsKey("objectList"))
            return AttributeKind.ListRelationship;
        if (json.ContainsKey("json"))
            return AttributeKind.JsonProperty;
        if (json["value"] is JsonObject geo && geo["type"] is JsonValue gt && gt.TryGetValue<string>(out var g) && IsGeometryType(g) && geo.ContainsKey("coordinates"))
            return AttributeKind.GeoProperty;
        if (json.ContainsKey("value"))
            return AttributeKind.Property;
        throw NgsiLdException.BadRequestData($"The attribute '{displayName}' has neither a type nor a value member.");
    }

    private AttributeInstance ConciseValue(JsonNode node, string displayName)
    {
        if (mode == ReadMode.Stored)
            throw new InvalidDataException($"Stored attribute '{displayName}' is not an object.");
        return new AttributeInstance { Kind = AttributeKind.Property, Value = Detach(node) };
    }

    internal static bool IsGeometryType(string type) =>
        type is "Point" or "MultiPoint" or "LineString" or "MultiLineString" or "Polygon" or "MultiPolygon" or "GeometryCollection";

    private JsonNode? ReadValue(AttributeKind kind, JsonNode? value, string displayName)
    {
        switch (kind)
        {
            case AttributeKind.Property:
                if (value is null)
                    throw NgsiLdException.BadRequestData($"The value of '{displayName}' is null.");
                return Detach(value);
            case AttributeKind.GeoProperty:
                if (!Geo.GeoJson.TryParse(value, out _, out var reason))
                    throw NgsiLdException.BadRequestData($"The GeoProperty '{displayName}' is not a valid GeoJSON geometry: {reason}");
                return Detach(value!);
            case AttributeKind.Relationship:
                return ReadObject(value, displayName, allowArray: true);
            case AttributeKind.ListRelationship:
                if (value is not JsonArray targets)
                    throw NgsiLdException.BadRequestData($"The objectList of '{displayName}' must be an array.");
                var list = new JsonArray();
                foreach (var target in targets)
                {
                    var item = target is JsonObject wrapped ? wrapped["object"] : target;
                    list.Add(ReadObject(item, displayName, allowArray: false));
                }
                return list;
            case AttributeKind.LanguageProperty:
                if (value is not JsonObject map || map.Count == 0)
                    throw NgsiLdException.BadRequestData($"The languageMap of '{displayName}' must be a non-empty object from language tag to string.");
                foreach (var (tag, text) in map)
                {
                    if (tag.Length == 0 || !(text is JsonValue tv && tv.GetValueKind() == JsonValueKind.String || text is JsonArray ta && ta.All(t => t?.GetValueKind() == JsonValueKind.String)))
                        throw NgsiLdException.BadRequestData($"The languageMap of '{displayName}' maps '{tag}' to something that is not a string.");
                }
                return Detach(map);
            case AttributeKind.VocabProperty:
                return ReadVocab(value, displayName);
            case AttributeKind.ListProperty:
                if (value is not JsonArray values)
                    throw NgsiLdException.BadRequestData($"The valueList of '{displayName}' must be an array.");
                return Detach(values);
            case AttributeKind.JsonProperty:
                if (value is null)
                    throw NgsiLdException.BadRequestData($"The json of '{displayName}' is null.");
                return Detach(value);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    private static JsonNode ReadObject(JsonNode? value, string displayName, bool allowArray)
    {
        if (value is JsonValue v && v.TryGetValue<string>(out var target))
        {
            if (!Uris.IsAbsoluteUri(target))
                throw NgsiLdException.BadRequestData($"The relationship '{displayName}' points to '{target}', which is not a URI.");
            return JsonValue.Create(target);
        }
        if (allowArray && value is JsonArray array && array.Count > 0)
        {
            var targets = new JsonArray();
            foreach (var item in array)
                targets.Add(ReadObject(item, displayName, allowArray: false));
            return targets;
        }
        throw NgsiLdException.BadRequestData($"The object of relationship '{displayName}' must be a URI.");
    }

    private JsonNode ReadVocab(JsonNode? value, string displayName)
    {
        if (value is JsonValue v && v.TryGetValue<string>(out var term) && term.Length > 0)
            return JsonValue.Create(mode == ReadMode.Stored ? term : context.ExpandTerm(term));
        if (value is JsonArray array && array.Count > 0)
        {
            var terms = new JsonArray();
            foreach (var item in array)
                terms.Add(ReadVocab(item, displayName));
            return terms;
        }
        throw NgsiLdException.BadRequestData($"The vocab of '{displayName}' must be a string or an array of strings.");
    }

    private JsonNode ReadObjectType(JsonNode? value, string displayName)
    {
        if (value is JsonValue v && v.TryGetValue<string>(out var type) && Uris.IsValidName(type))
            return JsonValue.Create(mode == ReadMode.Stored ? type : context.ExpandTerm(type));
        if (value is JsonArray array && array.Count > 0)
        {
            var types = new JsonArray();
            foreach (var item in array)
                types.Add(ReadObjectType(item, displayName));
            return types;
        }
        throw NgsiLdException.BadRequestData($"The objectType of '{displayName}' must be a type name or an array of them.");
    }

    private static JsonNode Detach(JsonNode node) => node.Parent is null ? node : node.DeepClone();
}
