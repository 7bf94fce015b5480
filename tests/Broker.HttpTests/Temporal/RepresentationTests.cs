using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Temporal;

/// <summary>
/// The temporal representations (clauses 4.5.6–4.5.9): normalized (an array of instances, each with its instanceId),
/// temporalValues (one [value, instant] pair per instance in the member of its kind), sysAttrs, format and options, and
/// the terms of a Link @context.
/// </summary>
public sealed class RepresentationTests(BrokerFactory factory) : TemporalTest<BrokerFactory>(factory)
{
    private static JsonObject Kind(string type, string member, JsonNode value, DateTimeOffset observedAt) =>
        new() { ["type"] = type, [member] = value, ["observedAt"] = Iso(observedAt) };

    [Fact]
    public async Task TemporalValues_puts_each_kind_in_its_own_member()
    {
        var type = NewType("Museum");
        var id = NewId(type);
        var t1 = T0.AddHours(1);
        await CreateAsync(Entity(id, type,
            ("owner", Kind("Relationship", "object", "urn:ngsi-ld:Organisation:a", T0)),
            ("name", Kind("LanguageProperty", "languageMap", new JsonObject { ["en"] = "Museum", ["de"] = "Museum" }, T0)),
            ("category", Kind("VocabProperty", "vocab", "https://example.org/naturalHistory", T0)),
            ("openingDays", Kind("ListProperty", "valueList", new JsonArray("Tuesday", "Friday"), T0)),
            ("exhibits", Kind("ListRelationship", "objectList", new JsonArray(new JsonObject { ["object"] = "urn:ngsi-ld:Exhibit:1" }), T0)),
            ("annotations", Kind("JsonProperty", "json", new JsonObject { ["rooms"] = new JsonArray(1, 2) }, T0)),
            ("location", Kind("GeoProperty", "value", new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(10.68, 53.86) }, T0))));
        await PatchAttrsAsync(id, new JsonObject
        {
            ["owner"] = Kind("Relationship", "object", "urn:ngsi-ld:Organisation:b", t1),
            ["name"] = Kind("LanguageProperty", "languageMap", new JsonObject { ["en"] = "Natural history museum" }, t1),
        });

        var history = await RetrieveTemporalAsync(id, "options=temporalValues");

        Assert.Equal(["urn:ngsi-ld:Organisation:a", "urn:ngsi-ld:Organisation:b"], Values(history, "owner", "objects").Select(p => (string?)p.Value));
        Assert.Equal([T0, t1], Values(history, "owner", "objects").Select(p => p.At));
        Assert.Equal("Relationship", (string?)history["owner"]!["type"]);
        // Language, vocab and JSON values keep their member, so that they cannot be mistaken for other values (clause 4.5.9).
        var names = Values(history, "name", "languageMaps");
        AssertJsonEqual(JsonNode.Parse("""{"languageMap":{"en":"Museum","de":"Museum"}}"""), names[0].Value);
        AssertJsonEqual(JsonNode.Parse("""{"languageMap":{"en":"Natural history museum"}}"""), names[1].Value);
        Assert.Equal("LanguageProperty", (string?)history["name"]!["type"]);
        AssertJsonEqual(JsonNode.Parse("""{"vocab":"https://example.org/naturalHistory"}"""), Assert.Single(Values(history, "category", "vocabs")).Value);
        AssertJsonEqual(new JsonArray("Tuesday", "Friday"), Assert.Single(Values(history, "openingDays", "valueLists")).Value);
        var exhibits = Assert.IsType<JsonArray>(Assert.Single(Values(history, "exhibits", "objectLists")).Value);
        Assert.Equal(["urn:ngsi-ld:Exhibit:1"], exhibits.Select(e => e is JsonObject o ? (string?)o["object"] : (string?)e));
        AssertJsonEqual(JsonNode.Parse("""{"json":{"rooms":[1,2]}}"""), Assert.Single(Values(history, "annotations", "jsons")).Value);
        AssertJsonEqual(JsonNode.Parse("""{"type":"Point","coordinates":[10.68,53.86]}"""), Assert.Single(Values(history, "location")).Value);
    }

    [Fact]
    public async Task TemporalValues_gives_one_series_per_datasetId()
    {
        var type = NewType();
        var id = NewId(type);
        await PostTemporalAsync(Entity(id, type, ("speed", Array(
            Property(1, T0), Property(2, T0.AddHours(1)), Property(10, T0, "urn:ngsi-ld:Dataset:gps")))));

        var series = Series(await RetrieveTemporalAsync(id, "options=temporalValues"), "speed").ToDictionary(s => s.DatasetId ?? "@none");

        Assert.Equal([1.0, 2], series["@none"].Points.Select(p => (double)p.Value!));
        Assert.Equal([10.0], series["urn:ngsi-ld:Dataset:gps"].Points.Select(p => (double)p.Value!));
        Assert.All(series.Values, s => Assert.Equal("Property", s.Type));
    }

    [Fact]
    public async Task Normalized_instances_keep_what_was_written_with_them()
    {
        var type = NewType();
        var id = NewId(type);
        var written = new JsonObject
        {
            ["type"] = "Property",
            ["value"] = 1250,
            ["observedAt"] = Iso(T0),
            ["unitCode"] = "C62",
            ["reliability"] = new JsonObject { ["type"] = "Property", ["value"] = 0.9 },
            ["countedBy"] = new JsonObject { ["type"] = "Relationship", ["object"] = "urn:ngsi-ld:Sensor:door-1" },
        };
        await CreateAsync(Entity(id, type, ("visitors", written)));

        var instance = Assert.Single(Instances(await RetrieveTemporalAsync(id), "visitors"));

        Assert.NotNull(instance["instanceId"]);
        instance.Remove("instanceId");
        AssertJsonEqual(written, instance);
    }

    [Fact]
    public async Task A_deleted_instance_is_the_NGSI_LD_Null_of_its_kind()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type,
            ("p", Property(1, T0)),
            ("r", Kind("Relationship", "object", "urn:ngsi-ld:Thing:1", T0)),
            ("l", Kind("LanguageProperty", "languageMap", new JsonObject { ["en"] = "x" }, T0))));
        await SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Delete, Path(id));

        var deletions = await RetrieveTemporalAsync(id, "timeproperty=deletedAt");

        Assert.Equal(NgsiLdNull, (string?)Assert.Single(Instances(deletions, "p"))["value"]);
        var relationship = Assert.Single(Instances(deletions, "r"));
        Assert.Equal("Relationship", (string?)relationship["type"]);
        Assert.Equal(NgsiLdNull, (string?)relationship["object"]);
        var language = Assert.Single(Instances(deletions, "l"));
        Assert.Equal("LanguageProperty", (string?)language["type"]);
        AssertJsonEqual(new JsonObject { ["@none"] = NgsiLdNull }, language["languageMap"]);
    }

    [Fact]
    public async Task SysAttrs_adds_the_system_instants_of_the_entity_and_of_each_instance()
    {
        var type = NewType();
        var id = NewId(type);
        await CreateAsync(Entity(id, type, ("v", Property(1, T0))));
        await PatchValueAsync(id, "v", 2, T0.AddHours(1));
        var entity = await GetEntityAsync(id, "?options=sysAttrs");

        var history = await RetrieveTemporalAsync(id, "options=sysAttrs");
        var plain = await RetrieveTemporalAsync(id);

        Assert.Equal(Instant(entity["createdAt"]), Instant(history["createdAt"]));
        Assert.Equal(Instant(entity["modifiedAt"]), Instant(history["modifiedAt"]));
        var instances = Instances(history, "v");
        Assert.All(instances, i => Assert.NotNull(i["createdAt"]));
        Assert.Equal(Instant(entity["v"]!["modifiedAt"]), Instant(instances[^1]["modifiedAt"]));
        Assert.True(Instant(instances[0]["modifiedAt"]) < Instant(instances[1]["modifiedAt"]));
        Assert.Null(plain["createdAt"]);
        Assert.All(Instances(plain, "v"), i => Assert.Null(i["modifiedAt"]));
    }

    [Fact]
    public async Task Format_takes_precedence_over_options()
    {
        var id = await SeriesAsync(NewType(), "v", [(T0, 1), (T0.AddHours(1), 2)]);

        var normalized = await RetrieveTemporalAsync(id, "format=normalized&options=temporalValues");
        var simplified = await RetrieveTemporalAsync(id, "format=temporalValues");
        var keyValues = await RetrieveTemporalAsync(id, "options=keyValues");

        Assert.Equal([1.0, 2], Numbers(normalized, "v"));
        Assert.Equal([1.0, 2], ValueNumbers(simplified, "v"));
        AssertJsonEqual(simplified, keyValues);
    }

    [Fact]
    public async Task TemporalValues_and_aggregatedValues_together_are_400()
    {
        var id = await SeriesAsync(NewType(), "v", [(T0, 1)]);

        var response = await GetAsync(TemporalPath(id) + "?options=temporalValues,aggregatedValues&aggrMethods=sum");

        await AssertProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
    }

    [Fact]
    public async Task Terms_of_a_Link_context_are_compacted_in_the_history()
    {
        const string contextUrl = "https://contexts.example.org/temporal-meter.jsonld";
        Factory.ContextLoader.Serve(contextUrl, """{"@context":{"Meter":"https://example.org/Meter","reading":"https://example.org/reading"}}""");
        var id = NewId("Meter");
        var link = $"<{contextUrl}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"";
        using (var create = Request(HttpMethod.Post, Entities, Entity(id, "Meter", ("reading", Property(5, T0))).ToJsonString()))
        {
            create.Headers.Add("Link", link);
            await AssertStatus(HttpStatusCode.Created, await Client.SendAsync(create));
        }

        using var withContext = Request(HttpMethod.Get, TemporalPath(id) + "?options=temporalValues");
        withContext.Headers.Add("Link", link);
        var compacted = Assert.IsType<JsonObject>(await ReadJsonAsync(await Client.SendAsync(withContext)));
        var expanded = await RetrieveTemporalAsync(id, "options=temporalValues");

        Assert.Equal("Meter", (string?)compacted["type"]);
        Assert.Equal([5.0], ValueNumbers(compacted, "reading"));
        Assert.Equal("https://example.org/Meter", (string?)expanded["type"]);
        Assert.Equal([5.0], ValueNumbers(expanded, "https://example.org/reading"));
    }

    [Fact]
    public async Task Json_ld_responses_carry_the_context_in_the_body()
    {
        var id = await SeriesAsync(NewType(), "v", [(T0, 1)]);

        using var request = Request(HttpMethod.Get, TemporalPath(id));
        request.Headers.Add("Accept", "application/ld+json");
        var response = await Client.SendAsync(request);

        await AssertStatus(HttpStatusCode.OK, response);
        Assert.Equal("application/ld+json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull((await ReadJsonAsync(response))["@context"]);
    }
}
