using Microsoft.Playwright;
using TempBalance.Web.Data;

namespace TempBalance.Web.Tests.Browser;

/// <summary>
/// The Content-Security-Policy against the real pages in Chromium: Blazor's circuit starts, MudBlazor styles,
/// plotly draws every chart of a stored run, and the browser reports no violation of the policy.
/// </summary>
[Trait("Category", "Browser")]
[Collection("Browser")]
public sealed class CspBrowserTests(BrowserFixture app) : IClassFixture<BrowserFixture>
{
    // Recorded in the page before any of its scripts run, so violations during load are caught too.
    internal const string RecordViolations = """
        window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', e =>
            window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`));
        """;

    [Fact]
    public async Task Pages_render_and_charts_draw_under_the_policy_without_violations()
    {
        var run = new SyntheticRun(app.Services, epochs: 12, layers: 6);
        await run.SeedAsync(storedEpochs: 12, RunStatus.Completed);
        var page = await app.NewPageAsync();
        var console = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error") lock (console) console.Add(message.Text);
        };
        await page.Context.AddInitScriptAsync(RecordViolations);
        try
        {
            var response = await page.GotoAsync($"/runs/{run.Id}");
            Assert.Contains("script-src 'self' 'nonce-", (await response!.AllHeadersAsync())["content-security-policy"]);
            await page.Locator("[data-interactive='true']").WaitForAsync();
            await BrowserSteps.WaitForPoints(page, "chart-loss", trace: 0, atLeast: 12);
            await BrowserSteps.WaitForPoints(page, "chart-alpha", trace: 0, atLeast: 12);
            await BrowserSteps.WaitForPoints(page, "chart-esd", trace: 0, atLeast: 3);
            // MudBlazor's stylesheet and its inline theme variables apply: the app bar has its theme colour.
            var appBar = await page.EvaluateAsync<string>("() => getComputedStyle(document.querySelector('.mud-appbar')).backgroundColor");
            Assert.NotEqual("rgba(0, 0, 0, 0)", appBar);
            await AssertNoViolationsAsync(page, console, $"/runs/{run.Id}");

            foreach (var url in new[] { "/", "/runs/new", "/queue", $"/compare?ids={run.Id}", "/diagnoses" })
            {
                await BrowserSteps.Open(page, url);
                await page.WaitForTimeoutAsync(500);
                await AssertNoViolationsAsync(page, console, url);
            }

            // The reference page and the job dashboard have inline scripts of their own, allowed on their paths.
            foreach (var url in new[] { "/scalar/", "/hangfire" })
            {
                await page.GotoAsync(url, new PageGotoOptions { WaitUntil = WaitUntilState.NetworkIdle });
                await AssertNoViolationsAsync(page, console, url);
            }
        }
        catch
        {
            await BrowserSteps.ShotOfFailure(page, "csp-failure.png");
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    static async Task AssertNoViolationsAsync(IPage page, List<string> console, string url)
    {
        var violations = await page.EvaluateAsync<string[]>("() => window.__cspViolations ?? []");
        Assert.True(violations.Length == 0, $"{url}: {string.Join("; ", violations)}");
        lock (console)
        {
            var refused = console.Where(m => m.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase)).ToList();
            Assert.True(refused.Count == 0, $"{url}: {string.Join("; ", refused)}");
        }
    }
}
