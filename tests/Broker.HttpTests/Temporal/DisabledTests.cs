using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Temporal;

/// <summary>A broker that records no history (Temporal:Enabled=false).</summary>
public sealed class TemporalDisabledBrokerFactory : BrokerFactory
{
    public TemporalDisabledBrokerFactory() : base(new Dictionary<string, string> { ["Temporal:Enabled"] = "false" })
    {
    }
}

/// <summary>
/// With the temporal API off, the entity API works as before and every temporal resource answers 501 OperationNotSupported
/// saying why, on every method.
/// </summary>
public sealed class DisabledTests(TemporalDisabledBrokerFactory factory) : TemporalTest<TemporalDisabledBrokerFactory>(factory)
{
    public static TheoryData<string, string> TemporalResources => new()
    {
        { "GET", TemporalEntities + "?type=Sensor" },
        { "GET", TemporalEntities + "/urn:ngsi-ld:Sensor:1" },
        { "POST", TemporalEntities },
        { "POST", TemporalEntities + "/urn:ngsi-ld:Sensor:1/attrs" },
        { "DELETE", TemporalEntities + "/urn:ngsi-ld:Sensor:1" },
        { "PATCH", TemporalEntities + "/urn:ngsi-ld:Sensor:1/attrs/speed/urn:ngsi-ld:instance:1" },
        { "POST", TemporalQuery },
    };

    [Theory]
    [MemberData(nameof(TemporalResources))]
    public async Task Every_temporal_resource_answers_501_saying_the_temporal_API_is_off(string method, string path)
    {
        using var response = await SendAsync(new HttpMethod(method), path, method is "POST" or "PATCH" ? """{"id":"urn:ngsi-ld:Sensor:1","type":"Sensor"}""" : null);
        var problem = await AssertProblem(response, HttpStatusCode.NotImplemented, "OperationNotSupported");
        Assert.Contains("Temporal:Enabled", (string?)problem["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_entity_API_works_without_the_history()
    {
        var id = NewId("Sensor");
        (await CreateAsync(Entity(id, "Sensor", ("speed", Property(JsonValue.Create(1), T0))))).Dispose();
        using (var patched = await SendAsync(HttpMethod.Patch, AttrPath(id, "speed"), """{"type":"Property","value":2}"""))
            await AssertStatus(HttpStatusCode.NoContent, patched);
        var entity = await GetEntityAsync(id);
        Assert.Equal(2, (int?)entity["speed"]?["value"]);
    }
}
