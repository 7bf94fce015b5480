using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Adapters.Core;
using Adapters.LoRaWan;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Adapters.Tests.LoRaWan;

public sealed class WebhookTests : IDisposable
{
    private readonly RecordingSink _sink = new();
    private readonly WebApplicationFactory<Program> _factory;

    public WebhookTests()
    {
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(host => host.ConfigureTestServices(services =>
        {
            services.AddSingleton(TestMapping.Create(unmappedDevices: "reject"));
            services.AddSingleton<IEntitySink>(_sink);
        }));
    }

    public void Dispose() => _factory.Dispose();

    private async Task<HttpResponseMessage> PostAsync(string path, string body)
    {
        using var client = _factory.CreateClient();
        return await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
    }

    [Fact]
    public async Task A_ChirpStack_up_event_is_submitted_with_202()
    {
        var json = ReferenceData.ReadSourceFormat("lorawan/chirpstack-v4/event-up.json");
        var response = await PostAsync("/lorawan/chirpstack?event=up", json);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var call = Assert.Single(_sink.Calls);
        Assert.Equal(("lorawan/chirpstack", json), (call.Source, call.Original));
        ExpectedEntities.AssertMatches("chirpstack-v4/event-up", call.Entities!);
        Assert.Equal(2, (int)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["accepted"]!);
    }

    [Fact]
    public async Task A_The_Things_Stack_uplink_is_submitted_with_202()
    {
        var json = ReferenceData.ReadSourceFormat("lorawan/the-things-stack-v3/uplink-message.json");
        var response = await PostAsync("/lorawan/ttn", json);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var call = Assert.Single(_sink.Calls);
        Assert.Equal("lorawan/ttn", call.Source);
        ExpectedEntities.AssertMatches("the-things-stack-v3/uplink-message", call.Entities!);
    }

    [Theory]
    [InlineData("/lorawan/chirpstack?event=txack", "lorawan/chirpstack-v4/event-txack.json")]
    [InlineData("/lorawan/chirpstack?event=log", "lorawan/chirpstack-v4/event-log.json")]
    [InlineData("/lorawan/ttn", "lorawan/the-things-stack-v3/downlink-event-ack.json")]
    public async Task An_event_that_is_not_translated_is_answered_204_and_not_submitted(string path, string sample)
    {
        var response = await PostAsync(path, ReferenceData.ReadSourceFormat(sample));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(_sink.Calls);
    }

    [Theory]
    [InlineData("/lorawan/chirpstack?event=up", "{\"time\": ", "ChirpStack up event: not JSON (")]
    [InlineData("/lorawan/chirpstack?event=status", "{\"time\": \"2022-07-18T09:35:06Z\", \"deviceInfo\": {}}", "ChirpStack status event: deviceInfo.devEui is missing")]
    [InlineData("/lorawan/chirpstack", "{}", "ChirpStack event: its type (the event query parameter, or the topic's last level) is missing")]
    [InlineData("/lorawan/ttn", "{\"end_device_ids\": {}, \"uplink_message\": {}}", "The Things Stack uplink message: end_device_ids.dev_eui is missing")]
    public async Task Malformed_input_is_rejected_into_the_dead_letters_and_answered_400_with_a_problem(string path, string body, string reason)
    {
        var response = await PostAsync(path, body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("Malformed LoRaWAN message", (string)problem["title"]!);
        Assert.StartsWith(reason, (string)problem["detail"]!, StringComparison.Ordinal);
        var call = Assert.Single(_sink.Calls);
        Assert.Null(call.Entities);
        Assert.Equal(body, call.Original);
        Assert.Equal((string)problem["detail"]!, call.Reason);
    }

    [Fact]
    public async Task An_uplink_of_a_device_that_is_not_mapped_is_rejected_with_400()
    {
        var response = await PostAsync("/lorawan/chirpstack?event=up", ReferenceData.ReadSourceFormat("lorawan/chirpstack-v4/jena-real-uplinks/up-7-Solidos-Teros21.json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("ChirpStack up event: device 8cf95720000d4a69 is not in the mapping (lorawan.devices)", Assert.Single(_sink.Calls).Reason);
    }

    [Fact]
    public async Task A_payload_too_short_for_its_decoder_is_rejected_with_400()
    {
        var response = await PostAsync("/lorawan/chirpstack?event=up", TranslationTests.UpEventWith(TestMapping.DecentlabPmSensor, 1, [0x02, 0x1b]));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("ChirpStack up event: decentlab-dl-pm payload on fPort 1: a Decentlab message has at least 5 bytes, this one 2", Assert.Single(_sink.Calls).Reason);
    }

    [Fact]
    public void The_mapping_is_a_source_mapping_of_the_host_and_MQTT_is_off_unless_configured()
    {
        Assert.Same(_factory.Services.GetRequiredService<LoRaWanMapping>(), _factory.Services.GetServices<ISourceMapping>().OfType<LoRaWanMapping>().Single());
        Assert.DoesNotContain(_factory.Services.GetServices<IHostedService>(), service => service is ChirpStackMqttListener);
    }
}
