using System.Net;
using System.Text.Json;
using Tests.Shared;
using Xunit;
using static Broker.StoreTests.DistributedRetrievalTests;

namespace Broker.StoreTests;

/// <summary>Type and attribute discovery on A united with that of an inclusive source B (clause 4.3.6, 5.7.5–5.7.10).</summary>
public sealed class DistributedDiscoveryTests(Brokers brokers) : IClassFixture<Brokers>
{
    [Fact]
    public async Task Types_and_attributes_on_A_are_the_union_of_its_own_and_those_of_B_with_counts_summed()
    {
        const string Tenant = "dist-discovery";
        await CreateAsync(brokers.A, Tenant, """{"id":"urn:x:a-room","type":"Room","humidity":{"type":"Property","value":40}}""");
        await CreateAsync(brokers.B, Tenant, """{"id":"urn:x:b-room","type":"Room","temperature":{"type":"Property","value":21}}""");
        await CreateAsync(brokers.B, Tenant, """{"id":"urn:x:b-car","type":"Car","speed":{"type":"Property","value":80}}""");
        await RegisterAsync(brokers.A, Tenant, brokers.B.BaseAddress, "inclusive", Tenant);

        using var a = Client(brokers.A, Tenant);
        using (var types = JsonDocument.Parse(await GetOkAsync(a, "/ngsi-ld/v1/types")))
            Assert.Equal(["Car", "Room"], Strings(types.RootElement.GetProperty("typeList")));
        using (var details = JsonDocument.Parse(await GetOkAsync(a, "/ngsi-ld/v1/types?details=true")))
        {
            var room = details.RootElement.EnumerateArray().Single(t => t.GetProperty("typeName").GetString() == "Room");
            Assert.Equal(["humidity", "temperature"], Strings(room.GetProperty("attributeNames")));
        }
        using (var room = JsonDocument.Parse(await GetOkAsync(a, "/ngsi-ld/v1/types/Room")))
        {
            Assert.Equal(2, room.RootElement.GetProperty("entityCount").GetInt32());
            Assert.Equal(["humidity", "temperature"], room.RootElement.GetProperty("attributeDetails").EnumerateArray().Select(d => d.GetProperty("attributeName").GetString()!));
        }
        using (var car = JsonDocument.Parse(await GetOkAsync(a, "/ngsi-ld/v1/types/Car")))
            Assert.Equal(1, car.RootElement.GetProperty("entityCount").GetInt32());
        using (var attributes = JsonDocument.Parse(await GetOkAsync(a, "/ngsi-ld/v1/attributes")))
            Assert.Equal(["humidity", "speed", "temperature"], Strings(attributes.RootElement.GetProperty("attributeList")).Order(StringComparer.Ordinal));
        using (var attributeDetails = JsonDocument.Parse(await GetOkAsync(a, "/ngsi-ld/v1/attributes?details=true")))
            Assert.Equal(3, attributeDetails.RootElement.GetArrayLength());
        using (var temperature = JsonDocument.Parse(await GetOkAsync(a, "/ngsi-ld/v1/attributes/temperature")))
        {
            Assert.Equal(1, temperature.RootElement.GetProperty("attributeCount").GetInt32());
            Assert.Equal(["Room"], Strings(temperature.RootElement.GetProperty("typeNames")));
        }

        using (var local = JsonDocument.Parse(await GetOkAsync(a, "/ngsi-ld/v1/types?local=true")))
            Assert.Equal(["Room"], Strings(local.RootElement.GetProperty("typeList")));
        Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync("/ngsi-ld/v1/attributes/temperature?local=true")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync("/ngsi-ld/v1/types/Car?local=true")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await a.GetAsync("/ngsi-ld/v1/types?details=perhaps")).StatusCode);
    }

    [Fact]
    public async Task A_dead_source_leaves_discovery_on_A_answering_with_its_own_and_a_warning()
    {
        const string Tenant = "dist-discovery-failing";
        await CreateAsync(brokers.A, Tenant, """{"id":"urn:x:room","type":"Room","humidity":{"type":"Property","value":40}}""");
        await RegisterAsync(brokers.A, Tenant, new Uri($"http://127.0.0.1:{ServiceProcess.FreePort()}"), "inclusive", null);

        using var a = Client(brokers.A, Tenant);
        foreach (var path in new[] { "/ngsi-ld/v1/types", "/ngsi-ld/v1/types/Room", "/ngsi-ld/v1/attributes?details=true", "/ngsi-ld/v1/attributes/humidity" })
        {
            using var response = await a.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode}");
            Assert.Equal("199 - Miscellaneous Warning", response.Headers.GetValues("NGSILD-Warning").Single());
        }
    }

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(item => item.GetString()!)];
}
