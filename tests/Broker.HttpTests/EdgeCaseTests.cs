using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests;

/// <summary>Less travelled paths of the entity API: awkward ids, content negotiation details, merge-patch of sub-attributes, 207 corner cases.</summary>
public sealed class EdgeCaseTests(BrokerFactory factory) : BrokerTest<BrokerFactory>(factory)
{
    /// <summary>RFC 3986 section 2.1: the id in the URL path is percent-encoded; "/" travels as %2F and must be decoded again.</summary>
    [Theory]
    [InlineData("urn:ngsi-ld:Thing:a/b")]
    [InlineData("urn:ngsi-ld:Thing:a%20b")]
    [InlineData("urn:ngsi-ld:Thing:ä-ö")]
    [InlineData("https://example.org/things/1?x=1")]
    [InlineData("urn:ngsi-ld:Thing:a#frag")]
    public async Task An_id_with_reserved_characters_can_be_created_read_and_deleted_through_its_Location(string id)
    {
        var created = await SendAsync(HttpMethod.Post, Entities, new JsonObject { ["id"] = id, ["type"] = "Thing" });
        await AssertStatus(HttpStatusCode.Created, created);

        var location = created.Headers.Location!.OriginalString;
        var entity = await GetJsonAsync(location);
        Assert.Equal(id, (string?)entity["id"]);
        var query = Assert.IsType<JsonArray>(await GetJsonAsync($"{Entities}?id={Uri.EscapeDataString(id)}&local=true"));
        Assert.Equal(id, (string?)Assert.Single(query)!["id"]);
        await AssertStatus(HttpStatusCode.NoContent, await Client.DeleteAsync(new Uri(location, UriKind.Relative)));
        await AssertEntityAbsent(id);
    }

    [Fact]
    public async Task Unicode_and_large_numbers_round_trip()
    {
        var id = await CreateAsync("Thing", """ "label":{"type":"Property","value":"Lübeck – 北京 – \ud83d\ude80"},"big":{"type":"Property","value":9007199254740993},"tiny":{"type":"Property","value":1.5e-300}""");

        var entity = await GetEntityAsync(id, "?options=keyValues");

        Assert.Equal("Lübeck – 北京 – 🚀", (string?)entity["label"]);
        Assert.Equal("9007199254740993", entity["big"]!.ToJsonString());
        Assert.Equal(1.5e-300, (double)entity["tiny"]!);
    }

    [Theory]
    [InlineData("*/*", "application/json")]
    [InlineData("application/*", "application/json")]
    [InlineData("application/ld+json", "application/ld+json")]
    [InlineData("application/json;q=0.5, application/ld+json", "application/ld+json")]
    [InlineData("application/ld+json;q=0.2, application/json", "application/json")]
    [InlineData("text/html, application/json;q=0.1", "application/json")]
    public async Task Accept_selects_the_response_media_type(string accept, string expected)
    {
        var id = await CreateAsync("Thing");
        var request = new HttpRequestMessage(HttpMethod.Get, Path(id));
        request.Headers.TryAddWithoutValidation("Accept", accept);

        var response = await Client.SendAsync(request);

        await AssertStatus(HttpStatusCode.OK, response);
        Assert.Equal(expected, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(expected == "application/ld+json", (await ReadJsonAsync(response))["@context"] is not null);
    }

    [Fact]
    public async Task A_query_as_ld_json_gives_every_entity_its_context()
    {
        var type = "Ld" + Guid.NewGuid().ToString("N")[..6];
        await CreateAsync(type);
        await CreateAsync(type);
        var request = new HttpRequestMessage(HttpMethod.Get, $"{Entities}?type={type}");
        request.Headers.Add("Accept", "application/ld+json");

        var response = await Client.SendAsync(request);

        await AssertStatus(HttpStatusCode.OK, response);
        var entities = Assert.IsType<JsonArray>(await ReadJsonAsync(response));
        Assert.Equal(2, entities.Count);
        Assert.All(entities, e => Assert.Equal(CoreContextUrl, (string?)e!["@context"]));
    }

    [Fact]
    public async Task Lang_star_selects_any_one_language()
    {
        // As the ETSI suite reads clause 4.15 (test 018_07_03): "*" matches any language, and one is shown.
        var id = await CreateAsync("Thing", """ "name":{"type":"LanguageProperty","languageMap":{"fr":"Grand Place","nl":"Grote Markt"}}""");

        var entity = await GetEntityAsync(id, "?lang=*");

        AssertJsonEqual(JsonNode.Parse("""{"type":"Property","value":"Grand Place","lang":"fr"}"""), WithoutTimestamps(entity["name"]));
    }

    [Fact]
    public async Task Lang_applies_to_query_results_too()
    {
        var type = "Lang" + Guid.NewGuid().ToString("N")[..6];
        await CreateAsync(type, """ "name":{"type":"LanguageProperty","languageMap":{"fr":"Grand Place","nl":"Grote Markt"}}""");

        var result = Assert.IsType<JsonArray>(await GetJsonAsync($"{Entities}?type={type}&lang=fr&options=keyValues"));

        Assert.Equal("Grand Place", (string?)Assert.Single(result)!["name"]);
    }

    [Fact]
    public async Task Merge_patch_null_on_a_sub_attribute_deletes_only_that_sub_attribute()
    {
        var id = await CreateAsync("Thing", """ "temp":{"type":"Property","value":20,"accuracy":{"type":"Property","value":0.1},"sensor":{"type":"Relationship","object":"urn:ngsi-ld:Sensor:1"}}""");

        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Patch, Path(id), """{"temp":{"value":21,"accuracy":null}}"""));

        var temp = (await GetEntityAsync(id))["temp"]!;
        Assert.Null(temp["accuracy"]);
        Assert.Equal("urn:ngsi-ld:Sensor:1", (string?)temp["sensor"]!["object"]);
        Assert.Equal(21, (int)temp["value"]!);
    }

    [Fact]
    public async Task Merge_patch_with_a_new_type_adds_it()
    {
        var id = await CreateAsync("Thing");

        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Patch, Path(id), """{"type":"Gadget"}"""));

        var types = (await GetEntityAsync(id))["type"]!;
        var names = types is JsonArray array ? array.Select(t => (string?)t).ToList() : [(string?)types];
        Assert.Equal(["Gadget", "Thing"], names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Merge_patch_with_an_empty_object_is_400()
    {
        var id = await CreateAsync("Thing");

        await AssertProblem(await SendAsync(HttpMethod.Patch, Path(id), "{}"), HttpStatusCode.BadRequest, "BadRequestData");
    }

    [Fact]
    public async Task Append_with_noOverwrite_when_every_attribute_exists_is_207_with_nothing_updated()
    {
        var id = await CreateAsync("Thing", """ "a":{"type":"Property","value":1}""");

        var response = await SendAsync(HttpMethod.Post, AttrsPath(id) + "?options=noOverwrite", """{"a":{"type":"Property","value":2}}""");

        await AssertStatus(HttpStatusCode.MultiStatus, response);
        Assert.Empty((await ReadJsonAsync(response))["updated"]!.AsArray());
        Assert.Equal(1, (int)(await GetEntityAsync(id))["a"]!["value"]!);
    }

    [Fact]
    public async Task Update_with_an_unknown_datasetId_adds_that_instance_beside_the_others()
    {
        var id = await CreateAsync("Thing", """ "a":{"type":"Property","value":1,"datasetId":"urn:ngsi-ld:Dataset:1"}""");

        var response = await SendAsync(HttpMethod.Patch, AttrsPath(id), """{"a":{"type":"Property","value":2,"datasetId":"urn:ngsi-ld:Dataset:2"}}""");

        await AssertStatus(HttpStatusCode.NoContent, response);
        var instances = (await GetEntityAsync(id))["a"]!.AsArray();
        Assert.Equal([1, 2], instances.Select(i => (int)i!["value"]!).Order());
    }

    [Fact]
    public async Task Attribute_operations_on_an_unknown_entity_are_404()
    {
        await CreateAsync("Thing");
        var id = NewId("Thing");

        await AssertProblem(await SendAsync(HttpMethod.Patch, AttrPath(id, "a"), """{"value":1}"""), HttpStatusCode.NotFound, "ResourceNotFound");
        await AssertProblem(await SendAsync(HttpMethod.Put, AttrPath(id, "a"), """{"type":"Property","value":1}"""), HttpStatusCode.NotFound, "ResourceNotFound");
        await AssertProblem(await Client.DeleteAsync(new Uri(AttrPath(id, "a"), UriKind.Relative)), HttpStatusCode.NotFound, "ResourceNotFound");
        await AssertEntityAbsent(id);
    }

    [Fact]
    public async Task An_entity_with_two_types_is_found_by_either()
    {
        var first = "A" + Guid.NewGuid().ToString("N")[..6];
        var second = "B" + Guid.NewGuid().ToString("N")[..6];
        var id = NewId("Multi");
        await AssertStatus(HttpStatusCode.Created, await SendAsync(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":["{{{first}}}","{{{second}}}"]}"""));

        var byFirst = Assert.IsType<JsonArray>(await GetJsonAsync($"{Entities}?type={first}"));
        var bySecond = Assert.IsType<JsonArray>(await GetJsonAsync($"{Entities}?type={second}"));

        Assert.Equal(id, (string?)Assert.Single(byFirst)!["id"]);
        Assert.Equal(id, (string?)Assert.Single(bySecond)!["id"]);
    }

    [Fact]
    public async Task A_query_for_an_attribute_no_entity_has_is_empty()
    {
        await CreateAsync("Thing");

        Assert.Empty(Assert.IsType<JsonArray>(await GetJsonAsync($"{Entities}?attrs=nobodyHasThis{Guid.NewGuid():N}")));
    }
}
