using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Conformance;

/// <summary>Clause 5.7.1 Retrieve Entity (6.5.3.1) in the representations of clause 4.5.</summary>
public sealed class Clause_5_7_1_RetrieveEntity(BrokerUnderTest broker) : ConformanceTest(broker)
{
    private const string Attributes = """ "speed":{"type":"Property","value":50,"observedAt":"2024-01-01T00:00:00Z"},"isParked":{"type":"Relationship","object":"urn:ngsi-ld:Parking:1"},"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[10.68,53.86]}}""";

    [Fact]
    public async Task Normalized_representation_by_default()
    {
        var id = await CreateAsync("Vehicle", Attributes);

        ExpectJson($$$"""{"id":"{{{id}}}","type":"Vehicle",{{{Attributes}}}}""", await GetJsonAsync(EntityPath(id)));
    }

    [Fact]
    public async Task KeyValues_representation()
    {
        var id = await CreateAsync("Vehicle", Attributes);

        ExpectJson($$$"""{"id":"{{{id}}}","type":"Vehicle","speed":50,"isParked":"urn:ngsi-ld:Parking:1","location":{"type":"Point","coordinates":[10.68,53.86]}}""",
            await GetJsonAsync($"{EntityPath(id)}?options=keyValues"));
    }

    [Fact]
    public async Task Concise_representation_has_no_attribute_types()
    {
        var id = await CreateAsync("Vehicle", Attributes);

        var entity = await GetJsonAsync($"{EntityPath(id)}?options=concise");

        ExpectJson("""{"value":50,"observedAt":"2024-01-01T00:00:00Z"}""", entity["speed"]);
        ExpectJson("""{"object":"urn:ngsi-ld:Parking:1"}""", entity["isParked"]);
    }

    [Fact]
    public async Task SysAttrs_adds_createdAt_and_modifiedAt()
    {
        var id = await CreateAsync("Vehicle", Attributes);

        var entity = await GetJsonAsync($"{EntityPath(id)}?options=sysAttrs");

        Assert.NotNull((string?)entity["createdAt"]);
        Assert.NotNull((string?)entity["modifiedAt"]);
        Assert.NotNull((string?)entity["speed"]!["createdAt"]);
    }

    [Fact]
    public async Task Unknown_entity_is_404_ResourceNotFound()
    {
        await CreateAsync("Vehicle");

        await ExpectProblem(await Client.GetAsync(Relative(EntityPath(NewId("Vehicle")))), HttpStatusCode.NotFound, "ResourceNotFound");
    }
}

/// <summary>Clause 5.7.2 Query Entities (6.4.3.2), pagination (5.5.9) and counting (4.13).</summary>
public sealed class Clause_5_7_2_QueryEntities(BrokerUnderTest broker) : ConformanceTest(broker)
{
    private async Task<(string Type, List<string> Ids)> SeedAsync(int count)
    {
        var type = "Sensor" + Guid.NewGuid().ToString("N")[..8];
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
            ids.Add(await CreateAsync(type, $$$""" "n":{"type":"Property","value":{{{i}}}}"""));
        return (type, ids);
    }

    [Fact]
    public async Task Type_selects_the_entities_of_the_type()
    {
        var (type, ids) = await SeedAsync(3);

        var found = Assert.IsType<JsonArray>(await GetJsonAsync($"{Entities}?type={type}"));

        Assert.Equal(ids.Order(StringComparer.Ordinal), found.Select(e => (string)e!["id"]!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Pagination_with_count_returns_every_entity_once()
    {
        var (type, ids) = await SeedAsync(5);

        var seen = new List<string>();
        for (var offset = 0; offset < 5; offset += 2)
        {
            var response = await Client.GetAsync(Relative($"{Entities}?type={type}&limit=2&offset={offset}&count=true"));
            await ExpectStatus(HttpStatusCode.OK, response);
            Assert.Equal("5", Assert.Single(response.Headers.GetValues("NGSILD-Results-Count")));
            seen.AddRange(Assert.IsType<JsonArray>(await ReadJsonAsync(response)).Select(e => (string)e!["id"]!));
        }

        Assert.Equal(ids.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task IdPattern_selects_matching_ids()
    {
        var (type, ids) = await SeedAsync(2);

        var found = Assert.IsType<JsonArray>(await GetJsonAsync($"{Entities}?type={type}&idPattern={Uri.EscapeDataString("^" + ids[1] + "$")}"));

        Assert.Equal([ids[1]], found.Select(e => (string)e!["id"]!));
    }

    [Fact]
    public async Task A_query_without_selector_is_400_BadRequestData()
    {
        await SeedAsync(1);

        await ExpectProblem(await Client.GetAsync(Relative(Entities)), HttpStatusCode.BadRequest, "BadRequestData");
    }
}

/// <summary>Clause 5.7.5 Retrieve Available Entity Types (6.25.3.1).</summary>
public sealed class Clause_5_7_5_RetrieveAvailableEntityTypes(BrokerUnderTest broker) : ConformanceTest(broker)
{
    [Fact]
    public async Task EntityTypeList_names_every_type_of_the_tenant()
    {
        await CreateAsync("Building");
        await CreateAsync("Tree");

        var list = await GetJsonAsync("ngsi-ld/v1/types");

        Assert.Equal("EntityTypeList", (string?)list["type"]);
        Assert.Equal(["Building", "Tree"], list["typeList"]!.AsArray().Select(t => (string?)t).Order(StringComparer.Ordinal));
    }
}

/// <summary>Clause 5.7.6 Retrieve Details of Available Entity Types (6.25.3.1 with details=true).</summary>
public sealed class Clause_5_7_6_RetrieveEntityTypeDetails(BrokerUnderTest broker) : ConformanceTest(broker)
{
    [Fact]
    public async Task EntityType_lists_attribute_names()
    {
        await CreateAsync("Building", """ "height":{"type":"Property","value":1}""");

        var types = Assert.IsType<JsonArray>(await GetJsonAsync("ngsi-ld/v1/types?details=true"));

        var building = Assert.Single(types)!;
        Assert.Equal("EntityType", (string?)building["type"]);
        Assert.Equal("Building", (string?)building["typeName"]);
        Assert.Equal(["height"], building["attributeNames"]!.AsArray().Select(a => (string?)a));
    }
}

/// <summary>Clause 5.7.7 Retrieve Available Entity Type Information (6.26.3.1).</summary>
public sealed class Clause_5_7_7_RetrieveEntityTypeInformation(BrokerUnderTest broker) : ConformanceTest(broker)
{
    [Fact]
    public async Task EntityTypeInfo_counts_entities_and_describes_attributes()
    {
        await CreateAsync("Building", """ "owner":{"type":"Relationship","object":"urn:ngsi-ld:Person:1"}""");
        await CreateAsync("Building");

        var info = await GetJsonAsync("ngsi-ld/v1/types/Building");

        Assert.Equal("EntityTypeInfo", (string?)info["type"]);
        Assert.Equal(2, (int)info["entityCount"]!);
        var owner = Assert.Single(info["attributeDetails"]!.AsArray())!;
        Assert.Equal("owner", (string?)owner["attributeName"]);
        Assert.Equal(["Relationship"], owner["attributeTypes"]!.AsArray().Select(t => (string?)t));
    }

    [Fact]
    public async Task Unknown_type_is_404()
    {
        await CreateAsync("Building");

        await ExpectProblem(await Client.GetAsync(Relative("ngsi-ld/v1/types/Castle")), HttpStatusCode.NotFound, "ResourceNotFound");
    }
}

/// <summary>Clause 5.7.8 Retrieve Available Attributes (6.27.3.1).</summary>
public sealed class Clause_5_7_8_RetrieveAvailableAttributes(BrokerUnderTest broker) : ConformanceTest(broker)
{
    [Fact]
    public async Task AttributeList_names_every_attribute()
    {
        await CreateAsync("Building", """ "height":{"type":"Property","value":1},"owner":{"type":"Relationship","object":"urn:ngsi-ld:Person:1"}""");

        var list = await GetJsonAsync("ngsi-ld/v1/attributes");

        Assert.Equal("AttributeList", (string?)list["type"]);
        Assert.Equal(["height", "owner"], list["attributeList"]!.AsArray().Select(a => (string?)a).Order(StringComparer.Ordinal));
    }
}

/// <summary>Clause 5.7.9 Retrieve Details of Available Attributes (6.27.3.1 with details=true).</summary>
public sealed class Clause_5_7_9_RetrieveAttributeDetails(BrokerUnderTest broker) : ConformanceTest(broker)
{
    [Fact]
    public async Task Attribute_details_give_type_names_and_the_attribute_its_counts()
    {
        await CreateAsync("Building", """ "height":{"type":"Property","value":1}""");
        await CreateAsync("Tree", """ "height":{"type":"Property","value":2}""");

        var details = Assert.IsType<JsonArray>(await GetJsonAsync("ngsi-ld/v1/attributes?details=true"));

        var height = Assert.Single(details)!;
        Assert.Equal("Attribute", (string?)height["type"]);
        Assert.Equal(["Building", "Tree"], height["typeNames"]!.AsArray().Select(t => (string?)t).Order(StringComparer.Ordinal));
        var single = await GetJsonAsync("ngsi-ld/v1/attributes/height");
        Assert.Equal(2, (int)single["attributeCount"]!);
        Assert.Equal(["Property"], single["attributeTypes"]!.AsArray().Select(t => (string?)t));
    }
}

/// <summary>Clause 5.7.10 Retrieve Available Attribute Information (6.28.3.1).</summary>
public sealed class Clause_5_7_10_RetrieveAttributeInformation(BrokerUnderTest broker) : ConformanceTest(broker)
{
    [Fact]
    public async Task Attribute_information_of_one_attribute()
    {
        await CreateAsync("Building", """ "location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[1,2]}}""");

        var info = await GetJsonAsync("ngsi-ld/v1/attributes/location");

        Assert.Equal("location", (string?)info["attributeName"]);
        Assert.Equal(["GeoProperty"], info["attributeTypes"]!.AsArray().Select(t => (string?)t));
    }

    [Fact]
    public async Task Unknown_attribute_is_404()
    {
        await CreateAsync("Building");

        await ExpectProblem(await Client.GetAsync(Relative("ngsi-ld/v1/attributes/colour")), HttpStatusCode.NotFound, "ResourceNotFound");
    }
}
