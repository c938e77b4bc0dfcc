using Microsoft.Playwright;

namespace TempBalance.Web.Tests.Browser;

[Trait("Category", "Browser")]
public class LayoutBrowserTests(BrowserFixture app) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Layout_loads_MudBlazor_and_follows_the_system_dark_mode()
    {
        var page = await app.NewPageAsync(dark: true);
        try
        {
            await page.GotoAsync("/");
            await page.WaitForSelectorAsync(".mud-appbar");
            // MudBlazor's theme provider reads prefers-color-scheme once the circuit is up.
            await page.WaitForFunctionAsync("() => getComputedStyle(document.documentElement).getPropertyValue('--mud-palette-background').trim() !== '' && getComputedStyle(document.body).backgroundColor !== 'rgb(255, 255, 255)'");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = BrowserFixture.ScreenshotPath("layout-dark.png") });
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
