using Microsoft.Playwright;
using Tests.Shared;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Browser.Tests;

/// <summary>The MeinLübeck page in Chromium, the app as a process subscribed to a broker process.</summary>
public sealed class MeinLuebeckPageTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private const string ParkingHouse = "urn:ngsi-ld:OffStreetParking:browser-holstentor";

    private Task<ServiceProcess> StartAppAsync(string? tenant = null) => ServiceProcess.StartAsync(ServiceProcess.BuiltDll("samples/MeinLuebeck", "MeinLuebeck"), app =>
        ["--Broker:Url", fixture.Broker.BaseAddress.ToString(), "--App:PublicUrl", app.ToString(), "--Logging:LogLevel:Default", "Warning",
         .. tenant is null ? Array.Empty<string>() : ["--Broker:Tenant", tenant]], "/ready");

    [ChromiumFact]
    public async Task The_app_starts_on_a_tenant_that_holds_no_entities_yet_and_shows_the_first_one()
    {
        var tenant = "meinluebeck" + Guid.NewGuid().ToString("N")[..8];
        await using var app = await StartAppAsync(tenant);
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(app.BaseAddress.ToString());
        await Expect(page.Locator("#connection[data-state=live]")).ToBeVisibleAsync();

        await fixture.SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entities", $$"""
            {"id": "{{ParkingHouse}}", "type": "OffStreetParking", "name": {"type": "Property", "value": "Parkhaus Holstentor"},
             "availableSpotNumber": {"type": "Property", "value": 42}, "totalSpotNumber": {"type": "Property", "value": 400},
             "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [10.6797, 53.866]} } }
            """, tenant);
        await Expect(page.Locator($"#map text[data-free='{ParkingHouse}']")).ToHaveTextAsync("42", new() { Timeout = 10_000 });
    }

    [ChromiumFact]
    public async Task A_parking_update_written_to_the_broker_appears_on_the_page()
    {
        await using var app = await StartAppAsync();
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(app.BaseAddress.ToString());
        await Expect(page.Locator("#connection[data-state=live]")).ToBeVisibleAsync();

        await fixture.SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entities", $$"""
            {"id": "{{ParkingHouse}}", "type": "OffStreetParking",
             "name": {"type": "Property", "value": "Parkhaus Holstentor"},
             "availableSpotNumber": {"type": "Property", "value": 150}, "totalSpotNumber": {"type": "Property", "value": 400},
             "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [10.6797, 53.866]} } }
            """);
        var freeOnMap = page.Locator($"#map text[data-free='{ParkingHouse}']");
        await Expect(freeOnMap).ToHaveTextAsync("150", new() { Timeout = 10_000 });

        await fixture.SendAsync(HttpMethod.Patch, $"/ngsi-ld/v1/entities/{ParkingHouse}/attrs", """{"availableSpotNumber": {"type": "Property", "value": 7}}""");
        await Expect(freeOnMap).ToHaveTextAsync("7", new() { Timeout = 10_000 });

        await Expect(page.Locator($"#list td[data-free='{ParkingHouse}']")).ToHaveTextAsync("7");
        var marker = page.Locator($"#map a[data-id='{ParkingHouse}']");
        await Expect(marker).ToHaveAttributeAsync("aria-label", "Parkhaus Parkhaus Holstentor: 7 von 400 frei");
        await Expect(marker.Locator("circle")).ToHaveClassAsync("few");
        await Chromium.SaveScreenshotAsync(page, "meinluebeck");
    }

    [ChromiumFact]
    public async Task The_page_is_usable_by_keyboard_and_in_english()
    {
        await using var app = await StartAppAsync();
        await fixture.SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entities", """
            {"id": "urn:ngsi-ld:ParkingSpot:browser-spot-1", "type": "ParkingSpot", "name": {"type": "Property", "value": "Platz 1"},
             "status": {"type": "Property", "value": "free"},
             "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [10.6850, 53.8650]}}}
            """);
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(app.BaseAddress.ToString());
        var spot = page.Locator("#map a[data-id='urn:ngsi-ld:ParkingSpot:browser-spot-1']");
        await Expect(spot).ToHaveAttributeAsync("aria-label", "Stellplatz Platz 1: frei", new() { Timeout = 10_000 });

        await page.GetByRole(AriaRole.Button, new() { Name = "Switch to English" }).ClickAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");
        await Expect(page.Locator("h1")).ToHaveTextAsync("MeinLübeck: free parking");
        await Expect(spot).ToHaveAttributeAsync("aria-label", "Parking spot Platz 1: free");

        await spot.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#details")).ToHaveTextAsync("Parking spot Platz 1: free");
    }
}
