using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Tests.Shared;
using Xunit;

namespace Samples.Tests;

/// <summary>
/// Days of history older than those the portal holds (Portal:HistoryDays 2), read from a real broker's temporal API
/// when asked, in pages: the broker gives 2 instances per attribute (Temporal:InstanceLimit) and the portal asks for 2
/// entities at a time (Broker:PageSize), for 3 parking houses with 4 observations each that day. The history is
/// written through the entity API, observedAt ten days ago, in Berlin's days.
/// </summary>
public sealed class PortalPastDaysTests : IAsyncLifetime
{
    private const int MaxHistoryAgeDays = 30;
    private static readonly string[] ParkingIds = ["urn:ngsi-ld:OffStreetParking:past-1", "urn:ngsi-ld:OffStreetParking:past-2", "urn:ngsi-ld:OffStreetParking:past-3"];

    private readonly DateOnly _today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, PortalFiles.Berlin).DateTime);
    private ServiceProcess _broker = null!;
    private HttpClient _brokerClient = null!;

    private DateOnly Day => _today.AddDays(-10);

    private static DateTimeOffset StartOf(DateOnly day)
    {
        var midnight = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        return new DateTimeOffset(midnight, PortalFiles.Berlin.GetUtcOffset(midnight));
    }

    /// <summary>The observations of the day, at most two an hour apart; one more just before and just after it.</summary>
    private DateTimeOffset[] ObservedThatDay => [StartOf(Day).AddMinutes(30), StartOf(Day).AddHours(1), StartOf(Day).AddHours(2), StartOf(Day.AddDays(1)).AddMinutes(-1)];

    public async Task InitializeAsync()
    {
        _broker = await BrokerProcess.StartAsync("--Outbound:AllowLoopback", "true", "--Temporal:InstanceLimit", "2");
        _brokerClient = new HttpClient { BaseAddress = _broker.BaseAddress };
        for (var i = 0; i < ParkingIds.Length; i++)
        {
            var observed = ObservedThatDay;
            await WriteAsync(HttpMethod.Post, "/ngsi-ld/v1/entities", $$$"""
                {"id": "{{{ParkingIds[i]}}}", "type": "OffStreetParking",
                 "name": {"type": "Property", "value": "Parkhaus {{{i + 1}}}"},
                 "owner": {"type": "Property", "value": "Erika Mustermann", "observedAt": "{{{Instant(observed[0])}}}"},
                 "availableSpotNumber": {"type": "Property", "value": {{{Free(i, 0)}}}, "observedAt": "{{{Instant(observed[0])}}}"},
                 "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [10.68, 53.87]}}
                }
                """);
            for (var n = 1; n < observed.Length; n++)
                await ObserveAsync(ParkingIds[i], Free(i, n), observed[n]);
            await ObserveAsync(ParkingIds[i], 0, StartOf(Day).AddMinutes(-30));
            await ObserveAsync(ParkingIds[i], 0, StartOf(Day.AddDays(1)));
        }
        await WriteAsync(HttpMethod.Post, "/ngsi-ld/v1/entities", $$$"""
            {"id": "urn:ngsi-ld:WeatherObserved:past", "type": "WeatherObserved",
             "temperature": {"type": "Property", "value": 3.5, "observedAt": "{{{Instant(ObservedThatDay[1])}}}"}}
            """);
    }

    public async Task DisposeAsync()
    {
        _brokerClient.Dispose();
        await _broker.DisposeAsync();
    }

    private static int Free(int entity, int observation) => (10 * (entity + 1)) + observation + 1;

    private static string Instant(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private async Task WriteAsync(HttpMethod method, string path, string json)
    {
        using var response = await _brokerClient.SendAsync(new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") });
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private Task ObserveAsync(string id, int free, DateTimeOffset at) => WriteAsync(HttpMethod.Patch, $"/ngsi-ld/v1/entities/{id}/attrs",
        $$$"""{"availableSpotNumber": {"type": "Property", "value": {{{free}}}, "observedAt": "{{{Instant(at)}}}"}}""");

    private Task<ServiceProcess> StartPortalAsync() => ServiceProcess.StartAsync(ServiceProcess.BuiltDll("samples/OpenDataPortal", "OpenDataPortal"), portal =>
        ["--Broker:Url", _broker.BaseAddress.ToString(), "--Broker:PageSize", "2", "--Portal:PublicUrl", portal.ToString(), "--Portal:TimeZone", "Europe/Berlin",
         "--Portal:HistoryDays", "2", "--Portal:MaxHistoryAgeDays", MaxHistoryAgeDays.ToString(CultureInfo.InvariantCulture),
         "--Privacy:DenyAttributes:0", "owner", "--Logging:LogLevel:Default", "Warning"], "/ready");

    private static string HistoryPath(string dataset, DateOnly day) => $"/datasets/{dataset}/history/{day:yyyy-MM-dd}.csv";

    [Fact]
    public async Task A_day_before_those_held_is_read_from_the_temporal_api_page_by_page_without_the_denied_attributes()
    {
        var observed = ObservedThatDay;
        using (var brokerPage = await _brokerClient.GetAsync(
            $"/ngsi-ld/v1/temporal/entities?type=OffStreetParking&timerel=between&timeAt={Instant(StartOf(Day))}&endTimeAt={Instant(StartOf(Day.AddDays(1)))}&limit=2"))
            Assert.Equal(HttpStatusCode.PartialContent, brokerPage.StatusCode);

        await using var portal = await StartPortalAsync();
        using var client = new HttpClient { BaseAddress = portal.BaseAddress };
        var metadata = JsonNode.Parse(await client.GetStringAsync("/datasets/parking.jsonld"))!;
        Assert.DoesNotContain(metadata["dcat:distribution"]!.AsArray(), d => d!["@id"]!.GetValue<string>().Contains($"{Day:yyyy-MM-dd}", StringComparison.Ordinal));

        using var response = await client.GetAsync(HistoryPath("parking", Day));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var expected = new StringBuilder("observedAt,entityId,entityType,attribute,datasetId,value,unitCode\r\n");
        for (var n = 0; n < observed.Length; n++)
        {
            for (var i = 0; i < ParkingIds.Length; i++)
                expected.Append(CultureInfo.InvariantCulture, $"{Instant(observed[n])},{ParkingIds[i]},OffStreetParking,availableSpotNumber,,{Free(i, n)},\r\n");
        }
        var csv = await response.Content.ReadAsStringAsync();
        Assert.Equal(expected.ToString(), csv);
        Assert.DoesNotContain("owner", csv, StringComparison.Ordinal);
        Assert.DoesNotContain("Erika", csv, StringComparison.Ordinal);

        Assert.Equal(csv, await client.GetStringAsync(HistoryPath("parking", Day)));
        var weather = await client.GetStringAsync(HistoryPath("weather", Day));
        Assert.Equal(2, weather.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
        var dayBefore = await client.GetStringAsync(HistoryPath("parking", Day.AddDays(-1)));
        Assert.Equal(1 + ParkingIds.Length, dayBefore.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task A_future_day_a_day_older_than_the_maximum_age_and_a_day_without_observations_are_404_saying_why()
    {
        await using var portal = await StartPortalAsync();
        using var client = new HttpClient { BaseAddress = portal.BaseAddress };

        // The day after tomorrow is still in the future when the test runs over midnight.
        var future = await ProblemAsync(client, HistoryPath("parking", _today.AddDays(2)));
        Assert.Contains("is in the future", future, StringComparison.Ordinal);

        var tooOld = await ProblemAsync(client, HistoryPath("parking", _today.AddDays(-MaxHistoryAgeDays - 2)));
        Assert.Contains($"the last {MaxHistoryAgeDays} days", tooOld, StringComparison.Ordinal);

        var empty = await ProblemAsync(client, HistoryPath("parking", _today.AddDays(-MaxHistoryAgeDays + 2)));
        Assert.Contains("has no observations on", empty, StringComparison.Ordinal);
    }

    private static async Task<string> ProblemAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>();
    }
}
