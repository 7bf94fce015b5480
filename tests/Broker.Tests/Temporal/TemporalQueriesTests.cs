using System.Text.Json.Nodes;
using Broker.Problems;
using Broker.Storage;
using Broker.Temporal;
using NodaTime;
using Ontology.Model;
using Xunit;

namespace Broker.Tests.Temporal;

/// <summary>
/// The in-memory meaning of temporal queries (<see cref="TemporalQueries"/>, clause 4.11 and 4.5.19): which instants a
/// time filter holds, which instances an attribute gives (order, lastN, instance limit), the periods of an aggregation
/// (calendar durations, the range's end), and the aggregates, checked against values computed here.
/// </summary>
public sealed class TemporalQueriesTests
{
    private const string Attr = "https://example.org/v";
    private static readonly DateTimeOffset T0 = new(2024, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static TimeFilter Before(DateTimeOffset at) => new(TimeProperty.ObservedAt, TimeRelation.Before, at);

    private static TimeFilter After(DateTimeOffset at) => new(TimeProperty.ObservedAt, TimeRelation.After, at);

    private static TimeFilter Between(DateTimeOffset from, DateTimeOffset to) => new(TimeProperty.ObservedAt, TimeRelation.Between, from, to);

    /// <summary>A value as a store gives it back: parsed from its JSON (as the entity reader and the stores do).</summary>
    private static JsonNode? Stored(JsonNode? value) => value is null ? null : JsonNode.Parse(value.ToJsonString());

    private static TemporalInstance Observation(JsonNode? value, DateTimeOffset observedAt, string? datasetId = null) => new(Attr, TemporalInstance.NewInstanceId(), new AttributeInstance
    {
        Kind = AttributeKind.Property,
        Value = Stored(value),
        DatasetId = datasetId,
        ObservedAt = observedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", System.Globalization.CultureInfo.InvariantCulture),
        CreatedAt = observedAt,
        ModifiedAt = observedAt,
    });

    private static List<double> NumbersOf(AttributeHistory history) => [.. history.Instances.Select(i => (double)i.Instance.Value!)];

    // ---- Holds ----

    [Theory]
    [InlineData(-1, true)]
    [InlineData(0, false)]
    [InlineData(1, false)]
    public void Before_holds_strictly_before_timeAt(int offsetTicks, bool holds) =>
        Assert.Equal(holds, TemporalQueries.Holds(Before(T0), T0.AddTicks(offsetTicks * 10)));

    [Theory]
    [InlineData(-1, false)]
    [InlineData(0, false)]
    [InlineData(1, true)]
    public void After_holds_strictly_after_timeAt(int offsetTicks, bool holds) =>
        Assert.Equal(holds, TemporalQueries.Holds(After(T0), T0.AddTicks(offsetTicks * 10)));

    [Theory]
    [InlineData(-1, false)]
    [InlineData(0, true)]
    [InlineData(30, true)]
    [InlineData(59, true)]
    [InlineData(60, false)]
    [InlineData(61, false)]
    public void Between_includes_timeAt_and_excludes_endTimeAt(int minutes, bool holds) =>
        Assert.Equal(holds, TemporalQueries.Holds(Between(T0, T0.AddHours(1)), T0.AddMinutes(minutes)));

    [Fact]
    public void Without_a_relation_every_instant_holds_and_a_missing_instant_never_does()
    {
        Assert.True(TemporalQueries.Holds(new TimeFilter(), DateTimeOffset.MinValue));
        Assert.True(TemporalQueries.Holds(new TimeFilter(), T0));
        Assert.False(TemporalQueries.Holds(new TimeFilter(), null));
        Assert.False(TemporalQueries.Holds(Before(T0), null));
        Assert.False(TemporalQueries.Holds(Between(T0, T0.AddDays(1)), null));
    }

    // ---- Select ----

    [Fact]
    public void Select_orders_by_the_time_property_whatever_the_order_given()
    {
        var instances = new[] { 3, 0, 4, 1, 2 }.Select(h => Observation(h, T0.AddHours(h)));

        var history = TemporalQueries.Select(Attr, instances, new TemporalQuery());

        Assert.Equal([0.0, 1, 2, 3, 4], NumbersOf(history));
        Assert.False(history.Truncated);
        Assert.Equal(Attr, history.Name);
    }

    [Fact]
    public void Select_keeps_the_instances_the_filter_holds()
    {
        var instances = Enumerable.Range(0, 6).Select(h => Observation(h, T0.AddHours(h))).ToList();

        Assert.Equal([1.0, 2, 3], NumbersOf(TemporalQueries.Select(Attr, instances, new TemporalQuery { Time = Between(T0.AddHours(1), T0.AddHours(4)) })));
        Assert.Equal([4.0, 5], NumbersOf(TemporalQueries.Select(Attr, instances, new TemporalQuery { Time = After(T0.AddHours(3)) })));
        Assert.Equal([0.0, 1, 2], NumbersOf(TemporalQueries.Select(Attr, instances, new TemporalQuery { Time = Before(T0.AddHours(3)) })));
    }

    [Fact]
    public void Select_by_a_system_time_property_leaves_out_instances_without_it()
    {
        var observed = Observation(1, T0);
        var unobserved = new TemporalInstance(Attr, TemporalInstance.NewInstanceId(), new AttributeInstance { Kind = AttributeKind.Property, Value = Stored(2), CreatedAt = T0, ModifiedAt = T0.AddHours(1) });
        var deletion = new TemporalInstance(Attr, TemporalInstance.NewInstanceId(), new AttributeInstance { Kind = AttributeKind.Property, Value = Stored(3), CreatedAt = T0, ModifiedAt = T0.AddHours(2) }, T0.AddHours(2));
        TemporalInstance[] all = [observed, unobserved, deletion];

        Assert.Equal([1.0], NumbersOf(TemporalQueries.Select(Attr, all, new TemporalQuery())));
        Assert.Equal([1.0, 2, 3], NumbersOf(TemporalQueries.Select(Attr, all, new TemporalQuery { Time = new TimeFilter(TimeProperty.ModifiedAt) })));
        Assert.Equal([3.0], NumbersOf(TemporalQueries.Select(Attr, all, new TemporalQuery { Time = new TimeFilter(TimeProperty.DeletedAt) })));
        Assert.Equal(3, TemporalQueries.Select(Attr, all, new TemporalQuery { Time = new TimeFilter(TimeProperty.CreatedAt) }).Instances.Count);
    }

    [Fact]
    public void LastN_keeps_the_latest_instances_in_ascending_order()
    {
        var instances = Enumerable.Range(0, 6).Select(h => Observation(h, T0.AddHours(h))).Reverse();

        var history = TemporalQueries.Select(Attr, instances, new TemporalQuery { LastN = 2 });

        Assert.Equal([4.0, 5], NumbersOf(history));
    }

    [Fact]
    public void The_instance_limit_keeps_the_earliest_and_with_lastN_the_latest()
    {
        var instances = Enumerable.Range(0, 10).Select(h => Observation(h, T0.AddHours(h))).ToList();

        var limited = TemporalQueries.Select(Attr, instances, new TemporalQuery { InstanceLimit = 3 });
        var lastN = TemporalQueries.Select(Attr, instances, new TemporalQuery { InstanceLimit = 3, LastN = 5 });
        var within = TemporalQueries.Select(Attr, instances, new TemporalQuery { InstanceLimit = 3, LastN = 3 });

        Assert.Equal([0.0, 1, 2], NumbersOf(limited));
        Assert.True(limited.Truncated);
        Assert.Equal([7.0, 8, 9], NumbersOf(lastN));
        Assert.True(lastN.Truncated);
        Assert.Equal([7.0, 8, 9], NumbersOf(within));
        Assert.False(within.Truncated);
    }

    [Fact]
    public void The_kind_is_that_of_the_latest_selected_instance()
    {
        var property = Observation(1, T0);
        var relationship = new TemporalInstance(Attr, TemporalInstance.NewInstanceId(), new AttributeInstance
        {
            Kind = AttributeKind.Relationship,
            Value = "urn:ngsi-ld:Thing:1",
            ObservedAt = "2024-03-01T01:00:00Z",
        });

        Assert.Equal(AttributeKind.Relationship, TemporalQueries.Select(Attr, [relationship, property], new TemporalQuery()).Kind);
        Assert.Equal(AttributeKind.Property, TemporalQueries.Select(Attr, [relationship, property], new TemporalQuery { Time = Before(T0.AddMinutes(30)) }).Kind);
        Assert.Null(TemporalQueries.Select(Attr, [], new TemporalQuery()).Kind);
    }

    // ---- Periods ----

    [Fact]
    public void P1M_periods_from_the_first_of_a_month_are_calendar_months()
    {
        var start = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

        var periods = TemporalQueries.Periods(After(start), Period.FromMonths(1), start.AddDays(1), new DateTimeOffset(2024, 4, 15, 0, 0, 0, TimeSpan.Zero));

        Assert.Equal(
            [(start, start.AddDays(31)), (start.AddDays(31), start.AddDays(60)), (start.AddDays(60), start.AddDays(91)), (start.AddDays(91), start.AddDays(121))],
            periods);
    }

    [Fact]
    public void P1M_periods_from_a_month_end_follow_each_other_as_ISO_8601_repeated_intervals()
    {
        // Each period is the previous one's end plus one month: 31 January + P1M is 29 February (2024, a leap year), whose
        // month later is 29 March (ISO 8601 recurring intervals: each starts where the previous ended).
        var start = new DateTimeOffset(2024, 1, 31, 0, 0, 0, TimeSpan.Zero);
        var february29 = new DateTimeOffset(2024, 2, 29, 0, 0, 0, TimeSpan.Zero);
        var march29 = new DateTimeOffset(2024, 3, 29, 0, 0, 0, TimeSpan.Zero);

        var periods = TemporalQueries.Periods(After(start), Period.FromMonths(1), start.AddHours(1), march29.AddDays(1));

        Assert.Equal([(start, february29), (february29, march29), (march29, new DateTimeOffset(2024, 4, 29, 0, 0, 0, TimeSpan.Zero))], periods);
    }

    [Fact]
    public void P1D_periods_are_whole_days_from_the_start()
    {
        var start = T0.AddHours(6);

        var periods = TemporalQueries.Periods(After(start), Period.FromDays(1), start.AddHours(1), start.AddDays(2));

        Assert.Equal([(start, start.AddDays(1)), (start.AddDays(1), start.AddDays(2)), (start.AddDays(2), start.AddDays(3))], periods);
    }

    [Fact]
    public void Without_timerel_or_with_before_the_periods_start_at_the_first_instance()
    {
        var first = T0.AddMinutes(17);

        var none = TemporalQueries.Periods(new TimeFilter(), Period.FromHours(1), first, first.AddMinutes(90));
        var before = TemporalQueries.Periods(Before(T0.AddDays(1)), Period.FromHours(1), first, first.AddMinutes(90));

        Assert.Equal([(first, first.AddHours(1)), (first.AddHours(1), first.AddHours(2))], none);
        Assert.Equal(none, before);
    }

    [Fact]
    public void Between_cuts_the_last_period_at_endTimeAt_and_has_none_after_it()
    {
        var end = T0.AddMinutes(150);

        var periods = TemporalQueries.Periods(Between(T0, end), Period.FromHours(1), T0.AddMinutes(5), T0.AddMinutes(149));

        Assert.Equal([(T0, T0.AddHours(1)), (T0.AddHours(1), T0.AddHours(2)), (T0.AddHours(2), end)], periods);
    }

    [Fact]
    public void Before_cuts_the_last_period_at_timeAt()
    {
        var first = T0;
        var timeAt = T0.AddMinutes(90);

        var periods = TemporalQueries.Periods(Before(timeAt), Period.FromHours(1), first, T0.AddMinutes(89));

        Assert.Equal([(T0, T0.AddHours(1)), (T0.AddHours(1), timeAt)], periods);
    }

    [Fact]
    public void Without_a_duration_the_range_is_one_period()
    {
        var between = TemporalQueries.Periods(Between(T0, T0.AddDays(7)), null, T0.AddDays(1), T0.AddDays(2));
        var zero = TemporalQueries.Periods(Between(T0, T0.AddDays(7)), Period.Zero, T0.AddDays(1), T0.AddDays(2));
        var after = TemporalQueries.Periods(After(T0), null, T0.AddDays(1), T0.AddDays(2));

        Assert.Equal([(T0, T0.AddDays(7))], between);
        Assert.Equal(between, zero);
        var (start, end) = Assert.Single(after);
        Assert.Equal(T0, start);
        Assert.True(end > T0.AddDays(2), "the one period must hold the last instance");
    }

    [Fact]
    public void Too_many_periods_are_refused()
    {
        var error = Assert.Throws<NgsiLdException>(() =>
            TemporalQueries.Periods(Between(T0, T0.AddYears(1)), Period.FromSeconds(1), T0, T0.AddYears(1).AddSeconds(-1)));

        Assert.Equal(ErrorType.BadRequestData, error.Type);
    }

    // ---- Aggregate ----

    private static Dictionary<AggregationMethod, List<AggregatedValue>> Aggregate(IEnumerable<TemporalInstance> instances, TemporalQuery query, params AggregationMethod[] methods)
    {
        var aggregation = new Aggregation(methods, query.Aggregation?.PeriodDuration);
        var history = TemporalQueries.Select(Attr, instances, query with { Aggregation = aggregation });
        Assert.Empty(history.Instances);
        return history.Aggregates!.Where(s => s.DatasetId is null).ToDictionary(s => s.Method, s => s.Values.ToList());
    }

    /// <summary>The number of an aggregate, whether the method gives it as an integer (counts) or a real.</summary>
    private static double NumberOf(AggregatedValue value) =>
        double.Parse(value.Value!.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Stddev_is_the_population_standard_deviation()
    {
        var random = new Random(20240301);
        var values = Enumerable.Range(0, 200).Select(_ => Math.Round(random.NextDouble() * 100 - 30, 3)).ToArray();
        var instances = values.Select((v, i) => Observation(v, T0.AddSeconds(i)));

        var result = Aggregate(instances, new TemporalQuery { Time = Between(T0, T0.AddHours(1)) }, AggregationMethod.StdDev, AggregationMethod.Avg, AggregationMethod.SumSq);

        // Computed another way: sqrt(E[x²] − E[x]²) over all n values (the population, not n − 1).
        var n = values.Length;
        var mean = values.Sum() / n;
        var meanOfSquares = values.Sum(v => v * v) / n;
        Assert.Equal(Math.Sqrt(meanOfSquares - mean * mean), NumberOf(Assert.Single(result[AggregationMethod.StdDev])), 1e-9);
        Assert.Equal(mean, NumberOf(Assert.Single(result[AggregationMethod.Avg])), 1e-9);
        Assert.Equal(meanOfSquares * n, NumberOf(Assert.Single(result[AggregationMethod.SumSq])), 1e-6);
        var sample = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (n - 1));
        Assert.NotEqual(sample, NumberOf(Assert.Single(result[AggregationMethod.StdDev])), 6);
    }

    [Fact]
    public void Stddev_of_a_single_value_is_0()
    {
        var result = Aggregate([Observation(42, T0)], new TemporalQuery(), AggregationMethod.StdDev);

        Assert.Equal(0, NumberOf(Assert.Single(result[AggregationMethod.StdDev])));
    }

    [Fact]
    public void LastN_selects_the_instances_before_they_are_aggregated()
    {
        var instances = Enumerable.Range(1, 10).Select(i => Observation(i, T0.AddMinutes(i)));

        var result = Aggregate(instances, new TemporalQuery { LastN = 3 }, AggregationMethod.Sum, AggregationMethod.TotalCount, AggregationMethod.Min);

        Assert.Equal(8 + 9 + 10, NumberOf(Assert.Single(result[AggregationMethod.Sum])));
        Assert.Equal(3, NumberOf(Assert.Single(result[AggregationMethod.TotalCount])));
        Assert.Equal(8, NumberOf(Assert.Single(result[AggregationMethod.Min])));
    }

    [Fact]
    public void The_instance_limit_does_not_cut_an_aggregation()
    {
        var instances = Enumerable.Range(1, 10).Select(i => Observation(i, T0.AddMinutes(i)));

        var result = Aggregate(instances, new TemporalQuery { InstanceLimit = 2 }, AggregationMethod.TotalCount);

        Assert.Equal(10, NumberOf(Assert.Single(result[AggregationMethod.TotalCount])));
    }

    [Fact]
    public void Values_are_aggregated_per_period_and_empty_periods_are_left_out()
    {
        (int Minute, double Value)[] points = [(5, 1), (50, 3), (70, 10), (200, 7), (230, 9)];
        var instances = points.Select(p => Observation(p.Value, T0.AddMinutes(p.Minute)));
        var query = new TemporalQuery { Time = After(T0), Aggregation = new Aggregation([], Period.FromHours(1)) };

        var result = Aggregate(instances, query, AggregationMethod.Sum, AggregationMethod.Max);

        var expected = points.GroupBy(p => p.Minute / 60).Select(g => (Start: T0.AddHours(g.Key), Sum: g.Sum(p => p.Value), Max: g.Max(p => p.Value))).ToList();
        Assert.Equal(expected.Select(e => e.Start), result[AggregationMethod.Sum].Select(v => v.StartAt));
        Assert.Equal(expected.Select(e => e.Start.AddHours(1)), result[AggregationMethod.Sum].Select(v => v.EndAt));
        Assert.Equal(expected.Select(e => e.Sum), result[AggregationMethod.Sum].Select(NumberOf));
        Assert.Equal(expected.Select(e => e.Max), result[AggregationMethod.Max].Select(NumberOf));
    }

    [Fact]
    public void Booleans_count_as_1_and_0()
    {
        bool[] flags = [true, true, false, true, false];
        var instances = flags.Select((f, i) => Observation(f, T0.AddMinutes(i)));

        var result = Aggregate(instances, new TemporalQuery(), AggregationMethod.Sum, AggregationMethod.Avg, AggregationMethod.Min, AggregationMethod.Max,
            AggregationMethod.TotalCount, AggregationMethod.DistinctCount);

        var numbers = flags.Select(f => f ? 1.0 : 0.0).ToArray();
        Assert.Equal(numbers.Sum(), NumberOf(Assert.Single(result[AggregationMethod.Sum])));
        Assert.Equal(numbers.Average(), NumberOf(Assert.Single(result[AggregationMethod.Avg])), 1e-12);
        Assert.Equal(0, NumberOf(Assert.Single(result[AggregationMethod.Min])));
        Assert.Equal(1, NumberOf(Assert.Single(result[AggregationMethod.Max])));
        Assert.Equal(flags.Length, NumberOf(Assert.Single(result[AggregationMethod.TotalCount])));
        Assert.Equal(2, NumberOf(Assert.Single(result[AggregationMethod.DistinctCount])));
    }

    [Fact]
    public void Strings_have_an_ordinal_min_and_max_and_no_sum()
    {
        string[] words = ["beta", "Alpha", "alpha", "2024-03-01"];
        var instances = words.Select((w, i) => Observation(w, T0.AddMinutes(i)));

        var result = Aggregate(instances, new TemporalQuery(), AggregationMethod.Min, AggregationMethod.Max, AggregationMethod.Sum, AggregationMethod.Avg, AggregationMethod.DistinctCount);

        Assert.Equal(words.Min(StringComparer.Ordinal), Assert.Single(result[AggregationMethod.Min]).Value!.GetValue<string>());
        Assert.Equal(words.Max(StringComparer.Ordinal), Assert.Single(result[AggregationMethod.Max]).Value!.GetValue<string>());
        Assert.Null(Assert.Single(result[AggregationMethod.Sum]).Value);
        Assert.Null(Assert.Single(result[AggregationMethod.Avg]).Value);
        Assert.Equal(4, NumberOf(Assert.Single(result[AggregationMethod.DistinctCount])));
    }

    [Fact]
    public void Numbers_are_aggregated_without_the_strings_among_them()
    {
        JsonNode?[] values = [4, "n/a", 6, true];
        var instances = values.Select((v, i) => Observation(v, T0.AddMinutes(i)));

        var result = Aggregate(instances, new TemporalQuery(), AggregationMethod.Sum, AggregationMethod.Avg, AggregationMethod.TotalCount);

        Assert.Equal(4 + 6 + 1, NumberOf(Assert.Single(result[AggregationMethod.Sum])));
        Assert.Equal((4 + 6 + 1) / 3.0, NumberOf(Assert.Single(result[AggregationMethod.Avg])), 1e-12);
        Assert.Equal(4, NumberOf(Assert.Single(result[AggregationMethod.TotalCount])));
    }

    [Fact]
    public void DistinctCount_counts_equal_numbers_once()
    {
        // 1 and 1.0 are one number; the string "1" and the objects are values of their own.
        JsonNode?[] values = [.. new[] { "1", "1.0", "2", "\"1\"", """{"a":1}""", """{"a":1}""" }.Select(json => JsonNode.Parse(json))];

        Assert.Equal(4, TemporalQueries.Compute(AggregationMethod.DistinctCount, values)!.GetValue<int>());
    }

    [Fact]
    public void Each_datasetId_is_aggregated_on_its_own()
    {
        TemporalInstance[] instances =
        [
            Observation(1, T0), Observation(2, T0.AddMinutes(1)),
            Observation(10, T0, "urn:ngsi-ld:Dataset:a"), Observation(30, T0.AddMinutes(2), "urn:ngsi-ld:Dataset:a"),
        ];

        var history = TemporalQueries.Select(Attr, instances, new TemporalQuery { Aggregation = new Aggregation([AggregationMethod.Sum], null) });

        var sums = history.Aggregates!.ToDictionary(s => s.DatasetId ?? "@none", s => NumberOf(Assert.Single(s.Values)));
        Assert.Equal(3, sums["@none"]);
        Assert.Equal(40, sums["urn:ngsi-ld:Dataset:a"]);
    }

    [Fact]
    public void Deletions_are_aggregated_only_by_deletedAt()
    {
        var kept = new TemporalInstance(Attr, TemporalInstance.NewInstanceId(), new AttributeInstance { Kind = AttributeKind.Property, Value = Stored(5), ModifiedAt = T0 });
        var deletion = new TemporalInstance(Attr, TemporalInstance.NewInstanceId(), new AttributeInstance { Kind = AttributeKind.Property, Value = Stored(5), ModifiedAt = T0.AddMinutes(1) }, T0.AddMinutes(1));

        var byModifiedAt = Aggregate([kept, deletion], new TemporalQuery { Time = new TimeFilter(TimeProperty.ModifiedAt) }, AggregationMethod.TotalCount);
        var byDeletedAt = Aggregate([kept, deletion], new TemporalQuery { Time = new TimeFilter(TimeProperty.DeletedAt) }, AggregationMethod.TotalCount);

        Assert.Equal(1, NumberOf(Assert.Single(byModifiedAt[AggregationMethod.TotalCount])));
        Assert.Equal(1, NumberOf(Assert.Single(byDeletedAt[AggregationMethod.TotalCount])));
        Assert.Equal(T0.AddMinutes(1), Assert.Single(byDeletedAt[AggregationMethod.TotalCount]).StartAt);
    }

    [Fact]
    public void Compute_of_no_numbers_is_null_but_counts_are_counts()
    {
        JsonNode?[] values = [JsonNode.Parse("""{"a":1}"""), new JsonArray(1, 2)];

        Assert.Null(TemporalQueries.Compute(AggregationMethod.Sum, values));
        Assert.Null(TemporalQueries.Compute(AggregationMethod.Max, values));
        Assert.Null(TemporalQueries.Compute(AggregationMethod.StdDev, values));
        Assert.Equal(2, TemporalQueries.Compute(AggregationMethod.TotalCount, values)!.GetValue<int>());
        Assert.Null(TemporalQueries.Compute(AggregationMethod.Avg, []));
    }
}
