using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests;

/// <summary>Type and attribute discovery (clause 5.7.5–5.7.10, 6.25–6.28). The class's tenant holds only what these tests create.</summary>
public sealed class DiscoveryTests(BrokerFactory factory) : BrokerTest<BrokerFactory>(factory)
{
    private static readonly SemaphoreSlim SeedLock = new(1, 1);
    private static bool _seeded;

    /// <summary>Two Buildings (height: Property; owner: Relationship on one) and one Tree (height: Property, location: GeoProperty).</summary>
    private async Task SeedAsync()
    {
        await SeedLock.WaitAsync();
        try
        {
            if (_seeded)
                return;
            await CreateAsync("Building", """ "height":{"type":"Property","value":10},"owner":{"type":"Relationship","object":"urn:ngsi-ld:Person:1"}""");
            await CreateAsync("Building", """ "height":{"type":"Property","value":20}""");
            await CreateAsync("Tree", """ "height":{"type":"Property","value":5},"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[1,2]}}""");
            _seeded = true;
        }
        finally
        {
            SeedLock.Release();
        }
    }

    [Fact]
    public async Task Types_lists_every_entity_type()
    {
        await SeedAsync();

        var list = await GetJsonAsync("/ngsi-ld/v1/types");

        Assert.Equal("EntityTypeList", (string?)list["type"]);
        Assert.StartsWith("urn:", (string?)list["id"], StringComparison.Ordinal);
        Assert.Equal(["Building", "Tree"], list["typeList"]!.AsArray().Select(t => (string?)t).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Types_with_details_lists_the_attribute_names_of_each_type()
    {
        await SeedAsync();

        var details = Assert.IsType<JsonArray>(await GetJsonAsync("/ngsi-ld/v1/types?details=true"));

        var building = details.Single(t => (string?)t!["typeName"] == "Building")!;
        Assert.Equal("EntityType", (string?)building["type"]);
        Assert.Equal(DefaultVocabulary + "Building", (string?)building["id"]);
        Assert.Equal(["height", "owner"], building["attributeNames"]!.AsArray().Select(a => (string?)a).Order(StringComparer.Ordinal));
        var tree = details.Single(t => (string?)t!["typeName"] == "Tree")!;
        Assert.Equal(["height", "location"], tree["attributeNames"]!.AsArray().Select(a => (string?)a).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Type_info_counts_the_entities_and_gives_the_attribute_types()
    {
        await SeedAsync();

        var info = await GetJsonAsync("/ngsi-ld/v1/types/Building");

        Assert.Equal("EntityTypeInfo", (string?)info["type"]);
        Assert.Equal("Building", (string?)info["typeName"]);
        Assert.Equal(2, (int)info["entityCount"]!);
        var attributes = info["attributeDetails"]!.AsArray();
        var owner = attributes.Single(a => (string?)a!["attributeName"] == "owner")!;
        Assert.Equal(["Relationship"], owner["attributeTypes"]!.AsArray().Select(t => (string?)t));
        var height = attributes.Single(a => (string?)a!["attributeName"] == "height")!;
        Assert.Equal(["Property"], height["attributeTypes"]!.AsArray().Select(t => (string?)t));
    }

    [Fact]
    public async Task Type_info_of_an_unknown_type_is_404()
    {
        await SeedAsync();

        var response = await Client.GetAsync(new Uri("/ngsi-ld/v1/types/Castle", UriKind.Relative));

        await AssertProblem(response, HttpStatusCode.NotFound, "ResourceNotFound");
    }

    [Fact]
    public async Task Attributes_lists_every_attribute_name()
    {
        await SeedAsync();

        var list = await GetJsonAsync("/ngsi-ld/v1/attributes");

        Assert.Equal("AttributeList", (string?)list["type"]);
        Assert.Equal(["height", "location", "owner"], list["attributeList"]!.AsArray().Select(a => (string?)a).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Attributes_with_details_gives_type_names_and_leaves_counts_to_the_single_attribute()
    {
        await SeedAsync();

        var details = Assert.IsType<JsonArray>(await GetJsonAsync("/ngsi-ld/v1/attributes?details=true"));

        Assert.Equal(3, details.Count);
        var height = details.Single(a => (string?)a!["attributeName"] == "height")!;
        Assert.Equal("Attribute", (string?)height["type"]);
        Assert.Equal(DefaultVocabulary + "height", (string?)height["id"]);
        Assert.Null(height["attributeCount"]);
        Assert.Equal(["Building", "Tree"], height["typeNames"]!.AsArray().Select(t => (string?)t).Order(StringComparer.Ordinal));
        var location = await GetJsonAsync("/ngsi-ld/v1/attributes/location");
        Assert.Equal(["GeoProperty"], location["attributeTypes"]!.AsArray().Select(t => (string?)t));
        Assert.Equal(3, (int)(await GetJsonAsync("/ngsi-ld/v1/attributes/height"))["attributeCount"]!);
    }

    [Fact]
    public async Task Attribute_info_describes_one_attribute()
    {
        await SeedAsync();

        var owner = await GetJsonAsync("/ngsi-ld/v1/attributes/owner");

        Assert.Equal("owner", (string?)owner["attributeName"]);
        Assert.Equal(1, (int)owner["attributeCount"]!);
        Assert.Equal(["Relationship"], owner["attributeTypes"]!.AsArray().Select(t => (string?)t));
        Assert.Equal(["Building"], owner["typeNames"]!.AsArray().Select(t => (string?)t));
    }

    [Fact]
    public async Task Attribute_info_of_an_unknown_attribute_is_404()
    {
        await SeedAsync();

        var response = await Client.GetAsync(new Uri("/ngsi-ld/v1/attributes/colour", UriKind.Relative));

        await AssertProblem(response, HttpStatusCode.NotFound, "ResourceNotFound");
    }

    [Theory]
    [InlineData("/ngsi-ld/v1/types?details=maybe", "BadRequestData")]
    [InlineData("/ngsi-ld/v1/types?foo=bar", "InvalidRequest")]
    [InlineData("/ngsi-ld/v1/attributes?details=1", "BadRequestData")]
    [InlineData("/ngsi-ld/v1/types/a%20b", "BadRequestData")]
    public async Task Discovery_with_an_invalid_parameter_is_400(string uri, string errorType)
    {
        await SeedAsync();

        var response = await Client.GetAsync(new Uri(uri, UriKind.Relative));

        await AssertProblem(response, HttpStatusCode.BadRequest, errorType);
    }

    [Fact]
    public async Task Types_as_ld_json_carry_the_context()
    {
        await SeedAsync();
        var request = new HttpRequestMessage(HttpMethod.Get, "/ngsi-ld/v1/types");
        request.Headers.Add("Accept", "application/ld+json");

        var response = await Client.SendAsync(request);

        await AssertStatus(HttpStatusCode.OK, response);
        Assert.Equal(CoreContextUrl, (string?)(await ReadJsonAsync(response))["@context"]);
    }
}
