using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests;

/// <summary>Retrieve entity (clause 5.7.1, 6.5.3.1) in every representation (clause 4.5), with projection (clause 4.21) and lang (clause 4.15).</summary>
public sealed class RetrieveEntityTests(BrokerFactory factory) : BrokerTest<BrokerFactory>(factory)
{
    private async Task<string> CreateMuseumAsync()
    {
        var id = NewId("Museum");
        var response = await SendAsync(HttpMethod.Post, Entities, Expected("all-kinds.json", id));
        await AssertStatus(HttpStatusCode.Created, response);
        return id;
    }

    [Fact]
    public async Task All_eight_attribute_kinds_round_trip_in_the_normalized_representation()
    {
        var id = await CreateMuseumAsync();

        var entity = await GetEntityAsync(id);

        AssertMatchesFile("all-kinds.json", id, entity);
    }

    [Fact]
    public async Task Options_normalized_and_format_normalized_are_the_default_representation()
    {
        var id = await CreateMuseumAsync();

        // exhibits (a ListRelationship) has its own test: Normalized_ListRelationship_objectList_holds_object_members.
        AssertMatchesFile("all-kinds.json", id, await GetEntityAsync(id, "?options=normalized&omit=exhibits"), "exhibits");
        AssertMatchesFile("all-kinds.json", id, await GetEntityAsync(id, "?format=normalized&omit=exhibits"), "exhibits");
    }

    [Fact]
    public async Task Concise_representation_drops_type_members_and_shortens_plain_properties()
    {
        var id = await CreateMuseumAsync();

        AssertMatchesFile("all-kinds-concise.json", id, await GetEntityAsync(id, "?options=concise&omit=location"));
        AssertMatchesFile("all-kinds-concise.json", id, await GetEntityAsync(id, "?format=concise&omit=location"));
    }

    /// <summary>Clause 4.5.18.3 (concise GeoProperty): without metadata a GeoProperty is its GeoJSON geometry, recognisable by its GeoJSON type.</summary>
    [Fact]
    public async Task Concise_GeoProperty_without_metadata_is_the_bare_geometry()
    {
        var id = await CreateMuseumAsync();

        var entity = await GetEntityAsync(id, "?options=concise&attrs=location");

        AssertJsonEqual(JsonNode.Parse("""{"type":"Point","coordinates":[10.6866,53.8655]}"""), entity["location"]);
    }

    /// <summary>Clause 5.2.37 (OpenAPI ListRelationship.objectList): normalized elements are {"object": uri}, concise ones bare URIs.</summary>
    [Fact]
    public async Task Normalized_ListRelationship_objectList_holds_object_members()
    {
        var id = await CreateMuseumAsync();

        var entity = await GetEntityAsync(id, "?attrs=exhibits");

        AssertJsonEqual(JsonNode.Parse("""[{"object":"urn:ngsi-ld:Exhibit:1"},{"object":"urn:ngsi-ld:Exhibit:2"}]"""), entity["exhibits"]!["objectList"]);
    }

    public static TheoryData<string, string> EveryKind => new()
    {
        { "Property", """{"type":"Property","value":{"nested":[1,"two",null]},"unitCode":"MTR"}""" },
        { "Relationship", """{"type":"Relationship","object":"urn:ngsi-ld:Person:ada"}""" },
        { "GeoProperty", """{"type":"GeoProperty","value":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}}""" },
        { "LanguageProperty", """{"type":"LanguageProperty","languageMap":{"fr":"Grand Place","nl":"Grote Markt"}}""" },
        { "VocabProperty", """{"type":"VocabProperty","vocab":["monument","sightseeing"]}""" },
        { "ListProperty", """{"type":"ListProperty","valueList":[3,1,2]}""" },
        { "JsonProperty", """{"type":"JsonProperty","json":[{"a":1},{"b":[true,false]}]}""" },
        { "Property with sub-attributes", """{"type":"Property","value":7,"observedAt":"2024-01-02T03:04:05.678Z","accuracy":{"type":"Property","value":0.5},"measuredBy":{"type":"Relationship","object":"urn:ngsi-ld:Sensor:9"}}""" },
    };

    [Theory]
    [MemberData(nameof(EveryKind))]
    public async Task Each_attribute_kind_round_trips_in_the_normalized_representation(string kind, string attribute)
    {
        var id = await CreateAsync("Place", $" \"attr\":{attribute}");

        var entity = await GetEntityAsync(id);

        Assert.True(kind.Length > 0);
        AssertJsonEqual(JsonNode.Parse(attribute), WithoutTimestamps(entity["attr"]));
    }

    /// <summary>
    /// Clause 4.5.4: in the simplified representation a LanguageProperty keeps its languageMap member, a VocabProperty
    /// its vocab member and a JsonProperty its json member, so that they cannot be mistaken for plain object values.
    /// </summary>
    [Fact]
    public async Task KeyValues_representation_has_only_values()
    {
        var id = await CreateMuseumAsync();

        AssertMatchesFile("all-kinds-keyvalues.json", id, await GetEntityAsync(id, "?options=keyValues"));
    }

    [Fact]
    public async Task KeyValues_of_lists_are_plain_arrays()
    {
        var id = await CreateMuseumAsync();

        var entity = await GetEntityAsync(id, "?options=keyValues&attrs=openingDays,exhibits");

        AssertJsonEqual(JsonNode.Parse("""["Tuesday","Wednesday","Thursday"]"""), entity["openingDays"]);
        AssertJsonEqual(JsonNode.Parse("""["urn:ngsi-ld:Exhibit:1","urn:ngsi-ld:Exhibit:2"]"""), entity["exhibits"]);
    }

    [Fact]
    public async Task KeyValues_of_plain_attributes_are_their_values()
    {
        var id = await CreateAsync("Shop", """ "open":{"type":"Property","value":true},"owner":{"type":"Relationship","object":"urn:ngsi-ld:Person:1"},"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[1,2]}}""");

        var entity = await GetEntityAsync(id, "?options=keyValues");
        var simplified = await GetEntityAsync(id, "?format=simplified");

        var expected = JsonNode.Parse($$$"""{"id":"{{{id}}}","type":"Shop","open":true,"owner":"urn:ngsi-ld:Person:1","location":{"type":"Point","coordinates":[1,2]}}""");
        AssertJsonEqual(expected, entity);
        AssertJsonEqual(expected, simplified);
    }

    [Fact]
    public async Task SysAttrs_adds_createdAt_and_modifiedAt_to_the_entity_and_every_attribute()
    {
        var id = await CreateMuseumAsync();

        var entity = await GetEntityAsync(id, "?options=sysAttrs&omit=exhibits");

        foreach (var node in new JsonNode?[] { entity, entity["visitors"], entity["owner"], entity["name"], entity["visitors"]!["reliability"] })
        {
            var createdAt = (string?)node!["createdAt"];
            var modifiedAt = (string?)node["modifiedAt"];
            Assert.NotNull(createdAt);
            Assert.NotNull(modifiedAt);
            Assert.EndsWith("Z", createdAt, StringComparison.Ordinal);
            Assert.True(DateTimeOffset.UtcNow - DateTimeOffset.Parse(createdAt, System.Globalization.CultureInfo.InvariantCulture) < TimeSpan.FromMinutes(5));
        }
        AssertMatchesFile("all-kinds.json", id, entity, "exhibits");
        Assert.Null((await GetEntityAsync(id))["createdAt"]);
    }

    [Fact]
    public async Task Attrs_keeps_only_the_listed_attributes()
    {
        var id = await CreateMuseumAsync();

        var entity = await GetEntityAsync(id, "?attrs=visitors,category");

        Assert.Equal(["category", "id", "type", "visitors"], entity.Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Pick_keeps_only_the_listed_members_including_id_and_type()
    {
        var id = await CreateMuseumAsync();

        var entity = await GetEntityAsync(id, "?pick=id,name");

        Assert.Equal(["id", "name"], entity.Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Omit_removes_the_listed_members()
    {
        var id = await CreateMuseumAsync();

        var entity = await GetEntityAsync(id, "?omit=type,visitors,owner,location,name,category,openingDays");

        Assert.Equal(["annotations", "exhibits", "id"], entity.Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Pick_and_omit_together_are_400()
    {
        var id = await CreateMuseumAsync();

        var response = await Client.GetAsync(new Uri(Path(id) + "?pick=name&omit=type", UriKind.Relative));

        await AssertProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
    }

    [Fact]
    public async Task Attrs_naming_no_attribute_of_the_entity_is_404()
    {
        var id = await CreateMuseumAsync();

        var response = await Client.GetAsync(new Uri(Path(id) + "?attrs=doesNotExist", UriKind.Relative));

        await AssertProblem(response, HttpStatusCode.NotFound, "ResourceNotFound");
    }

    [Fact]
    public async Task Lang_turns_a_LanguageProperty_into_a_Property_in_the_chosen_language()
    {
        var id = await CreateMuseumAsync();

        var entity = await GetEntityAsync(id, "?lang=en&attrs=name");

        AssertMatchesFile("all-kinds-lang-en.json", id, entity);
    }

    [Fact]
    public async Task Lang_with_an_unknown_language_falls_back_to_some_language_of_the_map()
    {
        var id = await CreateMuseumAsync();

        var entity = await GetEntityAsync(id, "?lang=fr&attrs=name");

        var name = entity["name"]!;
        Assert.Equal("Property", (string?)name["type"]);
        Assert.Contains((string?)name["lang"], new[] { "de", "en" });
        Assert.Equal((string?)name["lang"] == "de" ? "Museum für Natur und Umwelt" : "Museum of Nature and Environment", (string?)name["value"]);
    }

    [Fact]
    public async Task Lang_in_keyValues_gives_the_string()
    {
        var id = await CreateMuseumAsync();

        var entity = await GetEntityAsync(id, "?lang=de&options=keyValues&attrs=name");

        Assert.Equal("Museum für Natur und Umwelt", (string?)entity["name"]);
    }

    [Fact]
    public async Task Retrieve_of_an_unknown_entity_is_404_ResourceNotFound()
    {
        await CreateMuseumAsync();

        var response = await Client.GetAsync(new Uri(Path(NewId("Museum")), UriKind.Relative));

        await AssertProblem(response, HttpStatusCode.NotFound, "ResourceNotFound");
    }

    [Fact]
    public async Task Retrieve_with_an_id_that_is_not_a_URI_is_400()
    {
        var response = await Client.GetAsync(new Uri($"{Entities}/not-a-uri", UriKind.Relative));

        await AssertProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
    }

    [Theory]
    [InlineData("?options=fancy", "InvalidRequest")]
    [InlineData("?format=xml", "InvalidRequest")]
    [InlineData("?unknown=1", "InvalidRequest")]
    [InlineData("?lang=%3C%3E", "BadRequestData")]
    public async Task Retrieve_with_an_invalid_parameter_is_400(string query, string errorType)
    {
        // Unknown parameters and option values are InvalidRequest (clause 6.3.20, ETSI tests 018_16 and 059_01).
        var id = await CreateMuseumAsync();

        var response = await Client.GetAsync(new Uri(Path(id) + query, UriKind.Relative));

        await AssertProblem(response, HttpStatusCode.BadRequest, errorType);
    }

    [Theory]
    [InlineData("text/html")]
    [InlineData("application/xml")]
    [InlineData("text/html;q=1, text/plain")]
    public async Task Retrieve_with_an_unsupported_Accept_is_406_NotAcceptable(string accept)
    {
        var id = await CreateMuseumAsync();
        var request = new HttpRequestMessage(HttpMethod.Get, Path(id));
        request.Headers.TryAddWithoutValidation("Accept", accept);

        var response = await Client.SendAsync(request);

        await AssertProblem(response, HttpStatusCode.NotAcceptable, "NotAcceptable");
    }

    [Fact]
    public async Task Retrieve_as_ld_json_carries_the_context_in_the_body_and_no_Link_header()
    {
        var id = await CreateMuseumAsync();
        var request = new HttpRequestMessage(HttpMethod.Get, Path(id));
        request.Headers.Add("Accept", "application/ld+json");

        var response = await Client.SendAsync(request);

        await AssertStatus(HttpStatusCode.OK, response);
        Assert.Equal("application/ld+json", response.Content.Headers.ContentType?.MediaType);
        var entity = await ReadJsonAsync(response);
        Assert.Equal(CoreContextUrl, (string?)entity["@context"]);
        Assert.False(response.Headers.Contains("Link"));
    }

    [Fact]
    public async Task Retrieve_as_json_names_the_context_in_a_Link_header()
    {
        var id = await CreateMuseumAsync();

        var response = await Client.GetAsync(new Uri(Path(id), UriKind.Relative));

        await AssertStatus(HttpStatusCode.OK, response);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var link = Assert.Single(response.Headers.GetValues("Link"));
        Assert.Contains($"<{CoreContextUrl}>", link, StringComparison.Ordinal);
        Assert.Contains("rel=\"http://www.w3.org/ns/json-ld#context\"", link, StringComparison.Ordinal);
        Assert.Null((await ReadJsonAsync(response))["@context"]);
    }
}
