using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit;

namespace Broker.HttpTests.Temporal;

/// <summary>A broker that gives at most <see cref="InstanceLimit"/> instances of an attribute per response (Temporal:InstanceLimit).</summary>
public sealed class SmallInstanceLimitBrokerFactory : BrokerFactory
{
    public const int InstanceLimit = 3;

    public SmallInstanceLimitBrokerFactory() : base(new Dictionary<string, string>
    {
        ["Temporal:InstanceLimit"] = InstanceLimit.ToString(CultureInfo.InvariantCulture),
    })
    {
    }
}

/// <summary>
/// Temporal pagination (clause 6.3.10): a history with more instances than the limit is answered 206 with
/// "Content-Range: date-time start-end/size", every attribute cut at the same instant, and the pages that follow from the
/// end of the range on reach every instance.
/// </summary>
public sealed partial class PaginationTests(SmallInstanceLimitBrokerFactory factory) : TemporalTest<SmallInstanceLimitBrokerFactory>(factory)
{
    private const int Limit = SmallInstanceLimitBrokerFactory.InstanceLimit;

    [GeneratedRegex(@"^date-time (?<start>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)-(?<end>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)/(?<size>\*|\d+)$")]
    private static partial Regex ContentRangePattern();

    private sealed record ContentRange(DateTimeOffset Start, DateTimeOffset End, string Size);

    private static ContentRange RangeOf(HttpResponseMessage response)
    {
        // Content-Range is a content header; its date-time unit is not one HttpClient parses, so it is read as text.
        Assert.True(response.Content.Headers.TryGetValues("Content-Range", out var values), "a 206 answer has no Content-Range");
        var header = Assert.Single(values);
        var match = ContentRangePattern().Match(header);
        Assert.True(match.Success, $"Content-Range '{header}' is not 'date-time <start>-<end>/<size>'");
        return new ContentRange(Instant(match.Groups["start"].Value), Instant(match.Groups["end"].Value), match.Groups["size"].Value);
    }

    private static bool HasContentRange(HttpResponseMessage response) => response.Content.Headers.Contains("Content-Range");

    /// <summary>An entity with "a" observed hourly (values 0..count-1) and "b" with the given values at the given hours.</summary>
    private async Task<string> TwoAttributesAsync(string type, int count, params (double Hour, int Value)[] b)
    {
        var id = NewId(type);
        var a = new JsonArray();
        for (var h = 0; h < count; h++)
            a.Add(Property(h, T0.AddHours(h)));
        var bInstances = new JsonArray();
        foreach (var (hour, value) in b)
            bInstances.Add(Property(value, T0.AddHours(hour)));
        await PostTemporalAsync(b.Length == 0 ? Entity(id, type, ("a", a)) : Entity(id, type, ("a", a), ("b", bInstances)));
        return id;
    }

    private async Task<(HttpResponseMessage Response, JsonObject Entity)> PageAsync(string id, string query)
    {
        var response = await GetAsync(TemporalPath(id) + "?" + query);
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.PartialContent,
            $"expected 200 or 206, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (response, Assert.IsType<JsonObject>(await ReadJsonAsync(response)));
    }

    [Fact]
    public async Task A_history_within_the_limit_is_200_without_Content_Range()
    {
        var id = await TwoAttributesAsync(NewType(), Limit);

        var (response, entity) = await PageAsync(id, "options=temporalValues");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(HasContentRange(response));
        Assert.Equal(Limit, ValueNumbers(entity, "a").Count);
    }

    [Fact]
    public async Task A_longer_history_is_206_with_the_range_it_holds()
    {
        var id = await TwoAttributesAsync(NewType(), 7);

        var (response, entity) = await PageAsync(id, "options=temporalValues");

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        var range = RangeOf(response);
        var values = Values(entity, "a");
        Assert.Equal(Limit, values.Count);
        Assert.Equal(T0, range.Start);
        Assert.Equal(T0.AddHours(Limit - 1), range.End);
        Assert.Equal("*", range.Size);
        Assert.Equal(Enumerable.Range(0, Limit).Select(h => T0.AddHours(h)), values.Select(v => v.At));
    }

    [Fact]
    public async Task With_timerel_after_the_range_starts_at_timeAt()
    {
        var id = await TwoAttributesAsync(NewType(), 8);
        var timeAt = T0.AddMinutes(90);

        var (response, entity) = await PageAsync(id, $"options=temporalValues&timerel=after&timeAt={Escaped(timeAt)}");

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        var range = RangeOf(response);
        Assert.Equal(timeAt, range.Start);
        Assert.Equal([2.0, 3, 4], ValueNumbers(entity, "a"));
        Assert.Equal(T0.AddHours(4), range.End);
    }

    [Fact]
    public async Task Every_attribute_is_cut_at_the_same_instant()
    {
        // a reaches its limit at hour 2; b's instance at 2:30 belongs to the next page.
        var id = await TwoAttributesAsync(NewType(), 6, (0.5, 100), (2.5, 200), (4.5, 300));

        var (response, entity) = await PageAsync(id, "options=temporalValues");

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        var range = RangeOf(response);
        Assert.Equal(T0.AddHours(2), range.End);
        Assert.Equal([0.0, 1, 2], ValueNumbers(entity, "a"));
        Assert.Equal([100.0], ValueNumbers(entity, "b"));
        Assert.All(Values(entity, "b"), v => Assert.InRange(v.At, range.Start, range.End));
    }

    [Fact]
    public async Task The_pages_from_the_end_of_each_range_on_reach_every_instance_once()
    {
        (double, int)[] b = [(0.5, 100), (2.5, 200), (2.75, 250), (3.0, 275), (3.25, 290), (9.5, 300)];
        var id = await TwoAttributesAsync(NewType(), 11, b);

        var (a, bSeen, pages) = await AllPagesAsync(id, "options=temporalValues");

        Assert.Equal(Enumerable.Range(0, 11).Select(h => (double)h), a);
        Assert.Equal(b.Select(x => (double)x.Item2), bSeen);
        Assert.True(pages > 1, "the history must have needed several pages");
    }

    [Fact]
    public async Task Pages_of_a_between_query_reach_every_instance_of_the_range()
    {
        var id = await TwoAttributesAsync(NewType(), 12, (1.5, 100), (6.5, 200));
        var timeAt = T0.AddHours(1);
        var endTimeAt = T0.AddHours(9);

        var seen = new Dictionary<string, double>(StringComparer.Ordinal);
        var from = timeAt;
        for (var page = 0; ; page++)
        {
            Assert.True(page < 20, "the pages never end");
            var (response, entity) = await PageAsync(id, $"timerel=between&timeAt={Escaped(from)}&endTimeAt={Escaped(endTimeAt)}");
            foreach (var attr in new[] { "a", "b" })
            {
                if (entity[attr] is not JsonArray)
                    continue;
                foreach (var instance in Instances(entity, attr))
                    seen[(string)instance["instanceId"]!] = (double)instance["value"]!;
            }
            if (response.StatusCode == HttpStatusCode.OK)
                break;
            var range = RangeOf(response);
            Assert.Equal(from, range.Start);
            Assert.True(range.End > from, $"a page must move on: {range.Start:O}-{range.End:O}");
            from = range.End;
        }

        // between includes timeAt, so an instance at the end of one range may come again: counted once by its instanceId.
        Assert.Equal([1.0, 2, 3, 4, 5, 6, 7, 8, 100, 200], seen.Values.Order());
    }

    [Fact]
    public async Task With_lastN_the_page_holds_the_latest_instances_and_the_range_runs_backwards()
    {
        var id = await TwoAttributesAsync(NewType(), 8);

        var (response, entity) = await PageAsync(id, "options=temporalValues&lastN=5");

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        var range = RangeOf(response);
        Assert.Equal([5.0, 6, 7], ValueNumbers(entity, "a"));
        Assert.Equal(T0.AddHours(7), range.Start);
        Assert.Equal(T0.AddHours(5), range.End);
        Assert.Equal("5", range.Size);
    }

    [Fact]
    public async Task A_query_of_several_entities_is_paginated_too()
    {
        var type = NewType();
        var first = await TwoAttributesAsync(type, 2);
        var second = await TwoAttributesAsync(type, 6);

        var response = await GetAsync($"{TemporalEntities}?type={type}&options=temporalValues");

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        var range = RangeOf(response);
        Assert.Equal(T0.AddHours(Limit - 1), range.End);
        var entities = Assert.IsType<JsonArray>(await ReadJsonAsync(response)).ToDictionary(e => (string)e!["id"]!, e => Assert.IsType<JsonObject>(e));
        Assert.Equal([0.0, 1], ValueNumbers(entities[first], "a"));
        Assert.Equal([0.0, 1, 2], ValueNumbers(entities[second], "a"));
    }

    [Fact]
    public async Task Aggregation_counts_every_instance_whatever_the_limit()
    {
        var id = await TwoAttributesAsync(NewType(), 10);

        var (response, entity) = await PageAsync(id, $"options=aggregatedValues&aggrMethods=totalCount,sum&timerel=between&timeAt={Hours(0)}&endTimeAt={Hours(24)}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(10, (int)entity["a"]!["totalCount"]![0]![0]!);
        Assert.Equal(Enumerable.Range(0, 10).Sum(), (double)entity["a"]!["sum"]![0]![0]!);
    }

    /// <summary>Follows the pages of a history from the start (then timerel=after the end of each range), collecting the values of a and b.</summary>
    private async Task<(List<double> A, List<double> B, int Pages)> AllPagesAsync(string id, string query)
    {
        var a = new List<double>();
        var b = new List<double>();
        var next = query;
        for (var pages = 1; ; pages++)
        {
            Assert.True(pages < 20, "the pages never end");
            var (response, entity) = await PageAsync(id, next);
            if (entity["a"] is not null)
                a.AddRange(Values(entity, "a").Select(v => (double)v.Value!));
            if (entity["b"] is not null)
                b.AddRange(Values(entity, "b").Select(v => (double)v.Value!));
            if (response.StatusCode == HttpStatusCode.OK)
                return (a, b, pages);
            var range = RangeOf(response);
            next = $"{query}&timerel=after&timeAt={Escaped(range.End)}";
        }
    }
}
