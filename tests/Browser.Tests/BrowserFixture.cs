using System.Text;
using Microsoft.Playwright;
using Tests.Shared;
using Xunit;

namespace Browser.Tests;

/// <summary>One browser and one broker (loopback notifications allowed, explorer on) for the tests of a class.</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public ServiceProcess Broker { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Broker = await BrokerProcess.StartAsync("--Outbound:AllowLoopback", "true", "--Explorer:Enabled", "true");
        if (Chromium.SkipReason is null)
            (_playwright, Browser) = await Chromium.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        if (_playwright is not null)
        {
            await Browser.DisposeAsync();
            _playwright.Dispose();
        }
        await Broker.DisposeAsync();
    }

    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 800 }, Locale = "de-DE" });
        return await context.NewPageAsync();
    }

    /// <summary>A request to the broker that must succeed.</summary>
    public async Task SendAsync(HttpMethod method, string path, string? json = null, string? tenant = null)
    {
        using var client = new HttpClient { BaseAddress = Broker.BaseAddress };
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        if (tenant is not null)
            request.Headers.Add("NGSILD-Tenant", tenant);
        using var response = await client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
