using Microsoft.Playwright;

namespace TempBalance.Web.Tests.Browser;

/// <summary>
/// The whole product in Debian's Chromium: first start, queueing a baseline-vs-TempBalance comparison from
/// the New run form, charts filling live, Compare, Queue, a phone and dark mode. Saves a screenshot of every
/// page into docs/screenshots/.
/// </summary>
[Trait("Category", "Browser")]
public class DashboardBrowserTests(BrowserFixture app) : IClassFixture<BrowserFixture>
{
    static readonly TimeSpan TrainingTimeout = TimeSpan.FromSeconds(150);

    [Fact]
    public async Task Queue_a_comparison_from_the_form_watch_it_train_live_and_compare()
    {
        string[] ids;
        var page = await app.NewPageAsync();
        try
        {
            // First start: one prominent action, no table.
            await Open(page, "/");
            await page.GetByTestId("quickstart").WaitForAsync();
            await Shot(page, "runs-empty.png");

            // The quick start queues the Fashion-MNIST comparison and opens its first run; cancel both to keep this test short.
            await page.GetByTestId("quickstart").ClickAsync();
            await page.WaitForURLAsync("**/runs/1");
            await Assertions.Expect(page.GetByText("Run #1")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByText("baseline · smallcnn · fashion-mnist")).ToBeVisibleAsync();
            await page.GetByTestId("cancel").ClickAsync();
            await Assertions.Expect(page.GetByTestId("status")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("cancel"));
            await Open(page, "/queue");
            await page.GetByTestId("cancel").First.ClickAsync(); // the queued TempBalance run: cancelled at once
            await Assertions.Expect(page.GetByTestId("queue-item")).ToHaveCountAsync(1);

            // New run: the quick preset, shortened, against the baseline.
            await Open(page, "/runs/new");
            await page.GetByTestId("queue").WaitForAsync();
            await SetNumber(page, "epochs", "-1");
            await page.GetByTestId("form-errors").Or(page.GetByText("Epochs must be at least 1")).First.WaitForAsync();
            await SetNumber(page, "epochs", "2");
            await SetNumber(page, "subset", "1000");
            await Assertions.Expect(page.GetByText("Epochs must be at least 1")).ToHaveCountAsync(0);
            await Assertions.Expect(page.GetByTestId("queue")).ToContainTextAsync("Queue 2 runs");
            await Shot(page, "new-run.png", fullPage: true);
            await page.GetByTestId("queue").ClickAsync();

            // Two runs in one group: the form opens Compare.
            await page.WaitForURLAsync("**/compare?ids=*");
            ids = page.Url.Split("ids=")[1].Split(',');
            Assert.Equal(2, ids.Length);

            // Run detail of the first run: the charts fill while it trains.
            await Open(page, $"/runs/{ids[0]}");
            await WaitForPoints(page, "chart-accuracy", trace: 1, atLeast: 2);
            await WaitForPoints(page, "chart-alpha", trace: 0, atLeast: 2);
            await WaitForPoints(page, "chart-lr", trace: 0, atLeast: 2);
            await WaitForPoints(page, "chart-esd", trace: 0, atLeast: 3);
            await Assertions.Expect(page.GetByTestId("layer-table").Locator("tbody tr").First).ToContainTextAsync("conv");
            await Assertions.Expect(page.GetByTestId("esd-caption")).ToContainTextAsync("eigenvalues");
            await Shot(page, "run-detail.png", fullPage: true);

            // The queue shows the second run waiting (or running).
            await Open(page, "/queue");
            await page.GetByTestId("queue-list").WaitForAsync();
            await Shot(page, "queue.png");

            // Compare: both runs' test accuracy overlaid, filled live until both finish.
            await Open(page, $"/compare?ids={string.Join(",", ids)}");
            await WaitForPoints(page, "chart-compare", trace: 0, atLeast: 3);
            await WaitForPoints(page, "chart-compare", trace: 1, atLeast: 3);
            await Assertions.Expect(page.GetByTestId("group-table")).ToContainTextAsync("tempbalance");
            await Assertions.Expect(page.GetByTestId("group-table")).ToContainTextAsync("±");
            await Shot(page, "compare.png", fullPage: true);

            // The runs table with history, then a phone in dark mode.
            await Open(page, "/");
            await Assertions.Expect(page.GetByTestId("run-link")).ToHaveCountAsync(4);
            await Shot(page, "runs.png");
        }
        catch
        {
            // What the browser showed when it failed, next to the test output (not in docs/).
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "browser-failure.png"), FullPage = true });
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }

        var phone = await app.NewPageAsync(width: 390, height: 844, dark: true);
        try
        {
            await Open(phone, $"/runs/{ids[0]}");
            await WaitForPoints(phone, "chart-accuracy", trace: 1, atLeast: 2);
            await Shot(phone, "run-detail-phone-dark.png");
        }
        finally
        {
            await phone.Context.CloseAsync();
        }
    }

    /// <summary>Navigates and waits for the Blazor circuit: input before that would go to the prerendered page.</summary>
    static async Task Open(IPage page, string url)
    {
        await page.GotoAsync(url);
        await page.Locator("[data-interactive='true']").WaitForAsync();
    }

    // MudNumericField puts the data-testid on its input.
    static async Task SetNumber(IPage page, string testId, string value)
    {
        var input = page.Locator($"input[data-testid='{testId}']");
        await input.FillAsync(value);
        await input.BlurAsync();
    }

    /// <summary>Waits until trace <paramref name="trace"/> of a plotly chart holds at least this many x values.</summary>
    static async Task WaitForPoints(IPage page, string chartId, int trace, int atLeast)
    {
        await page.WaitForFunctionAsync(
            "([id, t, n]) => { const d = document.getElementById(id)?.data; return !!d && d.length > t && (d[t].x?.length ?? 0) >= n; }",
            new object[] { chartId, trace, atLeast },
            new PageWaitForFunctionOptions { Timeout = (float)TrainingTimeout.TotalMilliseconds, PollingInterval = 250 });
    }

    static async Task Shot(IPage page, string name, bool fullPage = false)
    {
        await page.WaitForTimeoutAsync(400); // let plotly finish its transition
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = BrowserFixture.ScreenshotPath(name), FullPage = fullPage });
    }
}
