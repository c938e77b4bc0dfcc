using Microsoft.Playwright;

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
            await page.WaitForURLAsync("**/runs/1");
            await Assertions.Expect(page.GetByText("Run #1")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByText("baseline · smallcnn · fashion-mnist")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByTestId("group-link")).ToContainTextAsync("Quick start");
            // The app stops the training job when the test host shuts down.
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
