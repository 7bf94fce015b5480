using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Temporal;

/// <summary>
/// The aggregated temporal representation (clause 4.5.19, options=aggregatedValues): every method per period of
/// aggrPeriodDuration, the expected values computed here from the values the test wrote. Periods start at timeAt (after,
/// between) or at the first instance, are aggrPeriodDuration long (between cuts the last at endTimeAt), and periods
/// without instances are left out.
/// </summary>
public sealed class AggregationTests(BrokerFactory factory) : TemporalTest<BrokerFactory>(factory)
{
    private static readonly string[] AllMethods = ["totalCount", "distinctCount", "sum", "avg", "min", "max", "stddev", "sumsq"];

    /// <summary>Observations over two days, two of them equal (for distinctCount), some hours without any.</summary>
    private static readonly (DateTimeOffset At, double Value)[] Readings =
    [
        (T0.AddMinutes(10), 4),
        (T0.AddMinutes(40), 8),
        (T0.AddMinutes(80), 15),
        (T0.AddMinutes(110), 16),
        (T0.AddMinutes(115), 8),
        (T0.AddMinutes(185), 23.5),
        (T0.AddHours(25), 42),
        (T0.AddHours(26.5), -7),
    ];

    private async Task<string> ReadingsAsync(string type) =>
        await SeriesAsync(type, "v", Readings.Select(r => (r.At, (JsonNode?)r.Value)));

    private static string Methods => string.Join(',', AllMethods);

    [Fact]
    public async Task PT1H_without_timerel_starts_at_the_first_instance()
    {
        var id = await ReadingsAsync(NewType());

        var history = await RetrieveTemporalAsync(id, $"options=aggregatedValues&aggrMethods={Methods}&aggrPeriodDuration=PT1H");

        AssertAggregates(Expected(Readings, Readings[0].At, TimeSpan.FromHours(1), bound: null), history["v"]!);
    }

    [Fact]
    public async Task PT1H_after_timeAt_starts_at_timeAt()
    {
        var id = await ReadingsAsync(NewType());
        var timeAt = T0.AddMinutes(-30);

        var history = await RetrieveTemporalAsync(id, $"options=aggregatedValues&aggrMethods={Methods}&aggrPeriodDuration=PT1H&timerel=after&timeAt={Escaped(timeAt)}");

        AssertAggregates(Expected(Readings, timeAt, TimeSpan.FromHours(1), bound: null), history["v"]!);
    }

    [Fact]
    public async Task P1D_between_starts_at_timeAt_and_ends_at_endTimeAt()
    {
        var id = await ReadingsAsync(NewType());
        var timeAt = T0.AddHours(-6);
        var endTimeAt = T0.AddHours(26);

        var history = await RetrieveTemporalAsync(id,
            $"options=aggregatedValues&aggrMethods={Methods}&aggrPeriodDuration=P1D&timerel=between&timeAt={Escaped(timeAt)}&endTimeAt={Escaped(endTimeAt)}");

        var inRange = Readings.Where(r => r.At >= timeAt && r.At < endTimeAt).ToArray();
        var expected = Expected(inRange, timeAt, TimeSpan.FromDays(1), bound: endTimeAt);
        AssertAggregates(expected, history["v"]!);
        // The second day is cut at endTimeAt.
        Assert.Equal(endTimeAt, expected[^1].End);
    }

    [Fact]
    public async Task PT1H_between_cuts_the_last_period_at_endTimeAt()
    {
        var id = await ReadingsAsync(NewType());
        var timeAt = T0;
        var endTimeAt = T0.AddMinutes(190);

        var history = await RetrieveTemporalAsync(id,
            $"options=aggregatedValues&aggrMethods={Methods}&aggrPeriodDuration=PT1H&timerel=between&timeAt={Escaped(timeAt)}&endTimeAt={Escaped(endTimeAt)}");

        var inRange = Readings.Where(r => r.At >= timeAt && r.At < endTimeAt).ToArray();
        AssertAggregates(Expected(inRange, timeAt, TimeSpan.FromHours(1), bound: endTimeAt), history["v"]!);
    }

    [Fact]
    public async Task Without_a_duration_the_whole_range_is_one_period()
    {
        var id = await ReadingsAsync(NewType());
        var timeAt = T0.AddHours(-1);
        var endTimeAt = T0.AddDays(3);

        var between = await RetrieveTemporalAsync(id,
            $"options=aggregatedValues&aggrMethods={Methods}&timerel=between&timeAt={Escaped(timeAt)}&endTimeAt={Escaped(endTimeAt)}");
        var zero = await RetrieveTemporalAsync(id,
            $"options=aggregatedValues&aggrMethods={Methods}&aggrPeriodDuration=P0D&timerel=between&timeAt={Escaped(timeAt)}&endTimeAt={Escaped(endTimeAt)}");

        var expected = Expected(Readings, timeAt, null, bound: endTimeAt);
        Assert.Single(expected);
        AssertAggregates(expected, between["v"]!);
        AssertAggregates(expected, zero["v"]!);
    }

    [Fact]
    public async Task Without_a_duration_and_without_an_end_the_one_period_holds_every_instance_from_timeAt_on()
    {
        var id = await ReadingsAsync(NewType());
        var timeAt = T0.AddMinutes(30);

        var history = await RetrieveTemporalAsync(id, $"options=aggregatedValues&aggrMethods=totalCount,sum,max&timerel=after&timeAt={Escaped(timeAt)}");

        var after = Readings.Where(r => r.At > timeAt).Select(r => r.Value).ToList();
        var v = Assert.IsType<JsonObject>(history["v"]);
        var count = Assert.Single(Aggregates(v, "totalCount"));
        Assert.Equal(after.Count, count.Value);
        Assert.Equal(timeAt, count.Start);
        Assert.True(count.End > Readings[^1].At, $"the period ends at {count.End:O}, before the last instance");
        Assert.Equal(after.Sum(), Assert.Single(Aggregates(v, "sum")).Value);
        Assert.Equal(after.Max(), Assert.Single(Aggregates(v, "max")).Value);
    }

    [Fact]
    public async Task P1M_periods_follow_the_calendar()
    {
        var type = NewType();
        var start = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        (DateTimeOffset, double)[] points =
        [
            (start.AddDays(3), 1), (start.AddDays(30), 2),     // January
            (start.AddDays(31), 3), (start.AddDays(59), 4),    // 1 and 29 February (2024 is a leap year)
            (start.AddDays(60), 5),                            // 1 March
        ];
        var id = await SeriesAsync(type, "v", points.Select(p => (p.Item1, (JsonNode?)p.Item2)));

        var history = await RetrieveTemporalAsync(id, $"options=aggregatedValues&aggrMethods=sum,totalCount&aggrPeriodDuration=P1M&timerel=after&timeAt={Escaped(start)}");

        var v = Assert.IsType<JsonObject>(history["v"]);
        var sums = Aggregates(v, "sum");
        Assert.Equal([3.0, 7, 5], sums.Select(s => s.Value));
        // Calendar months from the start: 31, 29 and 31 days.
        var from = start;
        Assert.Equal([from, from.AddMonths(1), from.AddMonths(2)], sums.Select(s => s.Start));
        Assert.Equal([from.AddMonths(1), from.AddMonths(2), from.AddMonths(3)], sums.Select(s => s.End));
        Assert.Equal([2.0, 2, 1], Aggregates(v, "totalCount").Select(s => s.Value));
    }

    [Fact]
    public async Task Booleans_count_as_1_and_0()
    {
        var type = NewType();
        bool[] flags = [true, false, true, true];
        var id = await SeriesAsync(type, "open", flags.Select((f, i) => (T0.AddMinutes(i), (JsonNode?)f)));

        var history = await RetrieveTemporalAsync(id, $"options=aggregatedValues&aggrMethods={Methods}&timerel=between&timeAt={Hours(0)}&endTimeAt={Hours(1)}");

        var numbers = flags.Select(f => f ? 1.0 : 0.0).ToArray();
        AssertAggregates([new Period(T0, T0.AddHours(1), numbers)], history["open"]!);
    }

    [Fact]
    public async Task Strings_have_counts_and_an_ordinal_min_and_max_and_no_sums()
    {
        var type = NewType();
        string[] words = ["pear", "Apple", "fig", "pear"];
        var id = await SeriesAsync(type, "fruit", words.Select((w, i) => (T0.AddMinutes(i), (JsonNode?)w)));

        var history = await RetrieveTemporalAsync(id, $"options=aggregatedValues&aggrMethods={Methods}&timerel=between&timeAt={Hours(0)}&endTimeAt={Hours(1)}");

        var fruit = Assert.IsType<JsonObject>(history["fruit"]);
        Assert.Equal(words.Length, Single(fruit, "totalCount").GetValue<double>());
        Assert.Equal(words.Distinct(StringComparer.Ordinal).Count(), Single(fruit, "distinctCount").GetValue<double>());
        Assert.Equal(words.Min(StringComparer.Ordinal), Single(fruit, "min").GetValue<string>());
        Assert.Equal(words.Max(StringComparer.Ordinal), Single(fruit, "max").GetValue<string>());
        foreach (var method in new[] { "sum", "avg", "stddev", "sumsq" })
            Assert.Null(Assert.Single(fruit[method]!.AsArray())!.AsArray()[0]);
    }

    [Fact]
    public async Task Each_datasetId_is_aggregated_on_its_own()
    {
        var type = NewType();
        var id = NewId(type);
        await PostTemporalAsync(Entity(id, type, ("speed", Array(
            Property(10, T0), Property(20, T0.AddMinutes(10)),
            Property(1, T0.AddMinutes(5), "urn:ngsi-ld:Dataset:gps"), Property(2, T0.AddMinutes(6), "urn:ngsi-ld:Dataset:gps"), Property(6, T0.AddMinutes(7), "urn:ngsi-ld:Dataset:gps")))));

        var history = await RetrieveTemporalAsync(id, $"options=aggregatedValues&aggrMethods=sum,avg,totalCount&timerel=between&timeAt={Hours(0)}&endTimeAt={Hours(1)}");

        var series = Assert.IsType<JsonArray>(history["speed"]).Select(s => Assert.IsType<JsonObject>(s)).ToDictionary(s => (string?)s["datasetId"] ?? "@none");
        Assert.Equal(["@none", "urn:ngsi-ld:Dataset:gps"], series.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(30, Single(series["@none"], "sum").GetValue<double>());
        Assert.Equal(15, Single(series["@none"], "avg").GetValue<double>());
        Assert.Equal(9, Single(series["urn:ngsi-ld:Dataset:gps"], "sum").GetValue<double>());
        Assert.Equal(3, Single(series["urn:ngsi-ld:Dataset:gps"], "avg").GetValue<double>());
        Assert.Equal(3, Single(series["urn:ngsi-ld:Dataset:gps"], "totalCount").GetValue<double>());
    }

    [Fact]
    public async Task LastN_selects_the_instances_before_they_are_aggregated()
    {
        var id = await ReadingsAsync(NewType());

        var history = await RetrieveTemporalAsync(id, "options=aggregatedValues&aggrMethods=totalCount,sum&lastN=3");

        var last = Readings[^3..];
        var v = Assert.IsType<JsonObject>(history["v"]);
        Assert.Equal(3, Aggregates(v, "totalCount").Sum(a => a.Value));
        Assert.Equal(last.Sum(r => r.Value), Aggregates(v, "sum").Sum(a => a.Value));
        Assert.Equal(last[0].At, Aggregates(v, "sum")[0].Start);
    }

    [Fact]
    public async Task Deletions_are_not_aggregated()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("level", Property(3))));
        await PatchAttrsAsync(id, new JsonObject { ["level"] = Property(5) });
        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Delete, AttrPath(id, "level"));

        var history = await RetrieveTemporalAsync(id, "options=aggregatedValues&aggrMethods=totalCount,sum&timeproperty=modifiedAt");

        var level = Assert.IsType<JsonObject>(history["level"]);
        Assert.Equal(2, Single(level, "totalCount").GetValue<double>());
        Assert.Equal(8, Single(level, "sum").GetValue<double>());
    }

    [Fact]
    public async Task A_query_aggregates_each_entity_on_its_own()
    {
        var type = NewType();
        var first = await SeriesAsync(type, "v", [(T0.AddHours(1), 1), (T0.AddHours(2), 3), (T0.AddHours(25), 10)]);
        var second = await SeriesAsync(type, "v", [(T0.AddHours(3), 100), (T0.AddHours(30), 50), (T0.AddHours(31), 70)]);

        var found = await QueryTemporalAsync($"type={type}&options=aggregatedValues&aggrMethods=avg,max&aggrPeriodDuration=P1D&timerel=between&timeAt={Hours(0)}&endTimeAt={Hours(48)}");

        var byId = found.ToDictionary(e => (string)e!["id"]!, e => Assert.IsType<JsonObject>(e!["v"]));
        Assert.Equal([2.0, 10], Aggregates(byId[first], "avg").Select(a => a.Value));
        Assert.Equal([3.0, 10], Aggregates(byId[first], "max").Select(a => a.Value));
        Assert.Equal([100.0, 60], Aggregates(byId[second], "avg").Select(a => a.Value));
        Assert.Equal([100.0, 70], Aggregates(byId[second], "max").Select(a => a.Value));
        Assert.Equal([T0, T0.AddDays(1)], Aggregates(byId[second], "max").Select(a => a.Start));
    }

    [Fact]
    public async Task The_attribute_keeps_its_type_and_whole_numbers_are_written_as_reals()
    {
        var type = NewType();
        var id = await SeriesAsync(type, "v", [(T0, 2), (T0.AddMinutes(1), 4)]);

        var response = await GetAsync(TemporalPath(id) + $"?options=aggregatedValues&aggrMethods=sum,totalCount&timerel=between&timeAt={Hours(0)}&endTimeAt={Hours(1)}");

        await AssertStatus(HttpStatusCode.OK, response);
        var text = await response.Content.ReadAsStringAsync();
        var v = Assert.IsType<JsonObject>(JsonNode.Parse(text)!["v"]);
        Assert.Equal("Property", (string?)v["type"]);
        Assert.Contains("[6.0,", text, StringComparison.Ordinal);
        Assert.Contains("[2,", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Format_aggregatedValues_is_the_same_as_the_option()
    {
        var id = await ReadingsAsync(NewType());

        var byOption = await RetrieveTemporalAsync(id, "options=aggregatedValues&aggrMethods=sum,min&aggrPeriodDuration=PT1H");
        var byFormat = await RetrieveTemporalAsync(id, "format=aggregatedValues&aggrMethods=sum,min&aggrPeriodDuration=PT1H");

        AssertJsonEqual(byOption, byFormat);
        AssertAggregates(Expected(Readings, Readings[0].At, TimeSpan.FromHours(1), null), byFormat["v"]!, "sum", "min");
    }

    [Theory]
    [InlineData("aggrMethods=median")]
    [InlineData("aggrMethods=sum,average")]
    [InlineData("aggrMethods=sum&aggrPeriodDuration=1H")]
    [InlineData("aggrMethods=sum&aggrPeriodDuration=PT")]
    [InlineData("aggrMethods=sum&aggrPeriodDuration=P-1D")]
    [InlineData("")]
    public async Task Invalid_aggregation_parameters_are_400(string query)
    {
        var id = await SeriesAsync(NewType(), "v", [(T0, 1)]);

        var response = await GetAsync(TemporalPath(id) + "?options=aggregatedValues" + (query.Length == 0 ? "" : "&" + query));

        await AssertProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
    }

    /// <summary>One period of the expected aggregation and the values in it.</summary>
    private sealed record Period(DateTimeOffset Start, DateTimeOffset End, double[] Values);

    /// <summary>
    /// The periods of clause 4.5.19 computed independently: from <paramref name="start"/>, <paramref name="step"/> each
    /// (none: one period up to <paramref name="bound"/>), the last cut at <paramref name="bound"/>; empty periods left out.
    /// </summary>
    private static List<Period> Expected(IReadOnlyList<(DateTimeOffset At, double Value)> points, DateTimeOffset start, TimeSpan? step, DateTimeOffset? bound)
    {
        if (step is not { } length)
            return [new Period(start, bound!.Value, [.. points.Select(p => p.Value)])];
        return [.. points
            .GroupBy(p => (long)Math.Floor((p.At - start) / length))
            .OrderBy(g => g.Key)
            .Select(g =>
            {
                var from = start + g.Key * length;
                var to = from + length;
                return new Period(from, bound is { } b && to > b ? b : to, [.. g.Select(p => p.Value)]);
            })];
    }

    private static double Compute(string method, double[] values)
    {
        var mean = values.Average();
        return method switch
        {
            "totalCount" => values.Length,
            "distinctCount" => values.Distinct().Count(),
            "sum" => values.Sum(),
            "avg" => mean,
            "min" => values.Min(),
            "max" => values.Max(),
            "stddev" => Math.Sqrt(values.Select(v => (v - mean) * (v - mean)).Sum() / values.Length),
            "sumsq" => values.Select(v => v * v).Sum(),
            _ => throw new ArgumentOutOfRangeException(nameof(method)),
        };
    }

    /// <summary>The [value, start, end] triples of one method of an aggregated attribute.</summary>
    private static List<(double Value, DateTimeOffset Start, DateTimeOffset End)> Aggregates(JsonObject attribute, string method) =>
        [.. Assert.IsType<JsonArray>(attribute[method]).Select(t =>
        {
            var triple = t!.AsArray();
            Assert.Equal(3, triple.Count);
            return (triple[0]!.GetValue<double>(), Instant(triple[1]), Instant(triple[2]));
        })];

    private static JsonValue Single(JsonObject attribute, string method) =>
        Assert.IsAssignableFrom<JsonValue>(Assert.Single(Assert.IsType<JsonArray>(attribute[method]))!.AsArray()[0]);

    private static void AssertAggregates(IReadOnlyList<Period> expected, JsonNode attribute, params string[] methods)
    {
        var aggregated = Assert.IsType<JsonObject>(attribute);
        foreach (var method in methods.Length == 0 ? AllMethods : methods)
        {
            var actual = Aggregates(aggregated, method);
            Assert.True(expected.Count == actual.Count,
                $"{method}: expected {expected.Count} periods, got {actual.Count}: {aggregated[method]!.ToJsonString()}");
            for (var i = 0; i < expected.Count; i++)
            {
                var want = Compute(method, expected[i].Values);
                Assert.True(Math.Abs(want - actual[i].Value) <= 1e-9 * Math.Max(1, Math.Abs(want)),
                    $"{method} of period {i} ({expected[i].Start:O}): expected {want.ToString(CultureInfo.InvariantCulture)}, got {actual[i].Value.ToString(CultureInfo.InvariantCulture)}");
                Assert.Equal(expected[i].Start, actual[i].Start);
                Assert.Equal(expected[i].End, actual[i].End);
            }
        }
    }
}
