using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Temporal;

/// <summary>
/// The temporal query (clause 4.11): timerel before (t &lt; timeAt), after (t &gt; timeAt) and between (timeAt ≤ t &lt;
/// endTimeAt) on each timeproperty (observedAt, createdAt, modifiedAt, deletedAt), lastN and attrs. The instants of the
/// system properties are read from the entity API, so the expected instances follow from them.
/// </summary>
public sealed class TimeQueryTests(BrokerFactory factory) : TemporalTest<BrokerFactory>(factory)
{
    /// <summary>An entity whose "v" was observed with the value h at T0 + h hours, h = 0..5.</summary>
    private async Task<string> SixHoursAsync(string type) =>
        await SeriesAsync(type, "v", Enumerable.Range(0, 6).Select(h => (T0.AddHours(h), (JsonNode?)h)));

    [Theory]
    [InlineData("", new[] { 0, 1, 2, 3, 4, 5 })]
    [InlineData("timerel=before&timeAt=2024-03-01T03:00:00Z", new[] { 0, 1, 2 })]
    [InlineData("timerel=after&timeAt=2024-03-01T03:00:00Z", new[] { 4, 5 })]
    [InlineData("timerel=between&timeAt=2024-03-01T01:00:00Z&endTimeAt=2024-03-01T04:00:00Z", new[] { 1, 2, 3 })]
    [InlineData("timerel=between&timeAt=2024-03-01T00:30:00Z&endTimeAt=2024-03-01T02:30:00Z", new[] { 1, 2 })]
    [InlineData("timerel=before&timeAt=2024-03-01T00:00:00Z", new int[0])]
    [InlineData("timerel=after&timeAt=2024-03-01T05:00:00Z", new int[0])]
    [InlineData("timerel=before&timeAt=2024-03-01T03:30:00%2B01:00", new[] { 0, 1, 2 })]
    [InlineData("timerel=after&timeAt=2024-03-01T02:59:59.999999Z&timeproperty=observedAt", new[] { 3, 4, 5 })]
    public async Task Timerel_on_observedAt_selects_the_instances_in_the_range(string query, int[] expected)
    {
        var type = NewType();
        var id = await SixHoursAsync(type);

        var history = await RetrieveTemporalAsync(id, "options=temporalValues" + (query.Length == 0 ? "" : "&" + query));

        var values = history["v"] is null ? [] : ValueNumbers(history, "v");
        Assert.Equal(expected.Select(v => (double)v), values);
        if (history["v"] is not null)
            Assert.Equal(expected.Select(h => T0.AddHours(h)), Values(history, "v").Select(p => p.At));
    }

    [Fact]
    public async Task Timerel_on_modifiedAt_selects_by_the_instants_the_entity_API_reports()
    {
        var type = NewType();
        var id = NewId(type);
        // No observedAt: these instances exist only for the system time properties.
        await CreateAsync(Entity(id, type, ("level", Property(1))));
        var m1 = await AttributeInstantAsync(id, "level", "modifiedAt");
        await PatchAttrsAsync(id, new JsonObject { ["level"] = Property(2) });
        var m2 = await AttributeInstantAsync(id, "level", "modifiedAt");
        await PatchAttrsAsync(id, new JsonObject { ["level"] = Property(3) });
        var m3 = await AttributeInstantAsync(id, "level", "modifiedAt");
        Assert.True(m1 < m2 && m2 < m3, $"modifiedAt must grow: {m1:O} {m2:O} {m3:O}");

        Assert.Equal([1.0, 2.0, 3.0], await LevelsAsync(id, "timeproperty=modifiedAt"));
        Assert.Equal([1.0], await LevelsAsync(id, $"timeproperty=modifiedAt&timerel=before&timeAt={Escaped(m2)}"));
        Assert.Equal([2.0, 3.0], await LevelsAsync(id, $"timeproperty=modifiedAt&timerel=after&timeAt={Escaped(m1)}"));
        Assert.Equal([1.0, 2.0], await LevelsAsync(id, $"timeproperty=modifiedAt&timerel=between&timeAt={Escaped(m1)}&endTimeAt={Escaped(m3)}"));
        // Without observedAt, the default time property finds nothing.
        Assert.Null((await RetrieveTemporalAsync(id))["level"]);
    }

    [Fact]
    public async Task The_instants_of_temporalValues_are_those_of_the_time_property()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("level", Property(1, T0))));
        var modifiedAt = await AttributeInstantAsync(id, "level", "modifiedAt");

        var byModifiedAt = await RetrieveTemporalAsync(id, "options=temporalValues&timeproperty=modifiedAt");
        var byObservedAt = await RetrieveTemporalAsync(id, "options=temporalValues");

        Assert.Equal(modifiedAt, Assert.Single(Values(byModifiedAt, "level")).At);
        Assert.Equal(T0, Assert.Single(Values(byObservedAt, "level")).At);
    }

    [Fact]
    public async Task Timerel_on_createdAt_selects_by_when_the_attribute_was_created()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("first", Property("a"))));
        var createdFirst = await AttributeInstantAsync(id, "first", "createdAt");
        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Post, AttrsPath(id), new JsonObject { ["second"] = Property("b") });
        var createdSecond = await AttributeInstantAsync(id, "second", "createdAt");
        Assert.True(createdFirst < createdSecond);

        var before = await RetrieveTemporalAsync(id, $"timeproperty=createdAt&timerel=before&timeAt={Escaped(createdSecond)}");
        var after = await RetrieveTemporalAsync(id, $"timeproperty=createdAt&timerel=after&timeAt={Escaped(createdFirst)}");
        var between = await RetrieveTemporalAsync(id, $"timeproperty=createdAt&timerel=between&timeAt={Escaped(createdFirst)}&endTimeAt={Escaped(createdSecond)}");

        Assert.Equal(["a"], Instances(before, "first").Select(i => (string?)i["value"]));
        Assert.Null(before["second"]);
        Assert.Equal(["b"], Instances(after, "second").Select(i => (string?)i["value"]));
        Assert.Null(after["first"]);
        Assert.Equal(["a"], Instances(between, "first").Select(i => (string?)i["value"]));
        Assert.Null(between["second"]);
    }

    [Fact]
    public async Task Timerel_on_deletedAt_selects_the_deletions()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("a", Property(1, T0)), ("b", Property(2, T0)), ("c", Property(3, T0))));
        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Delete, AttrPath(id, "a"));
        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Delete, AttrPath(id, "b"));

        var deletions = await RetrieveTemporalAsync(id, "timeproperty=deletedAt");
        var deletedA = Instant(Assert.Single(Instances(deletions, "a"))["deletedAt"]);
        var deletedB = Instant(Assert.Single(Instances(deletions, "b"))["deletedAt"]);
        Assert.Null(deletions["c"]);
        Assert.True(deletedA < deletedB);

        var before = await RetrieveTemporalAsync(id, $"timeproperty=deletedAt&timerel=before&timeAt={Escaped(deletedB)}");
        var after = await RetrieveTemporalAsync(id, $"timeproperty=deletedAt&timerel=after&timeAt={Escaped(deletedA)}");
        var between = await RetrieveTemporalAsync(id, $"timeproperty=deletedAt&timerel=between&timeAt={Escaped(deletedA)}&endTimeAt={Escaped(deletedB)}");

        Assert.Single(Instances(before, "a"));
        Assert.Null(before["b"]);
        Assert.Single(Instances(after, "b"));
        Assert.Null(after["a"]);
        Assert.Single(Instances(between, "a"));
        Assert.Null(between["b"]);
    }

    [Fact]
    public async Task LastN_gives_the_latest_instances_in_ascending_order()
    {
        var id = await SixHoursAsync(NewType());

        var history = await RetrieveTemporalAsync(id, "options=temporalValues&lastN=2");

        Assert.Equal([4.0, 5.0], ValueNumbers(history, "v"));
        Assert.Equal([T0.AddHours(4), T0.AddHours(5)], Values(history, "v").Select(p => p.At));
    }

    [Fact]
    public async Task LastN_applies_within_the_time_range()
    {
        var id = await SixHoursAsync(NewType());

        var before = await RetrieveTemporalAsync(id, $"options=temporalValues&lastN=2&timerel=before&timeAt={Hours(4)}");
        var between = await RetrieveTemporalAsync(id, $"options=temporalValues&lastN=1&timerel=between&timeAt={Hours(0)}&endTimeAt={Hours(3)}");

        Assert.Equal([2.0, 3.0], ValueNumbers(before, "v"));
        Assert.Equal([2.0], ValueNumbers(between, "v"));
    }

    [Fact]
    public async Task LastN_larger_than_the_history_gives_all_of_it()
    {
        var id = await SixHoursAsync(NewType());

        var history = await RetrieveTemporalAsync(id, "options=temporalValues&lastN=100");

        Assert.Equal([0.0, 1, 2, 3, 4, 5], ValueNumbers(history, "v"));
    }

    [Fact]
    public async Task LastN_counts_per_attribute()
    {
        var type = NewType();
        var id = NewId(type);
        await PostTemporalAsync(Entity(id, type,
            ("often", Array([.. Enumerable.Range(0, 5).Select(h => (JsonNode)Property(h, T0.AddHours(h)))])),
            ("rarely", Array(Property(100, T0), Property(200, T0.AddHours(1))))));

        var history = await RetrieveTemporalAsync(id, "options=temporalValues&lastN=3");

        Assert.Equal([2.0, 3, 4], ValueNumbers(history, "often"));
        Assert.Equal([100.0, 200], ValueNumbers(history, "rarely"));
    }

    [Fact]
    public async Task LastN_counts_instances_of_all_datasetIds_of_an_attribute_together()
    {
        // Clause 4.11: the last N instances of each attribute; an attribute's instances are those of all its datasetIds.
        var type = NewType();
        var id = NewId(type);
        await PostTemporalAsync(Entity(id, type, ("v", Array(
            Property(1, T0), Property(2, T0.AddHours(1), "urn:ngsi-ld:Dataset:x"), Property(3, T0.AddHours(2)), Property(4, T0.AddHours(3), "urn:ngsi-ld:Dataset:x")))));

        var instances = Instances(await RetrieveTemporalAsync(id, "lastN=3"), "v");

        Assert.Equal([2.0, 3, 4], instances.Select(i => (double)i["value"]!).Order());
    }

    [Fact]
    public async Task Attrs_selects_the_attributes_whose_history_is_returned()
    {
        var type = NewType();
        var id = NewId(type);
        await PostTemporalAsync(Entity(id, type, ("a", Array(Property(1, T0))), ("b", Array(Property(2, T0))), ("c", Array(Property(3, T0)))));

        var one = await RetrieveTemporalAsync(id, "attrs=a");
        var two = await RetrieveTemporalAsync(id, "attrs=a,c");

        Assert.Equal(["a", "id", "type"], one.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(["a", "c", "id", "type"], two.Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Retrieve_with_attrs_that_have_no_instances_in_the_range_is_404()
    {
        var type = NewType();
        var id = NewId(type);
        await PostTemporalAsync(Entity(id, type, ("a", Array(Property(1, T0)))));

        await AssertProblem(await GetAsync(TemporalPath(id) + "?attrs=nothing"), HttpStatusCode.NotFound, "ResourceNotFound");
        await AssertProblem(await GetAsync(TemporalPath(id) + $"?attrs=a&timerel=after&timeAt={Hours(1)}"), HttpStatusCode.NotFound, "ResourceNotFound");
    }

    [Fact]
    public async Task Attrs_keeps_the_history_of_an_attribute_the_entity_no_longer_has()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("gone", Property(1, T0)), ("kept", Property(2, T0))));
        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Delete, AttrPath(id, "gone"));

        var found = await QueryTemporalAsync($"type={type}&attrs=gone");

        var entity = Assert.IsType<JsonObject>(Assert.Single(found));
        Assert.Equal([1.0], Numbers(entity, "gone"));
        Assert.Null(entity["kept"]);
    }

    [Fact]
    public async Task A_query_leaves_out_entities_without_instances_in_the_range()
    {
        var type = NewType();
        var early = await SeriesAsync(type, "v", [(T0, 1)]);
        var late = await SeriesAsync(type, "v", [(T0.AddHours(5), 2)]);

        var found = await QueryTemporalAsync($"type={type}&timerel=after&timeAt={Hours(1)}");

        Assert.Equal([late], IdsOf(found));
        Assert.NotEqual(early, late);
    }

    /// <summary>The numbers of "level" in the normalized history, or none when the attribute is absent.</summary>
    private async Task<List<double>> LevelsAsync(string id, string query)
    {
        var history = await RetrieveTemporalAsync(id, query);
        return history["level"] is null ? [] : Numbers(history, "level");
    }

    /// <summary>createdAt or modifiedAt of an attribute as the entity API reports it (options=sysAttrs).</summary>
    private async Task<DateTimeOffset> AttributeInstantAsync(string id, string attr, string member)
    {
        var entity = await GetEntityAsync(id, "?options=sysAttrs");
        return Instant(entity[attr]![member]);
    }
}
