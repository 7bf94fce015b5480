using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Storage;
using NodaTime;

namespace Broker.Temporal;

/// <summary>
/// The in-memory meaning of a temporal query (clause 4.11) and of aggregatedValues (clause 4.5.19): the embedded store
/// answers with it, and the PostgreSQL store's SQL is checked against it.
/// </summary>
public static class TemporalQueries
{
    /// <summary>before: t &lt; timeAt; after: t &gt; timeAt; between: timeAt ≤ t &lt; endTimeAt; no relation: any t. An instance without the property never holds.</summary>
    public static bool Holds(TimeFilter filter, DateTimeOffset? instant)
    {
        if (instant is not { } t)
            return false;
        return filter.Relation switch
        {
            null => true,
            TimeRelation.Before => t < filter.TimeAt!.Value,
            TimeRelation.After => t > filter.TimeAt!.Value,
            TimeRelation.Between => t >= filter.TimeAt!.Value && t < filter.EndTimeAt!.Value,
            _ => false,
        };
    }

    /// <summary>
    /// The instances of one attribute the query returns: those within the time filter, in ascending order of the time
    /// property (then of recording), the last N when asked, at most the instance limit (the earliest; with lastN the latest).
    /// </summary>
    public static AttributeHistory Select(string name, IEnumerable<TemporalInstance> instances, TemporalQuery query)
    {
        var property = query.Time.Property;
        var selected = new List<(DateTimeOffset At, TemporalInstance Instance)>();
        foreach (var instance in instances)
        {
            var at = instance.TimeOf(property);
            if (Holds(query.Time, at))
                selected.Add((at!.Value, instance));
        }
        selected.Sort(static (a, b) =>
        {
            var order = a.At.CompareTo(b.At);
            if (order == 0)
                order = a.Instance.Instance.ModifiedAt.CompareTo(b.Instance.Instance.ModifiedAt);
            return order != 0 ? order : string.CompareOrdinal(a.Instance.InstanceId, b.Instance.InstanceId);
        });
        var ordered = new List<TemporalInstance>(selected.Count);
        foreach (var (_, instance) in selected)
            ordered.Add(instance);
        if (query.LastN is { } lastN && ordered.Count > lastN)
            ordered = ordered[^lastN..];
        var kind = ordered.Count > 0 ? ordered[^1].Instance.Kind : (Ontology.Model.AttributeKind?)null;
        if (query.Aggregation is { } aggregation)
            return new AttributeHistory(name, [], Aggregates: Aggregate(ordered, query, aggregation)) { Kind = kind };
        var truncated = ordered.Count > query.InstanceLimit;
        if (truncated)
            ordered = query.LastN is null ? FirstPage(ordered, selected, query.InstanceLimit) : LastPage(ordered, selected, query.InstanceLimit);
        return new AttributeHistory(name, ordered, truncated) { Kind = kind };
    }

    /// <summary>
    /// The first <paramref name="limit"/> instances, less those at the instant of the first one left out: the next page
    /// starts after the last instant of this one, so instances sharing an instant are all on one page. When every one of
    /// the first instances shares that instant, the page holds all of them (more than the limit) rather than none.
    /// </summary>
    private static List<TemporalInstance> FirstPage(List<TemporalInstance> ordered, List<(DateTimeOffset At, TemporalInstance Instance)> selected, int limit)
    {
        var cutAt = selected[limit].At;
        var end = limit;
        while (end > 0 && selected[end - 1].At == cutAt)
            end--;
        if (end == 0)
        {
            end = limit;
            while (end < selected.Count && selected[end].At == cutAt)
                end++;
        }
        return ordered[..end];
    }

    /// <summary>The last instances, the mirror of <see cref="FirstPage"/> (lastN pages backwards, before the page's first instant).</summary>
    private static List<TemporalInstance> LastPage(List<TemporalInstance> ordered, List<(DateTimeOffset At, TemporalInstance Instance)> selected, int limit)
    {
        var offset = selected.Count - ordered.Count;
        var start = ordered.Count - limit;
        var cutAt = selected[offset + start - 1].At;
        while (start < ordered.Count && selected[offset + start].At == cutAt)
            start++;
        if (start == ordered.Count)
        {
            start = ordered.Count - limit;
            while (start > 0 && selected[offset + start - 1].At == cutAt)
                start--;
        }
        return ordered[start..];
    }

    /// <summary>One instance as aggregation sees it: its instant, its value, and the number the value is (if any).</summary>
    private readonly record struct Point(DateTimeOffset At, JsonNode? Value, double? Number);

    /// <summary>
    /// aggregatedValues: per datasetId and method, one value per period (see <see cref="Periods"/>), in ascending order of
    /// the selected instances; periods without instances are left out, deletions do not count (unless the time property is
    /// deletedAt).
    /// </summary>
    public static IReadOnlyList<AggregatedSeries> Aggregate(IReadOnlyList<TemporalInstance> selected, TemporalQuery query, Aggregation aggregation)
    {
        var property = query.Time.Property;
        var result = new List<AggregatedSeries>();
        var series = new List<(string? DatasetId, List<Point> Points)>();
        foreach (var instance in selected)
        {
            if (instance.DeletedAt is not null && property != TimeProperty.DeletedAt)
                continue;
            var datasetId = instance.Instance.DatasetId;
            var index = series.FindIndex(s => s.DatasetId == datasetId);
            if (index < 0)
            {
                series.Add((datasetId, []));
                index = series.Count - 1;
            }
            var value = instance.Instance.Value;
            series[index].Points.Add(new Point(instance.TimeOf(property)!.Value, value, NumberOf(value)));
        }
        foreach (var (datasetId, points) in series)
        {
            var periods = Periods(query.Time, aggregation.PeriodDuration, points[0].At, points[^1].At);
            var values = new List<AggregatedValue>[aggregation.Methods.Count];
            for (var m = 0; m < values.Length; m++)
                values[m] = [];
            var next = 0;
            foreach (var (start, end) in periods)
            {
                while (next < points.Count && points[next].At < start)
                    next++;
                var first = next;
                while (next < points.Count && points[next].At < end)
                    next++;
                if (next == first)
                    continue;
                var slice = points.GetRange(first, next - first);
                for (var m = 0; m < values.Length; m++)
                    values[m].Add(new AggregatedValue(Compute(aggregation.Methods[m], slice), start, end));
            }
            for (var m = 0; m < values.Length; m++)
                result.Add(new AggregatedSeries(datasetId, aggregation.Methods[m], values[m]));
        }
        return result;
    }

    /// <summary>
    /// The periods of an aggregation: from the start of the range (timeAt for after and between, else the first instance)
    /// aggrPeriodDuration each, as many as it takes to hold the last instance; the range's end (endTimeAt for between, timeAt
    /// for before) cuts the last one short. Without a duration the range is one period, ending at the range's end, else
    /// just after the last instance.
    /// </summary>
    public static IReadOnlyList<(DateTimeOffset Start, DateTimeOffset End)> Periods(TimeFilter time, Period? duration, DateTimeOffset first, DateTimeOffset last) =>
        Periods(time, duration, first, last, MaxPeriods) ?? throw Problems.NgsiLdException.BadRequestData(
            $"aggrPeriodDuration gives more than {MaxPeriods} periods in the time range; choose a longer duration or a shorter range.");

    /// <summary>The periods of <see cref="Periods(TimeFilter, Period?, DateTimeOffset, DateTimeOffset)"/>, or null when there are more than <paramref name="limit"/>.</summary>
    public static IReadOnlyList<(DateTimeOffset Start, DateTimeOffset End)>? Periods(TimeFilter time, Period? duration, DateTimeOffset first, DateTimeOffset last, int limit)
    {
        var start = time.Relation is TimeRelation.After or TimeRelation.Between ? time.TimeAt!.Value : first;
        DateTimeOffset? bound = time.Relation switch
        {
            TimeRelation.Between => time.EndTimeAt!.Value,
            TimeRelation.Before => time.TimeAt!.Value,
            _ => null,
        };
        if (duration is null || duration.Equals(Period.Zero))
        {
            var end = bound ?? last.AddTicks(10);
            return [(start, end > start ? end : start.AddTicks(10))];
        }
        var periods = new List<(DateTimeOffset, DateTimeOffset)>();
        var from = start;
        var next = LocalDateTime.FromDateTime(start.UtcDateTime);
        while (from <= last && (bound is null || from < bound))
        {
            // Each period is the previous one's end plus the duration (calendar arithmetic: P1M from 31 January ends on 28 or 29 February).
            next += duration;
            var to = new DateTimeOffset(next.ToDateTimeUnspecified(), TimeSpan.Zero);
            if (to <= from)
                break;
            periods.Add((from, bound is { } b && to > b ? b : to));
            from = to;
            if (periods.Count > limit)
                return null;
        }
        return periods;
    }

    /// <summary>The most periods one aggregation may have (a response bound: 1 minute over a year is 525 600).</summary>
    public const int MaxPeriods = 100_000;

    /// <summary>The aggregate of one period's values (clause 4.5.19).</summary>
    public static JsonNode? Compute(AggregationMethod method, IReadOnlyList<JsonNode?> values) =>
        Compute(method, [.. values.Select(v => new Point(default, v, NumberOf(v)))]);

    /// <remarks>
    /// totalCount counts every instance; distinctCount the distinct values (numbers and booleans by their number, so 1 and
    /// 1.0 are one value; others by their JSON); sum, avg, min, max, stddev (population) and sumsq the numbers among them
    /// (booleans as 1 and 0), null when there are none, except min and max of strings, compared ordinally.
    /// </remarks>
    private static JsonNode? Compute(AggregationMethod method, List<Point> points)
    {
        switch (method)
        {
            case AggregationMethod.TotalCount:
                return JsonValue.Create(points.Count);
            case AggregationMethod.DistinctCount:
                var distinct = new HashSet<string>(StringComparer.Ordinal);
                foreach (var point in points)
                    distinct.Add(point.Number is { } n ? "n:" + n.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : point.Value?.ToJsonString() ?? "null");
                return JsonValue.Create(distinct.Count);
        }
        double sum = 0, sumSq = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
        var count = 0;
        foreach (var point in points)
        {
            if (point.Number is not { } n)
                continue;
            count++;
            sum += n;
            sumSq += n * n;
            min = Math.Min(min, n);
            max = Math.Max(max, n);
        }
        if (count == 0)
            return MinMaxOfOthers(method, points);
        switch (method)
        {
            case AggregationMethod.Sum: return Number(sum);
            case AggregationMethod.Avg: return Number(sum / count);
            case AggregationMethod.Min: return Number(min);
            case AggregationMethod.Max: return Number(max);
            case AggregationMethod.SumSq: return Number(sumSq);
            case AggregationMethod.StdDev:
                var mean = sum / count;
                double squares = 0;
                foreach (var point in points)
                {
                    if (point.Number is { } n)
                        squares += (n - mean) * (n - mean);
                }
                return Number(Math.Sqrt(squares / count));
            default:
                return null;
        }
    }

    /// <summary>The population standard deviation (all instances of the period are the population).</summary>
    public static double StandardDeviation(IReadOnlyList<double> numbers)
    {
        var mean = numbers.Average();
        return Math.Sqrt(numbers.Sum(n => (n - mean) * (n - mean)) / numbers.Count);
    }

    /// <summary>A number, or a boolean as 1 or 0 (sum counts the true values); anything else has no number.</summary>
    public static double? NumberOf(JsonNode? value)
    {
        if (value is not JsonValue scalar)
            return null;
        return scalar.GetValueKind() switch
        {
            JsonValueKind.Number => NumberOf(scalar),
            JsonValueKind.True => 1,
            JsonValueKind.False => 0,
            _ => null,
        };
    }

    /// <summary>A number parsed from JSON reads as a double; one made in code holds its CLR type (int, long, decimal...).</summary>
    private static double NumberOf(JsonValue number)
    {
        if (number.TryGetValue<double>(out var d))
            return d;
        if (number.TryGetValue<long>(out var l))
            return l;
        if (number.TryGetValue<int>(out var i))
            return i;
        if (number.TryGetValue<decimal>(out var m))
            return (double)m;
        if (number.TryGetValue<float>(out var f))
            return f;
        return double.Parse(number.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>min and max of strings (date-times among them) compare them as text; the other methods need numbers.</summary>
    private static JsonNode? MinMaxOfOthers(AggregationMethod method, List<Point> points)
    {
        if (method is not (AggregationMethod.Min or AggregationMethod.Max))
            return null;
        var texts = points.Select(p => p.Value).OfType<JsonValue>().Where(v => v.GetValueKind() == JsonValueKind.String).Select(v => v.GetValue<string>()).ToList();
        if (texts.Count == 0)
            return null;
        return JsonValue.Create(method == AggregationMethod.Min ? texts.Min(StringComparer.Ordinal) : texts.Max(StringComparer.Ordinal));
    }

    /// <summary>An aggregate beyond the range of a double (1e308 + 1e308) has no JSON number: it is null.</summary>
    private static JsonNode? Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;
}
