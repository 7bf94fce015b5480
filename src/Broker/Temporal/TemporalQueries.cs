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
        var selected = instances
            .Select(instance => (Instance: instance, At: instance.TimeOf(property)))
            .Where(pair => Holds(query.Time, pair.At))
            .OrderBy(pair => pair.At!.Value)
            .ThenBy(pair => pair.Instance.Instance.ModifiedAt)
            .ThenBy(pair => pair.Instance.InstanceId, StringComparer.Ordinal)
            .Select(pair => pair.Instance)
            .ToList();
        if (query.LastN is { } lastN && selected.Count > lastN)
            selected = selected[^lastN..];
        if (query.Aggregation is { } aggregation)
            return new AttributeHistory(name, [], Aggregates: Aggregate(selected, query, aggregation)) { Kind = selected.Count > 0 ? selected[^1].Instance.Kind : null };
        var truncated = selected.Count > query.InstanceLimit;
        if (truncated)
            selected = query.LastN is null ? selected[..query.InstanceLimit] : selected[^query.InstanceLimit..];
        return new AttributeHistory(name, selected, truncated) { Kind = selected.Count > 0 ? selected[^1].Instance.Kind : null };
    }

    /// <summary>
    /// aggregatedValues: per datasetId and method, one value per period of aggrPeriodDuration, starting at the start of the
    /// time range (timeAt for after and between, else the first instance) and ending at its end (endTimeAt for between, else
    /// after the last instance). Periods without instances are left out. Deletions do not count.
    /// </summary>
    public static IReadOnlyList<AggregatedSeries> Aggregate(IReadOnlyList<TemporalInstance> selected, TemporalQuery query, Aggregation aggregation)
    {
        var property = query.Time.Property;
        var result = new List<AggregatedSeries>();
        foreach (var series in selected.Where(i => i.DeletedAt is null || property == TimeProperty.DeletedAt).GroupBy(i => i.Instance.DatasetId))
        {
            var points = series.Select(i => (At: i.TimeOf(property)!.Value, Value: i.Instance.Value)).ToList();
            if (points.Count == 0)
                continue;
            var periods = Periods(query.Time, aggregation.PeriodDuration, points[0].At, points[^1].At);
            foreach (var method in aggregation.Methods)
            {
                var values = new List<AggregatedValue>();
                var index = 0;
                foreach (var (start, end) in periods)
                {
                    while (index < points.Count && points[index].At < start)
                        index++;
                    var inPeriod = new List<JsonNode?>();
                    while (index < points.Count && points[index].At < end)
                        inPeriod.Add(points[index++].Value);
                    if (inPeriod.Count > 0)
                        values.Add(new AggregatedValue(Compute(method, inPeriod), start, end));
                }
                result.Add(new AggregatedSeries(series.Key, method, values));
            }
        }
        return result;
    }

    /// <summary>
    /// The periods of an aggregation: from the start of the range (timeAt for after and between, else the first instance)
    /// aggrPeriodDuration each, as many as it takes to hold the last instance; the range's end (endTimeAt for between, timeAt
    /// for before) cuts the last one short. Without a duration the range is one period, ending at the range's end, else
    /// just after the last instance.
    /// </summary>
    public static IReadOnlyList<(DateTimeOffset Start, DateTimeOffset End)> Periods(TimeFilter time, Period? duration, DateTimeOffset first, DateTimeOffset last)
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
            if (periods.Count > MaxPeriods)
                throw Problems.NgsiLdException.BadRequestData(
                    $"aggrPeriodDuration gives more than {MaxPeriods} periods in the time range; choose a longer duration or a shorter range.");
        }
        return periods;
    }

    /// <summary>The most periods one aggregation may have (a response bound: 1 minute over a year is 525 600).</summary>
    public const int MaxPeriods = 100_000;

    public static JsonNode? Compute(AggregationMethod method, IReadOnlyList<JsonNode?> values)
    {
        switch (method)
        {
            case AggregationMethod.TotalCount:
                return JsonValue.Create(values.Count);
            case AggregationMethod.DistinctCount:
                return JsonValue.Create(values.Select(v => v?.ToJsonString() ?? "null").Distinct(StringComparer.Ordinal).Count());
        }
        var numbers = new List<double>(values.Count);
        foreach (var value in values)
        {
            if (NumberOf(value) is { } number)
                numbers.Add(number);
        }
        if (numbers.Count == 0)
            return MinMaxOfOthers(method, values);
        return method switch
        {
            AggregationMethod.Sum => Number(numbers.Sum()),
            AggregationMethod.Avg => Number(numbers.Average()),
            AggregationMethod.Min => Number(numbers.Min()),
            AggregationMethod.Max => Number(numbers.Max()),
            AggregationMethod.SumSq => Number(numbers.Sum(n => n * n)),
            AggregationMethod.StdDev => Number(StandardDeviation(numbers)),
            _ => null,
        };
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
            JsonValueKind.Number => scalar.GetValue<double>(),
            JsonValueKind.True => 1,
            JsonValueKind.False => 0,
            _ => null,
        };
    }

    /// <summary>min and max of strings (date-times among them) compare them as text; the other methods need numbers.</summary>
    private static JsonNode? MinMaxOfOthers(AggregationMethod method, IReadOnlyList<JsonNode?> values)
    {
        if (method is not (AggregationMethod.Min or AggregationMethod.Max))
            return null;
        var texts = values.OfType<JsonValue>().Where(v => v.GetValueKind() == JsonValueKind.String).Select(v => v.GetValue<string>()).ToList();
        if (texts.Count == 0)
            return null;
        return JsonValue.Create(method == AggregationMethod.Min ? texts.Min(StringComparer.Ordinal) : texts.Max(StringComparer.Ordinal));
    }

    private static JsonNode Number(double value) => JsonValue.Create(value);
}
