using Microsoft.Playwright;
using Xunit;

namespace Browser.Tests;

/// <summary>
/// Debian's chromium (CHROMIUM_PATH, else /usr/bin/chromium; scripts/with-chromium.sh installs it), driven by Playwright
/// through ExecutablePath: Playwright never downloads a browser here.
/// </summary>
internal static class Chromium
{
    public static string ExecutablePath => Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <summary>Null to run: with CI=true the tests always run, so a browser that cannot start fails them instead of skipping.</summary>
    public static string? SkipReason =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase) || File.Exists(ExecutablePath)
            ? null
            : $"No chromium at {ExecutablePath}; run the browser tests under scripts/with-chromium.sh.";

    // The machine and the city's deployment are offline: Chromium must not try to reach Google's services.
    private static readonly string[] Arguments =
        ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ExecutablePath, Headless = true, Args = Arguments });
            return (playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>With SCREENSHOTS=&lt;folder&gt; (README: screenshots), a test saves its page there as &lt;name&gt;.png.</summary>
    public static async Task SaveScreenshotAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("SCREENSHOTS") is not { Length: > 0 } folder)
            return;
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = true });
    }
}

public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute() => Skip = Chromium.SkipReason;
}
