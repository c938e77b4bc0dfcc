using Microsoft.Playwright;
using TempBalance.Web.Data;
using TempBalance.Web.Runs;
using TempBalance.Web.Tests.Backend;

namespace TempBalance.Web.Tests.Browser;

/// <summary>
/// The New run form in Chromium: a TB + SNR run picked from the method presets, queued on the synthetic data, whose
/// recipe the API then reports; its copy opens the form filled in. Screenshots of the form at desktop and phone
/// width, light and dark.
/// </summary>
[Trait("Category", "Browser")]
[Collection("Browser")]
public class NewRunBrowserTests(BrowserFixture app) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task A_tb_snr_run_queued_from_the_form_trains_that_recipe_and_its_copy_opens_the_form_filled_in()
    {
        var page = await app.NewPageAsync(width: 1440, height: 900);
        using var client = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
        long? id = null;
        try
        {
            await BrowserSteps.Open(page, "/runs/new");
            await Choose(page, "method", "tb+snr");
            await Assertions.Expect(page.GetByTestId("method-name")).ToHaveTextAsync("tb+snr");
            await Assertions.Expect(page.GetByTestId("recipe")).ToHaveTextAsync("TB (×0.6–×1.4) + SNR (sg 0.001) on SGD, cosine");
            await Choose(page, "dataset", "synthetic");
            await page.GetByTestId("compare").ClickAsync();
            await Assertions.Expect(page.GetByTestId("queue")).ToContainTextAsync("Queue 1 run");
            await BrowserSteps.SetNumber(page, "epochs", "1", page.GetByTestId("queue-summary").Filter(new LocatorFilterOptions { HasText = "· 1 epoch," }));
            await BrowserSteps.SetNumber(page, "subset", "128", page.GetByTestId("queue"));
            await page.GetByTestId("name").FillAsync("browser tb+snr");
            await BrowserSteps.Shot(page, "new-run-form.png", fullPage: true);

            await page.GetByText("Advanced: recipe parts").ClickAsync();
            await Assertions.Expect(page.GetByTestId("snrCoefficient")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByTestId("snrCoefficient")).ToHaveValueAsync("0.001");
            // Tabbing skips the help icons; hovering one shows its text.
            await Assertions.Expect(page.GetByTestId("help-eigsThresh")).ToHaveAttributeAsync("tabindex", "-1");
            await BrowserSteps.Hover(page, page.GetByTestId("help-eigsThresh"), page.GetByText("set 50 to match it"));
            await page.WaitForTimeoutAsync(500); // the tooltip fades in
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = BrowserFixture.ScreenshotPath("new-run-help.png") });
            await page.Mouse.MoveAsync(0, 0);
            await BrowserSteps.Shot(page, "new-run-advanced.png", fullPage: true);

            await page.GetByTestId("queue").ClickAsync();
            var url = await BrowserSteps.WaitForPath(page, "/runs/1");
            id = long.Parse(new Uri(url).Segments[^1]);
            var run = await client.GetJsonAsync<RunDetails>($"/api/runs/{id}");
            Assert.Equal("tb+snr", run.Config.Method);
            Assert.Equal("TB (×0.6–×1.4) + SNR (sg 0.001) on SGD, cosine", run.Recipe);
            Assert.Equal(("synthetic", 1, 128, "browser tb+snr"), (run.Config.Dataset, run.Config.Epochs, run.Config.Subset, run.Summary.Name));

            // "New run from this one": the form opens with the run's recipe, seed and a copy's name.
            await BrowserSteps.Open(page, RunPresets.CopyUrl(id.Value));
            await Assertions.Expect(page.GetByTestId("name")).ToHaveValueAsync("browser tb+snr (copy)");
            await Assertions.Expect(page.GetByTestId("method-name")).ToHaveTextAsync("tb+snr");
            await Assertions.Expect(page.GetByTestId("epochs")).ToHaveValueAsync("1");
            await Assertions.Expect(page.GetByTestId("copy-of")).ToContainTextAsync($"run #{id}");

            await BrowserSteps.Open(page, RunPresets.CopyUrl(987654));
            await Assertions.Expect(page.GetByTestId("copy-problem")).ToContainTextAsync("There is no run #987654 to copy");
            await Assertions.Expect(page.GetByTestId("method-name")).ToHaveTextAsync("tb");
        }
        catch
        {
            await BrowserSteps.ShotOfFailure(page, "new-run-failure.png");
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
            if (id is { } queued)
            {
                // Leaves no training job behind: stopping the host in the middle of one cancels the host's shutdown.
                (await client.PostAsync($"/api/runs/{queued}/cancel", null)).Dispose();
                await client.WaitForRunAsync(queued, r => r.Summary.Status.IsFinished(), TimeSpan.FromMinutes(2));
            }
        }
    }

    [Theory]
    [InlineData(390, 844, false, "new-run-phone.png")]
    [InlineData(390, 844, true, "new-run-phone-dark.png")]
    [InlineData(1440, 900, true, "new-run-dark.png")]
    public async Task The_form_at_phone_width_and_in_dark_mode(int width, int height, bool dark, string shot)
    {
        var page = await app.NewPageAsync(width, height, dark);
        try
        {
            await BrowserSteps.Open(page, "/runs/new");
            await Choose(page, "method", "lawn-adam");
            await page.GetByText("Advanced: recipe parts").ClickAsync();
            await Assertions.Expect(page.GetByTestId("lawnFreeEpochs")).ToBeVisibleAsync();
            // A click (a tap on a phone, which has no hover) shows a help text.
            await page.GetByTestId("help-lawnFreeEpochs").ClickAsync();
            await page.Mouse.MoveAsync(0, 0);
            await Assertions.Expect(page.GetByText("a tenth of the epochs, rounded up")).ToBeVisibleAsync();
            await page.GetByTestId("recipe-box").ClickAsync();
            await Assertions.Expect(page.GetByText("a tenth of the epochs, rounded up")).ToBeHiddenAsync();
            // Nothing wider than the window: the form wraps instead of scrolling sideways.
            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
            await BrowserSteps.Shot(page, shot, fullPage: true);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    /// <summary>Opens a MudSelect (by its data-testid) and clicks the item with this text.</summary>
    static async Task Choose(IPage page, string testId, string item)
    {
        await page.GetByTestId(testId).ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new LocatorFilterOptions { HasText = item }).First.ClickAsync();
        await Assertions.Expect(page.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0);
    }
}
