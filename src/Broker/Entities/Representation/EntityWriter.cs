using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ontology.JsonLd;
using Ontology.Model;

namespace Broker.Entities.Representation;

/// <summary>
/// Writes expanded entities in the representation a client asked for (clause 4.5), compacting every IRI with the
/// request's @context (clause 6.3.6). The stored form is the normalized representation with full IRIs.
/// </summary>
public sealed class EntityWriter(Func<string, string> compact, RepresentationOptions options)
{
    /// <summary>The context, when entities written with it may keep their rendering (see <see cref="WriteEntity"/>).</summary>
    private JsonLdContext? _cacheScope;

    public static EntityWriter For(JsonLdContext context, RepresentationOptions options) =>
        new(context.CompactIri, options) { _cacheScope = IsWholeEntity(options) ? context : null };

    /// <summary>join=inline (clause 4.5.23.2): the entities linked by the relationships written, and how many hops are left.</summary>
    private LinkedEntities? _inline;
    private int _hopsLeft;

    /// <summary>A writer that puts each linked entity into the relationship that links to it (join=inline).</summary>
    public static EntityWriter Inline(JsonLdContext context, RepresentationOptions options, LinkedEntities links) =>
        new(context.CompactIri, options) { _inline = links, _hopsLeft = links.Level };

    /// <summary>The writer of the entities linked through <paramref name="relationship"/>: their own projection, one hop fewer.</summary>
    private EntityWriter LinkedWriter(string relationship) =>
        new(compact, options with { Projection = options.Projection.ForLinked(relationship) }) { _inline = _inline, _hopsLeft = _hopsLeft - 1 };

    /// <summary>The writer of a flat join's linked entities (clause 4.5.23.1): the response's options with the projection that reached them.</summary>
    public EntityWriter WithProjection(AttributeProjection projection) =>
        ReferenceEquals(projection, options.Projection) ? this : new(compact, options with { Projection = projection });

    /// <summary>What a notification adds to the entities it carries (previous values, deletions); null for every other response.</summary>
    private ChangeAnnotations? _annotations;

    /// <summary>A writer of notification data: the entities of <paramref name="annotations"/> carry what the change replaced and deleted.</summary>
    public static EntityWriter ForNotification(JsonLdContext context, RepresentationOptions options, ChangeAnnotations annotations, LinkedEntities? inline = null) =>
        new(context.CompactIri, options) { _annotations = annotations, _inline = inline, _hopsLeft = inline?.Level ?? 0 };

    private static bool IsWholeEntity(RepresentationOptions options) =>
        options is { Lang: null, DatasetIds: null, Projection: { Include: null, Exclude: null } };

    /// <summary>The writer of the stores' documents: expanded names, every system attribute, the version.</summary>
    public static readonly EntityWriter Stored = new(static iri => iri, new RepresentationOptions(EntityFormat.Normalized, SysAttrs: true));

    /// <summary>
    /// Writes an entity as a GeoJSON Feature (clause 4.5.16.1): the geometry of the chosen GeoProperty (location by
    /// default; the first instance), and the entity in the requested representation as properties.
    /// </summary>
    public void WriteFeature(Utf8JsonWriter writer, Entity entity, string geometryProperty, Action<Utf8JsonWriter>? writeContext = null)
    {
        writer.WriteStartObject();
        writer.WriteString("id"u8, entity.Id);
        writer.WriteString("type"u8, "Feature");
        writer.WritePropertyName("geometry"u8);
        var geometry = entity.Attributes.Get(geometryProperty) is { Count: > 0 } instances && instances[0].Kind == AttributeKind.GeoProperty
            ? instances[0].Value
            : null;
        if (geometry is null)
            writer.WriteNullValue();
        else
            geometry.WriteTo(writer);
        writer.WritePropertyName("properties"u8);
        WriteEntity(writer, entity, withId: false);
        writeContext?.Invoke(writer);
        writer.WriteEndObject();
    }

    /// <summary>
    /// Writes the entity. A whole stored entity (no projection, lang or datasetId, no @context member) written a second time
    /// with the same @context and format is copied from the rendering kept with it: stored entities are immutable snapshots.
    /// The first time only marks the entity, so entities that are written once (read from a database for one response)
    /// are not rendered twice.
    /// </summary>
    public void WriteEntity(Utf8JsonWriter writer, Entity entity, Action<Utf8JsonWriter>? writeContext = null, bool withVersion = false, bool withId = true)
    {
        if (_cacheScope is null || writeContext is not null || withVersion || !withId)
        {
            WriteEntityMembers(writer, entity, writeContext, withVersion, withId);
            return;
        }
        var derived = entity.DerivedValue;
        if (derived is RenderedEntity rendered && rendered.Matches(_cacheScope, options))
        {
            writer.WriteRawValue(rendered.Json, skipInputValidation: true);
            return;
        }
        if (derived is not SeenOnce seen || !seen.Matches(_cacheScope, options))
        {
            if (derived is null or SeenOnce)
                entity.DerivedValue = new SeenOnce(_cacheScope, options.Format, options.SysAttrs);
            WriteEntityMembers(writer, entity, writeContext, withVersion, withId);
            return;
        }
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            WriteEntityMembers(json, entity, null, false, true);
        var bytes = buffer.WrittenSpan.ToArray();
        entity.DerivedValue = new RenderedEntity(_cacheScope, options.Format, options.SysAttrs, bytes);
        writer.WriteRawValue(bytes, skipInputValidation: true);
    }

    private sealed record SeenOnce(JsonLdContext Context, EntityFormat Format, bool SysAttrs)
    {
        public bool Matches(JsonLdContext context, RepresentationOptions options) =>
            ReferenceEquals(Context, context) && Format == options.Format && SysAttrs == options.SysAttrs;
    }

    private sealed class RenderedEntity(JsonLdContext context, EntityFormat format, bool sysAttrs, byte[] json)
    {
        public byte[] Json { get; } = json;

        public bool Matches(JsonLdContext scope, RepresentationOptions options) =>
            ReferenceEquals(context, scope) && format == options.Format && sysAttrs == options.SysAttrs;
    }

    private void WriteEntityMembers(Utf8JsonWriter writer, Entity entity, Action<Utf8JsonWriter>? writeContext, bool withVersion, bool withId)
    {
        var projection = options.Projection;
        writer.WriteStartObject();
        if (withId && projection.ShowsIdMember)
            writer.WriteString("id"u8, entity.Id);
        if (projection.ShowsType && entity.Types.Count > 0)
            WriteTypes(writer, "type"u8, entity.Types);
        if (entity.Scopes is { Count: > 0 } scopes && projection.Shows(NgsiLd.Scope))
        {
            writer.WritePropertyName("scope"u8);
            if (scopes.Count == 1)
            {
                writer.WriteStringValue(scopes[0]);
            }
            else
            {
                writer.WriteStartArray();
                foreach (var scope in scopes)
                    writer.WriteStringValue(scope);
                writer.WriteEndArray();
            }
        }
        foreach (var (name, instances) in entity.Attributes)
        {
            if (!projection.Shows(name))
                continue;
            var shown = instances;
            if (options.DatasetIds is { } datasetIds)
            {
                shown = instances.FindAll(i => datasetIds.Contains(i.DatasetId ?? "@none"));
                if (shown.Count == 0)
                    continue;
            }
            writer.WritePropertyName(compact(name));
            if (_inline is not null && _hopsLeft > 0 && shown.Exists(i => i.Kind is AttributeKind.Relationship or AttributeKind.ListRelationship))
                WriteLinkingAttribute(writer, name, shown);
            else
                WriteAttribute(writer, shown);
        }
        if (options.SysAttrs)
        {
            writer.WriteString("createdAt"u8, Timestamps.Format6(entity.CreatedAt));
            writer.WriteString("modifiedAt"u8, Timestamps.Format6(entity.ModifiedAt));
        }
        // A deletion is reported with its time in every representation (clause 5.2.2, deletedAt).
        if (_annotations?.EntityDeletedAt is { } deletedAt)
            writer.WriteString("deletedAt"u8, Timestamps.Format6(deletedAt));
        if (withVersion)
            writer.WriteNumber("version"u8, entity.Version);
        writeContext?.Invoke(writer);
        writer.WriteEndObject();
    }

    public void WriteAttribute(Utf8JsonWriter writer, List<AttributeInstance> instances)
    {
        if (instances.Count == 1)
        {
            WriteInstance(writer, instances[0]);
            return;
        }
        if (options.Format == EntityFormat.KeyValues)
        {
            // The simplified form of a multi-attribute (clause 4.5.4, core context term "dataset"): the values by datasetId.
            writer.WriteStartObject();
            writer.WriteStartObject("dataset"u8);
            foreach (var instance in instances)
            {
                writer.WritePropertyName(instance.DatasetId ?? "@none");
                WriteInstance(writer, instance);
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
            return;
        }
        writer.WriteStartArray();
        foreach (var instance in instances)
            WriteInstance(writer, instance);
        writer.WriteEndArray();
    }

    /// <summary>
    /// A relationship with its linked entities inline (clause 4.5.23.2): "entity" (one, or an array for several objects) or
    /// "entityList" of a ListRelationship; in the simplified representation the linked entity takes the object's place.
    /// </summary>
    private void WriteLinkingAttribute(Utf8JsonWriter writer, string name, List<AttributeInstance> instances)
    {
        var linkedWriter = LinkedWriter(name);
        if (options.Format == EntityFormat.KeyValues && instances.Count == 1 && LinkedOf(instances[0]) is { Count: > 0 } linked)
        {
            WriteLinked(writer, linkedWriter, instances[0], linked);
            return;
        }
        if (options.Format == EntityFormat.KeyValues)
        {
            WriteAttribute(writer, instances);
            return;
        }
        if (instances.Count > 1)
            writer.WriteStartArray();
        foreach (var instance in instances)
        {
            if (LinkedOf(instance) is not { Count: > 0 } found)
            {
                WriteInstance(writer, instance);
                continue;
            }
            WriteInstance(writer, instance, json =>
            {
                json.WritePropertyName(instance.Kind == AttributeKind.ListRelationship ? "entityList"u8 : "entity"u8);
                WriteLinked(json, linkedWriter, instance, found);
            });
        }
        if (instances.Count > 1)
            writer.WriteEndArray();
    }

    private List<Entity>? LinkedOf(AttributeInstance instance)
    {
        List<Entity>? found = null;
        foreach (var target in LinkedEntities.Targets(instance))
        {
            if (_inline!.TryGet(target, out var entity))
                (found ??= []).Add(entity);
        }
        return found;
    }

    private static void WriteLinked(Utf8JsonWriter writer, EntityWriter linkedWriter, AttributeInstance instance, List<Entity> linked)
    {
        var many = instance.Kind == AttributeKind.ListRelationship || instance.Value is System.Text.Json.Nodes.JsonArray;
        if (many)
            writer.WriteStartArray();
        foreach (var entity in linked)
            linkedWriter.WriteEntityMembers(writer, entity, null, false, true);
        if (many)
            writer.WriteEndArray();
    }

    private void WriteTypes(Utf8JsonWriter writer, ReadOnlySpan<byte> member, List<string> types)
    {
        writer.WritePropertyName(member);
        if (types.Count == 1)
        {
            writer.WriteStringValue(compact(types[0]));
            return;
        }
        writer.WriteStartArray();
        foreach (var type in types)
            writer.WriteStringValue(compact(type));
        writer.WriteEndArray();
    }

    /// <summary>
    /// Writes one instance; <paramref name="extraMembers"/> adds members at its end (the temporal representation's
    /// instanceId and deletedAt), so with it the instance is always written as an object.
    /// </summary>
    public void WriteInstance(Utf8JsonWriter writer, AttributeInstance instance, Action<Utf8JsonWriter>? extraMembers = null)
    {
        var kind = instance.Kind;
        var language = kind == AttributeKind.LanguageProperty ? SelectLanguage(instance.Value) : null;
        if (options.Format == EntityFormat.KeyValues)
        {
            // Simplified representation (clause 4.5.4): the kinds whose bare value would be ambiguous keep their member name.
            if (language is null && kind is AttributeKind.LanguageProperty or AttributeKind.VocabProperty or AttributeKind.JsonProperty)
            {
                writer.WriteStartObject();
                writer.WritePropertyName(kind.ValueMember());
                WriteValue(writer, instance, language);
                writer.WriteEndObject();
                return;
            }
            WriteValue(writer, instance, language);
            return;
        }
        var concise = options.Format == EntityFormat.Concise;
        if (concise && extraMembers is null && kind is AttributeKind.Property or AttributeKind.GeoProperty && language is null && !HasMetadata(instance))
        {
            WriteValue(writer, instance, language);
            return;
        }
        writer.WriteStartObject();
        if (!concise)
            writer.WriteString("type"u8, language is null ? kind.TypeName() : "Property");
        writer.WritePropertyName(language is null ? kind.ValueMember() : "value");
        WriteValue(writer, instance, language);
        if (language is not null)
            writer.WriteString("lang"u8, language.Value.Tag);
        if (instance.ObjectType is { } objectType)
        {
            writer.WritePropertyName("objectType"u8);
            WriteCompacted(writer, objectType);
        }
        if (instance.DatasetId is { } datasetId)
            writer.WriteString("datasetId"u8, datasetId);
        if (instance.ObservedAt is { } observedAt)
            writer.WriteString("observedAt"u8, observedAt);
        if (instance.UnitCode is { } unitCode)
            writer.WriteString("unitCode"u8, unitCode);
        foreach (var (name, subInstances) in instance.SubAttributes)
        {
            writer.WritePropertyName(compact(name));
            WriteAttribute(writer, subInstances);
        }
        if (options.SysAttrs)
        {
            writer.WriteString("createdAt"u8, Timestamps.Format6(instance.CreatedAt));
            writer.WriteString("modifiedAt"u8, Timestamps.Format6(instance.ModifiedAt));
        }
        if (_annotations is { } annotations)
            WriteAnnotations(writer, instance, annotations);
        extraMembers?.Invoke(writer);
        writer.WriteEndObject();
    }

    /// <summary>The value of an instance as its kind's value member holds it, compacted (the simplified temporal representation's values).</summary>
    public void WriteValue(Utf8JsonWriter writer, AttributeInstance instance) =>
        WriteValue(writer, instance, instance.Kind == AttributeKind.LanguageProperty ? SelectLanguage(instance.Value) : null);

    /// <summary>Whether a lang parameter is given: LanguageProperties are then shown as Properties holding one string (clause 4.15).</summary>
    public bool SelectsLanguage => options.Lang is not null;

    /// <summary>A term or IRI compacted with this writer's context.</summary>
    public string Compact(string iri) => compact(iri);

    /// <summary>showChanges (clause 5.2.14): the previous value under the member of the instance's kind; deletedAt of a deleted instance with sysAttrs.</summary>
    private void WriteAnnotations(Utf8JsonWriter writer, AttributeInstance instance, ChangeAnnotations annotations)
    {
        if (annotations.PreviousOf(instance) is { } previous)
        {
            writer.WritePropertyName(previous.Kind switch
            {
                AttributeKind.Relationship => "previousObject"u8,
                AttributeKind.LanguageProperty => "previousLanguageMap"u8,
                AttributeKind.JsonProperty => "previousJson"u8,
                AttributeKind.VocabProperty => "previousVocab"u8,
                AttributeKind.ListProperty => "previousValueList"u8,
                AttributeKind.ListRelationship => "previousObjectList"u8,
                _ => "previousValue"u8,
            });
            WriteValue(writer, previous, null);
        }
        if (options.SysAttrs && annotations.DeletedAtOf(instance) is { } deletedAt)
            writer.WriteString("deletedAt"u8, Timestamps.Format6(deletedAt));
    }

    // A Property whose value is an object must keep its "value" member in concise form, or it would read as an attribute.
    private bool HasMetadata(AttributeInstance instance) =>
        _annotations?.PreviousOf(instance) is not null || instance.DatasetId is not null || instance.ObservedAt is not null || instance.UnitCode is not null || instance.SubAttributes.Count > 0
        || options.SysAttrs || (instance.Kind == AttributeKind.Property && instance.Value is JsonObject);

    private void WriteValue(Utf8JsonWriter writer, AttributeInstance instance, LanguageChoice? language)
    {
        if (language is { } chosen)
        {
            chosen.Text.WriteTo(writer);
            return;
        }
        switch (instance.Kind)
        {
            case AttributeKind.VocabProperty:
                WriteCompacted(writer, instance.Value);
                break;
            case AttributeKind.ListRelationship when options.Format == EntityFormat.Normalized && instance.Value is JsonArray targets:
                // Normalized objectList (clause 5.2.37): each target as {"object": uri}.
                writer.WriteStartArray();
                foreach (var target in targets)
                {
                    writer.WriteStartObject();
                    writer.WritePropertyName("object"u8);
                    target?.WriteTo(writer);
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
                break;
            default:
                if (instance.Value is null)
                    writer.WriteNullValue();
                else
                    instance.Value.WriteTo(writer);
                break;
        }
    }

    private void WriteCompacted(Utf8JsonWriter writer, JsonNode? value)
    {
        if (value is JsonArray array)
        {
            writer.WriteStartArray();
            foreach (var item in array)
                writer.WriteStringValue(compact(item!.GetValue<string>()));
            writer.WriteEndArray();
        }
        else if (value is JsonValue single && single.TryGetValue<string>(out var iri))
        {
            writer.WriteStringValue(compact(iri));
        }
        else
        {
            writer.WriteNullValue();
        }
    }

    private readonly record struct LanguageChoice(string Tag, JsonNode Text);

    /// <summary>
    /// The lang parameter (clause 4.15): a LanguageProperty is shown as a Property holding the string of the best
    /// matching language ("tag", "tag1,tag2;q=0.5" as in Accept-Language, "*" for the whole map), falling back to
    /// "@none" and then to the first language given.
    /// </summary>
    private LanguageChoice? SelectLanguage(JsonNode? map)
    {
        if (options.Lang is null || map is not JsonObject languages || languages.Count == 0)
            return null;
        var ranges = new List<(string Tag, double Quality)>();
        foreach (var range in options.Lang.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = range.Split(';', StringSplitOptions.TrimEntries);
            var quality = 1.0;
            foreach (var parameter in parts.Skip(1))
            {
                if (parameter.StartsWith("q=", StringComparison.Ordinal)
                    && double.TryParse(parameter[2..], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var q))
                    quality = q;
            }
            ranges.Add((parts[0], quality));
        }
        foreach (var (tag, _) in ranges.OrderByDescending(r => r.Quality))
        {
            if (tag == "*")
                break;
            if (languages[tag] is { } text)
                return new LanguageChoice(tag, text);
        }
        if (languages["@none"] is { } none)
            return new LanguageChoice("@none", none);
        var first = languages.First();
        return new LanguageChoice(first.Key, first.Value!);
    }
}
