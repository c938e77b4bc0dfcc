using Microsoft.Playwright;
using TempBalance.Web.Data;

namespace TempBalance.Web.Tests.Browser;

[Trait("Category", "Browser")]
[Collection("Browser")]
public class DarkPhoneBrowserTests(BrowserFixture app) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task A_phone_in_dark_mode_gets_dark_charts_and_live_epochs_extend_them()
    {
        var run = new SyntheticRun(app.Services, epochs: 60, layers: 12);
        await run.SeedAsync(storedEpochs: 30, RunStatus.Running);
        var page = await app.NewPageAsync(width: 390, height: 844, dark: true);
        try
        {
            await BrowserSteps.Open(page, $"/runs/{run.Id}");
            await BrowserSteps.WaitForPoints(page, "chart-accuracy", trace: 1, atLeast: 31);
            // Light text on the dark page: the charts followed the system theme.
            await page.WaitForFunctionAsync("() => document.getElementById('chart-loss')?.layout?.font?.color === '#e0e0e0'");

            await run.PublishAsync(31);
            await run.PublishAsync(32);
            await BrowserSteps.WaitForPoints(page, "chart-accuracy", trace: 1, atLeast: 33);
            await BrowserSteps.WaitForPoints(page, "chart-alpha", trace: 0, atLeast: 33);
            // Extended, not re-sent: each epoch exactly once.
            var epochs = await page.EvaluateAsync<int[]>("() => document.getElementById('chart-accuracy').data[1].x");
            Assert.Equal(Enumerable.Range(0, 33), epochs);
            await BrowserSteps.Shot(page, "run-detail-phone-dark.png");

            // Far below the fold on a phone, the ESD chart has not been drawn; scrolled to, it is.
            Assert.False(await page.EvaluateAsync<bool>("() => !!document.getElementById('chart-esd').data"));
            await BrowserSteps.WaitForPoints(page, "chart-esd", trace: 0, atLeast: 3);

            // The drawer is a temporary overlay on a phone.
            await page.GetByLabel("Toggle navigation").ClickAsync();
            await page.GetByText("Queue").First.WaitForAsync();
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_page_before_its_circuit_starts_follows_the_browsers_colour_scheme(bool dark)
    {
        // Without JavaScript the page stays as the server prerendered it: what a browser paints before the circuit.
        var context = await app.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.BaseUrl,
            JavaScriptEnabled = false,
            ColorScheme = dark ? ColorScheme.Dark : ColorScheme.Light,
        });
        try
        {
            var page = await context.NewPageAsync();
            await page.GotoAsync("/queue");
            double brightness = await BrowserSteps.BackgroundBrightnessAsync(page);
            if (dark) Assert.True(brightness < 100, $"a dark browser got a light page before the circuit (brightness {brightness:0})");
            else Assert.True(brightness > 200, $"a light browser got a dark page (brightness {brightness:0})");
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    [Theory]
    [InlineData("Light", true)]
    [InlineData("Dark", false)]
    public async Task The_page_before_its_circuit_starts_shows_the_scheme_chosen_in_the_app(string choice, bool darkBrowser)
    {
        // The choice against the browser's scheme; the circuit never starts (its script is refused), so the page
        // stays what a browser paints before it: the prerendered HTML and the classic scripts in its head.
        var context = await app.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.BaseUrl,
            ColorScheme = darkBrowser ? ColorScheme.Dark : ColorScheme.Light,
        });
        try
        {
            await context.AddInitScriptAsync($"localStorage.setItem('tempbalance.theme', '{choice}')");
            await context.RouteAsync("**/_framework/blazor.web.js", route => route.AbortAsync());
            var page = await context.NewPageAsync();
            await page.GotoAsync("/queue");
            Assert.Equal("false", await page.GetAttributeAsync("[data-interactive]", "data-interactive"));
            double brightness = await BrowserSteps.BackgroundBrightnessAsync(page);
            if (choice == "Light") Assert.True(brightness > 200, $"chose Light on a dark browser, got a dark page before the circuit (brightness {brightness:0})");
            else Assert.True(brightness < 100, $"chose Dark on a light browser, got a light page before the circuit (brightness {brightness:0})");
        }
        finally
        {
            await context.CloseAsync();
        }
    }
}
