using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests;

/// <summary>
/// Linked entity retrieval (clause 4.5.23): join=inline puts the entities that relationships link to into them, join=flat
/// adds them to the response, joinLevel hops deep; pick and omit reach linked entities through braces (clause 4.21).
/// </summary>
public sealed class LinkedEntityTests(BrokerFactory factory) : BrokerTest<BrokerFactory>(factory)
{
    private sealed record Graph(string Building, string City, string Country);

    /// <summary>A building located in a city that is in a country; each has a name and a description.</summary>
    private async Task<Graph> CreateGraphAsync(string? buildingType = null)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var graph = new Graph($"urn:ngsi-ld:Building:{suffix}", $"urn:ngsi-ld:City:{suffix}", $"urn:ngsi-ld:Country:{suffix}");
        await CreateEntityAsync(graph.Country, "Country", """{"name":{"type":"Property","value":"France"},"description":{"type":"Property","value":"a country"}}""");
        await CreateEntityAsync(graph.City, "City",
            $$$"""{"name":{"type":"Property","value":"Paris"},"description":{"type":"Property","value":"a city"},"isInCountry":{"type":"Relationship","object":"{{{graph.Country}}}"}}""");
        await CreateEntityAsync(graph.Building, buildingType ?? "Building",
            $$$"""{"name":{"type":"Property","value":"Tower"},"locatedAt":{"type":"Relationship","object":"{{{graph.City}}}"}}""");
        return graph;
    }

    private async Task CreateEntityAsync(string id, string type, string attributes)
    {
        var entity = JsonNode.Parse(attributes)!.AsObject();
        entity["id"] = id;
        entity["type"] = type;
        await AssertStatus(HttpStatusCode.Created, await SendAsync(HttpMethod.Post, Entities, entity));
    }

    private static JsonObject Entity(string id, string type, params (string Name, JsonNode Value)[] attributes)
    {
        var entity = new JsonObject { ["id"] = id };
        if (type.Length > 0)
            entity["type"] = type;
        foreach (var (name, value) in attributes)
            entity[name] = value;
        return entity;
    }

    private static JsonObject Property(string value) => new() { ["type"] = "Property", ["value"] = value };

    private static JsonObject Relationship(string target, JsonObject? linked = null)
    {
        var relationship = new JsonObject { ["type"] = "Relationship", ["object"] = target };
        if (linked is not null)
            relationship["entity"] = linked;
        return relationship;
    }

    private static JsonObject Country(Graph g) => Entity(g.Country, "Country", ("name", Property("France")), ("description", Property("a country")));

    private static JsonObject City(Graph g, JsonObject? country = null) =>
        Entity(g.City, "City", ("name", Property("Paris")), ("description", Property("a city")), ("isInCountry", Relationship(g.Country, country)));

    private static JsonObject Building(Graph g, JsonObject? city = null) =>
        Entity(g.Building, "Building", ("name", Property("Tower")), ("locatedAt", Relationship(g.City, city)));

    [Fact]
    public async Task Inline_puts_each_linked_entity_into_its_relationship_up_to_joinLevel()
    {
        var g = await CreateGraphAsync();
        AssertJsonEqual(Building(g, City(g)), await GetJsonAsync($"{Path(g.Building)}?join=inline"));
        AssertJsonEqual(Building(g, City(g, Country(g))), await GetJsonAsync($"{Path(g.Building)}?join=inline&joinLevel=2"));
        AssertJsonEqual(Building(g), await GetJsonAsync($"{Path(g.Building)}?join=@none&joinLevel=2"));
        AssertJsonEqual(Building(g), await GetJsonAsync(Path(g.Building)));
    }

    [Fact]
    public async Task Flat_answers_the_entity_and_the_entities_it_links_to_as_an_array()
    {
        var g = await CreateGraphAsync();
        AssertJsonEqual(new JsonArray(Building(g), City(g)), await GetJsonAsync($"{Path(g.Building)}?join=flat"));
        AssertJsonEqual(new JsonArray(Building(g), City(g), Country(g)), await GetJsonAsync($"{Path(g.Building)}?join=flat&joinLevel=2"));
    }

    [Fact]
    public async Task In_the_simplified_representation_inline_replaces_the_object_and_flat_keeps_it()
    {
        var g = await CreateGraphAsync();
        var inline = await GetJsonAsync($"{Path(g.Building)}?join=inline&joinLevel=2&options=keyValues");
        var country = Entity(g.Country, "Country", ("name", "France"), ("description", "a country"));
        var city = Entity(g.City, "City", ("name", "Paris"), ("description", "a city"), ("isInCountry", country));
        AssertJsonEqual(Entity(g.Building, "Building", ("name", "Tower"), ("locatedAt", city)), inline);
        var flat = await GetJsonAsync($"{Path(g.Building)}?join=flat&options=keyValues");
        AssertJsonEqual(new JsonArray(
                Entity(g.Building, "Building", ("name", "Tower"), ("locatedAt", g.City)),
                Entity(g.City, "City", ("name", "Paris"), ("description", "a city"), ("isInCountry", g.Country))),
            flat);
    }

    [Fact]
    public async Task Pick_and_omit_in_braces_apply_to_the_entities_a_relationship_links_to()
    {
        var g = await CreateGraphAsync();
        var pick = Uri.EscapeDataString("id,locatedAt{id,name,isInCountry{id,description}}");
        var country = Entity(g.Country, "", ("description", Property("a country")));
        var city = Entity(g.City, "", ("name", Property("Paris")), ("isInCountry", Relationship(g.Country, country)));
        AssertJsonEqual(Entity(g.Building, "", ("locatedAt", Relationship(g.City, city))),
            await GetJsonAsync($"{Path(g.Building)}?join=inline&joinLevel=2&pick={pick}"));

        // Without braces the linked entity's relationships are not picked, so the join stops there.
        AssertJsonEqual(new JsonArray(Entity(g.Building, "", ("locatedAt", Relationship(g.City))), Entity(g.City, "", ("name", Property("Paris")))),
            await GetJsonAsync($"{Path(g.Building)}?join=flat&joinLevel=2&pick={Uri.EscapeDataString("id,locatedAt{id,name}")}"));

        var omit = Uri.EscapeDataString("type,locatedAt{name,isInCountry{description}}");
        AssertJsonEqual(new JsonArray(
                Entity(g.Building, "", ("name", Property("Tower")), ("locatedAt", Relationship(g.City))),
                Entity(g.City, "City", ("description", Property("a city")), ("isInCountry", Relationship(g.Country))),
                Entity(g.Country, "Country", ("name", Property("France")))),
            await GetJsonAsync($"{Path(g.Building)}?join=flat&joinLevel=2&omit={omit}"));

        // Omitting the relationship itself leaves nothing to follow.
        AssertJsonEqual(Entity(g.Building, "Building", ("name", Property("Tower"))), await GetJsonAsync($"{Path(g.Building)}?join=flat&omit=locatedAt"));
    }

    [Fact]
    public async Task A_query_joins_every_entity_of_the_page_and_a_flat_join_lists_a_shared_linked_entity_once()
    {
        var type = "Building" + Guid.NewGuid().ToString("N")[..8];
        var g = await CreateGraphAsync(type);
        var second = NewId(type);
        await CreateEntityAsync(second, type, $$$"""{"locatedAt":{"type":"Relationship","object":"{{{g.City}}}"}}""");

        var response = await Client.GetAsync(new Uri($"{Entities}?type={type}&join=flat&joinLevel=2&count=true&attrs=locatedAt", UriKind.Relative));
        await AssertStatus(HttpStatusCode.OK, response);
        var ids = (await ReadJsonAsync(response)).AsArray().Select(e => (string)e!["id"]!).ToList();
        Assert.Equal([.. new[] { g.Building, second }.Order(StringComparer.Ordinal), g.City, g.Country], ids);
        Assert.Equal("2", response.Headers.GetValues("NGSILD-Results-Count").Single());

        var posted = await ReadJsonAsync(await SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entityOperations/query",
            $$$"""{"type":"Query","entities":[{"id":"{{{g.Building}}}","type":"{{{type}}}"}],"join":"inline","joinLevel":2}"""));
        var building = Assert.Single(posted.AsArray())!;
        Assert.Equal(g.Country, (string)building["locatedAt"]!["entity"]!["isInCountry"]!["entity"]!["id"]!);

        var ordered = await GetJsonAsync($"{Entities}?type={type}&join=inline&orderBy=id;desc&limit=1");
        Assert.Equal(g.City, (string)Assert.Single(ordered.AsArray())!["locatedAt"]!["entity"]!["id"]!);
    }

    [Fact]
    public async Task A_missing_or_contained_linked_entity_leaves_the_relationship_as_it_is_and_cycles_end()
    {
        var building = NewId("Building");
        await CreateEntityAsync(building, "Building", """{"locatedAt":{"type":"Relationship","object":"urn:ngsi-ld:City:nowhere"}}""");
        Assert.Null((await GetJsonAsync($"{Path(building)}?join=inline"))["locatedAt"]!["entity"]);
        // A flat join that finds nothing answers the entity alone, not an array (ETSI 018_14_02).
        Assert.Equal(building, (string)Assert.IsType<JsonObject>(await GetJsonAsync($"{Path(building)}?join=flat"))["id"]!);

        var g = await CreateGraphAsync();
        var contained = await GetJsonAsync($"{Path(g.Building)}?join=inline&joinLevel=2&containedBy={Uri.EscapeDataString(g.City)}");
        Assert.Null(contained["locatedAt"]!["entity"]);

        var a = NewId("Node");
        var b = NewId("Node");
        await CreateEntityAsync(a, "Node", $$$"""{"next":{"type":"Relationship","object":"{{{b}}}"}}""");
        await CreateEntityAsync(b, "Node", $$$"""{"next":{"type":"Relationship","object":"{{{a}}}"}}""");
        var flat = await GetJsonAsync($"{Path(a)}?join=flat&joinLevel=5");
        Assert.Equal([a, b], flat.AsArray().Select(e => (string)e!["id"]!));
        var inline = await GetJsonAsync($"{Path(a)}?join=inline&joinLevel=3");
        Assert.Equal(b, (string)inline["next"]!["entity"]!["next"]!["entity"]!["next"]!["entity"]!["id"]!);
        Assert.Null(inline["next"]!["entity"]!["next"]!["entity"]!["next"]!["entity"]!["next"]!["entity"]);
    }

    [Fact]
    public async Task Several_objects_give_an_array_of_entities_and_a_list_relationship_an_entityList()
    {
        var g = await CreateGraphAsync();
        var tour = NewId("Tour");
        await CreateEntityAsync(tour, "Tour", $$$"""
            {"visits":{"type":"Relationship","object":["{{{g.City}}}","{{{g.Country}}}"]},
             "stops":{"type":"ListRelationship","objectList":[{"object":"{{{g.Country}}}"},{"object":"{{{g.City}}}"}]}}
            """);
        var inline = await GetJsonAsync($"{Path(tour)}?join=inline");
        Assert.Equal([g.City, g.Country], inline["visits"]!["entity"]!.AsArray().Select(e => (string)e!["id"]!));
        Assert.Equal([g.Country, g.City], inline["stops"]!["entityList"]!.AsArray().Select(e => (string)e!["id"]!));
        var simplified = await GetJsonAsync($"{Path(tour)}?join=inline&options=keyValues");
        Assert.Equal([g.Country, g.City], simplified["stops"]!.AsArray().Select(e => (string)e!["id"]!));
    }

    [Theory]
    [InlineData("join=sideways")]
    [InlineData("join=flat&joinLevel=0")]
    [InlineData("join=flat&joinLevel=17")]
    [InlineData("join=flat&joinLevel=one")]
    [InlineData("join=flat&containedBy=not%20a%20uri")]
    [InlineData("pick=id,locatedAt%7Bname")]
    [InlineData("pick=id,locatedAt%7Bname%7D%7D")]
    [InlineData("pick=id%7Bname%7D")]
    [InlineData("omit=locatedAt%7B%7D")]
    public async Task A_malformed_join_or_projection_is_bad_request_data(string query)
    {
        var g = await CreateGraphAsync();
        await AssertProblem(await Client.GetAsync(new Uri($"{Path(g.Building)}?{query}", UriKind.Relative)), HttpStatusCode.BadRequest, "BadRequestData");
        await AssertProblem(await Client.GetAsync(new Uri($"{Entities}?type=Building&{query}", UriKind.Relative)), HttpStatusCode.BadRequest, "BadRequestData");
    }

    [Fact]
    public async Task A_malformed_join_in_a_query_payload_is_bad_request_data()
    {
        foreach (var members in new[] { "\"join\":\"deep\"", "\"join\":\"flat\",\"joinLevel\":0", "\"join\":\"flat\",\"joinLevel\":\"2\"", "\"join\":\"flat\",\"containedBy\":[\"x y\"]" })
        {
            var response = await SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entityOperations/query", $$$"""{"type":"Query","entities":[{"type":"Building"}],{{{members}}}}""");
            await AssertProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
        }
    }
}
