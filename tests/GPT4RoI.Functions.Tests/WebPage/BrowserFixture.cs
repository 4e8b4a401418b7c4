using Microsoft.Playwright;

namespace GPT4RoI.Functions.Tests.WebPage;

/// <summary>
/// Headless Chromium driven by Playwright. The browser is Debian's (<c>/usr/bin/chromium</c>, which
/// scripts/test-all.sh installs when missing; <c>GPT4ROI_CHROMIUM</c> names another): Playwright never downloads one.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string DefaultChromium = "/usr/bin/chromium";

    public IPlaywright Playwright { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where screenshots go: <c>GPT4ROI_SCREENSHOT_DIR</c> when set (e.g. docs/screenshots), else nowhere.</summary>
    public static string? ScreenshotDirectory => Environment.GetEnvironmentVariable("GPT4ROI_SCREENSHOT_DIR") is { Length: > 0 } d ? d : null;

    public async Task InitializeAsync()
    {
        var chromium = Environment.GetEnvironmentVariable("GPT4ROI_CHROMIUM") is { Length: > 0 } p ? p : DefaultChromium;
        if (!File.Exists(chromium))
        {
            throw new InvalidOperationException(
                $"Chromium not found at {chromium}: run 'bash scripts/test-all.sh' (it installs Debian's chromium) or 'apt-get install chromium', or set GPT4ROI_CHROMIUM");
        }

        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        Playwright?.Dispose();
    }
}
