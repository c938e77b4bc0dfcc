using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using TempBalance.Core.Training;
using TempBalance.Web.Data;
using TempBalance.Web.Live;

namespace TempBalance.Web.Tests.Browser;

/// <summary>
/// The run detail page as a researcher reads it, on a made-up run of 60 epochs and 12 layers (SyntheticRun): the
/// recipe in words, layer names on the heatmap and in the learning-rate legend, why each layer has its rate, what
/// the run is doing between batches, the loss chart's log scale and smoothing, the environment, and renaming,
/// archiving and deleting. Screenshots at desktop and phone width, light and dark.
/// </summary>
[Trait("Category", "Browser")]
[Collection("Browser")]
public class RunDetailBrowserTests(BrowserFixture app) : IClassFixture<BrowserFixture>
{
    async Task<SyntheticRun> RunningRunAsync()
    {
        var run = new SyntheticRun(app.Services, epochs: 60, layers: 12);
        await run.SeedAsync(storedEpochs: 30, RunStatus.Running);
        await run.RecordEnvironmentAsync();
        return run;
    }

    // MudBlazor puts a component's data-testid on its input or on an element around it, depending on the component.
    static ILocator Input(IPage page, string testId) => page.Locator($"input[data-testid='{testId}'], [data-testid='{testId}'] input").First;

    void Phase(long runId, int epoch, TrainingPhase phase)
    {
        var updates = app.Services.GetRequiredService<TrainingUpdates>();
        updates.Publish(new PhaseChangedUpdate(runId, updates.NextSequence(runId, 0), epoch, phase));
    }

    [Fact]
    public async Task The_page_names_the_recipe_and_layers_explains_each_rate_and_says_what_the_run_is_doing()
    {
        var run = await RunningRunAsync();
        var page = await app.NewPageAsync(width: 1440, height: 900);
        try
        {
            await BrowserSteps.Open(page, $"/runs/{run.Id}");
            await Assertions.Expect(page.GetByTestId("recipe")).ToHaveTextAsync("TB (×0.5–×1.5) on SGD, cosine");
            await Assertions.Expect(page.GetByTestId("delete")).ToHaveCountAsync(0); // a running run is cancelled before it can be deleted
            await BrowserSteps.WaitForPoints(page, "chart-alpha", trace: 0, atLeast: 31);
            await BrowserSteps.WaitForPoints(page, "chart-lr", trace: 1, atLeast: 30);

            // Layer names on the heatmap's axis (drawn tick labels) and in the learning-rate chart's legend.
            var axisNames = await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('#chart-alpha .ytick text')].map(t => t.textContent)");
            Assert.Contains("layer1.0.conv", axisNames);
            Assert.Contains("layer3.3.conv", axisNames);
            var legend = page.GetByTestId("lr-legend").Locator("button");
            await Assertions.Expect(legend).ToHaveCountAsync(12);
            await Assertions.Expect(legend.Nth(5)).ToHaveTextAsync("layer2.1.conv");
            // A click on a name hides its line; another shows it again.
            await legend.Nth(5).ClickAsync();
            await page.WaitForFunctionAsync("() => document.getElementById('chart-lr')?.data?.[5]?.visible === false");
            await legend.Nth(5).ClickAsync();
            await page.WaitForFunctionAsync("() => document.getElementById('chart-lr')?.data?.[5]?.visible === true");

            // Hovering (or tapping) a learning-rate point explains it: the pointer on the first layer's line at epoch 10
            // (plotly picks the closest point of any line there).
            var at = await page.EvaluateAsync<double[]>("""
                ([curve, point]) => {
                    const gd = document.getElementById('chart-lr'), layout = gd._fullLayout, trace = gd._fullData[curve], box = gd.getBoundingClientRect();
                    return [box.left + layout._size.l + layout.xaxis.l2p(trace.x[point]), box.top + layout._size.t + layout.yaxis.l2p(trace.y[point])];
                }
                """, new[] { 0, 9 });
            await page.Mouse.MoveAsync((float)at[0] - 20, (float)at[1]);
            await page.Mouse.MoveAsync((float)at[0], (float)at[1]);
            await Assertions.Expect(page.GetByTestId("lr-why")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(
                @"^layer\d\.\d\.conv, epoch \d+: LR 0\.\d+ = ×\d\.\d\d the global LR 0\.\d+\. Why \(assigned after epoch \d+\): .+\.$"));

            // The table: each layer's rate in the shown epoch with its factor and why.
            var rows = page.GetByTestId("layer-table").Locator("tbody tr");
            await Assertions.Expect(rows.First).ToContainTextAsync("first layer: not tuned, global LR");
            await Assertions.Expect(rows.Last).ToContainTextAsync("last layer: not tuned, global LR");
            await Assertions.Expect(page.GetByTestId("layer-table")).ToContainTextAsync("the largest of the 10 tuned layers → s2 = 1.5 × η");
            await Assertions.Expect(page.GetByTestId("lr-tuning")).ToHaveTextAsync(
                "TempBalance tunes 10 of 12 layers; not the first (layer1.0.conv) and the last (layer3.3.conv), which train at the global LR.");
            await Assertions.Expect(page.GetByTestId("layer-table")).Not.ToContainTextAsync("(global)");

            // After the last batch of epoch 31: the test pass, then the spectral analysis, in words.
            Phase(run.Id, 31, TrainingPhase.Evaluating);
            await Assertions.Expect(page.GetByTestId("progress-text")).ToContainTextAsync("30 of 60 epochs · epoch 31: evaluating on the test set");
            Phase(run.Id, 31, TrainingPhase.SpectralAnalysis);
            await Assertions.Expect(page.GetByTestId("progress-text")).ToContainTextAsync("epoch 31: spectral analysis of the layers");

            // Loss: log scale, then TensorBoard-style smoothing (three smoothed lines over the faint raw ones).
            await Input(page, "loss-log").CheckAsync();
            await page.WaitForFunctionAsync("() => document.getElementById('chart-loss')?._fullLayout?.yaxis?.type === 'log'");
            await Input(page, "loss-smoothing").FillAsync("0.6");
            await page.WaitForFunctionAsync("() => (document.getElementById('chart-loss')?.data?.[5]?.x?.length ?? 0) >= 31");
            await Assertions.Expect(page.GetByTestId("loss-smoothing-value")).ToHaveTextAsync("0.60");

            // The environment, and the system metrics sampled while it trained.
            await Assertions.Expect(page.GetByTestId("env-device")).ToHaveTextAsync("cuda:0 · NVIDIA H200");
            await Assertions.Expect(page.GetByTestId("env-epoch-time")).ToContainTextAsync("30.0 s (train and test) + 2.0 s spectral analysis, mean of 30 epochs");
            await BrowserSteps.WaitForPoints(page, "chart-system", trace: 3, atLeast: 40);
            Phase(run.Id, 31, TrainingPhase.Evaluating);
            await Assertions.Expect(page.GetByTestId("progress-text")).ToContainTextAsync("evaluating on the test set");
            await BrowserSteps.Shot(page, "run-detail-story.png", fullPage: true);
        }
        catch
        {
            await BrowserSteps.ShotOfFailure(page, "run-detail-story-failure.png");
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task On_a_touch_screen_the_chart_toolbar_stays_hidden_and_leaves_the_titles_readable()
    {
        var run = await RunningRunAsync();
        var context = await app.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.BaseUrl,
            ViewportSize = new ViewportSize { Width = 390, Height = 844 },
            HasTouch = true,
            IsMobile = true,
        });
        var page = await context.NewPageAsync();
        try
        {
            await BrowserSteps.Open(page, $"/runs/{run.Id}");
            await BrowserSteps.WaitForPoints(page, "chart-accuracy", trace: 1, atLeast: 31);
            await page.Locator("#chart-loss").TapAsync();
            Assert.Equal("none", await page.EvaluateAsync<string>("() => getComputedStyle(document.querySelector('#chart-loss .modebar-container')).display"));
            await BrowserSteps.WaitForPoints(page, "chart-alpha", trace: 0, atLeast: 31);
            // Window-sized shots: a full-page shot resizes the window, which drops the touch screen's media features.
            await BrowserSteps.Shot(page, "run-detail-phone.png");
            await page.GetByTestId("lr-tuning").ScrollIntoViewIfNeededAsync();
            await page.WaitForTimeoutAsync(400);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = BrowserFixture.ScreenshotPath("run-detail-phone-layers.png") });
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    [Fact]
    public async Task A_finished_run_can_be_renamed_archived_and_deleted_after_confirming()
    {
        var run = new SyntheticRun(app.Services, epochs: 20, layers: 8);
        await run.SeedAsync(storedEpochs: 20, RunStatus.Completed);
        await run.RecordEnvironmentAsync();
        var page = await app.NewPageAsync(width: 1440, height: 900, dark: true);
        try
        {
            await BrowserSteps.Open(page, $"/runs/{run.Id}");
            await BrowserSteps.WaitForPoints(page, "chart-lr", trace: 1, atLeast: 20);
            await Assertions.Expect(page.GetByTestId("new-from")).ToHaveAttributeAsync("href", $"/runs/new?from={run.Id}");
            await BrowserSteps.Shot(page, "run-detail-dark.png");

            await page.GetByTestId("rename").ClickAsync();
            await Input(page, "name-input").FillAsync("resnet18 · cifar100 · wider LR band");
            await Input(page, "name-input").PressAsync("Enter");
            await Assertions.Expect(page.GetByTestId("run-name")).ToHaveTextAsync("resnet18 · cifar100 · wider LR band");

            // "New run from this one" opens the New-run form filled in with a copy of it.
            await page.GetByTestId("new-from").ClickAsync();
            await BrowserSteps.WaitForPath(page, "/runs/new");
            await Assertions.Expect(page.GetByTestId("copy-of")).ToContainTextAsync($"run #{run.Id}");
            await Assertions.Expect(page.GetByTestId("name")).ToHaveValueAsync("resnet18 · cifar100 · wider LR band (copy)");
            await BrowserSteps.Open(page, $"/runs/{run.Id}");

            await page.GetByTestId("archive").ClickAsync();
            await Assertions.Expect(page.GetByTestId("archived")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByTestId("archive")).ToContainTextAsync("Unarchive");

            // Delete asks first; keeping it changes nothing, confirming removes it and returns to the runs list.
            await page.GetByTestId("delete").ClickAsync();
            await Assertions.Expect(page.GetByText($"Delete run #{run.Id}?")).ToBeVisibleAsync();
            await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Keep it" }).ClickAsync();
            await Assertions.Expect(page.GetByText($"Delete run #{run.Id}?")).ToHaveCountAsync(0);
            await page.GetByTestId("delete").ClickAsync();
            await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
            await BrowserSteps.WaitForPath(page, "/");
            using var client = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
            Assert.Equal(System.Net.HttpStatusCode.NotFound, (await client.GetAsync($"/api/runs/{run.Id}")).StatusCode);
        }
        catch
        {
            await BrowserSteps.ShotOfFailure(page, "run-detail-actions-failure.png");
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
