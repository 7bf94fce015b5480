using System.Net;
using Xunit;

namespace Broker.HttpTests;

/// <summary>Payloads of the ETSI NGSI-LD test suite (data/entities), with the expectations adapted to the core context.</summary>
public sealed class EtsiPayloadTests(BrokerFactory factory) : BrokerTest<BrokerFactory>(factory)
{
    [Theory]
    [InlineData("etsi-building-simple-attributes.json")]
    [InlineData("etsi-vehicle-simple-attributes.json")]
    public async Task Test_suite_entity_round_trips_unchanged(string file)
    {
        var id = NewId("Etsi");

        await AssertStatus(HttpStatusCode.Created, await SendAsync(HttpMethod.Post, Entities, Expected(file, id)));

        AssertMatchesFile(file, id, await GetEntityAsync(id));
    }

    [Fact]
    public async Task Test_suite_building_in_keyValues()
    {
        var id = NewId("Building");
        await AssertStatus(HttpStatusCode.Created, await SendAsync(HttpMethod.Post, Entities, Expected("etsi-building-simple-attributes.json", id)));

        AssertMatchesFile("etsi-building-simple-attributes-keyvalues.json", id, await GetEntityAsync(id, "?options=keyValues"));
    }
}
