using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Temporal;

/// <summary>
/// Which entity histories a temporal query returns (clause 5.7.4): type, id, idPattern, q and geo-queries, pages of
/// limit and offset with NGSILD-Results-Count, orderBy (clause 4.23, by id or attribute values), and what of each history is shown:
/// pick and omit (clause 4.21), datasetId (clause 4.5.5).
/// </summary>
public sealed class SelectionTests(BrokerFactory factory) : TemporalTest<BrokerFactory>(factory)
{
    /// <summary>Entities of one new type with ids ending in 0..count-1; entity i has "v" = 10 i + h at T0 + h hours (h = 0, 1).</summary>
    private async Task<(string Type, List<string> Ids)> SeedAsync(int count)
    {
        var type = NewType("Meter");
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var id = $"urn:ngsi-ld:{type}:{i.ToString(CultureInfo.InvariantCulture)}";
            await SeriesAsync(type, "v", [(T0, 10 * i), (T0.AddHours(1), 10 * i + 1)], id);
            ids.Add(id);
        }
        return (type, ids);
    }

    [Fact]
    public async Task Type_selects_the_histories_of_the_entities_of_that_type()
    {
        var (type, ids) = await SeedAsync(3);
        var (other, otherIds) = await SeedAsync(2);

        Assert.Equal(ids, IdsOf(await QueryTemporalAsync($"type={type}")));
        Assert.Equal(ids.Concat(otherIds).Order(StringComparer.Ordinal), IdsOf(await QueryTemporalAsync($"type={type},{other}")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Each_returned_history_is_that_entitys_own()
    {
        var (type, ids) = await SeedAsync(3);

        var found = await QueryTemporalAsync($"type={type}&options=temporalValues");

        for (var i = 0; i < ids.Count; i++)
        {
            var entity = Assert.IsType<JsonObject>(found[i]);
            Assert.Equal(ids[i], (string?)entity["id"]);
            Assert.Equal([10.0 * i, 10.0 * i + 1], ValueNumbers(entity, "v"));
        }
    }

    [Fact]
    public async Task Id_narrows_a_query_to_the_listed_entities()
    {
        var (type, ids) = await SeedAsync(4);

        var found = await QueryTemporalAsync($"type={type}&id={ids[1]},{ids[3]},urn:ngsi-ld:{type}:none");

        Assert.Equal([ids[1], ids[3]], IdsOf(found));
    }

    [Fact]
    public async Task IdPattern_selects_by_regular_expression()
    {
        var (type, ids) = await SeedAsync(4);

        var found = await QueryTemporalAsync($"idPattern={Uri.EscapeDataString($"^urn:ngsi-ld:{type}:[12]$")}");

        Assert.Equal([ids[1], ids[2]], IdsOf(found));
    }

    [Fact]
    public async Task Q_selects_entities_by_their_values()
    {
        // Every value of the selected entities satisfies q and none of the others does: whether q is evaluated on the
        // latest state or on the instances, the answer is the same.
        var type = NewType();
        var hot = await SeriesAsync(type, "temperature", [(T0, 30), (T0.AddHours(1), 31)]);
        await SeriesAsync(type, "temperature", [(T0, 10), (T0.AddHours(1), 11)]);

        var found = await QueryTemporalAsync($"type={type}&q={Uri.EscapeDataString("temperature>20")}&options=temporalValues");

        var entity = Assert.IsType<JsonObject>(Assert.Single(found));
        Assert.Equal(hot, (string?)entity["id"]);
        Assert.Equal([30.0, 31], ValueNumbers(entity, "temperature"));
    }

    [Fact]
    public async Task Q_on_a_string_attribute_selects_entities()
    {
        var type = NewType();
        var open = NewId(type);
        var closed = NewId(type);
        await CreateAsync(Entity(open, type, ("status", Property("open", T0))));
        await CreateAsync(Entity(closed, type, ("status", Property("closed", T0))));

        var found = await QueryTemporalAsync($"type={type}&q={Uri.EscapeDataString("status==\"open\"")}");

        Assert.Equal([open], IdsOf(found));
    }

    [Fact]
    public async Task A_geo_query_selects_entities_by_their_location()
    {
        var type = NewType("Station");
        var near = NewId(type);
        var far = NewId(type);
        await CreateAsync(Entity(near, type, ("location", Location(10.6866, 53.8655)), ("v", Property(1, T0))));
        await CreateAsync(Entity(far, type, ("location", Location(13.4050, 52.5200)), ("v", Property(2, T0))));

        var nearby = await QueryTemporalAsync($"type={type}&georel={Uri.EscapeDataString("near;maxDistance==2000")}&geometry=Point&coordinates={Uri.EscapeDataString("[10.69,53.87]")}");
        var within = await QueryTemporalAsync($"type={type}&georel=within&geometry=Polygon&coordinates={Uri.EscapeDataString("[[[13,52],[14,52],[14,53],[13,53],[13,52]]]")}");

        Assert.Equal([near], IdsOf(nearby));
        Assert.Equal([far], IdsOf(within));
    }

    [Fact]
    public async Task ScopeQ_selects_entities_by_their_scopes()
    {
        var type = NewType();
        var centre = NewId(type);
        var berlin = NewId(type);
        var centreEntity = Entity(centre, type, ("v", Property(1, T0)));
        centreEntity["scope"] = "/Madrid/Centro";
        var berlinEntity = Entity(berlin, type, ("v", Property(2, T0)));
        berlinEntity["scope"] = "/Berlin";
        await CreateAsync(centreEntity);
        await CreateAsync(berlinEntity);

        Assert.Equal([centre], IdsOf(await QueryTemporalAsync($"type={type}&scopeQ={Uri.EscapeDataString("/Madrid/#")}")));
        Assert.Equal([berlin], IdsOf(await QueryTemporalAsync($"type={type}&scopeQ=/Berlin")));
        Assert.Empty(await QueryTemporalAsync($"type={type}&scopeQ=/Madrid"));
        var scopes = (await RetrieveTemporalAsync(centre))["scope"];
        Assert.Equal(["/Madrid/Centro"], scopes is JsonArray array ? array.Select(s => (string?)s) : [(string?)scopes]);
    }

    [Fact]
    public async Task Type_selection_with_semicolon_needs_every_type()
    {
        var a = NewType("A");
        var b = NewType("B");
        var both = NewId(a);
        var onlyA = NewId(a);
        await CreateAsync(new JsonObject { ["id"] = both, ["type"] = new JsonArray(a, b), ["v"] = Property(1, T0) });
        await CreateAsync(Entity(onlyA, a, ("v", Property(2, T0))));

        Assert.Equal([both], IdsOf(await QueryTemporalAsync($"type={Uri.EscapeDataString($"{a};{b}")}")));
        Assert.Equal([both], IdsOf(await QueryTemporalAsync($"type={b}")));
        Assert.Equal(new[] { both, onlyA }.Order(StringComparer.Ordinal), IdsOf(await QueryTemporalAsync($"type={a}")));
    }

    [Fact]
    public async Task Pages_of_limit_and_offset_cover_every_history_once()
    {
        var (type, ids) = await SeedAsync(5);

        var pages = new List<string>();
        for (var offset = 0; offset < 6; offset += 2)
        {
            var page = IdsOf(await QueryTemporalAsync($"type={type}&limit=2&offset={offset}"));
            Assert.True(page.Count <= 2, $"a page of limit 2 has {page.Count}");
            pages.AddRange(page);
        }

        Assert.Equal(ids, pages);
    }

    [Fact]
    public async Task Count_gives_the_number_of_matching_histories_in_NGSILD_Results_Count()
    {
        var (type, _) = await SeedAsync(5);

        var response = await GetAsync($"{TemporalEntities}?type={type}&count=true&limit=2");

        await AssertStatus(HttpStatusCode.OK, response);
        Assert.Equal("5", Assert.Single(response.Headers.GetValues("NGSILD-Results-Count")));
        Assert.Equal(2, Assert.IsType<JsonArray>(await ReadJsonAsync(response)).Count);
    }

    [Fact]
    public async Task Count_leaves_out_entities_without_instances_in_the_range()
    {
        var (type, ids) = await SeedAsync(3);
        await SeriesAsync(type, "v", [(T0.AddDays(2), 99)]);

        var response = await GetAsync($"{TemporalEntities}?type={type}&count=true&timerel=after&timeAt={Hours(24)}");

        await AssertStatus(HttpStatusCode.OK, response);
        Assert.Equal("1", Assert.Single(response.Headers.GetValues("NGSILD-Results-Count")));
        Assert.DoesNotContain(IdsOf(Assert.IsType<JsonArray>(await ReadJsonAsync(response))), ids.Contains);
    }

    [Fact]
    public async Task Without_count_there_is_no_count_header()
    {
        var (type, _) = await SeedAsync(1);

        var response = await GetAsync($"{TemporalEntities}?type={type}");

        await AssertStatus(HttpStatusCode.OK, response);
        Assert.False(response.Headers.Contains("NGSILD-Results-Count"));
    }

    [Fact]
    public async Task Limit_0_with_count_gives_only_the_count()
    {
        var (type, _) = await SeedAsync(3);

        var response = await GetAsync($"{TemporalEntities}?type={type}&count=true&limit=0");

        await AssertStatus(HttpStatusCode.OK, response);
        Assert.Equal("3", Assert.Single(response.Headers.GetValues("NGSILD-Results-Count")));
        Assert.Empty(Assert.IsType<JsonArray>(await ReadJsonAsync(response)));
    }

    [Fact]
    public async Task OrderBy_id_desc_gives_the_histories_in_descending_id_order_and_pages_in_that_order()
    {
        var (type, ids) = await SeedAsync(4);
        var descending = ids.OrderDescending(StringComparer.Ordinal).ToList();

        Assert.Equal(descending, IdsOf(await QueryTemporalAsync($"type={type}&orderBy={Uri.EscapeDataString("id;desc")}")));
        Assert.Equal(descending[2..], IdsOf(await QueryTemporalAsync($"type={type}&orderBy={Uri.EscapeDataString("id;desc")}&offset=2&limit=2")));
        Assert.Equal(ids, IdsOf(await QueryTemporalAsync($"type={type}&orderBy={Uri.EscapeDataString("id;asc")}")));
        Assert.Equal(ids, IdsOf(await QueryTemporalAsync($"type={type}&orderBy=id")));
    }

    [Fact]
    public async Task OrderBy_an_attribute_orders_the_histories_by_the_latest_values_and_pages_in_that_order()
    {
        var (type, ids) = await SeedAsync(4);
        var descending = ids.OrderDescending(StringComparer.Ordinal).ToList();

        Assert.Equal(descending, IdsOf(await QueryTemporalAsync($"type={type}&orderBy={Uri.EscapeDataString("v;desc")}")));
        Assert.Equal(descending[1..3], IdsOf(await QueryTemporalAsync($"type={type}&orderBy={Uri.EscapeDataString("v;desc")}&offset=1&limit=2")));
        Assert.Equal(ids, IdsOf(await QueryTemporalAsync($"type={type}&orderBy=v")));
        Assert.Equal(ids, IdsOf(await QueryTemporalAsync($"type={type}&orderBy={Uri.EscapeDataString("type,v.createdAt")}")));
    }

    [Theory]
    [InlineData("id;up")]
    [InlineData("v;;")]
    [InlineData("")]
    public async Task A_malformed_orderBy_is_400(string orderBy)
    {
        var (type, _) = await SeedAsync(1);

        await AssertProblem(await GetAsync($"{TemporalEntities}?type={type}&orderBy={Uri.EscapeDataString(orderBy)}"), HttpStatusCode.BadRequest, "BadRequestData");
    }

    [Fact]
    public async Task Pick_keeps_only_the_named_members()
    {
        var type = NewType();
        var id = NewId(type);
        await PostTemporalAsync(Entity(id, type, ("a", Array(Property(1, T0))), ("b", Array(Property(2, T0)))));

        var picked = await RetrieveTemporalAsync(id, "pick=id,a");
        var queried = Assert.IsType<JsonObject>(Assert.Single(await QueryTemporalAsync($"type={type}&pick=a")));

        Assert.Equal(["a", "id"], picked.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(["a"], queried.Select(p => p.Key));
        Assert.Equal([1.0], Numbers(queried, "a"));
    }

    [Fact]
    public async Task Omit_leaves_out_the_named_members()
    {
        var type = NewType();
        var id = NewId(type);
        await PostTemporalAsync(Entity(id, type, ("a", Array(Property(1, T0))), ("b", Array(Property(2, T0)))));

        var history = await RetrieveTemporalAsync(id, "omit=type,a");

        Assert.Equal(["b", "id"], history.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal([2.0], Numbers(history, "b"));
    }

    [Fact]
    public async Task Pick_and_omit_together_are_400()
    {
        var type = NewType();
        var id = await SeriesAsync(type, "a", [(T0, 1)]);

        await AssertProblem(await GetAsync(TemporalPath(id) + "?pick=a&omit=type"), HttpStatusCode.BadRequest, "BadRequestData");
    }

    [Fact]
    public async Task DatasetId_keeps_only_the_instances_of_those_datasetIds()
    {
        var type = NewType();
        var id = NewId(type);
        await PostTemporalAsync(Entity(id, type, ("speed", Array(
            Property(1, T0), Property(2, T0.AddHours(1)),
            Property(10, T0, "urn:ngsi-ld:Dataset:gps"), Property(20, T0.AddHours(1), "urn:ngsi-ld:Dataset:gps"),
            Property(100, T0, "urn:ngsi-ld:Dataset:radar")))));

        var gps = await RetrieveTemporalAsync(id, "datasetId=urn:ngsi-ld:Dataset:gps&options=temporalValues");
        var none = await RetrieveTemporalAsync(id, "datasetId=@none&options=temporalValues");
        var two = Series(await RetrieveTemporalAsync(id, "datasetId=@none,urn:ngsi-ld:Dataset:radar&options=temporalValues"), "speed");

        var gpsSeries = Assert.Single(Series(gps, "speed"));
        Assert.Equal("urn:ngsi-ld:Dataset:gps", gpsSeries.DatasetId);
        Assert.Equal([10.0, 20], gpsSeries.Points.Select(p => (double)p.Value!));
        var noneSeries = Assert.Single(Series(none, "speed"));
        Assert.Null(noneSeries.DatasetId);
        Assert.Equal([1.0, 2], noneSeries.Points.Select(p => (double)p.Value!));
        Assert.Equal(["@none", "urn:ngsi-ld:Dataset:radar"], two.Select(s => s.DatasetId ?? "@none").Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_query_by_datasetId_leaves_out_entities_without_instances_of_it()
    {
        var type = NewType();
        var with = NewId(type);
        var without = NewId(type);
        await PostTemporalAsync(Entity(with, type, ("speed", Array(Property(1, T0, "urn:ngsi-ld:Dataset:gps")))));
        await PostTemporalAsync(Entity(without, type, ("speed", Array(Property(1, T0)))));

        Assert.Equal([with], IdsOf(await QueryTemporalAsync($"type={type}&datasetId=urn:ngsi-ld:Dataset:gps")));
    }

    private static JsonObject Location(double longitude, double latitude) => new()
    {
        ["type"] = "GeoProperty",
        ["value"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(longitude, latitude) },
    };
}
