using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Adapters.Core;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Adapters.Tests.Parking;

public sealed class ParkingWebhookTests(WebApplicationFactory<Program> factory) : IClassFixture<WebApplicationFactory<Program>>
{
    private readonly RecordingSink sink = new();

    private HttpClient Client() => factory.WithWebHostBuilder(host =>
    {
        host.ConfigureAppConfiguration(configuration => configuration.AddJsonFile(TestMappings.ParkingFile));
        host.ConfigureTestServices(services => services.AddSingleton<IEntitySink>(sink));
    }).CreateClient();

    [Fact]
    public async Task A_datex2_publication_is_submitted_as_its_entities()
    {
        using var client = Client();
        var xml = ReferenceData.ReadSourceFormat("parking/datex2-v2/aachen-ParkingStatusPublication.xml");

        var response = await client.PostAsync("/parking/datex2", new StringContent(xml, Encoding.UTF8, "application/xml"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var (source, original, entities) = Assert.Single(sink.Submitted);
        Assert.Equal("parking/datex2", source);
        Assert.Equal(xml, original);
        Assert.Equal(17, entities.Count);
        Assert.Empty(sink.Rejected);
    }

    [Fact]
    public async Task Spot_reports_are_submitted_with_the_sites_they_change()
    {
        using var client = Client();
        var json = ReferenceData.ReadSourceFormat("parking/sensor-feeds/ulm-realtime-parking-spots.json");

        var response = await client.PostAsync("/parking/sensors", new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var entities = Assert.Single(sink.Submitted).Entities;
        Assert.Equal(44, entities.Count(e => e.Type == "ParkingSpot"));
        Assert.Equal("urn:ngsi-ld:OffStreetParking:ulm-parkhaus-b", Assert.Single(entities, e => e.Type == "OffStreetParking").Id);
    }

    [Fact]
    public async Task A_sensit_status_is_submitted()
    {
        using var client = Client();
        var response = await client.PostAsync("/parking/sensit", new StringContent(
            ReferenceData.ReadSourceFormat("parking/nedap-sensit/ellwangen-sensit-parking-status.json"), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("urn:ngsi-ld:OffStreetParking:ellwangen-marktplatz", Assert.Single(Assert.Single(sink.Submitted).Entities).Id);
    }

    [Theory]
    [InlineData("/parking/datex2", "<d2LogicalModel xmlns=\"urn:wrong\"/>", "not d2LogicalModel")]
    [InlineData("/parking/sensit", "{\"id\":", "not valid JSON")]
    [InlineData("/parking/sensors", "[{\"id\":\"nobody\",\"occupied\":true,\"timestamp\":\"2025-04-11T07:09:27Z\"}]", "nobody")]
    public async Task Malformed_input_is_rejected_into_the_dead_letters_and_answered_with_400(string path, string body, string reason)
    {
        using var client = Client();

        var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Contains(reason, (string)problem!["detail"]!);
        var rejected = Assert.Single(sink.Rejected);
        Assert.Equal(path.TrimStart('/'), rejected.Source);
        Assert.Equal(body, rejected.Original);
        Assert.Contains(reason, rejected.Reason);
        Assert.Empty(sink.Submitted);
    }
}
