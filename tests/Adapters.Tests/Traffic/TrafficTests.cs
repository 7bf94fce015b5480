using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Adapters.Core;
using Adapters.Tests.Parking;
using Adapters.Traffic;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Adapters.Tests.Traffic;

public sealed class TrafficTests(WebApplicationFactory<Program> factory) : IClassFixture<WebApplicationFactory<Program>>
{
    private readonly TrafficMapping mapping = TrafficTestMapping.Create();
    private readonly RecordingSink sink = new();

    [Fact]
    public void The_configuration_sample_gives_a_signal_entity_per_lamp_signal_group()
    {
        var entities = TrafficSignalTranslation.Translate(ReferenceData.ReadSourceFormat("traffic-signals/jena-ilsa-traffic-light-mqtt/TLConfiguration-K440-Felsenkeller.json"), null, mapping);
        ExpectedEntities.AssertMatches("Traffic/TLConfiguration-K440-Felsenkeller.json", entities);
        Assert.Equal(["K1", "F1", "K2", "K3", "RF2", "RF3", "K4"], entities.Select(e => (string)e.Body["signalGroup"]!["value"]!));
        var location = entities[0].Body["location"]!["value"]!["coordinates"]!.AsArray();
        Assert.Equal(11.581255, (double)location[0]!);
        Assert.Equal(50.920902, (double)location[1]!);
    }

    [Fact]
    public void The_signal_state_sample_gives_the_phase_of_its_group_observed_at_the_message_time()
    {
        var json = ReferenceData.ReadSourceFormat("traffic-signals/jena-ilsa-traffic-light-mqtt/TLSignalState-example.json");
        var entities = TrafficSignalTranslation.Translate(json, null, mapping);
        ExpectedEntities.AssertMatches("Traffic/TLSignalState-example.json", entities);
        var signal = Assert.Single(entities);
        Assert.Equal("urn:ngsi-ld:TrafficSignal:K440-K3", signal.Id);
        Assert.Equal("stop-And-Remain", (string)signal.Body["phase"]!["value"]!);
        Assert.Equal("2026-01-06T14:48:15.288Z", (string)signal.Body["phase"]!["observedAt"]!);
        Assert.True(JsonNode.DeepEquals(signal.Body, TrafficSignalTranslation.Translate(json, null, mapping)[0].Body));
    }

    [Theory]
    [InlineData(true, false, false, "stop-And-Remain")]
    [InlineData(true, true, false, "pre-Movement")]
    [InlineData(false, false, true, "permissive-Movement-Allowed")]
    [InlineData(false, true, false, "permissive-clearance")]
    [InlineData(false, false, false, "dark")]
    [InlineData(true, false, true, "unavailable")]
    public void Lamps_map_onto_the_spatem_movement_phase_state(bool red, bool amber, bool green, string phase)
    {
        Assert.Equal(phase, TrafficSignalTranslation.Phase(red, amber, green));
        var state = $$"""{"eClass":"http://jena.de/udp/trafficos/trafficlight/1.1.1#//TLSignalState","id":"K1/1","signalGroup":{"id":"K1"},"timestamp":"2026-01-06T14:48:15Z","values":[{{(green ? "true" : "false")}},{{(amber ? "true" : "false")}},{{(red ? "true" : "false")}}]}""";
        Assert.Equal(phase, (string)TrafficSignalTranslation.Translate(state, "K440", mapping)[0].Body["phase"]!["value"]!);
    }

    [Theory]
    [InlineData("{", "not valid JSON")]
    [InlineData("{\"eClass\":\"x#//Other\"}", "neither")]
    [InlineData("{\"eClass\":\"x#//TLSignalState\",\"signalGroup\":{\"id\":\"K1\"}}", "TLSignalState: id is missing")]
    [InlineData("{\"eClass\":\"x#//TLSignalState\",\"id\":\"K1/1\",\"signalGroup\":{\"id\":\"K1\"},\"timestamp\":\"2026-01-06T14:48:15Z\",\"values\":[1,0]}", "values must be 1 to 3 booleans")]
    [InlineData("{\"eClass\":\"x#//TLConfiguration\",\"intersectionId\":\"K999\",\"modules\":[]}", "controller 'K999' is not in the traffic mapping")]
    public void Malformed_signal_messages_are_refused(string json, string expected)
    {
        var error = Assert.Throws<MalformedSourceException>(() => TrafficSignalTranslation.Translate(json, null, mapping));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void The_count_sample_translates_to_traffic_flow_per_counter()
    {
        var json = ReferenceData.ReadSourceFormat("traffic-counts/fackenburger-allee-MeasuredDataPublication.json");
        var entities = TrafficCountTranslation.Translate(json, mapping);
        ExpectedEntities.AssertMatches("Traffic/fackenburger-allee-MeasuredDataPublication.json", entities);

        var lane1 = entities.Single(e => e.Id == "urn:ngsi-ld:TrafficFlowObserved:fackenburger-allee-0412-lane1");
        Assert.Equal(648 * 0.25, (double)lane1.Body["intensity"]!["value"]!);
        Assert.Equal(0.142, (double)lane1.Body["occupancy"]!["value"]!);
        var flagged = entities.Single(e => e.Id == "urn:ngsi-ld:TrafficFlowObserved:fackenburger-allee-0413");
        Assert.Equal(312 * 0.25, (double)flagged.Body["intensity"]!["value"]!);
        Assert.True(JsonNode.DeepEquals(lane1.Body, TrafficCountTranslation.Translate(json, mapping)[0].Body));
    }

    [Theory]
    [InlineData("{\"payload\":{}}", "payload.roaMeasuredDataPublication is missing")]
    [InlineData("{\"payload\":{\"roaMeasuredDataPublication\":{\"siteMeasurements\":[{\"measurementTimeDefault\":{}}]}}}", "measurementSiteReference.idG is missing")]
    [InlineData("{\"payload\":{\"roaMeasuredDataPublication\":{\"siteMeasurements\":[{\"measurementSiteReference\":{\"idG\":\"HL-FA-0413\"},\"measurementTimeDefault\":{\"period\":{\"startOfPeriod\":\"2026-11-30T07:00:00Z\",\"endOfPeriod\":\"2026-11-30T07:15:00Z\"}},\"physicalQuantity\":[{\"index\":1,\"physicalQuantity\":{\"roaSinglePhysicalQuantity\":{\"basicData\":{\"roaTrafficFlow\":{\"vehicleFlow\":{\"vehicleFlowRate\":-5}}}}}}]}]}}}", "vehicleFlowRate: -5 is negative")]
    [InlineData("{\"payload\":{\"roaMeasuredDataPublication\":{\"siteMeasurements\":[{\"measurementSiteReference\":{\"idG\":\"HL-XX\"},\"measurementTimeDefault\":{\"period\":{\"startOfPeriod\":\"2026-11-30T07:00:00Z\",\"endOfPeriod\":\"2026-11-30T07:15:00Z\"}},\"physicalQuantity\":[{\"index\":1,\"physicalQuantity\":{\"roaSinglePhysicalQuantity\":{\"basicData\":{}}}}]}]}}}", "not in the traffic mapping (traffic.counters): HL-XX#1")]
    public void Malformed_counts_are_refused(string json, string expected)
    {
        var error = Assert.Throws<MalformedSourceException>(() => TrafficCountTranslation.Translate(json, mapping));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void The_test_mapping_is_valid_and_problems_are_listed_with_their_paths()
    {
        Assert.Empty(mapping.Validate("traffic"));
        var bad = new TrafficMapping
        {
            Controllers = [new() { ControllerId = "K1", IntersectionId = "felsenkeller" }, new() { ControllerId = "K1", IntersectionId = "urn:ngsi-ld:RoadIntersection:x" }],
            Counters = [new() { MeasurementSiteId = "M", EntityId = "urn:ngsi-ld:RoadSegment:m", LaneId = 0 }],
        };
        Assert.Equal(
            [
                "traffic.controllers[0].intersectionId: 'felsenkeller' is not an entity id (urn:ngsi-ld:<type>:<id>)",
                "traffic.controllers[1].controllerId: 'K1' is mapped twice",
                "traffic.counters[0].entityId: 'urn:ngsi-ld:RoadSegment:m' does not start with urn:ngsi-ld:TrafficFlowObserved: followed by a local id",
                "traffic.counters[0].laneId: 0 is not 1 or more",
            ],
            bad.Validate("traffic"));
    }

    [Theory]
    [InlineData("/traffic/signals", "traffic-signals/jena-ilsa-traffic-light-mqtt/TLSignalState-example.json", 1)]
    [InlineData("/traffic/signals?controller=K440", "traffic-signals/jena-ilsa-traffic-light-mqtt/TLConfiguration-K440-Felsenkeller.json", 7)]
    [InlineData("/traffic/counts", "traffic-counts/fackenburger-allee-MeasuredDataPublication.json", 3)]
    public async Task Webhooks_submit_the_translated_entities(string path, string sample, int count)
    {
        using var client = Client();
        var response = await client.PostAsync(path, new StringContent(ReferenceData.ReadSourceFormat(sample), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(count, Assert.Single(sink.Submitted).Entities.Count);
    }

    [Theory]
    [InlineData("/traffic/signals?controller=K9", "{\"eClass\":\"x#//TLSignalState\",\"id\":\"K1/1\",\"signalGroup\":{\"id\":\"K1\"},\"timestamp\":\"2026-01-06T14:48:15Z\",\"values\":[false,false,true]}", "controller 'K9'")]
    [InlineData("/traffic/counts", "[]", "expected a JSON object")]
    public async Task Malformed_input_is_rejected_and_answered_with_400(string path, string body, string reason)
    {
        using var client = Client();
        var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!);
        Assert.Contains(reason, Assert.Single(sink.Rejected).Reason);
        Assert.Empty(sink.Submitted);
    }

    private HttpClient Client() => factory.WithWebHostBuilder(host =>
    {
        host.ConfigureAppConfiguration(configuration => configuration.AddJsonFile(TrafficTestMapping.File));
        host.ConfigureTestServices(services => services.AddSingleton<IEntitySink>(sink));
    }).CreateClient();
}
