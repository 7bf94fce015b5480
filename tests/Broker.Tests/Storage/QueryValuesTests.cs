using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Query.Ast;
using Broker.Query.Evaluation;
using Broker.Query.Parsing;
using Broker.Storage.Postgres.Sql;
using Broker.Tests.Query;
using Ontology.Model;
using Xunit;

namespace Broker.Tests.Storage;

/// <summary>
/// <see cref="QueryValues.Compute"/> walks the instances itself; it must give, byte for byte, the document that the
/// evaluator's own <see cref="QueryEvaluator.Exists"/> and <see cref="QueryEvaluator.Resolve"/> give path by path
/// (<see cref="ReferenceQueryValues"/>, the computation it replaced), over the query corpus, hostile values and random entities.
/// </summary>
public sealed class QueryValuesTests
{
    private static readonly string CorpusFile = Path.Combine(AppContext.BaseDirectory, "Data", "QueryCorpus", "entities.json");

    private static readonly string[] HostileEntities =
    [
        """{"id":"urn:ngsi-ld:Hostile:numbers","type":"Hostile","scope":["/Hostile/a","/Hostile/b/c"],"v":{"type":"Property","value":1e300},"w":{"type":"Property","value":0.1000000000000000000000000000001},"x":{"type":"Property","value":-0.0},"y":{"type":"Property","value":12345678901234567890123456789012},"z":{"type":"Property","value":1e-30}}""",
        """{"id":"urn:ngsi-ld:Hostile:arrays","type":"Hostile","v":{"type":"Property","value":[1,"2",true,[3,4],{"@value":5},{"a":6}]},"w":{"type":"Property","value":{"@value":"2026-11-20T10:00:00Z"}},"x":{"type":"Property","value":[]}}""",
        """{"id":"urn:ngsi-ld:Hostile:strings","type":"Hostile","scope":"/Hostile/x😀","v":{"type":"Property","value":"😀"},"w":{"type":"Property","value":"\"; DROP TABLE entities; --"},"x":{"type":"Property","value":"2026-11-20T10:00:00+01:00"},"y":{"type":"Property","value":"10:00:00"},"z":{"type":"Property","value":"2026-11-20"}}""",
        """{"id":"urn:ngsi-ld:Hostile:relationships","type":"Hostile","v":{"type":"Relationship","object":"urn:ngsi-ld:Thing:1"},"w":{"type":"ListRelationship","objectList":[{"object":"urn:ngsi-ld:Thing:1"},{"object":"urn:ngsi-ld:Thing:2"}]},"x":{"type":"Relationship","object":"urn:ngsi-ld:Thing:2","observedAt":"2026-11-20T10:00:00.1234567Z","since":{"type":"Property","value":5,"unitCode":"SEC"}}}""",
        """{"id":"urn:ngsi-ld:Hostile:languages","type":"Hostile","v":{"type":"LanguageProperty","languageMap":{"en":"free","de":"frei"}},"w":{"type":"VocabProperty","vocab":"free"},"x":{"type":"VocabProperty","vocab":["free","occupied"]},"y":{"type":"ListProperty","valueList":[1,2.5,"free"]}}""",
        """{"id":"urn:ngsi-ld:Hostile:instances","type":"Hostile","v":[{"type":"Property","value":10,"datasetId":"urn:ngsi-ld:Dataset:a","observedAt":"2026-11-20T09:00:00Z"},{"type":"Property","value":"10","datasetId":"urn:ngsi-ld:Dataset:b","q":{"type":"Property","value":0.5,"r":{"type":"Property","value":"deep","s":{"type":"Property","value":"deeper"}}}}]}""",
    ];

    public static TheoryData<string> Sources() => ["corpus", "hostile"];

    [Theory]
    [MemberData(nameof(Sources))]
    public void Equals_the_evaluators_resolution_on_known_entities(string source)
    {
        var entities = source == "corpus"
            ? CorpusEntityLoader.Load(CorpusFile)
            : HostileEntities.Select(json => CorpusEntityLoader.ReadEntity(JsonNode.Parse(json)!.AsObject())).ToList();
        Assert.NotEmpty(entities);
        foreach (var entity in entities)
            Assert.Equal(ReferenceQueryValues.Compute(entity), QueryValues.Compute(entity));
    }

    [Fact]
    public void Equals_the_evaluators_resolution_on_random_entities()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("QUERY_VALUES_SEED"), out var fixedSeed) ? fixedSeed : Environment.TickCount;
        var random = new Random(seed);
        var forms = new HashSet<string>(StringComparer.Ordinal);
        var depths = new HashSet<int>();
        for (var i = 0; i < 3000; i++)
        {
            var entity = RandomEntity(random, i);
            var expected = ReferenceQueryValues.Compute(entity);
            Assert.True(expected == QueryValues.Compute(entity), $"seed {seed}, entity {i}:\nexpected {expected}\nactual   {QueryValues.Compute(entity)}");
            Collect(expected, forms, depths);
        }
        // The comparison is only as good as what the entities exercise: every value form and every depth must occur.
        Assert.Superset(new HashSet<string> { "n", "d", "s", "vs", "b", "t", "day", "tod", "o", QueryValues.ScopeKey }, forms);
        Assert.Superset(new HashSet<int> { 1, 2, 3 }, depths);
        Assert.DoesNotContain(4, depths);
    }

    /// <summary>A second computation on the same thread reuses its buffers: the documents must not leak into each other.</summary>
    [Fact]
    public void Repeated_computations_are_independent()
    {
        var random = new Random(7);
        var entities = Enumerable.Range(0, 50).Select(i => RandomEntity(random, i)).ToList();
        var first = entities.Select(QueryValues.Compute).ToList();
        var second = Enumerable.Reverse(entities).Select(QueryValues.Compute).Reverse().ToList();
        Assert.Equal(first, second);
        foreach (var document in first)
            JsonDocument.Parse(document).Dispose();
    }

    private static void Collect(string document, HashSet<string> forms, HashSet<int> depths)
    {
        using var parsed = JsonDocument.Parse(document);
        foreach (var path in parsed.RootElement.EnumerateObject())
        {
            if (path.Name == QueryValues.ScopeKey)
            {
                forms.Add(path.Name);
                continue;
            }
            using (var key = JsonDocument.Parse(path.Name))
                depths.Add(key.RootElement.GetArrayLength());
            foreach (var target in path.Value.EnumerateArray())
            {
                foreach (var member in target.EnumerateObject())
                    forms.Add(member.Name);
            }
        }
    }

    private static readonly string[] AttributeNames =
        ["https://example.org/a", "https://example.org/b", "https://example.org/c", NgsiLd.CreatedAt, NgsiLd.ModifiedAt, NgsiLd.Location];

    private static readonly string[] SubAttributeNames =
        ["https://example.org/p", "https://example.org/q", SpecialMembers.ObservedAt, SpecialMembers.UnitCode, SpecialMembers.DatasetId, SpecialMembers.CreatedAt];

    private static readonly string[] Strings =
    [
        "", "ok", "free", "😀", "e\u0301", "a\"b\\c", "2026-11-20", "2026-02-30", "2026-11-20T10:00:00Z", "2026-11-20T10:00:00+01:00",
        "2026-11-20T10:00:00.1234567Z", "2026-11-20T10:00", "10:00:00", "10:00:00Z", "23:59:59.999", "25:00:00", "T", "10-00", "urn:ngsi-ld:Thing:1",
    ];

    private static Entity RandomEntity(Random random, int index)
    {
        var entity = new Entity
        {
            Id = "urn:ngsi-ld:Random:" + index.ToString(CultureInfo.InvariantCulture),
            Types = ["https://example.org/T"],
            CreatedAt = RandomTimestamp(random),
            ModifiedAt = RandomTimestamp(random),
        };
        if (random.Next(3) == 0)
            entity.Scopes = [.. Enumerable.Range(0, random.Next(1, 3)).Select(_ => "/" + Pick(random, ["a", "b/c", "x//y", "😀"]))];
        var attributes = random.Next(0, 5);
        for (var i = 0; i < attributes; i++)
            AddInstances(random, entity.Attributes, Pick(random, AttributeNames), 0);
        return entity;
    }

    private static void AddInstances(Random random, AttributeMap map, string name, int depth)
    {
        var instances = map.Get(name) ?? [];
        var count = random.Next(4) == 0 ? 2 : 1;
        for (var i = 0; i < count; i++)
            instances.Add(RandomInstance(random, depth));
        map.Set(name, instances);
    }

    private static AttributeInstance RandomInstance(Random random, int depth)
    {
        var kind = (AttributeKind)random.Next(Enum.GetValues<AttributeKind>().Length);
        var instance = new AttributeInstance
        {
            Kind = kind,
            Value = kind switch
            {
                AttributeKind.LanguageProperty => random.Next(5) == 0 ? RandomValue(random, 0) : new JsonObject { ["en"] = RandomValue(random, 1), ["de"] = RandomScalar(random) },
                AttributeKind.ListProperty or AttributeKind.ListRelationship => new JsonArray(RandomScalar(random), RandomValue(random, 1)),
                _ => random.Next(12) == 0 ? null : RandomValue(random, 0),
            },
            ObservedAt = random.Next(3) == 0 ? Pick(random, Strings) : null,
            UnitCode = random.Next(5) == 0 ? Pick(random, ["CEL", "SEC", "10:00:00"]) : null,
            DatasetId = random.Next(5) == 0 ? "urn:ngsi-ld:Dataset:" + random.Next(3).ToString(CultureInfo.InvariantCulture) : null,
            CreatedAt = random.Next(2) == 0 ? RandomTimestamp(random) : default,
        };
        if (depth < 3)
        {
            var subAttributes = random.Next(0, depth == 0 ? 3 : 2);
            for (var i = 0; i < subAttributes; i++)
                AddInstances(random, instance.WritableSubAttributes, Pick(random, SubAttributeNames), depth + 1);
        }
        return instance;
    }

    private static JsonNode? RandomValue(Random random, int depth) => random.Next(8) switch
    {
        0 when depth < 2 => new JsonArray(RandomValue(random, depth + 1), RandomScalar(random)),
        1 when depth < 2 => new JsonObject { ["@value"] = RandomValue(random, depth + 1) },
        2 => new JsonObject { ["a"] = RandomScalar(random) },
        _ => RandomScalar(random),
    };

    private static JsonNode? RandomScalar(Random random) => random.Next(7) switch
    {
        0 => JsonValue.Create(random.Next(-1000, 1000)),
        1 => JsonNode.Parse(Pick(random, ["1e300", "-0.0", "0.1000000000000000000000000000001", "12345678901234567890123456789012", "1e-30", "2.5", "1e400"])),
        2 => JsonValue.Create(random.Next(2) == 0),
        3 => null,
        4 => JsonNode.Parse(JsonSerializer.Serialize(Pick(random, Strings))),
        _ => JsonValue.Create(Pick(random, Strings)),
    };

    private static DateTimeOffset RandomTimestamp(Random random) => random.Next(6) switch
    {
        0 => default,
        1 => new DateTimeOffset(2026, 11, 22, 4, 0, 0, TimeSpan.FromHours(2)).AddTicks(random.Next()),
        _ => new DateTimeOffset(2026, 11, 22, 4, 0, 0, TimeSpan.Zero).AddTicks(random.NextInt64(0, TimeSpan.TicksPerDay * 400)),
    };

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];
}

/// <summary>
/// The computation <see cref="QueryValues.Compute"/> replaced, kept as the reference: every path through the
/// evaluator's generic <see cref="QueryEvaluator.Exists"/> and <see cref="QueryEvaluator.Resolve"/>.
/// </summary>
internal static class ReferenceQueryValues
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Compute(Entity entity)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            var segments = new List<string>(QueryValues.MaxDepth);
            foreach (var (name, instances) in entity.Attributes)
                WritePaths(writer, entity, name, segments, instances);
            foreach (var timestamp in (ReadOnlySpan<string>)[NgsiLd.CreatedAt, NgsiLd.ModifiedAt])
            {
                if (entity.Attributes.Contains(timestamp))
                    continue;
                writer.WriteStartArray(QueryValues.Key(timestamp, []));
                foreach (var target in QueryEvaluator.Resolve(entity, AttributePath.Of(timestamp)))
                    WriteTarget(writer, target);
                writer.WriteEndArray();
            }
            if (entity.Scopes is { } scopes)
            {
                writer.WriteStartArray(QueryValues.ScopeKey);
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
        writer.WriteStartArray(QueryValues.Key(attribute, segments));
        foreach (var target in QueryEvaluator.Resolve(entity, path))
            WriteTarget(writer, target);
        writer.WriteEndArray();
        if (segments.Count == QueryValues.MaxDepth)
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
