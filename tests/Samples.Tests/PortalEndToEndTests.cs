using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Tests.Shared;
using Xunit;

namespace Samples.Tests;

/// <summary>
/// The portal as a process against a real broker process: it starts late (history already in the broker), fills the
/// day from the temporal API, then follows notifications. The broker allows loopback endpoints (Outbound:AllowLoopback).
/// </summary>
public sealed class PortalEndToEndTests : IAsyncLifetime
{
    private const string EntityId = "urn:ngsi-ld:OffStreetParking:e2e-holstentor";
    private ServiceProcess _broker = null!;
    private HttpClient _brokerClient = null!;

    public async Task InitializeAsync()
    {
        _broker = await BrokerProcess.StartAsync("--Outbound:AllowLoopback", "true");
        _brokerClient = new HttpClient { BaseAddress = _broker.BaseAddress };
    }

    public async Task DisposeAsync()
    {
        _brokerClient.Dispose();
        await _broker.DisposeAsync();
    }

    private Task<ServiceProcess> StartPortalAsync() => ServiceProcess.StartAsync(ServiceProcess.BuiltDll("samples/OpenDataPortal", "OpenDataPortal"), portal =>
        ["--Broker:Url", _broker.BaseAddress.ToString(), "--Portal:PublicUrl", portal.ToString(), "--Portal:TimeZone", "UTC",
         "--Privacy:DenyAttributes:0", "owner", "--Logging:LogLevel:Default", "Warning"], "/ready");

    private static string Instant(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private async Task WriteAsync(HttpMethod method, string path, string json)
    {
        using var response = await _brokerClient.SendAsync(new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") });
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private Task ObserveAsync(int free, DateTimeOffset at) => WriteAsync(HttpMethod.Patch, $"/ngsi-ld/v1/entities/{EntityId}/attrs",
        $$$"""{"availableSpotNumber": {"type": "Property", "value": {{{free}}}, "observedAt": "{{{Instant(at)}}}"}}""");

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        T value;
        do
        {
            value = await read();
            if (done(value))
                return value;
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail($"{what} did not happen within 15 s; last seen: {value}");
        return value;
    }

    [Fact]
    public async Task A_portal_that_starts_late_publishes_the_history_it_missed_and_then_follows_notifications()
    {
        var first = DateTimeOffset.UtcNow.AddMinutes(-3);
        await WriteAsync(HttpMethod.Post, "/ngsi-ld/v1/entities", $$$"""
            {"id": "{{{EntityId}}}", "type": "OffStreetParking",
             "name": {"type": "Property", "value": "Parkhaus Holstentor"},
             "owner": {"type": "Property", "value": "Erika Mustermann"},
             "availableSpotNumber": {"type": "Property", "value": 120, "observedAt": "{{{Instant(first)}}}"},
             "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [10.6797, 53.866]}}
            }
            """);
        await ObserveAsync(110, first.AddMinutes(1));
        await ObserveAsync(100, first.AddMinutes(2));

        await using var portal = await StartPortalAsync();
        using var client = new HttpClient { BaseAddress = portal.BaseAddress };
        var day = $"/datasets/parking/history/{first.UtcDateTime:yyyy-MM-dd}.csv";
        var csv = await client.GetStringAsync(day);
        Assert.Equal(["120", "110", "100"], Values(csv));

        await ObserveAsync(90, first.AddMinutes(3));
        csv = await EventuallyAsync(() => client.GetStringAsync(day), c => Values(c).Count == 4, "the notified observation in the CSV");
        Assert.Equal(["120", "110", "100", "90"], Values(csv));

        var geoJson = JsonNode.Parse(await client.GetStringAsync("/datasets/parking.geojson"))!;
        var feature = Assert.Single(geoJson["features"]!.AsArray())!;
        Assert.Equal(EntityId, feature["id"]!.GetValue<string>());
        Assert.Equal(90, feature["properties"]!["availableSpotNumber"]!.GetValue<int>());
        Assert.Null(feature["properties"]!["owner"]);
        Assert.Equal("Point", feature["geometry"]!["type"]!.GetValue<string>());

        var metadata = JsonNode.Parse(await client.GetStringAsync("/datasets/parking.jsonld"))!;
        Assert.Contains(metadata["dcat:distribution"]!.AsArray(), d => d!["dcat:downloadURL"]!["@id"]!.GetValue<string>() == new Uri(portal.BaseAddress, day).ToString());
    }

    [Fact]
    public async Task A_notification_that_is_not_one_gets_400_and_an_unknown_dataset_404()
    {
        await using var portal = await StartPortalAsync();
        using var client = new HttpClient { BaseAddress = portal.BaseAddress };
        using var notJson = await client.PostAsync("/notify/parking", new StringContent("{", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        using var noData = await client.PostAsync("/notify/parking", new StringContent("""{"data": [{"type": "X"}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, noData.StatusCode);
        Assert.Contains("each with an id and a type", await noData.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var unknown = await client.PostAsync("/notify/sewage", new StringContent("""{"data": []}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var badDay = await client.GetAsync("/datasets/parking/history/yesterday.csv");
        Assert.Equal(HttpStatusCode.BadRequest, badDay.StatusCode);
    }

    /// <summary>The value column of the availableSpotNumber rows, in time order.</summary>
    private static List<string> Values(string csv) =>
        [.. csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(line => line.Split(',')).Where(f => f[3] == "availableSpotNumber").Select(f => f[5])];
}
