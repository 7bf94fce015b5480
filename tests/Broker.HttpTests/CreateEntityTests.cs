using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests;

/// <summary>Create entity (clause 5.6.1, 6.4.3.1) and the request checks every write shares (clause 6.3.4, 6.3.5).</summary>
public sealed class CreateEntityTests(BrokerFactory factory) : BrokerTest<BrokerFactory>(factory)
{
    [Fact]
    public async Task Create_answers_201_with_the_location_of_the_new_entity()
    {
        var id = NewId("Building");
        var response = await SendAsync(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Building","height":{"type":"Property","value":12}}""");

        await AssertStatus(HttpStatusCode.Created, response);
        Assert.Equal(Path(id), response.Headers.Location?.OriginalString);
        var location = await GetJsonAsync(response.Headers.Location!.OriginalString);
        Assert.Equal(id, (string?)location["id"]);
        Assert.Equal(12, (int)location["height"]!["value"]!);
    }

    [Fact]
    public async Task Create_of_an_existing_id_is_409_AlreadyExists_and_keeps_the_first_entity()
    {
        var id = await CreateAsync("Building", """ "height":{"type":"Property","value":1}""");

        var response = await SendAsync(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Building","height":{"type":"Property","value":2}}""");

        await AssertProblem(response, HttpStatusCode.Conflict, "AlreadyExists");
        var entity = await GetEntityAsync(id);
        Assert.Equal(1, (int)entity["height"]!["value"]!);
    }

    [Theory]
    [InlineData("not a uri")]
    [InlineData("building-1")]
    [InlineData("")]
    public async Task Create_with_an_id_that_is_not_a_URI_is_400_BadRequestData(string id)
    {
        var type = "T" + Guid.NewGuid().ToString("N");
        var response = await SendAsync(HttpMethod.Post, Entities, new JsonObject { ["id"] = id, ["type"] = type });

        await AssertProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
        await AssertNoEntityOfType(type);
    }

    [Fact]
    public async Task Create_without_an_id_is_400_BadRequestData()
    {
        var type = "T" + Guid.NewGuid().ToString("N");
        var response = await SendAsync(HttpMethod.Post, Entities, new JsonObject { ["type"] = type });

        await AssertProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
        await AssertNoEntityOfType(type);
    }

    public static TheoryData<string, string> InvalidEntities => new()
    {
        { "missing type", """{"id":"{{id}}"}""" },
        { "type not a string", """{"id":"{{id}}","type":42}""" },
        { "Property without value", """{"id":"{{id}}","type":"Building","height":{"type":"Property"}}""" },
        { "Property with null value", """{"id":"{{id}}","type":"Building","height":{"type":"Property","value":null}}""" },
        { "Relationship without object", """{"id":"{{id}}","type":"Building","owner":{"type":"Relationship"}}""" },
        { "Relationship object not a URI", """{"id":"{{id}}","type":"Building","owner":{"type":"Relationship","object":"not a uri"}}""" },
        { "GeoJSON of unknown type", """{"id":"{{id}}","type":"Building","location":{"type":"GeoProperty","value":{"type":"Circle","coordinates":[1,2]}}}""" },
        { "GeoJSON point without coordinates", """{"id":"{{id}}","type":"Building","location":{"type":"GeoProperty","value":{"type":"Point"}}}""" },
        { "GeoJSON polygon not closed", """{"id":"{{id}}","type":"Building","location":{"type":"GeoProperty","value":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}}}""" },
        { "observedAt not a date-time", """{"id":"{{id}}","type":"Building","height":{"type":"Property","value":1,"observedAt":"yesterday"}}""" },
        { "datasetId not a URI", """{"id":"{{id}}","type":"Building","height":{"type":"Property","value":1,"datasetId":"dataset one"}}""" },
        { "two instances with one datasetId", """{"id":"{{id}}","type":"Building","height":[{"type":"Property","value":1,"datasetId":"urn:a"},{"type":"Property","value":2,"datasetId":"urn:a"}]}""" },
        { "unknown attribute type", """{"id":"{{id}}","type":"Building","height":{"type":"Quantity","value":1}}""" },
        { "LanguageProperty without languageMap", """{"id":"{{id}}","type":"Building","name":{"type":"LanguageProperty","value":"x"}}""" },
        { "LanguageProperty with a number", """{"id":"{{id}}","type":"Building","name":{"type":"LanguageProperty","languageMap":{"en":3}}}""" },
        { "ListProperty valueList not an array", """{"id":"{{id}}","type":"Building","days":{"type":"ListProperty","valueList":"Monday"}}""" },
        { "attribute null", """{"id":"{{id}}","type":"Building","height":null}""" },
    };

    [Theory]
    [MemberData(nameof(InvalidEntities))]
    public async Task Create_with_an_invalid_entity_is_400_BadRequestData_and_stores_nothing(string reason, string template)
    {
        var id = NewId("Building");
        var response = await SendAsync(HttpMethod.Post, Entities, template.Replace("{{id}}", id, StringComparison.Ordinal));

        var problem = await AssertProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
        Assert.False(string.IsNullOrEmpty((string?)problem["detail"]), reason);
        await AssertEntityAbsent(id);
    }

    [Theory]
    [InlineData("{\"id\":\"urn:x:1\",")]
    [InlineData("{\"id\":'urn:x:1'}")]
    [InlineData("not json")]
    [InlineData("null")]
    public async Task Create_with_malformed_JSON_is_400_InvalidRequest(string body)
    {
        var response = await SendAsync(HttpMethod.Post, Entities, body);

        await AssertProblem(response, HttpStatusCode.BadRequest, "InvalidRequest");
        await AssertEntityAbsent("urn:x:1");
    }

    [Theory]
    [InlineData("{\"id\":\"urn:x:dup:1\",\"id\":\"urn:x:dup:2\",\"type\":\"T\"}")]
    [InlineData("{\"id\":\"urn:x:dup:1\",\"type\":\"T\",\"type\":\"U\"}")]
    [InlineData("{\"id\":\"urn:x:dup:1\",\"type\":\"T\",\"p\":{\"type\":\"Property\",\"value\":1,\"value\":2}}")]
    [InlineData("{\"id\":\"urn:x:dup:1\",\"type\":\"T\",\"p\":{\"type\":\"JsonProperty\",\"json\":{\"a\":1,\"a\":2}}}")]
    public async Task Create_with_a_repeated_member_name_is_400_InvalidRequest_and_stores_nothing(string body)
    {
        var response = await SendAsync(HttpMethod.Post, Entities, body);

        var problem = await AssertProblem(response, HttpStatusCode.BadRequest, "InvalidRequest");
        Assert.Contains("repeats", (string?)problem["detail"], StringComparison.Ordinal);
        Assert.DoesNotContain("line ,", (string?)problem["detail"], StringComparison.Ordinal);
        await AssertEntityAbsent("urn:x:dup:1");
        await AssertEntityAbsent("urn:x:dup:2");
    }

    [Fact]
    public async Task Create_without_a_body_is_400_InvalidRequest()
    {
        var response = await SendAsync(HttpMethod.Post, Entities, "", "application/json");

        await AssertProblem(response, HttpStatusCode.BadRequest, "InvalidRequest");
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("application/merge-patch+json")]
    public async Task Create_with_an_unsupported_Content_Type_is_415(string contentType)
    {
        var id = NewId("Building");
        var response = await SendAsync(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Building"}""", contentType);

        await AssertProblem(response, HttpStatusCode.UnsupportedMediaType, "UnsupportedMediaType");
        await AssertEntityAbsent(id);
    }

    [Fact]
    public async Task Create_without_a_Content_Type_is_415()
    {
        var id = NewId("Building");
        var request = new HttpRequestMessage(HttpMethod.Post, Entities)
        {
            Content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes($$$"""{"id":"{{{id}}}","type":"Building"}""")),
        };

        var response = await Client.SendAsync(request);

        await AssertProblem(response, HttpStatusCode.UnsupportedMediaType, "UnsupportedMediaType");
        await AssertEntityAbsent(id);
    }

    [Fact]
    public async Task Create_with_ld_json_and_a_Link_header_is_400()
    {
        var id = NewId("Building");
        var request = Request(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Building","@context":"{{{CoreContextUrl}}}"}""", "application/ld+json");
        request.Headers.Add("Link", $"<{StubContextLoader.ParkingContextUrl}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"");

        var response = await Client.SendAsync(request);

        await AssertProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
        await AssertEntityAbsent(id);
    }

    [Fact]
    public async Task Create_with_an_inline_context_and_application_json_is_400()
    {
        var id = NewId("Building");
        var response = await SendAsync(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Building","@context":"{{{CoreContextUrl}}}"}""");

        await AssertProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
        await AssertEntityAbsent(id);
    }

    [Fact]
    public async Task Create_with_ld_json_but_no_context_member_is_400()
    {
        var id = NewId("Building");
        var response = await SendAsync(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Building"}""", "application/ld+json");

        await AssertProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
        await AssertEntityAbsent(id);
    }

    [Fact]
    public async Task Create_with_ld_json_and_an_inline_context_is_stored()
    {
        var id = NewId("Building");
        var response = await SendAsync(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Building","height":{"type":"Property","value":3},"@context":"{{{CoreContextUrl}}}"}""", "application/ld+json");

        await AssertStatus(HttpStatusCode.Created, response);
        var entity = await GetEntityAsync(id);
        Assert.Equal(3, (int)entity["height"]!["value"]!);
    }

    [Fact]
    public async Task Create_with_an_array_instead_of_an_entity_is_400_InvalidRequest()
    {
        // ETSI test 001_02_02: a payload that is not a JSON object is an InvalidRequest.
        var id = NewId("Building");
        var response = await SendAsync(HttpMethod.Post, Entities, $$$"""[{"id":"{{{id}}}","type":"Building"}]""");

        await AssertProblem(response, HttpStatusCode.BadRequest, "InvalidRequest");
        await AssertEntityAbsent(id);
    }

    [Fact]
    public async Task Create_with_an_unknown_URL_parameter_is_400()
    {
        var id = NewId("Building");
        var response = await SendAsync(HttpMethod.Post, Entities + "?frobnicate=1", $$$"""{"id":"{{{id}}}","type":"Building"}""");

        await AssertProblem(response, HttpStatusCode.BadRequest, "InvalidRequest");
        await AssertEntityAbsent(id);
    }

    [Fact]
    public async Task Create_ignores_createdAt_given_by_the_client()
    {
        var id = NewId("Building");
        var before = DateTimeOffset.UtcNow.AddMinutes(-1);
        var response = await SendAsync(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Building","createdAt":"2000-01-01T00:00:00Z"}""");
        await AssertStatus(HttpStatusCode.Created, response);

        var entity = await GetEntityAsync(id, "?options=sysAttrs");

        var createdAt = DateTimeOffset.Parse((string)entity["createdAt"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(createdAt > before, $"createdAt {createdAt} was taken from the client");
    }

    private async Task AssertNoEntityOfType(string type)
    {
        var response = await Client.GetAsync(new Uri($"{Entities}?type={type}", UriKind.Relative));
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            await AssertProblem(response, HttpStatusCode.NotFound, "NonexistentTenant");
            return;
        }
        await AssertStatus(HttpStatusCode.OK, response);
        Assert.Empty(Assert.IsType<JsonArray>(await ReadJsonAsync(response)));
    }
}
