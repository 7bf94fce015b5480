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

    public static string Compute(Entity entity)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            var segments = new List<string>(MaxDepth);
            foreach (var (name, instances) in entity.Attributes)
                WritePaths(writer, entity, name, segments, instances);
            // The entity's own timestamps, which a path names when no attribute has that name; written even when unset,
            // as the evaluator compares them then too (only existence differs, which the translator leaves to the evaluator).
            foreach (var timestamp in (ReadOnlySpan<string>)[NgsiLd.CreatedAt, NgsiLd.ModifiedAt])
            {
                if (entity.Attributes.Contains(timestamp))
                    continue;
                writer.WriteStartArray(Key(timestamp, []));
                foreach (var target in QueryEvaluator.Resolve(entity, AttributePath.Of(timestamp)))
                    WriteTarget(writer, target);
                writer.WriteEndArray();
            }
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
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WritePaths(Utf8JsonWriter writer, Entity entity, string attribute, List<string> segments, List<AttributeInstance> instances)
    {
        var path = new AttributePath(attribute, [.. segments], [], attribute);
        if (!QueryEvaluator.Exists(entity, path))
            return;
        writer.WriteStartArray(Key(attribute, segments));
        foreach (var target in QueryEvaluator.Resolve(entity, path))
            WriteTarget(writer, target);
        writer.WriteEndArray();
        if (segments.Count == MaxDepth)
            return;
        var names = new List<string>();
        foreach (var instance in instances)
        {
            foreach (var (name, _) in instance.SubAttributes)
                AddOnce(names, name);
            if (instance.ObservedAt is not null)
                AddOnce(names, SpecialMembers.ObservedAt);
            if (instance.UnitCode is not null)
                AddOnce(names, SpecialMembers.UnitCode);
            if (instance.DatasetId is not null)
                AddOnce(names, SpecialMembers.DatasetId);
        }
        foreach (var name in names)
        {
            if (name is SpecialMembers.CreatedAt or SpecialMembers.ModifiedAt)
                continue;
            var subInstances = new List<AttributeInstance>();
            foreach (var instance in instances)
            {
                if (instance.SubAttributes.Get(name) is { } found)
                    subInstances.AddRange(found);
            }
            segments.Add(name);
            WritePaths(writer, entity, attribute, segments, subInstances);
            segments.RemoveAt(segments.Count - 1);
        }
    }

    private static void AddOnce(List<string> names, string name)
    {
        if (!names.Contains(name))
            names.Add(name);
    }

    private static void WriteTarget(Utf8JsonWriter writer, QueryEvaluator.Target target)
    {
        if (target.Value is not JsonValue value)
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
                writer.WriteStartObject();
                var text = value.GetValue<string>();
                writer.WriteString(target.IsVocab ? "vs"u8 : "s"u8, text);
                var instant = default(DateTimeOffset);
                var isInstant = text.Contains('T', StringComparison.Ordinal) && LiteralParser.TryParseDateTime(text, out instant);
                if (isInstant)
                    writer.WriteNumber("t"u8, instant.UtcTicks);
                if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                    writer.WriteNumber("day"u8, day.DayNumber);
                else if (isInstant)
                    writer.WriteNumber("day"u8, DateOnly.FromDateTime(instant.UtcDateTime).DayNumber);
                if (!text.Contains('-', StringComparison.Ordinal) && LiteralParser.TryParseTime(text, out var clock))
                    writer.WriteNumber("tod"u8, clock.Ticks);
                break;
            case JsonValueKind.True:
            case JsonValueKind.False:
                writer.WriteStartObject();
                writer.WriteBoolean("b"u8, value.GetValue<bool>());
                break;
            default:
                return;
        }
        if (target.IsObject)
            writer.WriteBoolean("o"u8, true);
        writer.WriteEndObject();
    }
}
