using Microsoft.Playwright;
using TempBalance.Web.Data;
using TempBalance.Web.Tests.Backend;

namespace TempBalance.Web.Tests.Browser;

/// <summary>First start: an empty history offers one action, which queues the Fashion-MNIST comparison.</summary>
[Trait("Category", "Browser")]
[Collection("Browser")]
public class QuickStartBrowserTests(BrowserFixture app) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task The_quick_start_queues_a_baseline_vs_TempBalance_group_and_opens_its_first_run()
    {
        var page = await app.NewPageAsync();
        try
        {
            await BrowserSteps.Open(page, "/");
            await page.GetByTestId("quickstart").ClickAsync();
            // Creating the first runs also warms EF Core and Hangfire in this fresh app: allow for a slow first answer.
            await BrowserSteps.WaitForPath(page, "/runs/1");
            await Assertions.Expect(page.GetByText("Run #1")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByText("baseline · smallcnn · fashion-mnist")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByTestId("group-link")).ToContainTextAsync("Quick start");
        }
        catch
        {
            await BrowserSteps.ShotOfFailure(page, "quickstart-failure.png");
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
            await CancelQuickStartRuns();
        }
    }

    // Leaves no training job behind: stopping the host in the middle of one cancels the host's shutdown.
    async Task CancelQuickStartRuns()
    {
        using var client = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
        foreach (var id in new long[] { 1, 2 })
        {
            (await client.PostAsync($"/api/runs/{id}/cancel", null)).Dispose();
            await client.WaitForRunAsync(id, run => run.Summary.Status is not (RunStatus.Queued or RunStatus.Running or RunStatus.CancelRequested),
                TimeSpan.FromMinutes(2));
        }
    }
}
