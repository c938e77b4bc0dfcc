using Microsoft.Playwright;
using TempBalance.Core.Training;
using TempBalance.Web.Data;

namespace TempBalance.Web.Tests.Browser;

/// <summary>
/// Compare in Chromium (issue #15): runs grouped by their configuration except the seed, a group of one run with
/// "n = 1, no spread", a warning for runs that share a seed, the settings that differ, mean ± std bands, and any
/// metric overlaid (a chosen layer's alpha). Screenshots at 1440x900 and 390x844, light and dark.
/// </summary>
[Trait("Category", "Browser")]
[Collection("Browser")]
public class CompareBrowserTests(BrowserFixture app) : IClassFixture<BrowserFixture>
{
    const int Epochs = 20;

    static readonly TrainingConfig Tb = RecipePresets.ConfigOf(RecipePresets.Find("tb")!) with { Model = "resnet18", Dataset = "cifar10", Epochs = Epochs };
    static readonly TrainingConfig Baseline = RecipePresets.ConfigOf(RecipePresets.Find("baseline")!) with { Model = "resnet18", Dataset = "cifar10", Epochs = Epochs };

    // xunit makes a new instance per test; the app (the class fixture) and its runs live for the whole class.
    static string? s_ids;

    /// <summary>tb at lr 0.1 with seeds 1 and 2, tb at lr 0.05 once, and a baseline at lr 0.2 twice with seed 3; seeded once per class.</summary>
    async Task<string> IdsAsync()
    {
        if (s_ids is not null) return s_ids;
        var ids = new List<long>();
        foreach (var config in new[] { Tb with { Lr = 0.1, Seed = 1 }, Tb with { Lr = 0.1, Seed = 2 }, Tb with { Lr = 0.05, Seed = 1 }, Baseline with { Lr = 0.2, Seed = 3 }, Baseline with { Lr = 0.2, Seed = 3 } })
        {
            var run = new SyntheticRun(app.Services, Epochs, layers: 4, config);
            await run.SeedAsync(storedEpochs: Epochs, RunStatus.Completed);
            ids.Add(run.Id);
        }
        return s_ids = string.Join(",", ids);
    }

    static Task<T> Chart<T>(IPage page, string expression) =>
        page.EvaluateAsync<T>($"() => {{ const c = document.getElementById('chart-compare'); return {expression}; }}");

    static async Task Pick(IPage page, string testId, string item)
    {
        await page.GetByTestId(testId).ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new LocatorFilterOptions { HasText = item }).First.ClickAsync();
        await Assertions.Expect(page.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Seeds_of_a_setup_are_averaged_into_a_band_lone_runs_say_so_shared_seeds_are_flagged_and_any_metric_overlays()
    {
        var ids = await IdsAsync();
        var first = long.Parse(ids.Split(',')[0]);
        var page = await app.NewPageAsync(width: 1440, height: 900);
        try
        {
            await BrowserSteps.Open(page, $"/compare?ids={ids}");
            // Trace 2 is the first group's mean curve, inside its band (traces 0 and 1).
            await BrowserSteps.WaitForPoints(page, "chart-compare", trace: 2, atLeast: Epochs + 1);
            Assert.Equal("tonexty", await Chart<string>(page, "c.data[1].fill"));

            var rows = page.GetByTestId("group-row");
            await Assertions.Expect(rows).ToHaveCountAsync(3);
            await Assertions.Expect(rows.Nth(0).GetByTestId("group-label")).ToContainTextAsync("TB (×0.5–×1.5) on SGD, cosine · resnet18 · cifar10 · lr 0.1");
            await Assertions.Expect(rows.Nth(0).GetByTestId("group-best")).ToContainTextAsync("±");
            await Assertions.Expect(rows.Nth(1).GetByTestId("group-best")).ToContainTextAsync("(n = 1, no spread)");
            await Assertions.Expect(page.GetByTestId("group-warning")).ToContainTextAsync($"Runs #{first + 3} and #{first + 4} share seed 3");

            // Only the settings that differ, one column per run.
            var settings = await page.GetByTestId("config-diff-row").Locator("td:first-child").AllTextContentsAsync();
            Assert.Contains("lr", settings);
            Assert.Contains("seed", settings);
            Assert.Contains("tempBalance.enabled", settings);
            Assert.DoesNotContain("batchSize", settings);
            Assert.DoesNotContain("model", settings);
            await BrowserSteps.Shot(page, "compare-desktop-light.png", fullPage: true);

            // Without bands: one curve per run.
            await page.GetByTestId("bands").UncheckAsync();
            await page.WaitForFunctionAsync("() => document.getElementById('chart-compare')?.data?.length === 5");

            // Alpha of a chosen layer, with bands again.
            await page.GetByTestId("bands").CheckAsync();
            await Pick(page, "metric", "Layer alpha");
            await Pick(page, "layer", "2 · layer1.2.conv");
            await page.WaitForFunctionAsync("() => document.getElementById('chart-compare')?.layout?.title?.text === 'Layer alpha of layer 2 (layer1.2.conv)'");
            await BrowserSteps.WaitForPoints(page, "chart-compare", trace: 2, atLeast: Epochs + 1);
            // SyntheticRun's alpha of layer 2 at epoch 0: 2.2 + 4 (1 + 0.5 sin 2) + 0.06, the same for every run.
            Assert.Equal(2.2 + 4 * (1 + 0.5 * Math.Sin(2)) + 0.06, await Chart<double>(page, "c.data[2].y[0]"), 9);

            // Another metric is a new chart under its own title.
            await Pick(page, "metric", "Train loss");
            await page.WaitForFunctionAsync("() => document.getElementById('chart-compare')?.layout?.title?.text === 'Train loss'");
        }
        catch
        {
            await BrowserSteps.ShotOfFailure(page, "compare-failure.png");
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Theory]
    [InlineData(390, 844, false, "compare-phone-light.png")]
    [InlineData(390, 844, true, "compare-phone-dark.png")]
    [InlineData(1440, 900, true, "compare-desktop-dark.png")]
    public async Task Compare_at_phone_width_and_in_dark_mode(int width, int height, bool dark, string shot)
    {
        var ids = await IdsAsync();
        var page = await app.NewPageAsync(width, height, dark);
        try
        {
            await BrowserSteps.Open(page, $"/compare?ids={ids}");
            await BrowserSteps.WaitForPoints(page, "chart-compare", trace: 2, atLeast: Epochs + 1);
            await Assertions.Expect(page.GetByTestId("group-row")).ToHaveCountAsync(3);
            // Wide tables scroll inside their cards; the page itself does not scroll sideways.
            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
            if (dark) await page.WaitForFunctionAsync("() => document.getElementById('chart-compare')?.layout?.font?.color === '#e0e0e0'");
            await BrowserSteps.Shot(page, shot, fullPage: true);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
