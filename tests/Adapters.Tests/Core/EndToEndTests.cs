using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Adapters.Core;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Ontology.SmartDataModels;
using Tests.Shared;
using Xunit;

namespace Adapters.Tests.Core;

/// <summary>A real broker process per test class; the adapter host in-process, writing to it through the NGSI-LD API.</summary>
public sealed class BrokerFixture : IAsyncLifetime
{
    public ServiceProcess Broker { get; private set; } = null!;

    public async Task InitializeAsync() => Broker = await BrokerProcess.StartAsync();

    public async Task DisposeAsync() => await Broker.DisposeAsync();
}

public sealed class EndToEndTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>, IDisposable
{
    private const string Tenant = "adapters-e2e";

    private const string Mapping = """
        lorawan:
          unmappedDevices: reject
          devices:
            - devEui: "0101010101010101"
              decoder: bosch-tps110
              entityId: "urn:ngsi-ld:ParkingSpot:travemuende-strandbahnhof-12"
              name: Strandbahnhof 12
              location: { latitude: 53.9606, longitude: 10.8702 }
              category: [onStreet]
              refParkingSite: "urn:ngsi-ld:OnStreetParking:travemuende-strandbahnhof"
        """;

    private readonly string _folder = Directory.CreateTempSubdirectory("adapters-e2e-").FullName;

    private string DeadLetterPath => Path.Combine(_folder, "dead-letters");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private WebApplicationFactory<Program> Adapter(Uri broker, Action<IConfigurationBuilder>? alsoConfigure = null)
    {
        var mapping = Path.Combine(_folder, "mapping.yaml");
        File.WriteAllText(mapping, Mapping);
        return new WebApplicationFactory<Program>().WithWebHostBuilder(host => host
            .UseSetting("Broker:Url", broker.ToString())
            .UseSetting("Broker:Tenant", Tenant)
            .UseSetting("Broker:Retries", "2")
            .UseSetting("Broker:RetryDelay", "00:00:00.050")
            .UseSetting(AdapterCore.DeadLettersPathKey, DeadLetterPath)
            .ConfigureAppConfiguration(configuration =>
            {
                configuration.AddMappingFile(mapping);
                alsoConfigure?.Invoke(configuration);
            }));
    }

    private List<JsonObject> DeadLetters() =>
        [.. new DeadLetterFolder(DeadLetterPath).Files().Select(file => JsonNode.Parse(File.ReadAllText(file))!.AsObject())];

    private static async Task<HttpResponseMessage> PostUplinkAsync(HttpClient adapter, string body) =>
        await adapter.PostAsync("/lorawan/chirpstack?event=up", new StringContent(body, Encoding.UTF8, "application/json"));

    /// <summary>The entity as the broker has it, its terms compacted with the data model's @context (registered here by the test, as a client reading would).</summary>
    private async Task<JsonObject?> GetEntityAsync(string id, string dataModel)
    {
        using var broker = new HttpClient { BaseAddress = fixture.Broker.BaseAddress };
        using var context = new StringContent(SmartDataModelCatalog.Context(dataModel)!, Encoding.UTF8, "application/json");
        using var registered = await broker.PostAsync("/ngsi-ld/v1/jsonldContexts", context);
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        // By the id query parameter: GET /entities/{id} decodes the path twice, so an id holding "%2F" (a museum's) is not found there.
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ngsi-ld/v1/entities?type={id.Split(':')[2]}&id={Uri.EscapeDataString(id)}");
        request.Headers.Add("NGSILD-Tenant", Tenant);
        request.Headers.TryAddWithoutValidation("Link", $"<{new Uri(fixture.Broker.BaseAddress, registered.Headers.Location!)}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await broker.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var entities = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
        Assert.True(entities.Count <= 1, $"{entities.Count} entities with the id {id}");
        return entities.Count == 0 ? null : entities[0]!.AsObject();
    }

    private static void AssertSameEntity(JsonNode expected, JsonObject? actual)
    {
        Assert.NotNull(actual);
        Assert.True(JsonNode.DeepEquals(expected, actual), $"expected\n{expected}\nbut the broker has\n{actual}");
    }

    [Fact]
    public async Task A_ChirpStack_uplink_becomes_its_entities_in_the_broker_with_the_sources_observedAt()
    {
        using var factory = Adapter(fixture.Broker.BaseAddress);
        using var adapter = factory.CreateClient();

        var response = await PostUplinkAsync(adapter, ReferenceData.ReadSourceFormat("lorawan/chirpstack-v4/event-up.json"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var outcome = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(2, (int)outcome["accepted"]!);
        Assert.Empty(outcome["deadLettered"]!.AsArray());
        var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Expected", "LoRaWan", "chirpstack-v4", "event-up.json")))!.AsArray();
        foreach (var item in expected)
            AssertSameEntity(item!["entity"]!, await GetEntityAsync((string)item["entity"]!["id"]!, (string)item["dataModel"]!));
        var spot = await GetEntityAsync("urn:ngsi-ld:ParkingSpot:travemuende-strandbahnhof-12", "dataModel.Parking");
        Assert.Equal("2022-07-18T09:34:15.775023Z", (string)spot!["status"]!["observedAt"]!);
        Assert.Empty(DeadLetters());
    }

    [Fact]
    public async Task A_parking_table_re_sent_by_a_restarted_adapter_leaves_each_spots_status_in_the_broker()
    {
        const string Spot = "urn:ngsi-ld:ParkingSpot:friedrichshafen-PH19";
        var table = ReferenceData.ReadSourceFormat("parking/datex2-v2/friedrichshafen-spot-sensors-ParkingTablePublication.xml");
        var status = ReferenceData.ReadSourceFormat("parking/datex2-v2/friedrichshafen-spot-sensors-ParkingStatusPublication.xml");
        async Task<JsonNode> PostAsync(HttpClient adapter, string xml)
        {
            using var response = await adapter.PostAsync("/parking/datex2", new StringContent(xml, Encoding.UTF8, "application/xml"));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        }

        JsonNode observed;
        using (var factory = Adapter(fixture.Broker.BaseAddress, configuration => configuration.AddJsonFile(Parking.TestMappings.ParkingFile)))
        {
            using var adapter = factory.CreateClient();
            Assert.Equal(55, (int)(await PostAsync(adapter, table))["accepted"]!);
            Assert.Equal("unknown", (string)(await GetEntityAsync(Spot, "dataModel.Parking"))!["status"]!["value"]!);
            await PostAsync(adapter, status);
            observed = (await GetEntityAsync(Spot, "dataModel.Parking"))!["status"]!.DeepClone();
            Assert.NotEqual("unknown", (string)observed["value"]!);
        }
        using (var restarted = Adapter(fixture.Broker.BaseAddress, configuration => configuration.AddJsonFile(Parking.TestMappings.ParkingFile)))
        {
            using var adapter = restarted.CreateClient();
            var outcome = await PostAsync(adapter, table);
            Assert.Equal(55, (int)outcome["accepted"]!);
            Assert.Empty(outcome["deadLettered"]!.AsArray());
        }

        var spot = await GetEntityAsync(Spot, "dataModel.Parking");
        Assert.True(JsonNode.DeepEquals(observed, spot!["status"]), $"expected {observed}, the broker has {spot["status"]}");
        Assert.Equal("A1225b_Metzstraße_Hsnr.1", (string)spot["name"]!["value"]!);
        Assert.Empty(DeadLetters());
    }

    [Fact]
    public async Task The_same_uplink_twice_leaves_the_same_state()
    {
        using var factory = Adapter(fixture.Broker.BaseAddress);
        using var adapter = factory.CreateClient();
        var uplink = ReferenceData.ReadSourceFormat("lorawan/chirpstack-v4/event-up.json");

        Assert.Equal(HttpStatusCode.Accepted, (await PostUplinkAsync(adapter, uplink)).StatusCode);
        var spot = await GetEntityAsync("urn:ngsi-ld:ParkingSpot:travemuende-strandbahnhof-12", "dataModel.Parking");
        var device = await GetEntityAsync("urn:ngsi-ld:Device:0101010101010101", "dataModel.Device");
        Assert.Equal(HttpStatusCode.Accepted, (await PostUplinkAsync(adapter, uplink)).StatusCode);

        AssertSameEntity(spot!, await GetEntityAsync("urn:ngsi-ld:ParkingSpot:travemuende-strandbahnhof-12", "dataModel.Parking"));
        AssertSameEntity(device!, await GetEntityAsync("urn:ngsi-ld:Device:0101010101010101", "dataModel.Device"));
    }

    [Fact]
    public async Task An_entity_the_broker_refuses_and_one_its_schema_rejects_are_dead_letters_with_their_reasons()
    {
        using var factory = Adapter(fixture.Broker.BaseAddress);
        var sink = factory.Services.GetRequiredService<IEntitySink>();
        var refused = FakeBroker.ParkingSpot("e2e-refused", observedAt: "yesterday at noon");
        var invalid = FakeBroker.ParkingSpot("e2e-invalid", status: "parked");
        var stored = FakeBroker.ParkingSpot("e2e-stored");

        var outcome = await sink.SubmitAsync("e2e", "the original record", [refused, invalid, stored], default);

        Assert.Equal(1, outcome.Accepted);
        Assert.Equal(["urn:ngsi-ld:ParkingSpot:e2e-invalid", "urn:ngsi-ld:ParkingSpot:e2e-refused"], outcome.DeadLettered.Select(entity => entity.EntityId).Order(StringComparer.Ordinal));
        var letters = DeadLetters().ToDictionary(letter => (string)letter["entityId"]!);
        Assert.Equal(2, letters.Count);
        Assert.StartsWith("the broker refused the entity: ", (string)letters["urn:ngsi-ld:ParkingSpot:e2e-refused"]["reason"]!, StringComparison.Ordinal);
        Assert.Contains("observedAt", (string)letters["urn:ngsi-ld:ParkingSpot:e2e-refused"]["reason"]!, StringComparison.Ordinal);
        Assert.StartsWith("ParkingSpot does not conform to the dataModel.Parking schema: /status", (string)letters["urn:ngsi-ld:ParkingSpot:e2e-invalid"]["reason"]!, StringComparison.Ordinal);
        Assert.All(letters.Values, letter => Assert.Equal("the original record", (string)letter["original"]!));
        Assert.Null(await GetEntityAsync("urn:ngsi-ld:ParkingSpot:e2e-refused", "dataModel.Parking"));
        Assert.Null(await GetEntityAsync("urn:ngsi-ld:ParkingSpot:e2e-invalid", "dataModel.Parking"));
        Assert.NotNull(await GetEntityAsync("urn:ngsi-ld:ParkingSpot:e2e-stored", "dataModel.Parking"));
    }

    [Fact]
    public async Task When_the_broker_goes_down_an_uplink_is_retried_then_kept_as_dead_letters()
    {
        var broker = await BrokerProcess.StartAsync();
        await using (broker)
        {
            using var factory = Adapter(broker.BaseAddress);
            using var adapter = factory.CreateClient();
            var uplink = ReferenceData.ReadSourceFormat("lorawan/chirpstack-v4/event-up.json");
            Assert.Equal(HttpStatusCode.Accepted, (await PostUplinkAsync(adapter, uplink)).StatusCode);
            broker.Kill();

            var response = await PostUplinkAsync(adapter, uplink);

            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var outcome = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal(0, (int)outcome["accepted"]!);
            var letters = DeadLetters();
            Assert.Equal(["urn:ngsi-ld:Device:0101010101010101", "urn:ngsi-ld:ParkingSpot:travemuende-strandbahnhof-12"], letters.Select(letter => (string)letter["entityId"]!).Order(StringComparer.Ordinal));
            Assert.All(letters, letter =>
            {
                Assert.Contains("is not reachable after 3 attempts", (string)letter["reason"]!, StringComparison.Ordinal);
                Assert.Equal(uplink, (string)letter["original"]!);
                Assert.Equal("lorawan/chirpstack", (string)letter["source"]!);
            });
        }
    }

    [Fact]
    public async Task The_LIDO_import_command_writes_the_museum_and_its_collection_object_to_the_broker()
    {
        var lido = ReferenceData.SourceFormat("museum-collections/lido/examples/LIDO-v1.1-Example_FMobj00154983-LaPrimavera.xml");
        var environment = new Dictionary<string, string>
        {
            ["Broker__Url"] = fixture.Broker.BaseAddress.ToString(),
            ["Broker__Tenant"] = Tenant,
            ["DeadLetters__Path"] = DeadLetterPath,
        };

        var (exitCode, output) = await AdapterHostProcess.RunAsync(environment, "import", "lido", lido, "--checkpoint", Path.Combine(_folder, "checkpoint.json"));

        Assert.True(exitCode == 0, $"the import exited with {exitCode}:\n{output}");
        Assert.Contains("2 entities accepted", System.Text.RegularExpressions.Regex.Replace(output, "\\s+", " "), StringComparison.Ordinal);
        var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Expected", "Museums", "LIDO-v1.1-Example_FMobj00154983-LaPrimavera.json")))!.AsArray();
        Assert.Equal(2, expected.Count);
        foreach (var item in expected)
            AssertSameEntity(item!["entity"]!, await GetEntityAsync((string)item["entity"]!["id"]!, (string)item["dataModel"]!));
        Assert.Empty(DeadLetters());
    }
}
