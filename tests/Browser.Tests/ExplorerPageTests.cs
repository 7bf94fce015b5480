using System.Globalization;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Browser.Tests;

/// <summary>The broker's explorer (/explorer, Explorer:Enabled) in Chromium, each test in its own tenant.</summary>
public sealed class ExplorerPageTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private string Explorer(string tenant, string hash) => new Uri(fixture.Broker.BaseAddress, $"/explorer/?tenant={tenant}#{hash}").ToString();

    [ChromiumFact]
    public async Task The_explorer_lists_a_created_entity_and_draws_its_history()
    {
        const string tenant = "explorer-history";
        const string id = "urn:ngsi-ld:TrafficFlowObserved:fackenburger-allee";
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        string At(int minutes) => start.AddMinutes(minutes).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        await fixture.SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entities", $$"""
            {"id": "{{id}}", "type": "TrafficFlowObserved",
             "intensity": {"type": "Property", "value": 310, "observedAt": "{{At(0)}}"},
             "location": {"type": "GeoProperty", "value": {"type": "LineString", "coordinates": [[10.662, 53.873], [10.668, 53.871]]} } }
            """, tenant);
        foreach (var (intensity, minutes) in new[] { (420, 15), (380, 30), (505, 45) })
        {
            await fixture.SendAsync(HttpMethod.Patch, $"/ngsi-ld/v1/entities/{id}/attrs",
                $$"""{"intensity": {"type": "Property", "value": {{intensity}}, "observedAt": "{{At(minutes)}}"} }""", tenant);
        }

        var page = await fixture.NewPageAsync();
        await page.GotoAsync(Explorer(tenant, "types"));
        await page.GetByRole(AriaRole.Link, new() { Name = "TrafficFlowObserved" }).ClickAsync();
        var row = page.Locator("table tbody tr", new() { HasText = id });
        await Expect(row).ToHaveCountAsync(1);
        await Expect(page.Locator("svg.map path.shape")).ToHaveCountAsync(1);

        await row.GetByRole(AriaRole.Link, new() { Name = id }).ClickAsync();
        var chart = page.Locator("svg.chart");
        await Expect(chart).ToHaveAttributeAsync("aria-label", "History of intensity: 4 values from 310 to 505");
        var points = await chart.Locator("polyline").GetAttributeAsync("points");
        Assert.Equal(4, points!.Split(' ').Length);
        await Expect(chart.Locator("circle")).ToHaveCountAsync(4);
        await Chromium.SaveScreenshotAsync(page, "explorer");
    }

    [ChromiumFact]
    public async Task Subscriptions_and_registrations_show_their_status()
    {
        const string tenant = "explorer-subscriptions";
        await fixture.SendAsync(HttpMethod.Post, "/ngsi-ld/v1/subscriptions", """
            {"id": "urn:ngsi-ld:Subscription:explorer-test", "type": "Subscription", "description": "Parking for the portal",
             "entities": [{"type": "OffStreetParking"}],
             "notification": {"endpoint": {"uri": "http://127.0.0.1:9/notify", "accept": "application/json"}}}
            """, tenant);
        await fixture.SendAsync(HttpMethod.Post, "/ngsi-ld/v1/csourceRegistrations", """
            {"id": "urn:ngsi-ld:ContextSourceRegistration:explorer-test", "type": "ContextSourceRegistration",
             "information": [{"entities": [{"type": "OffStreetParking"}]}], "endpoint": "http://parking.example.org"}
            """, tenant);
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(Explorer(tenant, "subscriptions"));
        var row = page.Locator("table tbody tr", new() { HasText = "urn:ngsi-ld:Subscription:explorer-test" });
        await Expect(row).ToContainTextAsync("Parking for the portal");
        await Expect(row).ToContainTextAsync("active");
        await Expect(row).ToContainTextAsync("http://127.0.0.1:9/notify");

        await page.GetByRole(AriaRole.Link, new() { Name = "Registrations" }).ClickAsync();
        var registration = page.Locator("table tbody tr", new() { HasText = "urn:ngsi-ld:ContextSourceRegistration:explorer-test" });
        await Expect(registration).ToContainTextAsync("http://parking.example.org");
    }
}
