using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Query.Ast;
using Broker.Query.Evaluation;
using Broker.Query.Parsing;
using Ontology.Model;

namespace Broker.Storage.Postgres.Sql;

/// <summary>
/// The <c>entities.q_values</c> document: for every attribute path a query can name without compound members (the
/// attribute, its sub-attributes down to <see cref="MaxDepth"/> levels, and their observedAt, unitCode and datasetId),
/// the target values the evaluator resolves for it (<see cref="QueryEvaluator.Resolve"/>), each already in the form
/// in which the evaluator compares it; and the entity's scopes split into levels as <see cref="ScopeEvaluator"/> splits
/// them. Computed in C# by the evaluator's own code, so SQL comparing these values decides exactly as the evaluator.
/// </summary>
/// <remarks>
/// <code>
/// { "["attr"]": [target, ...], "["attr","sub"]": [...], "scope": [["a","b"], ...] }
/// target: { "n": decimal, "d": double, "s": string, "vs": vocab string, "b": bool, "t": instant (UTC ticks),
///           "day": date (day number), "tod": time of day (ticks), "o": true for a relationship object }
/// </code>
/// A key is present exactly when the path exists (<c>q=a</c>), even with no comparable target. Targets that are JSON
/// objects or arrays compare with nothing and are left out. Members are omitted when the evaluator would not compare
/// the target with that kind of literal (a number that is not a finite double has no "d", as GetValue&lt;double&gt; fails).
/// </remarks>
internal static class QueryValues
{
    /// <summary>The deepest sub-attribute path stored (<c>a.b.c</c> is depth 2).</summary>
    public const int MaxDepth = 2;

    public const string ScopeKey = "scope";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The key of a path: the JSON array of its segments (never "scope", which is not an array).</summary>
    public static string Key(string attribute, IReadOnlyList<string> subAttributes)
    {
        if (subAttributes.Count == 0)
            return Cached(AttributeKeys, attribute, static a => "[" + JsonString(a) + "]");
        var builder = new StringBuilder();
        builder.Append('[').Append(JsonString(attribute));
        foreach (var segment in subAttributes)
            builder.Append(',').Append(JsonString(segment));
        return builder.Append(']').ToString();
    }

    /// <summary>Attribute and member names repeat across entities: their JSON forms are kept, up to <see cref="MaxCached"/> of each.</summary>
    private const int MaxCached = 10_000;

    private static readonly ConcurrentDictionary<string, string> AttributeKeys = new(StringComparer.Ordinal);

    private static readonly ConcurrentDictionary<string, string> JsonStrings = new(StringComparer.Ordinal);

    private static string JsonString(string name) =>
        Cached(JsonStrings, name, static n => JsonSerializer.Serialize(n, StorageJsonContext.Default.String));

    private static string Cached(ConcurrentDictionary<string, string> cache, string name, Func<string, string> make)
    {
        if (cache.TryGetValue(name, out var known))
            return known;
        var made = make(name);
        if (cache.Count < MaxCached)
            cache.TryAdd(name, made);
        return made;
    }

    /// <summary>Whether <see cref="Compute"/> stored the path's targets: no compound members, not too deep, no timestamps of instances.</summary>
    public static bool Covers(AttributePath path)
    {
        if (path.Members.Count > 0 || path.SubAttributes.Count > MaxDepth)
            return false;
        foreach (var segment in path.SubAttributes)
        {
            if (segment is SpecialMembers.CreatedAt or SpecialMembers.ModifiedAt)
                return false;
        }
        return true;
    }

    /// <summary>The document of <paramref name="entity"/>, as JSON text.</summary>
    /// <remarks>
    /// A direct walk over the attribute instances that yields, path by path, what <see cref="QueryEvaluator.Exists"/> and
    /// <see cref="QueryEvaluator.Resolve"/> give for the path (Broker.Tests compares the two over corpus and random entities).
    /// </remarks>
    public static string Compute(Entity entity)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        writer.Reset(buffer);
        writer.WriteStartObject();
        foreach (var (name, instances) in entity.Attributes)
        {
            if (instances.Count == 0)
                continue;
            var key = AttributeKey(name);
            writer.WriteStartArray(key.Encoded);
            foreach (var instance in instances)
                WriteValueTargets(writer, instance);
            writer.WriteEndArray();
            WriteSubAttributePaths(writer, key, instances, 1);
        }
        // The entity's own timestamps, which a path names when no attribute has that name; written even when unset,
        // as the evaluator compares them then too (only existence differs, which the translator leaves to the evaluator).
        if (!entity.Attributes.Contains(NgsiLd.CreatedAt))
            WriteTimestamp(writer, AttributeKey(NgsiLd.CreatedAt), entity.CreatedAt);
        if (!entity.Attributes.Contains(NgsiLd.ModifiedAt))
            WriteTimestamp(writer, AttributeKey(NgsiLd.ModifiedAt), entity.ModifiedAt);
        if (entity.Scopes is { } scopes)
        {
            writer.WriteStartArray(ScopeKey);
            foreach (var scope in scopes)
            {
                writer.WriteStartArray();
                foreach (var level in scope.Split('/', StringSplitOptions.RemoveEmptyEntries))
                    writer.WriteStringValue(level);
                writer.WriteEndArray();
            }
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
        writer.Flush();
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The buffer and writer of <see cref="Compute"/>, kept per thread (it does not call itself).</summary>
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>A path's key (<see cref="Key"/>) without its closing bracket, and the whole key encoded for the writer.</summary>
    private sealed record PathKey(string Open, JsonEncodedText Encoded);

    private static readonly ConcurrentDictionary<string, PathKey> AttributePathKeys = new(StringComparer.Ordinal);

    private static readonly ConcurrentDictionary<(string Parent, string Segment), PathKey> SubAttributePathKeys = new();

    private static PathKey AttributeKey(string attribute)
    {
        if (AttributePathKeys.TryGetValue(attribute, out var known))
            return known;
        var key = MakePathKey("[" + JsonString(attribute));
        if (AttributePathKeys.Count < MaxCached)
            AttributePathKeys.TryAdd(attribute, key);
        return key;
    }

    private static PathKey SubAttributeKey(PathKey parent, string segment)
    {
        if (SubAttributePathKeys.TryGetValue((parent.Open, segment), out var known))
            return known;
        var key = MakePathKey(parent.Open + "," + JsonString(segment));
        if (SubAttributePathKeys.Count < MaxCached)
            SubAttributePathKeys.TryAdd((parent.Open, segment), key);
        return key;
    }

    private static PathKey MakePathKey(string open) => new(open, JsonEncodedText.Encode(open + "]", WriterOptions.Encoder));

    /// <summary>
    /// The paths one segment below <paramref name="parents"/> (the instances the parent path reaches, in the evaluator's
    /// order), then theirs down to <see cref="MaxDepth"/>. A special member (observedAt, unitCode, datasetId) names the
    /// instance's own member unless the instance has a sub-attribute of that name, as in the evaluator.
    /// </summary>
    private static void WriteSubAttributePaths(Utf8JsonWriter writer, PathKey parent, List<AttributeInstance> parents, int depth)
    {
        List<string>? names = null;
        foreach (var instance in parents)
        {
            foreach (var (name, _) in instance.SubAttributes)
                AddOnce(ref names, name);
            if (instance.ObservedAt is not null)
                AddOnce(ref names, SpecialMembers.ObservedAt);
            if (instance.UnitCode is not null)
                AddOnce(ref names, SpecialMembers.UnitCode);
            if (instance.DatasetId is not null)
                AddOnce(ref names, SpecialMembers.DatasetId);
        }
        if (names is null)
            return;
        foreach (var name in names)
        {
            if (name is SpecialMembers.CreatedAt or SpecialMembers.ModifiedAt)
                continue;
            var isSpecial = SpecialMembers.IsSpecial(name);
            var exists = false;
            List<AttributeInstance>? children = null;
            foreach (var instance in parents)
            {
                if (isSpecial && !instance.SubAttributes.Contains(name))
                    exists |= SpecialMember(instance, name) is not null;
                else if (instance.SubAttributes.Get(name) is { Count: > 0 } found)
                {
                    exists = true;
                    (children ??= []).AddRange(found);
                }
            }
            if (!exists)
                continue;
            var key = SubAttributeKey(parent, name);
            writer.WriteStartArray(key.Encoded);
            foreach (var instance in parents)
            {
                if (isSpecial && !instance.SubAttributes.Contains(name))
                {
                    if (SpecialMember(instance, name) is { } member)
                        WriteStringTarget(writer, member, false, false);
                }
                else if (instance.SubAttributes.Get(name) is { } found)
                {
                    foreach (var child in found)
                        WriteValueTargets(writer, child);
                }
            }
            writer.WriteEndArray();
            if (depth < MaxDepth && children is not null)
                WriteSubAttributePaths(writer, key, children, depth + 1);
        }
    }

    private static void AddOnce(ref List<string>? names, string name)
    {
        names ??= [];
        if (!names.Contains(name))
            names.Add(name);
    }

    private static string? SpecialMember(AttributeInstance instance, string name) => name switch
    {
        SpecialMembers.ObservedAt => instance.ObservedAt,
        SpecialMembers.UnitCode => instance.UnitCode,
        SpecialMembers.DatasetId => instance.DatasetId,
        _ => null,
    };

    /// <summary>The targets of the instance's value, flattened as the evaluator flattens them (arrays, @value objects, language maps).</summary>
    private static void WriteValueTargets(Utf8JsonWriter writer, AttributeInstance instance)
    {
        var value = instance.Value;
        if (value is null)
            return;
        if (instance.Kind == AttributeKind.LanguageProperty)
        {
            if (value is JsonObject languageMap)
            {
                foreach (var (_, text) in languageMap)
                    WriteFlattened(writer, text, false, false);
            }
            return;
        }
        WriteFlattened(writer, value, instance.Kind == AttributeKind.VocabProperty, instance.Kind is AttributeKind.Relationship or AttributeKind.ListRelationship);
    }

    private static void WriteFlattened(Utf8JsonWriter writer, JsonNode? node, bool isVocab, bool isObject)
    {
        if (node is JsonArray array)
        {
            foreach (var element in array)
                WriteTarget(writer, Unwrap(element), isVocab, isObject);
        }
        else
            WriteTarget(writer, Unwrap(node), isVocab, isObject);
    }

    private static JsonNode? Unwrap(JsonNode? node) =>
        node is JsonObject obj && obj.TryGetPropertyValue("@value", out var inner) ? inner : node;

    private static void WriteTimestamp(Utf8JsonWriter writer, PathKey key, DateTimeOffset value)
    {
        writer.WriteStartArray(key.Encoded);
        WriteStringTarget(writer, TimestampText(value), false, false);
        writer.WriteEndArray();
    }

    /// <summary>The text the evaluator gives an entity timestamp; the entities of a batch share theirs, so the last one is kept.</summary>
    private static string TimestampText(DateTimeOffset value)
    {
        if (t_lastTimestamp is { } last && last.Value == value && last.Value.Offset == value.Offset)
            return last.Text;
        var text = value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
        t_lastTimestamp = (value, text);
        return text;
    }

    [ThreadStatic]
    private static (DateTimeOffset Value, string Text)? t_lastTimestamp;

    private static void WriteTarget(Utf8JsonWriter writer, JsonNode? node, bool isVocab, bool isObject)
    {
        if (node is not JsonValue value)
            return;
        switch (value.GetValueKind())
        {
            case JsonValueKind.Number:
                writer.WriteStartObject();
                if (value.TryGetValue<decimal>(out var exact))
                    writer.WriteNumber("n"u8, exact);
                if (value.TryGetValue<double>(out var approximate) && double.IsFinite(approximate))
                    writer.WriteNumber("d"u8, approximate);
                break;
            case JsonValueKind.String:
                WriteStringTarget(writer, value.GetValue<string>(), isVocab, isObject);
                return;
            case JsonValueKind.True:
            case JsonValueKind.False:
                writer.WriteStartObject();
                writer.WriteBoolean("b"u8, value.GetValue<bool>());
                break;
            default:
                return;
        }
        if (isObject)
            writer.WriteBoolean("o"u8, true);
        writer.WriteEndObject();
    }

    private static void WriteStringTarget(Utf8JsonWriter writer, string text, bool isVocab, bool isObject)
    {
        writer.WriteStartObject();
        writer.WriteString(isVocab ? "vs"u8 : "s"u8, text);
        var forms = TemporalFormsOf(text);
        if (forms.Instant is { } instant)
            writer.WriteNumber("t"u8, instant);
        if (forms.Day is { } day)
            writer.WriteNumber("day"u8, day);
        if (forms.TimeOfDay is { } timeOfDay)
            writer.WriteNumber("tod"u8, timeOfDay);
        if (isObject)
            writer.WriteBoolean("o"u8, true);
        writer.WriteEndObject();
    }

    /// <summary>What a string compares as: an instant (UTC ticks), a day number, a time of day (ticks).</summary>
    private readonly record struct TemporalForms(long? Instant, int? Day, long? TimeOfDay);

    /// <summary>The forms of the last string read on this thread: observedAt values and timestamps repeat across a batch.</summary>
    [ThreadStatic]
    private static (string Text, TemporalForms Forms)? t_lastForms;

    private static TemporalForms TemporalFormsOf(string text)
    {
        if (t_lastForms is { } last && string.Equals(last.Text, text, StringComparison.Ordinal))
            return last.Forms;
        var instant = default(DateTimeOffset);
        var isInstant = text.Contains('T', StringComparison.Ordinal) && LiteralParser.TryParseDateTime(text, out instant);
        int? day = DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date.DayNumber
            : isInstant ? DateOnly.FromDateTime(instant.UtcDateTime).DayNumber
            : null;
        long? timeOfDay = !text.Contains('-', StringComparison.Ordinal) && LiteralParser.TryParseTime(text, out var clock) ? clock.Ticks : null;
        var forms = new TemporalForms(isInstant ? instant.UtcTicks : null, day, timeOfDay);
        t_lastForms = (text, forms);
        return forms;
    }
}
