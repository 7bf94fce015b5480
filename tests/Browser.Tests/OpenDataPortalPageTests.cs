using System.Globalization;
using Microsoft.Playwright;
using Tests.Shared;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Browser.Tests;

/// <summary>The open data portal's index page in Chromium, the portal as a process subscribed to a broker process.</summary>
public sealed class OpenDataPortalPageTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    [ChromiumFact]
    public async Task The_index_lists_every_dataset_with_its_files()
    {
        var observedAt = DateTimeOffset.UtcNow.AddMinutes(-5);
        var at = observedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        await fixture.SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entities", $$"""
            {"id": "urn:ngsi-ld:WeatherObserved:portal-page-travemuende", "type": "WeatherObserved",
             "temperature": {"type": "Property", "value": 4.5, "unitCode": "CEL", "observedAt": "{{at}}"} }
            """);
        await using var portal = await ServiceProcess.StartAsync(ServiceProcess.BuiltDll("samples/OpenDataPortal", "OpenDataPortal"), url =>
            ["--Broker:Url", fixture.Broker.BaseAddress.ToString(), "--Portal:PublicUrl", url.ToString(), "--Portal:TimeZone", "UTC", "--Logging:LogLevel:Default", "Warning"], "/ready");

        var page = await fixture.NewPageAsync();
        await page.GotoAsync(portal.BaseAddress.ToString());
        await Expect(page.Locator("article h2")).ToHaveTextAsync(["Parken in Lübeck", "Verkehrszählung in Lübeck", "Luftqualität in Lübeck", "Wetter in Lübeck"]);
        var weather = page.Locator("article", new() { Has = page.GetByRole(AriaRole.Heading, new() { Name = "Wetter in Lübeck" }) });
        await Expect(weather).ToContainTextAsync("1 Objekte");
        await weather.GetByRole(AriaRole.Link, new() { Name = $"Verlauf vom {observedAt.UtcDateTime:yyyy-MM-dd} (CSV)" }).WaitForAsync();
        await Chromium.SaveScreenshotAsync(page, "open-data-portal");
    }
}
