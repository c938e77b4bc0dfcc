using Microsoft.Playwright;

namespace TempBalance.Web.Tests.Browser;

public static class BrowserSteps
{
    static readonly TimeSpan TrainingTimeout = TimeSpan.FromSeconds(150);

    /// <summary>Navigates and waits for the Blazor circuit: input before that would go to the prerendered page.</summary>
    public static async Task Open(IPage page, string url)
    {
        await page.GotoAsync(url);
        await page.Locator("[data-interactive='true']").WaitForAsync();
    }

    // MudNumericField puts the data-testid on its input and takes the value on change (Tab). A change can be
    // lost while MudBlazor's input scripts attach right after the circuit starts, so retry until the value
    // shows its effect.
    public static async Task SetNumber(IPage page, string testId, string value, ILocator effect,
        WaitForSelectorState state = WaitForSelectorState.Visible)
    {
        var input = page.Locator($"input[data-testid='{testId}']");
        for (var attempt = 1; ; attempt++)
        {
            // Real key presses, as a user types them.
            await input.ClickAsync();
            await input.PressAsync("Control+A");
            await input.PressSequentiallyAsync(value);
            await input.PressAsync("Tab");
            try
            {
                await effect.First.WaitForAsync(new LocatorWaitForOptions { Timeout = 8000, State = state });
                return;
            }
            catch (TimeoutException) when (attempt < 4)
            {
            }
        }
    }

    /// <summary>The mean of the page background's red, green and blue (0-255): dark below 100, light above 200.</summary>
    public static Task<double> BackgroundBrightnessAsync(IPage page) => page.EvaluateAsync<double>(
        "() => { const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number); return (r + g + b) / 3; }");

    /// <summary>
    /// Hovers <paramref name="target"/> until <paramref name="shown"/> is visible. A hover can be lost on a loaded
    /// machine: a section that is still opening shifts the layout under the pointer, and the tooltip closes again
    /// (a browser test once waited 20 s for one); so move away and hover again, as a person would.
    /// </summary>
    public static async Task Hover(IPage page, ILocator target, ILocator shown)
    {
        for (var attempt = 1; ; attempt++)
        {
            await target.HoverAsync();
            try
            {
                await shown.First.WaitForAsync(new LocatorWaitForOptions { Timeout = 5000, State = WaitForSelectorState.Visible });
                return;
            }
            catch (TimeoutException) when (attempt < 4)
            {
                await page.Mouse.MoveAsync(0, 0);
            }
        }
    }

    /// <summary>
    /// Waits until the page's own location has this path and returns the full URL. Blazor routes in the page
    /// (history.pushState); Playwright's WaitForURL sometimes never saw such a navigation on a loaded machine
    /// although the page had long arrived (its failure screenshots showed the target page), so ask the page.
    /// </summary>
    public static async Task<string> WaitForPath(IPage page, string path)
    {
        await page.WaitForFunctionAsync("path => location.pathname === path", path,
            new PageWaitForFunctionOptions { Timeout = 60_000, PollingInterval = 100 });
        return await page.EvaluateAsync<string>("() => location.href");
    }

    /// <summary>
    /// Waits until trace <paramref name="trace"/> of a plotly chart holds at least this many x values. The
    /// chart is scrolled into view first: LiveChart draws and updates only charts a user can see.
    /// </summary>
    public static async Task WaitForPoints(IPage page, string chartId, int trace, int atLeast)
    {
        // Not a Locator: the first draw replaces the chart's placeholder element, which Playwright reports as detached.
        await page.EvaluateAsync("id => document.getElementById(id)?.scrollIntoView({ block: 'nearest' })", chartId);
        await page.WaitForFunctionAsync(
            "([id, t, n]) => { const d = document.getElementById(id)?.data; return !!d && d.length > t && (d[t].x?.length ?? 0) >= n; }",
            new object[] { chartId, trace, atLeast },
            new PageWaitForFunctionOptions { Timeout = (float)TrainingTimeout.TotalMilliseconds, PollingInterval = 250 });
    }

    /// <summary>What the browser showed when a test failed, next to the test output (not in docs/).</summary>
    public static Task ShotOfFailure(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, name), FullPage = true });

    /// <summary>
    /// Saves a screenshot of the top of the page, or of the whole page. For the whole page the window is made as tall as
    /// the page for a moment: charts are drawn and updated only in view, and a screenshot beyond the window
    /// would show what they looked like when they were last seen.
    /// </summary>
    public static async Task Shot(IPage page, string name, bool fullPage = false)
    {
        var window = page.ViewportSize!;
        // From the top: waiting for a chart's points scrolls to it.
        await page.EvaluateAsync("() => window.scrollTo(0, 0)");
        if (fullPage) await page.SetViewportSizeAsync(window.Width, await page.EvaluateAsync<int>("() => document.documentElement.scrollHeight"));
        try
        {
            await page.WaitForTimeoutAsync(fullPage ? 1000 : 400); // let plotly redraw and finish its transition
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = BrowserFixture.ScreenshotPath(name), FullPage = fullPage });
        }
        finally
        {
            if (fullPage) await page.SetViewportSizeAsync(window.Width, window.Height);
        }
    }
}
