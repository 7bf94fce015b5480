using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Xunit;

namespace Broker.HttpTests;

/// <summary>A broker on a fresh embedded store in a temporary folder.</summary>
public class TempStoreBroker : WebApplicationFactory<Program>
{
    public string DataPath { get; } = Path.Combine(Path.GetTempPath(), "ngsi-broker-" + Guid.NewGuid().ToString("N"));

    protected override void ConfigureWebHost(IWebHostBuilder builder) => builder.UseSetting("Storage:DataPath", DataPath);

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (Directory.Exists(DataPath))
            Directory.Delete(DataPath, recursive: true);
    }
}

/// <summary>Batch entity operations (clause 5.6.7–5.6.10, 5.6.20) through the HTTP API.</summary>
public sealed class BatchOperationsTests(TempStoreBroker broker) : IClassFixture<TempStoreBroker>
{
    private readonly string _tenant = "batch" + Guid.NewGuid().ToString("N")[..8];

    private static string Id(string name) => $"urn:ngsi-ld:Batch:{name}-{Guid.NewGuid():N}";

    private static JsonObject Parking(string id, int spots) => new()
    {
        ["id"] = id,
        ["type"] = "OffStreetParking",
        ["availableSpotNumber"] = new JsonObject { ["type"] = "Property", ["value"] = spots },
        ["location"] = new JsonObject
        {
            ["type"] = "GeoProperty",
            ["value"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(10.6797, 53.8660) },
        },
    };

    private async Task<HttpResponseMessage> PostAsync(string operation, JsonNode body)
    {
        using var client = broker.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/ngsi-ld/v1/entityOperations/{operation}")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("NGSILD-Tenant", _tenant);
        return await client.SendAsync(request);
    }

    private async Task<JsonObject?> GetAsync(string id)
    {
        using var client = broker.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ngsi-ld/v1/entities/{id}?options=keyValues");
        request.Headers.Add("NGSILD-Tenant", _tenant);
        var response = await client.SendAsync(request);
        return response.StatusCode == HttpStatusCode.OK ? JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject() : null;
    }

    [Fact]
    public async Task Create_of_valid_entities_answers_201_with_their_ids()
    {
        var a = Id("a");
        var b = Id("b");
        var response = await PostAsync("create", new JsonArray(Parking(a, 1), Parking(b, 2)));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var ids = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray().Select(n => n!.GetValue<string>());
        Assert.Equal([a, b], ids);
        Assert.Equal(2, (await GetAsync(b))!["availableSpotNumber"]!.GetValue<int>());
    }

    [Fact]
    public async Task One_invalid_entity_does_not_block_the_valid_ones()
    {
        var valid = Id("valid");
        var invalid = new JsonObject { ["id"] = Id("invalid"), ["type"] = "OffStreetParking", ["spots"] = new JsonObject { ["type"] = "Property" } };
        var notUri = new JsonObject { ["id"] = "not a uri", ["type"] = "OffStreetParking" };
        var response = await PostAsync("create", new JsonArray(Parking(valid, 5), invalid, notUri));

        Assert.Equal(HttpStatusCode.MultiStatus, response.StatusCode);
        var result = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal([valid], result["success"]!.AsArray().Select(n => n!.GetValue<string>()));
        var errors = result["errors"]!.AsArray();
        Assert.Equal(2, errors.Count);
        Assert.All(errors, e => Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/BadRequestData", e!["error"]!["type"]!.GetValue<string>()));
        Assert.Equal(invalid["id"]!.GetValue<string>(), errors[0]!["entityId"]!.GetValue<string>());
        Assert.NotNull(await GetAsync(valid));
        Assert.Null(await GetAsync(invalid["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Duplicate_ids_in_one_create_batch_create_the_first_and_report_the_second()
    {
        var id = Id("dup");
        var response = await PostAsync("create", new JsonArray(Parking(id, 1), Parking(id, 2)));
        Assert.Equal(HttpStatusCode.MultiStatus, response.StatusCode);
        var result = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/AlreadyExists", result["errors"]![0]!["error"]!["type"]!.GetValue<string>());
        Assert.Equal(1, (await GetAsync(id))!["availableSpotNumber"]!.GetValue<int>());
    }

    [Fact]
    public async Task Create_of_an_existing_entity_is_reported_as_AlreadyExists()
    {
        var id = Id("exists");
        Assert.Equal(HttpStatusCode.Created, (await PostAsync("create", new JsonArray(Parking(id, 1)))).StatusCode);
        var response = await PostAsync("create", new JsonArray(Parking(id, 9)));
        Assert.Equal(HttpStatusCode.MultiStatus, response.StatusCode);
        Assert.Equal(1, (await GetAsync(id))!["availableSpotNumber"]!.GetValue<int>());
    }

    [Fact]
    public async Task Upsert_creates_new_and_replaces_existing_entities()
    {
        var existing = Id("existing");
        var fresh = Id("fresh");
        var withExtra = Parking(existing, 1);
        withExtra["extra"] = new JsonObject { ["type"] = "Property", ["value"] = "gone after replace" };
        await PostAsync("create", new JsonArray(withExtra));

        var response = await PostAsync("upsert", new JsonArray(Parking(existing, 7), Parking(fresh, 8)));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal([fresh], JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray().Select(n => n!.GetValue<string>()));
        var replaced = (await GetAsync(existing))!;
        Assert.Equal(7, replaced["availableSpotNumber"]!.GetValue<int>());
        Assert.False(replaced.ContainsKey("extra"));
    }

    [Fact]
    public async Task Upsert_with_update_keeps_attributes_that_are_not_given()
    {
        var id = Id("upd");
        var withExtra = Parking(id, 1);
        withExtra["extra"] = new JsonObject { ["type"] = "Property", ["value"] = "kept" };
        await PostAsync("create", new JsonArray(withExtra));

        var response = await PostAsync("upsert?options=update", new JsonArray(Parking(id, 3)));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var entity = (await GetAsync(id))!;
        Assert.Equal(3, entity["availableSpotNumber"]!.GetValue<int>());
        Assert.Equal("kept", entity["extra"]!.GetValue<string>());
    }

    [Fact]
    public async Task Update_with_noOverwrite_reports_existing_attributes()
    {
        var id = Id("noover");
        await PostAsync("create", new JsonArray(Parking(id, 1)));
        var fragment = new JsonObject
        {
            ["id"] = id,
            ["type"] = "OffStreetParking",
            ["availableSpotNumber"] = new JsonObject { ["type"] = "Property", ["value"] = 99 },
            ["name"] = new JsonObject { ["type"] = "Property", ["value"] = "Holstentor" },
        };
        var response = await PostAsync("update?options=noOverwrite", new JsonArray(fragment));
        Assert.Equal(HttpStatusCode.MultiStatus, response.StatusCode);
        var entity = (await GetAsync(id))!;
        Assert.Equal(1, entity["availableSpotNumber"]!.GetValue<int>());
        Assert.Equal("Holstentor", entity["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Update_and_merge_of_missing_entities_report_ResourceNotFound()
    {
        await PostAsync("create", new JsonArray(Parking(Id("tenant-exists"), 1)));
        foreach (var operation in new[] { "update", "merge" })
        {
            var response = await PostAsync(operation, new JsonArray(Parking(Id("missing"), 1)));
            Assert.Equal(HttpStatusCode.MultiStatus, response.StatusCode);
            var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]![0]!["error"]!;
            Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound", error["type"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Merge_deletes_attributes_set_to_null()
    {
        var id = Id("merge");
        var entity = Parking(id, 4);
        entity["name"] = new JsonObject { ["type"] = "Property", ["value"] = "old" };
        await PostAsync("create", new JsonArray(entity));
        var fragment = new JsonObject { ["id"] = id, ["name"] = "urn:ngsi-ld:null", ["availableSpotNumber"] = 5 };
        Assert.Equal(HttpStatusCode.NoContent, (await PostAsync("merge", new JsonArray(fragment))).StatusCode);
        var merged = (await GetAsync(id))!;
        Assert.False(merged.ContainsKey("name"));
        Assert.Equal(5, merged["availableSpotNumber"]!.GetValue<int>());
    }

    [Fact]
    public async Task Delete_removes_existing_and_reports_missing_ids()
    {
        var id = Id("del");
        var missing = Id("gone");
        await PostAsync("create", new JsonArray(Parking(id, 1)));
        var response = await PostAsync("delete", new JsonArray(id, missing, "not a uri"));
        Assert.Equal(HttpStatusCode.MultiStatus, response.StatusCode);
        var result = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal([id], result["success"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(2, result["errors"]!.AsArray().Count);
        Assert.Null(await GetAsync(id));
    }

    [Fact]
    public async Task Update_in_a_tenant_that_does_not_exist_reports_NonexistentTenant()
    {
        var response = await PostAsync("update", new JsonArray(Parking(Id("nobody"), 1)));
        Assert.Equal(HttpStatusCode.MultiStatus, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]![0]!["error"]!;
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/NonexistentTenant", error["type"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("[]")]
    [InlineData("\"x\"")]
    public async Task A_body_that_is_not_a_non_empty_array_is_refused(string body)
    {
        var response = await PostAsync("create", JsonNode.Parse(body)!);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task A_batch_of_1000_entities_is_written_whole()
    {
        var prefix = Id("bulk");
        var batch = new JsonArray();
        for (var i = 0; i < 1000; i++)
            batch.Add(Parking($"{prefix}-{i:D4}", i));
        var response = await PostAsync("upsert", batch);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(1000, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray().Count);

        using var client = broker.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ngsi-ld/v1/entities?idPattern={Uri.EscapeDataString("^" + prefix)}&count=true&limit=1");
        request.Headers.Add("NGSILD-Tenant", _tenant);
        var query = await client.SendAsync(request);
        Assert.Equal("1000", query.Headers.GetValues("NGSILD-Results-Count").Single());
        Assert.Equal(999, (await GetAsync($"{prefix}-0999"))!["availableSpotNumber"]!.GetValue<int>());
    }
}

/// <summary>The ingestion path of the adapters: 10 000 entities in batches of 1000, durable across a restart.</summary>
public sealed class BulkIngestionTests
{
    [Fact]
    public async Task Ten_batches_of_1000_upserts_are_all_there_after_a_restart()
    {
        var dataPath = Path.Combine(Path.GetTempPath(), "ngsi-bulk-" + Guid.NewGuid().ToString("N"));
        try
        {
            var prefix = $"urn:ngsi-ld:TrafficFlowObserved:bulk-{Guid.NewGuid():N}";
            var tenant = "bulk" + Guid.NewGuid().ToString("N")[..12];
            using (var broker = new FixedPathBroker(dataPath))
            {
                using var client = broker.CreateClient();
                client.DefaultRequestHeaders.Add("NGSILD-Tenant", tenant);
                for (var batch = 0; batch < 10; batch++)
                {
                    var entities = new JsonArray();
                    for (var i = 0; i < 1000; i++)
                    {
                        entities.Add(new JsonObject
                        {
                            ["id"] = $"{prefix}-{batch * 1000 + i:D5}",
                            ["type"] = "TrafficFlowObserved",
                            ["intensity"] = new JsonObject { ["type"] = "Property", ["value"] = i },
                        });
                    }
                    using var content = new StringContent(entities.ToJsonString(), Encoding.UTF8, "application/json");
                    var response = await client.PostAsync("/ngsi-ld/v1/entityOperations/upsert", content);
                    Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                }
            }

            using var restarted = new FixedPathBroker(dataPath);
            using var reader = restarted.CreateClient();
            reader.DefaultRequestHeaders.Add("NGSILD-Tenant", tenant);
            var query = await reader.GetAsync($"/ngsi-ld/v1/entities?type=TrafficFlowObserved&count=true&limit=1&idPattern={Uri.EscapeDataString("^" + prefix)}");
            Assert.Equal(HttpStatusCode.OK, query.StatusCode);
            Assert.Equal("10000", query.Headers.GetValues("NGSILD-Results-Count").Single());
            var last = JsonNode.Parse(await reader.GetStringAsync($"/ngsi-ld/v1/entities/{prefix}-09999?options=keyValues"))!;
            Assert.Equal(999, last["intensity"]!.GetValue<int>());
        }
        finally
        {
            if (Directory.Exists(dataPath))
                Directory.Delete(dataPath, recursive: true);
        }
    }

    private sealed class FixedPathBroker(string dataPath) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder) => builder.UseSetting("Storage:DataPath", dataPath);
    }
}

/// <summary>Geo-queries follow an entity that moves or goes away (the embedded store narrows them with a grid index).</summary>
public sealed class GeoIndexTests(TempStoreBroker broker) : IClassFixture<TempStoreBroker>
{
    private readonly string _tenant = "geo" + Guid.NewGuid().ToString("N")[..8];

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? body = null)
    {
        using var client = broker.CreateClient();
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("NGSILD-Tenant", _tenant);
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        return await client.SendAsync(request);
    }

    private async Task<List<string>> NearAsync(double longitude, double latitude, int metres)
    {
        var coordinates = Uri.EscapeDataString($"[{longitude.ToString(System.Globalization.CultureInfo.InvariantCulture)},{latitude.ToString(System.Globalization.CultureInfo.InvariantCulture)}]");
        var response = await SendAsync(HttpMethod.Get,
            $"/ngsi-ld/v1/entities?type=Bus&georel={Uri.EscapeDataString($"near;maxDistance=={metres}")}&geometry=Point&coordinates={coordinates}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray().Select(e => e!["id"]!.GetValue<string>())];
    }

    [Fact]
    public async Task A_moved_entity_is_found_at_its_new_place_only_and_a_deleted_one_nowhere()
    {
        var id = $"urn:ngsi-ld:Bus:{Guid.NewGuid():N}";
        var created = await SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entities",
            "{\"id\":\"" + id + "\"," + """ "type":"Bus","location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[10.6797,53.8660]}}}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal([id], await NearAsync(10.6800, 53.8662, 100));

        var moved = await SendAsync(HttpMethod.Patch, $"/ngsi-ld/v1/entities/{id}/attrs",
            """{"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[10.8700,53.9600]}}}""");
        Assert.Equal(HttpStatusCode.NoContent, moved.StatusCode);
        Assert.Empty(await NearAsync(10.6800, 53.8662, 100));
        Assert.Equal([id], await NearAsync(10.8701, 53.9601, 100));
        Assert.Equal([id], await NearAsync(10.6800, 53.8662, 20_000));

        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/ngsi-ld/v1/entities/{id}")).StatusCode);
        Assert.Empty(await NearAsync(10.8701, 53.9601, 100));
    }
}
