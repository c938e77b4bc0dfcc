using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using TempBalance.Core.Scheduling;
using TempBalance.Core.Training;
using TempBalance.Web.Data;
using TempBalance.Web.Jobs;

namespace TempBalance.Web.Tests.Browser;

/// <summary>
/// A sweep page (heatmap, parallel coordinates, best configuration, guideline check, runs) and the run page of the
/// paper's fully connected network (J over epochs, the phase diagram with its path), over made-up stored runs whose J
/// grows as the scaling relation says: J^2 = 0.25 + c eta / ((1 - alpha) B) t.
/// </summary>
[Trait("Category", "Browser")]
[Collection("Browser")]
public class SweepBrowserTests(BrowserFixture app) : IClassFixture<BrowserFixture>
{
    const int Epochs = 40;
    const double Coefficient = 19.2;
    static readonly double[] Rates = [0.005, 0.01, 0.02];
    static readonly int[] Batches = [32, 64, 128];

    static TrainingConfig Config(double lr, int batch) => new()
    {
        Model = "mlp-tanh",
        Dataset = "mnist",
        Method = "baseline",
        Epochs = Epochs,
        Lr = lr,
        BatchSize = batch,
        Momentum = 0.9,
        WeightDecay = 0,
        Schedule = ScheduleKind.Constant,
        Augment = false,
        TempBalance = new TempBalanceOptions { Enabled = false },
    };

    // The test loss is lowest where J reaches about 1 (the paper's finding), and accuracy mirrors it.
    static EpochReport Report(TrainingConfig config, int epoch)
    {
        double slope = Coefficient * config.Lr / ((1 - config.Momentum) * config.BatchSize);
        double j = Math.Sqrt(0.25 + slope * epoch);
        double loss = 0.08 + 0.25 * Math.Exp(-epoch / 4.0) + 0.12 * Math.Pow(j - 1, 2);
        var layers = new List<LayerReport>
        {
            new(0, "hidden", "Linear", 784, 4.0, 0.05, 0.5, j * 2, null, 0.01, 0.01, false, null, Histogram, j, 0.05 * Math.Sin(epoch / 6.0)),
            new(1, "classifier", "Linear", 10, 3.0, 0.05, 0.5, 1.5, null, 0.01, 0.01, false, null, Histogram, 0.9 + 0.004 * epoch, 0.1),
        };
        return new EpochReport(epoch, epoch == 0 ? double.NaN : loss * 0.9, epoch == 0 ? double.NaN : 1 - loss / 2, loss, 1 - loss / 2.2, config.Lr, 2, 0.5, layers);
    }

    static readonly EsdHistogram Histogram = new([.. Enumerable.Range(0, 11).Select(k => -1 + 0.2 * k)], [40, 35, 30, 22, 15, 10, 6, 4, 2, 1]);

    async Task<(long SweepId, long RunId)> SeedAsync()
    {
        var job = app.Services.GetRequiredService<TrainingJob>();
        var factory = app.Services.GetRequiredService<IDbContextFactory<TempBalanceDbContext>>();
        var baseConfig = Config(0.01, 64);
        var sweep = new Sweep
        {
            Name = "mlp-tanh on mnist: lr × batch size",
            BaseConfigJson = RunJson.SerializeConfig(baseConfig),
            AxesJson = $$"""[{ "field": "lr", "values": [{{string.Join(", ", Rates)}}] }, { "field": "batchSize", "values": [{{string.Join(", ", Batches)}}] }]""",
            RunCount = Rates.Length * Batches.Length,
            GroupId = Guid.NewGuid(),
            CreatedAt = DateTime.UtcNow,
        };
        var runs = new List<(long Id, TrainingConfig Config, int Stored)>();
        await using (var db = await factory.CreateDbContextAsync())
        {
            db.Sweeps.Add(sweep);
            await db.SaveChangesAsync();
            int k = 0;
            foreach (var lr in Rates)
                foreach (var batch in Batches)
                {
                    var config = Config(lr, batch);
                    // The last run is still waiting in the queue.
                    bool last = ++k == Rates.Length * Batches.Length;
                    var run = Run.For(config, last ? RunStatus.Queued : RunStatus.Completed, DateTime.UtcNow);
                    run.Name = $"{sweep.Name} · lr={lr}, batch-size={batch}";
                    run.SweepId = sweep.Id;
                    run.GroupId = sweep.GroupId;
                    run.GroupName = sweep.Name;
                    run.StartedAt = run.CreatedAt;
                    db.Runs.Add(run);
                    await db.SaveChangesAsync();
                    runs.Add((run.Id, config, last ? -1 : Epochs));
                }
        }
        foreach (var (id, config, stored) in runs)
            for (int e = 0; e <= stored; e++) job.StoreEpoch(id, Epochs, Report(config, e), publish: false);
        return (sweep.Id, runs[4].Id); // lr 0.01, batch 64: reaches J = 1 at epoch 25
    }

    [Fact]
    public async Task The_sweep_page_and_the_run_page_of_a_fully_connected_run_show_their_charts()
    {
        var (sweepId, runId) = await SeedAsync();
        var page = await app.NewPageAsync(width: 1440, height: 900);
        var console = new List<string>();
        page.Console += (_, message) => console.Add($"{message.Type}: {message.Text}");
        page.RequestFailed += (_, request) => console.Add($"failed: {request.Url} {request.Failure}");
        await page.Context.AddInitScriptAsync(CspBrowserTests.RecordViolations);
        try
        {
            // The list, with the New sweep form: the edge-of-chaos base, lr x batch size, 9 runs.
            await BrowserSteps.Open(page, "/sweeps");
            await page.Locator("[data-testid='sweeps-table']").GetByText("mlp-tanh on mnist: lr × batch size").WaitForAsync();
            Assert.Equal("Queue 9 runs", (await page.Locator("[data-testid='queue-sweep']").TextContentAsync())!.Trim());
            Assert.Contains("8 of 9 finished", await page.Locator("[data-testid='sweeps-table']").TextContentAsync());
            Assert.StartsWith("The sweep's runs train one at a time here (1 worker).", await page.Locator("[data-testid='sweep-capacity']").TextContentAsync());
            await BrowserSteps.Shot(page, "sweeps.png");

            await BrowserSteps.Open(page, $"/sweeps/{sweepId}");
            await page.WaitForFunctionAsync("() => document.getElementById('chart-sweep-heatmap')?.data?.[0]?.z?.length === 3",
                null, new PageWaitForFunctionOptions { Timeout = 60_000 });
            await page.EvaluateAsync("() => document.getElementById('chart-sweep-parcoords')?.scrollIntoView({ block: 'nearest' })");
            // The parallel coordinates: drawn by plotly's strict bundle (the cartesian one has no parcoords), with WebGL,
            // under the app's Content-Security-Policy. Their lines are pixels on plotly's WebGL canvases: wait for them.
            await page.WaitForFunctionAsync("() => document.getElementById('chart-sweep-parcoords')?.data?.[0]?.type === 'parcoords'",
                null, new PageWaitForFunctionOptions { Timeout = 60_000 });
            Assert.Equal(8, await page.EvaluateAsync<int>("() => document.getElementById('chart-sweep-parcoords').data[0].dimensions[0].values.length"));
            await page.WaitForFunctionAsync($"() => ({DrawnLinePixels})('chart-sweep-parcoords') > 2000", null,
                new PageWaitForFunctionOptions { Timeout = 30_000 });
            Assert.Equal(0, await page.Locator(".no-webgl").CountAsync());
            Assert.Empty(await page.EvaluateAsync<string[]>("() => window.__cspViolations"));
            Assert.Equal(9, await page.Locator("[data-testid='sweep-runs'] tbody tr").CountAsync());
            Assert.Contains("/runs/new?from=", await page.Locator("[data-testid='new-run-from-best']").GetAttributeAsync("href"));
            await page.Locator("[data-testid='guideline-table']").WaitForAsync();
            await BrowserSteps.Shot(page, "sweep.png", fullPage: true);
            await page.SetViewportSizeAsync(390, 844);
            await BrowserSteps.Shot(page, "sweep-phone.png", fullPage: true);
            await page.SetViewportSizeAsync(1440, 900);

            // "New run from this configuration" opens the New-run form with that run's recipe.
            await page.Locator("[data-testid='new-run-from-best']").ClickAsync();
            await BrowserSteps.WaitForPath(page, "/runs/new");
            await page.Locator("[data-testid='copy-of']").WaitForAsync();

            await BrowserSteps.Open(page, $"/runs/{runId}");
            await BrowserSteps.WaitForPoints(page, "chart-j", trace: 1, atLeast: Epochs + 1);
            await BrowserSteps.WaitForPoints(page, "chart-phase", trace: 0, atLeast: 3);
            var guideline = await page.Locator("[data-testid='guideline']").TextContentAsync();
            Assert.Contains("at this slope the model reaches the edge at epoch ≈ 25", guideline);
            Assert.Contains("Lowest test (validation) loss so far at epoch", guideline);
            await page.EvaluateAsync("() => document.getElementById('chart-phase').scrollIntoView({ block: 'center' })");
            await page.WaitForTimeoutAsync(600);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = BrowserFixture.ScreenshotPath("phase-diagram-run.png") });
        }
        catch (Exception e)
        {
            await BrowserSteps.ShotOfFailure(page, "sweep-failure.png");
            var script = await page.EvaluateAsync<string>("() => `${document.getElementById('plotly-import')?.outerHTML} Plotly: ${typeof window.Plotly}`");
            throw new Xunit.Sdk.XunitException($"{e.Message}\n{script}\n{string.Join("\n", console)}");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    // Pixels that plotly's parcoords drew on its WebGL canvases (the lines of every run, in focus or in context).
    const string DrawnLinePixels = """
        id => {
            let drawn = 0;
            for (const canvas of document.getElementById(id).querySelectorAll('canvas.gl-canvas-context, canvas.gl-canvas-focus')) {
                const copy = document.createElement('canvas');
                copy.width = canvas.width;
                copy.height = canvas.height;
                const context = copy.getContext('2d');
                context.drawImage(canvas, 0, 0);
                const pixels = context.getImageData(0, 0, copy.width, copy.height).data;
                for (let k = 3; k < pixels.length; k += 4) if (pixels[k] > 0) drawn++;
            }
            return drawn;
        }
        """;

    [Fact]
    public async Task A_browser_without_webgl_gets_a_note_in_place_of_the_parallel_coordinates()
    {
        var (sweepId, _) = await SeedAsync();
        var page = await app.NewPageAsync(width: 1440, height: 900);
        // WebGL turned off, as in a browser whose settings or machine give pages none.
        await page.Context.AddInitScriptAsync("""
            const getContext = HTMLCanvasElement.prototype.getContext;
            HTMLCanvasElement.prototype.getContext = function (type, ...rest) {
                return String(type).includes('webgl') ? null : getContext.call(this, type, ...rest);
            };
            """);
        try
        {
            await BrowserSteps.Open(page, $"/sweeps/{sweepId}");
            await page.WaitForFunctionAsync("() => document.getElementById('chart-sweep-heatmap')?.data?.[0]?.z?.length === 3",
                null, new PageWaitForFunctionOptions { Timeout = 60_000 });
            var note = page.Locator("[data-testid='parcoords-no-webgl']");
            await note.WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
            Assert.Contains("need WebGL", await note.TextContentAsync());
            Assert.Equal(0, await page.Locator("#chart-sweep-parcoords").CountAsync());
            Assert.Equal(0, await page.Locator(".no-webgl").CountAsync());
            await note.ScrollIntoViewIfNeededAsync();
            await BrowserSteps.Shot(page, "sweep-no-webgl.png");
        }
        catch (Exception)
        {
            await BrowserSteps.ShotOfFailure(page, "sweep-no-webgl-failure.png");
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
