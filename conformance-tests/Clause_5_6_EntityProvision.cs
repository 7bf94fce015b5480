using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Conformance;

/// <summary>Clause 5.6.1 Create Entity (HTTP binding 6.4.3.1).</summary>
public sealed class Clause_5_6_1_CreateEntity(BrokerUnderTest broker) : ConformanceTest(broker)
{
    [Fact]
    public async Task Created_entity_answers_201_with_Location()
    {
        var id = NewId("Building");
        var response = await SendAsync(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Building","name":{"type":"Property","value":"Town hall"}}""");

        await ExpectStatus(HttpStatusCode.Created, response);
        Assert.EndsWith("/ngsi-ld/v1/entities/" + Uri.EscapeDataString(id).Replace("%3A", ":", StringComparison.Ordinal), response.Headers.Location?.OriginalString, StringComparison.Ordinal);
        var entity = await GetJsonAsync(EntityPath(id));
        ExpectJson($$$"""{"id":"{{{id}}}","type":"Building","name":{"type":"Property","value":"Town hall"}}""", entity);
    }

    [Fact]
    public async Task Existing_id_is_409_AlreadyExists()
    {
        var id = await CreateAsync("Building");

        var response = await SendAsync(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Building"}""");

        await ExpectProblem(response, HttpStatusCode.Conflict, "AlreadyExists");
    }

    [Theory]
    [InlineData("""{"id":"not a uri","type":"Building"}""")]
    [InlineData("""{"id":"{{id}}"}""")]
    [InlineData("""{"id":"{{id}}","type":"Building","p":{"type":"Property"}}""")]
    [InlineData("""{"id":"{{id}}","type":"Building","r":{"type":"Relationship","object":"not a uri"}}""")]
    [InlineData("""{"id":"{{id}}","type":"Building","location":{"type":"GeoProperty","value":{"type":"Point","coordinates":"x"}}}""")]
    [InlineData("""{"id":"{{id}}","type":"Building","p":{"type":"Property","value":1,"observedAt":"noon"}}""")]
    [InlineData("""{"id":"{{id}}","type":"Building","p":{"type":"Property","value":1,"datasetId":"not a uri"}}""")]
    public async Task Invalid_entity_is_400_BadRequestData_and_not_stored(string template)
    {
        var id = NewId("Building");

        var response = await SendAsync(HttpMethod.Post, Entities, template.Replace("{{id}}", id, StringComparison.Ordinal));

        await ExpectProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
        await ExpectAbsent(id);
    }

    [Fact]
    public async Task Malformed_JSON_is_400_InvalidRequest()
    {
        var response = await SendAsync(HttpMethod.Post, Entities, """{"id":"urn:ngsi-ld:X:1","type":""");

        await ExpectProblem(response, HttpStatusCode.BadRequest, "InvalidRequest");
    }
}

/// <summary>Clause 5.6.2 Update Entity Attributes (6.6.3.3): 204, or 207 with an UpdateResult (5.2.18) for attributes that do not exist.</summary>
public sealed class Clause_5_6_2_UpdateEntityAttributes(BrokerUnderTest broker) : ConformanceTest(broker)
{
    [Fact]
    public async Task Existing_attributes_are_replaced_with_204()
    {
        var id = await CreateAsync("Vehicle", """ "speed":{"type":"Property","value":50}""");

        await ExpectStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Patch, $"{EntityPath(id)}/attrs", """{"speed":{"type":"Property","value":80}}"""));

        Assert.Equal(80, (int)(await GetJsonAsync(EntityPath(id)))["speed"]!["value"]!);
    }

    [Fact]
    public async Task Update_adds_missing_attributes_and_gives_204()
    {
        var id = await CreateAsync("Vehicle", """ "speed":{"type":"Property","value":50}""");

        var response = await SendAsync(HttpMethod.Patch, $"{EntityPath(id)}/attrs", """{"speed":{"type":"Property","value":80},"color":{"type":"Property","value":"red"}}""");

        await ExpectStatus(HttpStatusCode.NoContent, response);
        Assert.Equal("red", (string?)(await GetJsonAsync(EntityPath(id)))["color"]!["value"]);
    }
}

/// <summary>Clause 5.6.3 Append Entity Attributes (6.6.3.1), with options=noOverwrite.</summary>
public sealed class Clause_5_6_3_AppendEntityAttributes(BrokerUnderTest broker) : ConformanceTest(broker)
{
    [Fact]
    public async Task New_attributes_are_appended_with_204()
    {
        var id = await CreateAsync("Vehicle", """ "speed":{"type":"Property","value":50}""");

        var response = await SendAsync(HttpMethod.Post, $"{EntityPath(id)}/attrs", """{"color":{"type":"Property","value":"red"}}""");

        await ExpectStatus(HttpStatusCode.NoContent, response);
        Assert.Equal("red", (string?)(await GetJsonAsync(EntityPath(id)))["color"]!["value"]);
    }

    [Fact]
    public async Task NoOverwrite_keeps_existing_attributes_and_answers_207()
    {
        var id = await CreateAsync("Vehicle", """ "speed":{"type":"Property","value":50}""");

        var response = await SendAsync(HttpMethod.Post, $"{EntityPath(id)}/attrs?options=noOverwrite", """{"speed":{"type":"Property","value":99},"color":{"type":"Property","value":"red"}}""");

        await ExpectStatus(HttpStatusCode.MultiStatus, response);
        var entity = await GetJsonAsync(EntityPath(id));
        Assert.Equal(50, (int)entity["speed"]!["value"]!);
        Assert.Equal("red", (string?)entity["color"]!["value"]);
    }
}

/// <summary>Clause 5.6.4 Partial Attribute Update (6.7.3.1).</summary>
public sealed class Clause_5_6_4_PartialAttributeUpdate(BrokerUnderTest broker) : ConformanceTest(broker)
{
    [Fact]
    public async Task Given_members_replace_those_of_the_attribute()
    {
        var id = await CreateAsync("Vehicle", """ "speed":{"type":"Property","value":50,"unitCode":"KMH"}""");

        await ExpectStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Patch, $"{EntityPath(id)}/attrs/speed", """{"value":60}"""));

        ExpectJson("""{"type":"Property","value":60,"unitCode":"KMH"}""", (await GetJsonAsync(EntityPath(id)))["speed"]);
    }

    [Fact]
    public async Task Missing_attribute_is_404()
    {
        var id = await CreateAsync("Vehicle");

        await ExpectProblem(await SendAsync(HttpMethod.Patch, $"{EntityPath(id)}/attrs/speed", """{"value":60}"""), HttpStatusCode.NotFound, "ResourceNotFound");
    }
}

/// <summary>Clause 5.6.5 Delete Entity Attribute (6.7.3.2) with datasetId and deleteAll (clause 4.5.5 multi-attributes).</summary>
public sealed class Clause_5_6_5_DeleteEntityAttribute(BrokerUnderTest broker) : ConformanceTest(broker)
{
    private Task<string> CreateMultiAsync() => CreateAsync("Vehicle",
        """ "speed":[{"type":"Property","value":55},{"type":"Property","value":54,"datasetId":"urn:ngsi-ld:Dataset:gps"}]""");

    [Fact]
    public async Task DatasetId_deletes_one_instance()
    {
        var id = await CreateMultiAsync();

        await ExpectStatus(HttpStatusCode.NoContent, await Client.DeleteAsync(Relative($"{EntityPath(id)}/attrs/speed?datasetId=urn:ngsi-ld:Dataset:gps")));

        ExpectJson("""{"type":"Property","value":55}""", (await GetJsonAsync(EntityPath(id)))["speed"]);
    }

    [Fact]
    public async Task DeleteAll_deletes_every_instance()
    {
        var id = await CreateMultiAsync();

        await ExpectStatus(HttpStatusCode.NoContent, await Client.DeleteAsync(Relative($"{EntityPath(id)}/attrs/speed?deleteAll=true")));

        Assert.Null((await GetJsonAsync(EntityPath(id)))["speed"]);
    }

    [Fact]
    public async Task Missing_attribute_is_404()
    {
        var id = await CreateMultiAsync();

        await ExpectProblem(await Client.DeleteAsync(Relative($"{EntityPath(id)}/attrs/colour")), HttpStatusCode.NotFound, "ResourceNotFound");
    }
}

/// <summary>Clause 5.6.6 Delete Entity (6.5.3.2).</summary>
public sealed class Clause_5_6_6_DeleteEntity(BrokerUnderTest broker) : ConformanceTest(broker)
{
    [Fact]
    public async Task Deleted_entity_is_gone()
    {
        var id = await CreateAsync("Vehicle");

        await ExpectStatus(HttpStatusCode.NoContent, await Client.DeleteAsync(Relative(EntityPath(id))));

        await ExpectProblem(await Client.GetAsync(Relative(EntityPath(id))), HttpStatusCode.NotFound, "ResourceNotFound");
        await ExpectProblem(await Client.DeleteAsync(Relative(EntityPath(id))), HttpStatusCode.NotFound, "ResourceNotFound");
    }
}

/// <summary>Clause 5.6.17 Merge Entity (6.5.3.4) with the merge-patch rules of clause 5.5.8.</summary>
public sealed class Clause_5_6_17_MergeEntity(BrokerUnderTest broker) : ConformanceTest(broker)
{
    [Theory]
    [InlineData("null")]
    [InlineData("\"urn:ngsi-ld:null\"")]
    public async Task Null_deletes_and_the_rest_is_merged(string nullValue)
    {
        var id = await CreateAsync("Vehicle", """ "speed":{"type":"Property","value":50,"unitCode":"KMH"},"brand":{"type":"Property","value":"Volvo"}""");

        var response = await SendAsync(HttpMethod.Patch, EntityPath(id), $$$"""{"brand":{{{nullValue}}},"speed":{"type":"Property","value":70},"color":{"type":"Property","value":"red"}}""", "application/merge-patch+json");

        await ExpectStatus(HttpStatusCode.NoContent, response);
        var entity = await GetJsonAsync(EntityPath(id));
        Assert.Null(entity["brand"]);
        Assert.Equal(70, (int)entity["speed"]!["value"]!);
        Assert.Equal("KMH", (string?)entity["speed"]!["unitCode"]);
        Assert.Equal("red", (string?)entity["color"]!["value"]);
    }
}

/// <summary>Clause 5.6.18 Replace Entity (6.5.3.3): everything but id and createdAt is replaced.</summary>
public sealed class Clause_5_6_18_ReplaceEntity(BrokerUnderTest broker) : ConformanceTest(broker)
{
    [Fact]
    public async Task Replaced_entity_keeps_createdAt()
    {
        var id = await CreateAsync("Vehicle", """ "speed":{"type":"Property","value":50}""");
        var before = await GetJsonAsync($"{EntityPath(id)}?options=sysAttrs");

        await ExpectStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Put, EntityPath(id), $$$"""{"id":"{{{id}}}","type":"Car","color":{"type":"Property","value":"red"}}"""));

        var after = await GetJsonAsync($"{EntityPath(id)}?options=sysAttrs");
        Assert.Equal((string?)before["createdAt"], (string?)after["createdAt"]);
        ExpectJson($$$"""{"id":"{{{id}}}","type":"Car","color":{"type":"Property","value":"red"}}""", after);
    }
}

/// <summary>Clause 5.6.19 Replace Attribute (6.7.3.3).</summary>
public sealed class Clause_5_6_19_ReplaceAttribute(BrokerUnderTest broker) : ConformanceTest(broker)
{
    [Fact]
    public async Task Attribute_is_replaced_as_a_whole()
    {
        var id = await CreateAsync("Vehicle", """ "speed":{"type":"Property","value":50,"unitCode":"KMH"}""");

        await ExpectStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Put, $"{EntityPath(id)}/attrs/speed", """{"type":"Property","value":10}"""));

        ExpectJson("""{"type":"Property","value":10}""", (await GetJsonAsync(EntityPath(id)))["speed"]);
    }
}
