using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Adapters.Core;
using Adapters.Tests.Core;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Adapters.Tests.Parking;

public sealed class ParkingWebhookTests(WebApplicationFactory<Program> factory) : IClassFixture<WebApplicationFactory<Program>>
{
    private const string Table = "parking/datex2-v2/friedrichshafen-spot-sensors-ParkingTablePublication.xml";
    private const string Status = "parking/datex2-v2/friedrichshafen-spot-sensors-ParkingStatusPublication.xml";

    private readonly RecordingSink sink = new();
    private readonly FakeBroker broker = new();

    /// <summary>A host of its own (so its own site aggregator: a new one is a restart), submitting to the recording sink and reading from the fake broker.</summary>
    private HttpClient Client() => factory.WithWebHostBuilder(host =>
    {
        host.ConfigureAppConfiguration(configuration => configuration.AddJsonFile(TestMappings.ParkingFile));
        host.ConfigureTestServices(services => services
            .AddSingleton<IEntitySink>(sink)
            .AddSingleton(new NgsiLdClient(new HttpClient(broker), FakeBroker.Options(retries: 0))));
    }).CreateClient();

    private static Task<HttpResponseMessage> PostDatex2Async(HttpClient client, string sample) =>
        client.PostAsync("/parking/datex2", new StringContent(ReferenceData.ReadSourceFormat(sample), Encoding.UTF8, "application/xml"));

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
    public async Task A_table_re_sent_after_a_status_publication_keeps_each_spots_status()
    {
        using var client = Client();

        Assert.Equal(HttpStatusCode.Accepted, (await PostDatex2Async(client, Status)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await PostDatex2Async(client, Table)).StatusCode);

        Assert.Equal(2, sink.Submitted.Count);
        var statusOf = sink.Submitted[0].Entities.Where(e => e.Type == "ParkingSpot").ToDictionary(spot => spot.Id, spot => spot.Body["status"]);
        var table = sink.Submitted[1].Entities;
        Assert.Equal(55, table.Count);
        Assert.All(table, spot =>
        {
            Assert.Contains((string)spot.Body["status"]!["value"]!, new[] { "free", "occupied" });
            Assert.True(JsonNode.DeepEquals(statusOf[spot.Id], spot.Body["status"]), spot.Id);
        });
        Assert.Empty(broker.Queries);
    }

    [Fact]
    public async Task A_table_after_a_restart_leaves_the_status_the_broker_holds_and_sends_unknown_where_it_has_none()
    {
        var free = new JsonObject { ["type"] = "Property", ["value"] = "free", ["observedAt"] = "2025-04-11T07:09:27.000Z" };
        broker.Answer = (request, _) => FakeBroker.Json(HttpStatusCode.OK, $$"""[{"id":"urn:ngsi-ld:ParkingSpot:friedrichshafen-PH19","type":"ParkingSpot","status":{{free.ToJsonString()}}}]""");
        using var client = Client();

        var response = await PostDatex2Async(client, Table);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Single(broker.Queries);
        var table = Assert.Single(sink.Submitted).Entities;
        Assert.Equal(55, table.Count);
        var kept = Assert.Single(table, spot => spot.KeptByBroker is not null);
        Assert.Equal("urn:ngsi-ld:ParkingSpot:friedrichshafen-PH19", kept.Id);
        Assert.Null(kept.Body["status"]);
        Assert.True(JsonNode.DeepEquals(free, kept.KeptByBroker!["status"]));
        Assert.All(table.Where(spot => spot != kept), spot => Assert.Equal("unknown", (string)spot.Body["status"]!["value"]!));
    }

    [Fact]
    public async Task A_table_whose_spots_status_cannot_be_read_is_kept_as_a_dead_letter_and_nothing_is_overwritten()
    {
        broker.Answer = (_, _) => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        using var client = Client();

        var response = await PostDatex2Async(client, Table);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var outcome = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(0, (int)outcome["accepted"]!);
        Assert.Equal(55, outcome["deadLettered"]!.AsArray().Count);
        Assert.Empty(Assert.Single(sink.Submitted).Entities);
        var rejected = Assert.Single(sink.Rejected);
        Assert.Equal("parking/datex2", rejected.Source);
        Assert.Equal(ReferenceData.ReadSourceFormat(Table), rejected.Original);
        Assert.StartsWith("55 entities not sent (urn:ngsi-ld:ParkingSpot:friedrichshafen-PH19, ", rejected.Reason, StringComparison.Ordinal);
        Assert.Contains("could not be read", rejected.Reason, StringComparison.Ordinal);
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
