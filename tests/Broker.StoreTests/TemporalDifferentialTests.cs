using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Storage;
using Broker.Storage.Embedded;
using Broker.Storage.Postgres;
using Broker.Temporal;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using NodaTime;
using Ontology.Model;
using Xunit;

namespace Broker.StoreTests;

/// <summary>The two temporal stores side by side: the embedded one in a temporary folder, the PostgreSQL one on a fresh, migrated database.</summary>
public sealed class TemporalStoresFixture : IAsyncLifetime
{
    public string DataPath { get; } = Path.Combine(Path.GetTempPath(), "ngsi-temporal-differential-" + Guid.NewGuid().ToString("N"));

    public EmbeddedTemporalStore? Embedded { get; private set; }

    public PostgresTemporalStore? Postgres { get; private set; }

    private string? _connectionString;

    public async Task InitializeAsync()
    {
        if (TestDatabase.SkipReason is not null)
            return;
        _connectionString = TestDatabase.CreateDatabase("temporal");
        // The temporal schema is one of the entity store's migrations.
        await using (var entities = new PostgresEntityStore(new PostgresStoreOptions { ConnectionString = _connectionString }, NullLogger<PostgresEntityStore>.Instance))
            await entities.InitializeAsync(default);
        Postgres = new PostgresTemporalStore(new PostgresStoreOptions { ConnectionString = _connectionString }, NullLogger<PostgresTemporalStore>.Instance);
        await Postgres.InitializeAsync(default);
        Embedded = new EmbeddedTemporalStore(new EmbeddedStoreOptions { DataPath = DataPath });
        await Embedded.InitializeAsync(default);
    }

    public async Task DisposeAsync()
    {
        if (Embedded is not null)
            await Embedded.DisposeAsync();
        if (Postgres is not null)
            await Postgres.DisposeAsync();
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(DataPath))
            Directory.Delete(DataPath, recursive: true);
        if (_connectionString is not null)
            TestDatabase.DropDatabase(_connectionString);
    }
}

/// <summary>
/// Issue 11: the same temporal questions give the same answers on both stores. Random histories (entities of a few types,
/// numeric, boolean and string attributes with datasetIds, observations over three days across a partition week boundary,
/// instances without observedAt, deletions) are written identically into the embedded and the PostgreSQL temporal store;
/// random temporal queries (time filters on observedAt, createdAt, modifiedAt, deletedAt, attrs, lastN, small instance
/// limits, every aggregation method with and without a period) must give, on both, what <see cref="TemporalQueries.Select"/>
/// gives on the generated instances: the entities, their records, the instances in order, truncation, kinds and aggregates.
/// A failure prints the seed (set TEMPORAL_DIFFERENTIAL_SEED to replay it), the query index, the query and the answers.
/// </summary>
public sealed class TemporalDifferentialTests(TemporalStoresFixture fixture) : IClassFixture<TemporalStoresFixture>
{
    private const int QueriesPerSeed = 250;

    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        if (int.TryParse(Environment.GetEnvironmentVariable("TEMPORAL_DIFFERENTIAL_SEED"), CultureInfo.InvariantCulture, out var seed))
            data.Add(seed);
        else
        {
            foreach (var fixedSeed in (int[])[20261203, 11, 4711])
                data.Add(fixedSeed);
        }
        return data;
    }

    [PostgresTheory]
    [MemberData(nameof(Seeds))]
    public async Task Random_temporal_queries_give_the_same_answers_on_both_stores_and_the_reference(int seed)
    {
        var random = new Random(seed);
        var tenant = "differential" + seed.ToString(CultureInfo.InvariantCulture);
        var history = TemporalHistoryGenerator.Generate(random);
        var embedded = fixture.Embedded!;
        var postgres = fixture.Postgres!;
        // Half the writes go to the default partition and move when housekeeping makes their weeks' partitions.
        var half = history.Writes.Count / 2;
        foreach (var store in (ITemporalStore[])[embedded, postgres])
        {
            foreach (var chunk in history.Writes.Take(half).Chunk(7))
                await store.WriteAsync(tenant, chunk, default);
            await store.MaintainAsync(TemporalHistoryGenerator.Start, default);
            foreach (var chunk in history.Writes.Skip(half).Chunk(7))
                await store.WriteAsync(tenant, chunk, default);
        }

        var generator = new TemporalQueryGenerator(random, history);
        var summaries = new List<string>();
        var failures = new List<string>();
        for (var i = 0; i < QueriesPerSeed; i++)
        {
            var (ids, query) = generator.Next();
            var expected = Normalize(history.Reference(ids, query));
            var fromEmbedded = Normalize(await embedded.HistoriesAsync(tenant, ids, query, default));
            var fromPostgres = Normalize(await postgres.HistoriesAsync(tenant, ids, query, default));
            var embeddedDifference = Difference(expected, fromEmbedded);
            var postgresDifference = Difference(expected, fromPostgres);
            if (embeddedDifference is not null || postgresDifference is not null)
            {
                summaries.Add($"query {i}: embedded: {embeddedDifference ?? "as the reference"}; PostgreSQL: {postgresDifference ?? "as the reference"}");
                if (failures.Count < 2)
                {
                    failures.Add($"""
                    Seed {seed}, query {i} (replay: TEMPORAL_DIFFERENTIAL_SEED={seed}): {Describe(query)}
                    ids: [{string.Join(", ", ids)}]
                    embedded:   {embeddedDifference ?? "as the reference"}
                    PostgreSQL: {postgresDifference ?? "as the reference"}
                    reference:
                    {Describe(expected)}
                    embedded answer:
                    {Describe(fromEmbedded)}
                    PostgreSQL answer:
                    {Describe(fromPostgres)}
                    """);
                }
            }

            var latestQuery = new TemporalQuery { Entities = new EntityQuery { Ids = generator.IdSelection() } };
            var expectedLatest = history.Records.Keys
                .Where(id => latestQuery.Entities.Ids is not { } selected || selected.Contains(id))
                .Order(StringComparer.Ordinal).ToList();
            var embeddedLatest = (await embedded.LatestAsync(tenant, latestQuery, default)).Select(e => e.Id).ToList();
            var postgresLatest = (await postgres.LatestAsync(tenant, latestQuery, default)).Select(e => e.Id).ToList();
            if (!expectedLatest.SequenceEqual(embeddedLatest) || !expectedLatest.SequenceEqual(postgresLatest))
            {
                summaries.Add($"query {i}: LatestAsync");
                failures.Add($"""
                    Seed {seed}, query {i} (replay: TEMPORAL_DIFFERENTIAL_SEED={seed}): LatestAsync ids={(latestQuery.Entities.Ids is { } l ? "[" + string.Join(", ", l) + "]" : "all")}
                    reference:  [{string.Join(", ", expectedLatest)}]
                    embedded:   [{string.Join(", ", embeddedLatest)}]
                    PostgreSQL: [{string.Join(", ", postgresLatest)}]
                    """);
            }
        }
        if (summaries.Count > 0)
        {
            Assert.Fail($"""
                Seed {seed} (replay: TEMPORAL_DIFFERENTIAL_SEED={seed}): {summaries.Count} of {QueriesPerSeed} queries differ:
                {string.Join(Environment.NewLine, summaries)}

                {string.Join(Environment.NewLine, failures)}
                """);
        }
    }

    /// <summary>
    /// What the API shows of an answer: an attribute without instances, aggregates or truncation is never written
    /// (<see cref="TemporalWriter"/>), so a store may leave it out or give it empty.
    /// </summary>
    private static List<EntityHistory> Normalize(IReadOnlyList<EntityHistory> histories) =>
        [.. histories.Select(h => h with
        {
            Attributes = [.. h.Attributes.Where(a => a.Instances.Count > 0 || a.Aggregates is { Count: > 0 } || a.Truncated)],
        })];

    /// <summary>The first difference of an answer from the reference, or null when there is none.</summary>
    private static string? Difference(List<EntityHistory> expected, List<EntityHistory> actual)
    {
        if (expected.Count != actual.Count || !expected.Select(h => h.Entity.Id).SequenceEqual(actual.Select(h => h.Entity.Id)))
            return $"entities [{string.Join(", ", actual.Select(h => h.Entity.Id))}], expected [{string.Join(", ", expected.Select(h => h.Entity.Id))}]";
        for (var e = 0; e < expected.Count; e++)
        {
            var (want, got) = (expected[e], actual[e]);
            var id = want.Entity.Id;
            if (Record(want.Entity) != Record(got.Entity))
                return $"{id}: record {Record(got.Entity)}, expected {Record(want.Entity)}";
            if (!want.Attributes.Select(a => a.Name).SequenceEqual(got.Attributes.Select(a => a.Name)))
                return $"{id}: attributes [{string.Join(", ", got.Attributes.Select(a => a.Name))}], expected [{string.Join(", ", want.Attributes.Select(a => a.Name))}]";
            for (var a = 0; a < want.Attributes.Count; a++)
            {
                var (wa, ga) = (want.Attributes[a], got.Attributes[a]);
                var where = id + " " + wa.Name;
                if (wa.Truncated != ga.Truncated)
                    return $"{where}: truncated {ga.Truncated}, expected {wa.Truncated}";
                if (wa.Kind != ga.Kind)
                    return $"{where}: kind {ga.Kind}, expected {wa.Kind}";
                if (!wa.Instances.Select(InstanceKey).SequenceEqual(ga.Instances.Select(InstanceKey)))
                    return $"{where}: instances [{string.Join(", ", ga.Instances.Select(Instance))}], expected [{string.Join(", ", wa.Instances.Select(Instance))}]";
                var wantSeries = (wa.Aggregates ?? []).OrderBy(x => x.DatasetId, StringComparer.Ordinal).ThenBy(x => x.Method).ToList();
                var gotSeries = (ga.Aggregates ?? []).OrderBy(x => x.DatasetId, StringComparer.Ordinal).ThenBy(x => x.Method).ToList();
                if (!wantSeries.Select(Series).SequenceEqual(gotSeries.Select(Series)))
                    return $"{where}: series [{string.Join(", ", gotSeries.Select(Series))}], expected [{string.Join(", ", wantSeries.Select(Series))}]";
                for (var s = 0; s < wantSeries.Count; s++)
                {
                    var (ws, gs) = (wantSeries[s], gotSeries[s]);
                    if (ws.Values.Count != gs.Values.Count)
                        return $"{where} {Series(ws)}: {gs.Values.Count} periods, expected {ws.Values.Count}: {Values(gs)} vs {Values(ws)}";
                    for (var v = 0; v < ws.Values.Count; v++)
                    {
                        var (wv, gv) = (ws.Values[v], gs.Values[v]);
                        if (wv.StartAt != gv.StartAt || wv.EndAt != gv.EndAt || !SameAggregate(ws.Method, wv.Value, gv.Value))
                            return $"{where} {Series(ws)} period {v}: {Value(gv)}, expected {Value(wv)}";
                    }
                }
            }
        }
        return null;
    }

    private static string Record(TemporalEntity entity) => FormattableString.Invariant(
        $"types=[{string.Join(",", entity.Types)}] scopes={(entity.Scopes is { } s ? "[" + string.Join(",", s) + "]" : "null")} created={entity.CreatedAt:O} modified={entity.ModifiedAt:O} deleted={entity.DeletedAt:O}");

    private static string Instance(TemporalInstance instance) => FormattableString.Invariant(
        $"{instance.InstanceId[TemporalHistoryGenerator.InstancePrefix.Length..]}({instance.Instance.DatasetId ?? "-"}{(instance.DeletedAt is { } d ? " deleted " + d.ToString("O", CultureInfo.InvariantCulture) : "")} {instance.Instance.Value?.ToJsonString() ?? "null"})");

    /// <summary>
    /// What an instance must have on both stores: its id, datasetId, deletion and value, numbers compared as numbers (a
    /// jsonb document keeps -0 as 0, which is the same JSON number).
    /// </summary>
    private static string InstanceKey(TemporalInstance instance)
    {
        var value = instance.Instance.Value is JsonValue number && number.GetValueKind() == JsonValueKind.Number
            ? "n:" + (TemporalQueries.NumberOf(number)!.Value + 0.0).ToString("R", CultureInfo.InvariantCulture)
            : instance.Instance.Value?.ToJsonString() ?? "null";
        return FormattableString.Invariant($"{instance.InstanceId} {instance.Instance.DatasetId} {instance.DeletedAt:O} {value}");
    }

    private static string Series(AggregatedSeries series) => (series.DatasetId ?? "-") + "/" + series.Method;

    private static string Values(AggregatedSeries series) => "[" + string.Join(", ", series.Values.Select(Value)) + "]";

    private static string Value(AggregatedValue value) => FormattableString.Invariant($"{value.Value?.ToJsonString() ?? "null"} {value.StartAt:O}..{value.EndAt:O}");

    /// <summary>Counts exactly, numbers within a relative 1e-9 (below 1 absolute: cancellation, stddev of equal values), strings exactly, nulls.</summary>
    private static bool SameAggregate(AggregationMethod method, JsonNode? expected, JsonNode? actual)
    {
        if (expected is null || actual is null)
            return expected is null && actual is null;
        if (expected is not JsonValue e || actual is not JsonValue a)
            return false;
        if (e.GetValueKind() != a.GetValueKind())
            return false;
        if (e.GetValueKind() == JsonValueKind.String)
            return e.GetValue<string>() == a.GetValue<string>();
        if (e.GetValueKind() != JsonValueKind.Number)
            return e.ToJsonString() == a.ToJsonString();
        var x = TemporalQueries.NumberOf(e)!.Value;
        var y = TemporalQueries.NumberOf(a)!.Value;
        if (method is AggregationMethod.TotalCount or AggregationMethod.DistinctCount)
            return x == y;
        return Math.Abs(x - y) <= 1e-9 * Math.Max(1, Math.Max(Math.Abs(x), Math.Abs(y)));
    }

    private static string Describe(TemporalQuery query)
    {
        var time = query.Time;
        var parts = new List<string>
        {
            FormattableString.Invariant($"timeproperty={time.Property} timerel={(time.Relation?.ToString() ?? "none")} timeAt={time.TimeAt:O} endTimeAt={time.EndTimeAt:O}"),
            "attrs=" + (query.Entities.Attrs is { } attrs ? "[" + string.Join(",", attrs) + "]" : "all"),
            FormattableString.Invariant($"lastN={(query.LastN?.ToString(CultureInfo.InvariantCulture) ?? "none")} instanceLimit={query.InstanceLimit}"),
        };
        if (query.Aggregation is { } aggregation)
            parts.Add($"aggrMethods=[{string.Join(",", aggregation.Methods)}] aggrPeriodDuration={aggregation.PeriodDuration?.ToString() ?? "none"}");
        return string.Join(" ", parts);
    }

    private static string Describe(List<EntityHistory> histories)
    {
        var text = new StringBuilder();
        foreach (var history in histories)
        {
            text.Append("  ").Append(history.Entity.Id).Append(' ').AppendLine(Record(history.Entity));
            foreach (var attribute in history.Attributes)
            {
                text.Append("    ").Append(attribute.Name).Append(" kind=").Append(attribute.Kind).Append(" truncated=").Append(attribute.Truncated).AppendLine();
                if (attribute.Instances.Count > 0)
                    text.Append("      instances: ").AppendLine(string.Join(", ", attribute.Instances.Select(Instance)));
                foreach (var series in attribute.Aggregates ?? [])
                    text.Append("      ").Append(Series(series)).Append(": ").AppendLine(Values(series));
            }
        }
        return text.ToString();
    }
}

/// <summary>A generated history: the writes both stores get, and the reference answer computed from them in memory.</summary>
internal sealed class TemporalHistory
{
    public List<TemporalWrite> Writes { get; } = [];

    /// <summary>The record each entity has after the writes (types and scopes of the last, the first createdAt, the last modifiedAt, the last deletedAt).</summary>
    public Dictionary<string, TemporalEntity> Records { get; } = new(StringComparer.Ordinal);

    public List<TemporalInstance> Instances { get; } = [];

    public List<string> EntityIds { get; } = [];

    public List<string> Attributes { get; } = [];

    /// <summary>What a store should answer: per id with a record, its attributes in ordinal order, each as <see cref="TemporalQueries.Select"/> selects it.</summary>
    public List<EntityHistory> Reference(IReadOnlyList<string> ids, TemporalQuery query)
    {
        var result = new List<EntityHistory>();
        foreach (var id in ids)
        {
            if (!Records.TryGetValue(id, out var record))
                continue;
            var attributes = Instances
                .Where(i => InstanceEntity[i] == id && (query.Entities.Attrs is not { } attrs || attrs.Contains(i.Attribute)))
                .GroupBy(i => i.Attribute)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => TemporalQueries.Select(g.Key, g.ToList(), query))
                .ToList();
            result.Add(new EntityHistory(record, attributes));
        }
        return result;
    }

    public Dictionary<TemporalInstance, string> InstanceEntity { get; } = new(ReferenceEqualityComparer.Instance);
}

/// <summary>Random histories: a few entities of 2–3 types, numeric, boolean, string and mixed attributes, datasetIds, observations over three days.</summary>
internal static class TemporalHistoryGenerator
{
    /// <summary>A Saturday: the three days cross the Monday on which PostgreSQL's weekly partitions change.</summary>
    public static readonly DateTimeOffset Start = new(2026, 11, 28, 0, 0, 0, TimeSpan.Zero);

    public const int Minutes = 3 * 24 * 60;

    public const string InstancePrefix = "urn:ngsi-ld:attribute:instance:";

    private static readonly string[] Types = ["https://example.org/Sensor", "https://example.org/Valve", "https://example.org/Meter"];

    /// <summary>Ids whose ordinal order differs from a linguistic one (case, digits, accents).</summary>
    private static readonly string[] Ids =
    [
        "urn:ngsi-ld:Sensor:a", "urn:ngsi-ld:Sensor:B", "urn:ngsi-ld:sensor:10", "urn:ngsi-ld:Sensor:9", "urn:ngsi-ld:Valve:é",
        "urn:ngsi-ld:Valve:e", "urn:ngsi-ld:Meter:Z-1", "urn:ngsi-ld:Meter:z_2",
    ];

    /// <summary>Attribute names and what their values are: n numbers, b booleans, s strings, m any of them.</summary>
    private static readonly (string Name, char Values)[] AttributePool =
    [
        ("https://example.org/temperature", 'n'), ("https://example.org/Temperature", 'n'), ("https://example.org/on", 'b'),
        ("https://example.org/status", 's'), ("https://example.org/mixed", 'm'), ("https://example.org/level", 'n'),
    ];

    private static readonly string[] Strings = ["free", "occupied", "Free", "", "10", "9", "é", "e\u0301", "zzz", "a b", "ÿ"];

    private static readonly string?[][] DatasetChoices =
    [
        [null], [null], ["urn:ngsi-ld:Dataset:a"], [null, "urn:ngsi-ld:Dataset:a"], ["urn:ngsi-ld:Dataset:a", "urn:ngsi-ld:Dataset:b"],
        [null, "urn:ngsi-ld:Dataset:a", "urn:ngsi-ld:Dataset:b"],
    ];

    public static TemporalHistory Generate(Random random)
    {
        var history = new TemporalHistory();
        var entityCount = random.Next(4, 7);
        var ids = Ids.OrderBy(_ => random.Next()).Take(entityCount).ToList();
        history.EntityIds.AddRange(ids);
        history.Attributes.AddRange(AttributePool.Select(a => a.Name));
        var pending = new List<(DateTimeOffset At, TemporalWrite Write)>();
        var instanceNumber = 0;
        foreach (var id in ids)
        {
            var types = Types.OrderBy(_ => random.Next()).Take(random.Next(1, 3)).ToList();
            var attributes = AttributePool.OrderBy(_ => random.Next()).Take(random.Next(2, 5))
                .Select(a => (a.Name, a.Values, Datasets: DatasetChoices[random.Next(DatasetChoices.Length)]))
                .ToList();
            var entityCreated = Start.AddMinutes(random.Next(0, 120));
            // The observations already given, per attribute and datasetId: temporal provision would replace a repeated one.
            var observed = new HashSet<(string, string?, DateTimeOffset)>();
            var batches = random.Next(3, 9);
            var at = entityCreated;
            for (var b = 0; b < batches; b++)
            {
                // Writes of one batch share createdAt and modifiedAt (one provision request): ties for those time properties.
                at = at.AddSeconds(random.Next(1, Minutes * 60 / batches));
                var createdAt = random.NextDouble() < 0.3 ? entityCreated : at;
                var instances = new List<TemporalInstance>();
                var count = random.Next(1, 10);
                for (var n = 0; n < count; n++)
                {
                    var (name, values, datasets) = attributes[random.Next(attributes.Count)];
                    var datasetId = datasets[random.Next(datasets.Length)];
                    var deletion = random.NextDouble() < 0.1;
                    string? observedAt = null;
                    DateTimeOffset? observedInstant = null;
                    if (!deletion ? random.NextDouble() < 0.92 : random.NextDouble() < 0.2)
                    {
                        var instant = Start.AddMinutes(random.Next(Minutes));
                        if (random.NextDouble() < 0.1)
                            instant = instant.AddMilliseconds(random.Next(1, 1000));
                        if (deletion || observed.Add((name, datasetId, instant)))
                        {
                            observedInstant = instant;
                            observedAt = instant.ToString(instant.Millisecond == 0 ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
                        }
                    }
                    var value = Value(random, values);
                    var instance = new AttributeInstance
                    {
                        // An attribute whose instances are not all of one kind shows the kind of its latest one.
                        Kind = values == 'm' && value is JsonValue text && text.GetValueKind() == JsonValueKind.String && random.NextDouble() < 0.5
                            ? AttributeKind.JsonProperty
                            : AttributeKind.Property,
                        Value = value,
                        DatasetId = datasetId,
                        ObservedAt = observedAt,
                        CreatedAt = createdAt,
                        ModifiedAt = at,
                    };
                    var id7 = (++instanceNumber).ToString("D5", CultureInfo.InvariantCulture) + "-" + random.Next(0x10000).ToString("x4", CultureInfo.InvariantCulture);
                    var recorded = new TemporalInstance(name, InstancePrefix + id7, instance, deletion ? at : null);
                    instances.Add(recorded);
                    history.Instances.Add(recorded);
                    history.InstanceEntity[recorded] = id;
                }
                var deleted = b == batches - 1 && random.NextDouble() < 0.2 ? at : (DateTimeOffset?)null;
                var scopes = random.NextDouble() < 0.3 ? null : (IReadOnlyList<string>)["/site/" + random.Next(3).ToString(CultureInfo.InvariantCulture)];
                var record = new TemporalEntity(id, types.Take(random.Next(1, types.Count + 1)).ToList(), scopes, entityCreated, at, deleted);
                var state = new Entity { Id = id, Types = [.. record.Types], Scopes = scopes?.ToList(), CreatedAt = entityCreated, ModifiedAt = at };
                pending.Add((at, new TemporalWrite(record, instances, state)));
            }
        }
        // The writes in the order of their instants, entities interleaved; the record is upserted from each in turn.
        foreach (var (_, write) in pending.OrderBy(p => p.At))
        {
            history.Writes.Add(write);
            var entity = write.Entity;
            history.Records[entity.Id] = history.Records.TryGetValue(entity.Id, out var before)
                ? entity with
                {
                    CreatedAt = before.CreatedAt < entity.CreatedAt ? before.CreatedAt : entity.CreatedAt,
                    ModifiedAt = before.ModifiedAt > entity.ModifiedAt ? before.ModifiedAt : entity.ModifiedAt,
                }
                : entity;
        }
        return history;
    }

    private static JsonNode? Value(Random random, char values)
    {
        var kind = values == 'm' ? "nbs"[random.Next(3)] : values;
        switch (kind)
        {
            case 'b':
                return JsonValue.Create(random.NextDouble() < 0.5);
            case 's':
                return JsonValue.Create(Strings[random.Next(Strings.Length)]);
            default:
                return random.Next(10) switch
                {
                    0 => JsonValue.Create(random.Next(-5, 6)),
                    1 => JsonValue.Create((long)random.Next(-1000, 1000)),
                    2 => JsonValue.Create(random.NextDouble() < 0.5 ? 0.0 : -0.0),
                    3 => JsonValue.Create(0.1 * random.Next(1, 4)),
                    _ => JsonValue.Create(Math.Round(random.NextDouble() * 200 - 50, 2)),
                };
        }
    }
}

/// <summary>Random temporal queries over a history, with instants taken from it (boundaries) and between.</summary>
internal sealed class TemporalQueryGenerator(Random random, TemporalHistory history)
{
    private static readonly Period?[] Durations =
    [
        null, Period.FromHours(1), Period.FromDays(1), Period.FromMinutes(30), Period.FromHours(7), Period.FromMinutes(90),
        Period.FromDays(1) + Period.FromHours(2), Period.Zero,
        // More periods in a long between range than PostgreSQL shares as one parameter: each series gets its own.
        Period.FromSeconds(20),
    ];

    public (IReadOnlyList<string> Ids, TemporalQuery Query) Next()
    {
        var property = random.Next(20) switch
        {
            < 11 => TimeProperty.ObservedAt,
            < 14 => TimeProperty.CreatedAt,
            < 18 => TimeProperty.ModifiedAt,
            _ => TimeProperty.DeletedAt,
        };
        var relation = random.Next(4) switch
        {
            0 => (TimeRelation?)null,
            1 => TimeRelation.Before,
            2 => TimeRelation.After,
            _ => TimeRelation.Between,
        };
        DateTimeOffset? timeAt = relation is null ? null : Instant(property);
        DateTimeOffset? endTimeAt = null;
        if (relation == TimeRelation.Between)
        {
            var first = timeAt!.Value;
            var other = random.NextDouble() < 0.3 ? Instant(property) : first.AddMinutes(random.Next(1, Chance(0.5) ? 600 : 3 * 24 * 60));
            (timeAt, endTimeAt) = other < first ? (other, first) : (first, other);
        }
        Aggregation? aggregation = null;
        if (Chance(0.4))
        {
            var methods = Enum.GetValues<AggregationMethod>();
            var chosen = Chance(0.3) ? [.. methods] : methods.Where(_ => Chance(0.35)).ToList();
            if (chosen.Count == 0)
                chosen.Add(methods[random.Next(methods.Length)]);
            aggregation = new Aggregation(chosen, Durations[random.Next(Durations.Length)]);
        }
        var query = new TemporalQuery
        {
            Entities = new EntityQuery
            {
                Attrs = Chance(0.4) ? null : [.. history.Attributes.Where(_ => Chance(0.4)).Append(Chance(0.2) ? "https://example.org/absent" : history.Attributes[random.Next(history.Attributes.Count)]).Distinct()],
            },
            Time = new TimeFilter(property, relation, timeAt, endTimeAt),
            LastN = Chance(0.25) ? random.Next(1, 12) : null,
            InstanceLimit = Chance(0.4) ? 1000 : random.Next(1, 9),
            Aggregation = aggregation,
        };
        var ids = history.EntityIds.Where(_ => Chance(0.8)).OrderBy(_ => random.Next()).ToList();
        if (Chance(0.2))
            ids.Insert(random.Next(ids.Count + 1), "urn:ngsi-ld:Sensor:absent");
        return (ids, query);
    }

    /// <summary>The ids LatestAsync is asked for: all, or some (and one without a history).</summary>
    public IReadOnlyList<string>? IdSelection()
    {
        if (Chance(0.4))
            return null;
        var ids = history.EntityIds.Where(_ => Chance(0.5)).ToList();
        if (Chance(0.3))
            ids.Add("urn:ngsi-ld:Meter:absent");
        return ids;
    }

    /// <summary>An instant of the history for the property (a boundary), a minute beside one, or any instant of the three days and around them.</summary>
    private DateTimeOffset Instant(TimeProperty property)
    {
        var known = history.Instances.Select(i => i.TimeOf(property)).OfType<DateTimeOffset>().ToList();
        if (known.Count > 0 && Chance(0.5))
        {
            var at = known[random.Next(known.Count)];
            return Chance(0.7) ? at : at.AddMinutes(random.Next(-1, 2));
        }
        return TemporalHistoryGenerator.Start.AddMinutes(random.Next(-120, TemporalHistoryGenerator.Minutes + 120));
    }

    private bool Chance(double probability) => random.NextDouble() < probability;
}
