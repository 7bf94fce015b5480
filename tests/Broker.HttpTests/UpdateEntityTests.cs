using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests;

/// <summary>
/// The write operations on an existing entity: append (5.6.3), update (5.6.2), partial attribute update (5.6.4),
/// replace attribute (5.6.19), delete attribute (5.6.5), merge (5.6.17 with merge-patch 5.5.8), replace (5.6.18), delete (5.6.6).
/// </summary>
public sealed class UpdateEntityTests(BrokerFactory factory) : BrokerTest<BrokerFactory>(factory)
{
    private Task<string> CreateVehicleAsync() => CreateAsync("Vehicle",
        """ "speed":{"type":"Property","value":50,"unitCode":"KMH"},"brand":{"type":"Property","value":"Mercedes"},"isParked":{"type":"Relationship","object":"urn:ngsi-ld:Parking:1"}""");

    [Fact]
    public async Task Append_adds_and_overwrites_attributes_with_204()
    {
        var id = await CreateVehicleAsync();

        var response = await SendAsync(HttpMethod.Post, AttrsPath(id), """{"speed":{"type":"Property","value":80},"color":{"type":"Property","value":"red"}}""");

        await AssertStatus(HttpStatusCode.NoContent, response);
        var entity = await GetEntityAsync(id, "?options=keyValues");
        Assert.Equal(80, (int)entity["speed"]!);
        Assert.Equal("red", (string?)entity["color"]);
        Assert.Equal("Mercedes", (string?)entity["brand"]);
    }

    [Fact]
    public async Task Append_with_noOverwrite_keeps_existing_attributes_and_answers_207_with_what_was_not_appended()
    {
        var id = await CreateVehicleAsync();

        var response = await SendAsync(HttpMethod.Post, AttrsPath(id) + "?options=noOverwrite", """{"speed":{"type":"Property","value":80},"color":{"type":"Property","value":"red"}}""");

        await AssertStatus(HttpStatusCode.MultiStatus, response);
        var result = await ReadJsonAsync(response);
        Assert.Equal(["color"], result["updated"]!.AsArray().Select(n => (string?)n));
        var notUpdated = Assert.Single(result["notUpdated"]!.AsArray());
        Assert.Equal("speed", (string?)notUpdated!["attributeName"]);
        Assert.False(string.IsNullOrEmpty((string?)notUpdated["reason"]));
        var entity = await GetEntityAsync(id, "?options=keyValues");
        Assert.Equal(50, (int)entity["speed"]!);
        Assert.Equal("red", (string?)entity["color"]);
    }

    [Fact]
    public async Task Append_to_an_unknown_entity_is_404()
    {
        await CreateVehicleAsync();
        var id = NewId("Vehicle");

        var response = await SendAsync(HttpMethod.Post, AttrsPath(id), """{"color":{"type":"Property","value":"red"}}""");

        await AssertProblem(response, HttpStatusCode.NotFound, "ResourceNotFound");
        await AssertEntityAbsent(id);
    }

    [Fact]
    public async Task Append_with_an_invalid_attribute_is_400_and_changes_nothing()
    {
        var id = await CreateVehicleAsync();

        var response = await SendAsync(HttpMethod.Post, AttrsPath(id), """{"color":{"type":"Property","value":"red"},"owner":{"type":"Relationship","object":"nobody"}}""");

        await AssertProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
        var entity = await GetEntityAsync(id);
        Assert.Null(entity["color"]);
        Assert.Null(entity["owner"]);
    }

    [Fact]
    public async Task Update_replaces_existing_attributes_with_204()
    {
        var id = await CreateVehicleAsync();

        var response = await SendAsync(HttpMethod.Patch, AttrsPath(id), """{"speed":{"type":"Property","value":90}}""");

        await AssertStatus(HttpStatusCode.NoContent, response);
        var speed = (await GetEntityAsync(id))["speed"]!;
        Assert.Equal(90, (int)speed["value"]!);
        Assert.Null(speed["unitCode"]);
    }

    [Fact]
    public async Task Update_adds_the_attributes_the_entity_lacks_and_answers_204()
    {
        var id = await CreateVehicleAsync();

        var response = await SendAsync(HttpMethod.Patch, AttrsPath(id), """{"speed":{"type":"Property","value":90},"color":{"type":"Property","value":"red"}}""");

        await AssertStatus(HttpStatusCode.NoContent, response);
        var entity = await GetEntityAsync(id, "?options=keyValues");
        Assert.Equal(90, (int)entity["speed"]!);
        Assert.Equal("red", (string?)entity["color"]);
    }

    [Fact]
    public async Task Update_changes_the_scope_only_of_an_entity_that_has_one_while_append_adds_it()
    {
        var id = await CreateVehicleAsync();

        var update = await SendAsync(HttpMethod.Patch, AttrsPath(id), """{"scope":"/Luebeck","speed":{"type":"Property","value":60}}""");
        await AssertStatus(HttpStatusCode.MultiStatus, update);
        var result = await ReadJsonAsync(update);
        Assert.Equal("scope", (string?)Assert.Single(result["notUpdated"]!.AsArray())!["attributeName"]);
        Assert.Null((await GetEntityAsync(id))["scope"]);

        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Post, AttrsPath(id), """{"scope":"/Luebeck"}"""));
        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Patch, AttrsPath(id), """{"scope":"/Luebeck/Altstadt"}"""));
        Assert.Equal("/Luebeck/Altstadt", (string?)(await GetEntityAsync(id))["scope"]);
    }

    [Fact]
    public async Task Update_deletes_an_attribute_given_as_an_NGSI_LD_Null_and_reports_one_it_cannot_find()
    {
        var id = await CreateVehicleAsync();

        var response = await SendAsync(HttpMethod.Patch, AttrsPath(id), """{"speed":{"type":"Property","value":"urn:ngsi-ld:null"},"color":{"type":"Property","value":"urn:ngsi-ld:null"}}""");

        await AssertStatus(HttpStatusCode.MultiStatus, response);
        var result = await ReadJsonAsync(response);
        Assert.Equal(["speed"], result["updated"]!.AsArray().Select(n => (string?)n));
        Assert.Equal("color", (string?)Assert.Single(result["notUpdated"]!.AsArray())!["attributeName"]);
        Assert.Null((await GetEntityAsync(id, "?options=keyValues"))["speed"]);
    }

    [Fact]
    public async Task Update_of_an_unknown_entity_is_404()
    {
        await CreateVehicleAsync();

        var response = await SendAsync(HttpMethod.Patch, AttrsPath(NewId("Vehicle")), """{"speed":{"type":"Property","value":90}}""");

        await AssertProblem(response, HttpStatusCode.NotFound, "ResourceNotFound");
    }

    [Fact]
    public async Task Partial_attribute_update_changes_the_value_and_keeps_other_members()
    {
        var id = await CreateVehicleAsync();

        var response = await SendAsync(HttpMethod.Patch, AttrPath(id, "speed"), """{"value":60}""");

        await AssertStatus(HttpStatusCode.NoContent, response);
        var speed = (await GetEntityAsync(id))["speed"]!;
        Assert.Equal(60, (int)speed["value"]!);
        Assert.Equal("KMH", (string?)speed["unitCode"]);
        Assert.Equal("Property", (string?)speed["type"]);
    }

    [Fact]
    public async Task Partial_attribute_update_of_a_missing_attribute_is_404()
    {
        var id = await CreateVehicleAsync();

        var response = await SendAsync(HttpMethod.Patch, AttrPath(id, "color"), """{"value":"red"}""");

        await AssertProblem(response, HttpStatusCode.NotFound, "ResourceNotFound");
        Assert.Null((await GetEntityAsync(id))["color"]);
    }

    [Fact]
    public async Task Replace_attribute_replaces_the_whole_attribute()
    {
        var id = await CreateVehicleAsync();

        var response = await SendAsync(HttpMethod.Put, AttrPath(id, "speed"), """{"type":"Property","value":20}""");

        await AssertStatus(HttpStatusCode.NoContent, response);
        AssertJsonEqual(JsonNode.Parse("""{"type":"Property","value":20}"""), WithoutTimestamps((await GetEntityAsync(id))["speed"]));
    }

    [Fact]
    public async Task Replace_attribute_that_does_not_exist_is_404()
    {
        var id = await CreateVehicleAsync();

        var response = await SendAsync(HttpMethod.Put, AttrPath(id, "color"), """{"type":"Property","value":"red"}""");

        await AssertProblem(response, HttpStatusCode.NotFound, "ResourceNotFound");
        Assert.Null((await GetEntityAsync(id))["color"]);
    }

    [Fact]
    public async Task Replace_attribute_with_one_missing_instance_is_404_and_replaces_none()
    {
        var id = await CreateAsync("Car", """ "speed":[{"type":"Property","value":1},{"type":"Property","value":2,"datasetId":"urn:ngsi-ld:Dataset:radar"}]""");

        var response = await SendAsync(HttpMethod.Put, AttrPath(id, "speed"),
            """[{"type":"Property","value":10},{"type":"Property","value":20,"datasetId":"urn:ngsi-ld:Dataset:missing"}]""");

        await AssertProblem(response, HttpStatusCode.NotFound, "ResourceNotFound");
        var speed = (await GetEntityAsync(id))["speed"]!.AsArray();
        Assert.Equal([1, 2], speed.Select(instance => (int)instance!["value"]!).Order());
    }

    [Fact]
    public async Task Delete_attribute_removes_it_and_a_second_delete_is_404()
    {
        var id = await CreateVehicleAsync();

        var first = await Client.DeleteAsync(new Uri(AttrPath(id, "brand"), UriKind.Relative));
        var second = await Client.DeleteAsync(new Uri(AttrPath(id, "brand"), UriKind.Relative));

        await AssertStatus(HttpStatusCode.NoContent, first);
        await AssertProblem(second, HttpStatusCode.NotFound, "ResourceNotFound");
        var entity = await GetEntityAsync(id);
        Assert.Null(entity["brand"]);
        Assert.NotNull(entity["speed"]);
    }

    private Task<string> CreateMultiInstanceAsync() => CreateAsync("Vehicle",
        """ "speed":[{"type":"Property","value":55},{"type":"Property","value":54.5,"datasetId":"urn:ngsi-ld:Dataset:gps","source":{"type":"Property","value":"GPS"}},{"type":"Property","value":56,"datasetId":"urn:ngsi-ld:Dataset:speedometer"}]""");

    [Fact]
    public async Task Multi_instance_attributes_round_trip_with_their_datasetIds()
    {
        var id = await CreateMultiInstanceAsync();

        var speed = Assert.IsType<JsonArray>((await GetEntityAsync(id))["speed"]);

        Assert.Equal(3, speed.Count);
        Assert.Equal(55, (double)speed.Single(i => i!["datasetId"] is null)!["value"]!);
        var gps = speed.Single(i => (string?)i!["datasetId"] == "urn:ngsi-ld:Dataset:gps")!;
        Assert.Equal(54.5, (double)gps["value"]!);
        Assert.Equal("GPS", (string?)gps["source"]!["value"]);
    }

    [Fact]
    public async Task Delete_attribute_with_datasetId_removes_only_that_instance()
    {
        var id = await CreateMultiInstanceAsync();

        var response = await Client.DeleteAsync(new Uri(AttrPath(id, "speed") + "?datasetId=urn:ngsi-ld:Dataset:gps", UriKind.Relative));

        await AssertStatus(HttpStatusCode.NoContent, response);
        var speed = Assert.IsType<JsonArray>((await GetEntityAsync(id))["speed"]);
        Assert.Equal(["", "urn:ngsi-ld:Dataset:speedometer"], speed.Select(i => (string?)i!["datasetId"] ?? "").Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Delete_attribute_without_datasetId_removes_only_the_default_instance()
    {
        var id = await CreateMultiInstanceAsync();

        var response = await Client.DeleteAsync(new Uri(AttrPath(id, "speed"), UriKind.Relative));

        await AssertStatus(HttpStatusCode.NoContent, response);
        var speed = Assert.IsType<JsonArray>((await GetEntityAsync(id))["speed"]);
        Assert.Equal(["urn:ngsi-ld:Dataset:gps", "urn:ngsi-ld:Dataset:speedometer"], speed.Select(i => (string?)i!["datasetId"]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Delete_attribute_with_deleteAll_removes_every_instance()
    {
        var id = await CreateMultiInstanceAsync();

        var response = await Client.DeleteAsync(new Uri(AttrPath(id, "speed") + "?deleteAll=true", UriKind.Relative));

        await AssertStatus(HttpStatusCode.NoContent, response);
        Assert.Null((await GetEntityAsync(id))["speed"]);
    }

    [Fact]
    public async Task Delete_attribute_with_an_unknown_datasetId_is_404_and_keeps_every_instance()
    {
        var id = await CreateMultiInstanceAsync();

        var response = await Client.DeleteAsync(new Uri(AttrPath(id, "speed") + "?datasetId=urn:ngsi-ld:Dataset:radar", UriKind.Relative));

        await AssertProblem(response, HttpStatusCode.NotFound, "ResourceNotFound");
        Assert.Equal(3, Assert.IsType<JsonArray>((await GetEntityAsync(id))["speed"]).Count);
    }

    [Fact]
    public async Task Delete_attribute_with_a_datasetId_that_is_not_a_URI_is_400()
    {
        var id = await CreateMultiInstanceAsync();

        var response = await Client.DeleteAsync(new Uri(AttrPath(id, "speed") + "?datasetId=gps", UriKind.Relative));

        await AssertProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
        Assert.Equal(3, Assert.IsType<JsonArray>((await GetEntityAsync(id))["speed"]).Count);
    }

    [Fact]
    public async Task Partial_attribute_update_with_datasetId_changes_only_that_instance()
    {
        var id = await CreateMultiInstanceAsync();

        var response = await SendAsync(HttpMethod.Patch, AttrPath(id, "speed"), """{"value":99,"datasetId":"urn:ngsi-ld:Dataset:gps"}""");

        await AssertStatus(HttpStatusCode.NoContent, response);
        var speed = Assert.IsType<JsonArray>((await GetEntityAsync(id))["speed"]);
        Assert.Equal(99, (double)speed.Single(i => (string?)i!["datasetId"] == "urn:ngsi-ld:Dataset:gps")!["value"]!);
        Assert.Equal(55, (double)speed.Single(i => i!["datasetId"] is null)!["value"]!);
        Assert.Equal(56, (double)speed.Single(i => (string?)i!["datasetId"] == "urn:ngsi-ld:Dataset:speedometer")!["value"]!);
    }

    [Theory]
    [InlineData("application/merge-patch+json", "null")]
    [InlineData("application/json", "null")]
    [InlineData("application/json", "\"urn:ngsi-ld:null\"")]
    public async Task Merge_patch_deletes_attributes_set_to_null_and_merges_the_rest(string contentType, string nullValue)
    {
        var id = await CreateVehicleAsync();

        var response = await SendAsync(HttpMethod.Patch, Path(id),
            $$$"""{"brand":{{{nullValue}}},"speed":{"value":70},"color":{"type":"Property","value":"blue"}}""", contentType);

        await AssertStatus(HttpStatusCode.NoContent, response);
        var entity = await GetEntityAsync(id);
        Assert.Null(entity["brand"]);
        Assert.Equal(70, (int)entity["speed"]!["value"]!);
        Assert.Equal("KMH", (string?)entity["speed"]!["unitCode"]);
        Assert.Equal("blue", (string?)entity["color"]!["value"]);
        Assert.Equal("urn:ngsi-ld:Parking:1", (string?)entity["isParked"]!["object"]);
    }

    [Fact]
    public async Task Merge_patch_with_a_null_value_member_deletes_the_attribute()
    {
        var id = await CreateVehicleAsync();

        var response = await SendAsync(HttpMethod.Patch, Path(id), """{"brand":{"type":"Property","value":"urn:ngsi-ld:null"}}""");

        await AssertStatus(HttpStatusCode.NoContent, response);
        Assert.Null((await GetEntityAsync(id))["brand"]);
    }

    [Fact]
    public async Task Merge_patch_of_an_unknown_entity_is_404()
    {
        await CreateVehicleAsync();
        var id = NewId("Vehicle");

        var response = await SendAsync(HttpMethod.Patch, Path(id), """{"color":{"type":"Property","value":"blue"}}""");

        await AssertProblem(response, HttpStatusCode.NotFound, "ResourceNotFound");
        await AssertEntityAbsent(id);
    }

    [Fact]
    public async Task Merge_patch_with_an_invalid_attribute_is_400_and_changes_nothing()
    {
        var id = await CreateVehicleAsync();

        var response = await SendAsync(HttpMethod.Patch, Path(id), """{"brand":null,"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":"here"}}}""");

        await AssertProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
        var entity = await GetEntityAsync(id);
        Assert.Equal("Mercedes", (string?)entity["brand"]!["value"]);
        Assert.Null(entity["location"]);
    }

    [Fact]
    public async Task Replace_entity_replaces_every_attribute_and_keeps_createdAt()
    {
        var id = await CreateVehicleAsync();
        var before = await GetEntityAsync(id, "?options=sysAttrs");
        await Task.Delay(20);

        var response = await SendAsync(HttpMethod.Put, Path(id), $$$"""{"id":"{{{id}}}","type":"Car","color":{"type":"Property","value":"green"}}""");

        await AssertStatus(HttpStatusCode.NoContent, response);
        var after = await GetEntityAsync(id, "?options=sysAttrs");
        Assert.Equal((string?)before["createdAt"], (string?)after["createdAt"]);
        Assert.NotEqual((string?)before["modifiedAt"], (string?)after["modifiedAt"]);
        AssertJsonEqual(JsonNode.Parse($$$"""{"id":"{{{id}}}","type":"Car","color":{"type":"Property","value":"green"}}"""), WithoutTimestamps(after));
    }

    [Fact]
    public async Task Replace_entity_with_a_different_id_in_the_body_is_400_and_changes_nothing()
    {
        var id = await CreateVehicleAsync();

        var response = await SendAsync(HttpMethod.Put, Path(id), $$$"""{"id":"{{{NewId("Car")}}}","type":"Car"}""");

        await AssertProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
        Assert.Equal("Vehicle", (string?)(await GetEntityAsync(id))["type"]);
    }

    [Fact]
    public async Task Replace_of_an_unknown_entity_is_404()
    {
        await CreateVehicleAsync();
        var id = NewId("Car");

        var response = await SendAsync(HttpMethod.Put, Path(id), $$$"""{"id":"{{{id}}}","type":"Car"}""");

        await AssertProblem(response, HttpStatusCode.NotFound, "ResourceNotFound");
        await AssertEntityAbsent(id);
    }

    [Fact]
    public async Task Delete_entity_is_204_then_the_entity_is_gone_and_a_second_delete_is_404()
    {
        var id = await CreateVehicleAsync();

        var first = await Client.DeleteAsync(new Uri(Path(id), UriKind.Relative));
        var second = await Client.DeleteAsync(new Uri(Path(id), UriKind.Relative));

        await AssertStatus(HttpStatusCode.NoContent, first);
        await AssertProblem(second, HttpStatusCode.NotFound, "ResourceNotFound");
        await AssertEntityAbsent(id);
    }

    [Fact]
    public async Task Delete_entity_with_an_id_that_is_not_a_URI_is_400()
    {
        var response = await Client.DeleteAsync(new Uri($"{Entities}/vehicle-1", UriKind.Relative));

        await AssertProblem(response, HttpStatusCode.BadRequest, "BadRequestData");
    }

    [Fact]
    public async Task A_deleted_entity_can_be_created_again()
    {
        var id = await CreateVehicleAsync();
        await AssertStatus(HttpStatusCode.NoContent, await Client.DeleteAsync(new Uri(Path(id), UriKind.Relative)));

        var response = await SendAsync(HttpMethod.Post, Entities, $$$"""{"id":"{{{id}}}","type":"Vehicle"}""");

        await AssertStatus(HttpStatusCode.Created, response);
        Assert.Null((await GetEntityAsync(id))["speed"]);
    }

    [Fact]
    public async Task Update_changes_modifiedAt_but_not_createdAt()
    {
        var id = await CreateVehicleAsync();
        var before = await GetEntityAsync(id, "?options=sysAttrs");
        await Task.Delay(20);

        await AssertStatus(HttpStatusCode.NoContent, await SendAsync(HttpMethod.Patch, AttrPath(id, "speed"), """{"value":1}"""));

        var after = await GetEntityAsync(id, "?options=sysAttrs");
        Assert.Equal((string?)before["createdAt"], (string?)after["createdAt"]);
        Assert.Equal((string?)before["speed"]!["createdAt"], (string?)after["speed"]!["createdAt"]);
        Assert.True(string.CompareOrdinal((string?)after["modifiedAt"], (string?)before["modifiedAt"]) > 0);
        Assert.True(string.CompareOrdinal((string?)after["speed"]!["modifiedAt"], (string?)before["speed"]!["modifiedAt"]) > 0);
    }
}
