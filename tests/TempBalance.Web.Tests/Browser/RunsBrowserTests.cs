using Microsoft.Playwright;
using TempBalance.Core.Training;
using TempBalance.Web.Data;
using TempBalance.Web.Runs;
using TempBalance.Web.Tests.Backend;

namespace TempBalance.Web.Tests.Browser;

/// <summary>
/// The runs table in Chromium (issue #15): hyperparameter columns picked, sorted and filtered on, a run renamed,
/// archived and deleted after confirming, the link to a new run from one; at phone width the toolbar and filters
/// do not run into the table. Screenshots at 1440x900 and 390x844, light and dark.
/// </summary>
[Trait("Category", "Browser")]
[Collection("Browser")]
public class RunsBrowserTests(BrowserFixture app) : IClassFixture<BrowserFixture>
{
    static readonly TrainingConfig Tb = RecipePresets.ConfigOf(RecipePresets.Find("tb")!) with { Model = "resnet18", Dataset = "cifar10", Epochs = 20 };
    static readonly TrainingConfig Baseline = RecipePresets.ConfigOf(RecipePresets.Find("baseline")!) with { Model = "resnet18", Dataset = "cifar10", Epochs = 20 };

    /// <summary>Four finished runs: tb at lr 0.05 and 0.1 (two seeds), and a baseline at lr 0.1 with batch 64.</summary>
    async Task<long[]> SeedAsync()
    {
        var configs = new[]
        {
            Tb with { Lr = 0.05, Seed = 1 },
            Tb with { Lr = 0.1, Seed = 1 },
            Tb with { Lr = 0.1, Seed = 2 },
            Baseline with { Lr = 0.1, BatchSize = 64, Seed = 1 },
        };
        var ids = new List<long>();
        foreach (var config in configs)
        {
            var run = new SyntheticRun(app.Services, epochs: 20, layers: 4, config);
            await run.SeedAsync(storedEpochs: 20, RunStatus.Completed);
            ids.Add(run.Id);
        }
        return [.. ids];
    }

    /// <summary>Deletes every run the other tests of this class left (all finished), so the table holds only this test's.</summary>
    async Task ClearAsync(HttpClient client)
    {
        var page = await client.GetJsonAsync<RunPage>("/api/runs?archived=include&pageSize=500");
        foreach (var run in page.Items) (await client.DeleteAsync($"/api/runs/{run.Id}")).EnsureSuccessStatusCode();
    }

    static ILocator Row(IPage page, long id) => page.Locator($"tr:has(a[data-testid='run-link'][href='/runs/{id}'])");

    static ILocator Cells(IPage page, string key) => page.GetByTestId($"cell-{key}");

    /// <summary>Opens a MudSelect by its data-testid and clicks the items with exactly these texts.</summary>
    static async Task Pick(IPage page, string testId, params string[] items)
    {
        await page.GetByTestId(testId).ClickAsync();
        foreach (var item in items)
            await page.Locator(".mud-popover-open .mud-list-item").Filter(new LocatorFilterOptions { HasTextRegex = new($"^\\s*{System.Text.RegularExpressions.Regex.Escape(item)}\\s*$") }).First.ClickAsync();
        // A multi-select stays open; Escape closes it, unless a re-render of the table took the focus away from it.
        await page.Keyboard.PressAsync("Escape");
        var open = page.Locator(".mud-popover-open .mud-list-item");
        try
        {
            await Assertions.Expect(open).ToHaveCountAsync(0, new LocatorAssertionsToHaveCountOptions { Timeout = 3000 });
        }
        catch (PlaywrightException)
        {
            await page.Locator("h5").First.ClickAsync();
            await Assertions.Expect(open).ToHaveCountAsync(0);
        }
    }

    async Task ConfirmAsync(IPage page, string button)
    {
        var dialog = page.Locator(".mud-dialog");
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await dialog.GetByRole(AriaRole.Button, new LocatorGetByRoleOptions { Name = button, Exact = true }).ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Hyperparameter_columns_sort_and_filter_and_runs_are_renamed_archived_and_deleted_after_confirming()
    {
        using var client = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
        await ClearAsync(client);
        var ids = await SeedAsync();
        var page = await app.NewPageAsync(width: 1440, height: 900);
        try
        {
            await BrowserSteps.Open(page, "/");
            await Assertions.Expect(page.GetByTestId("run-link")).ToHaveCountAsync(4);
            // lr and batch size are shown until someone picks other columns; newest first.
            await Assertions.Expect(Cells(page, "lr")).ToHaveTextAsync(["0.1", "0.1", "0.1", "0.05"]);
            await Assertions.Expect(Cells(page, "batchSize")).ToHaveTextAsync(["64", "128", "128", "128"]);

            // Sorted by lr (server side), ascending.
            await page.GetByTestId("column-lr").ClickAsync();
            await Assertions.Expect(Cells(page, "lr")).ToHaveTextAsync(["0.05", "0.1", "0.1", "0.1"]);

            // A column picked: momentum (SGD's 0.9 in all four).
            await Pick(page, "columns", "momentum");
            await Assertions.Expect(Cells(page, "momentum")).ToHaveTextAsync(["0.9", "0.9", "0.9", "0.9"]);

            // Filters: batch size 128 among the values the runs have, then lr 0.1 on top of it.
            await page.GetByTestId("add-filter").ClickAsync();
            await page.GetByTestId("add-filter-batchSize").ClickAsync();
            await Pick(page, "filter-values-batchSize", "128");
            await Assertions.Expect(page.GetByTestId("run-link")).ToHaveCountAsync(3);
            await page.GetByTestId("add-filter").ClickAsync();
            await page.GetByTestId("add-filter-lr").ClickAsync();
            await Pick(page, "filter-values-lr", "0.1");
            await Assertions.Expect(Cells(page, "lr")).ToHaveTextAsync(["0.1", "0.1"]);
            await Assertions.Expect(Row(page, ids[1])).ToHaveCountAsync(1);
            await Assertions.Expect(Row(page, ids[2])).ToHaveCountAsync(1);
            await BrowserSteps.Shot(page, "runs-filtered.png");
            await page.GetByTestId("filter-remove-lr").ClickAsync();
            await page.GetByTestId("filter-remove-batchSize").ClickAsync();
            await Assertions.Expect(page.GetByTestId("run-link")).ToHaveCountAsync(4);

            // Renamed in place; the API reads the new name.
            await Row(page, ids[0]).GetByTestId("rename").ClickAsync();
            await page.GetByTestId("name-input").FillAsync("lr 0.05 probe");
            await page.GetByTestId("name-input").PressAsync("Enter");
            await Assertions.Expect(Row(page, ids[0]).GetByTestId("run-name")).ToHaveTextAsync("lr 0.05 probe");
            Assert.Equal("lr 0.05 probe", (await client.GetJsonAsync<RunDetails>($"/api/runs/{ids[0]}")).Summary.Name);

            // The row's menu: a new run from this one, archive, delete.
            await Row(page, ids[3]).GetByTestId("row-actions").ClickAsync();
            await Assertions.Expect(page.Locator($".mud-popover-open a[href='{RunPresets.CopyUrl(ids[3])}']")).ToContainTextAsync("New run from this one");
            await page.GetByTestId("archive-run").ClickAsync();
            await Assertions.Expect(page.Locator(".mud-dialog")).ToContainTextAsync($"Archive run #{ids[3]}?");
            await ConfirmAsync(page, "Archive");
            await Assertions.Expect(page.GetByTestId("run-link")).ToHaveCountAsync(3);
            Assert.NotNull((await client.GetJsonAsync<RunDetails>($"/api/runs/{ids[3]}")).Summary.ArchivedAt);
            await Pick(page, "archived-filter", "Only archived");
            await Assertions.Expect(page.GetByTestId("run-link")).ToHaveCountAsync(1);
            await Assertions.Expect(page.GetByTestId("archived-chip")).ToHaveCountAsync(1);
            await Pick(page, "archived-filter", "Hidden");

            // Declining keeps the run; confirming deletes it.
            await Row(page, ids[2]).GetByTestId("row-actions").ClickAsync();
            await page.GetByTestId("delete-run").ClickAsync();
            await Assertions.Expect(page.Locator(".mud-dialog")).ToContainTextAsync("cannot be undone");
            await ConfirmAsync(page, "Keep them");
            await Assertions.Expect(page.GetByTestId("run-link")).ToHaveCountAsync(3);
            await Row(page, ids[2]).GetByTestId("row-actions").ClickAsync();
            await page.GetByTestId("delete-run").ClickAsync();
            await ConfirmAsync(page, "Delete");
            await Assertions.Expect(page.GetByTestId("run-link")).ToHaveCountAsync(2);
            using var gone = await client.GetAsync($"/api/runs/{ids[2]}");
            Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.StatusCode);

            // Grouped by recipe (preset name).
            await page.GetByTestId("group-by-recipe").CheckAsync();
            await Assertions.Expect(page.GetByTestId("recipe-group")).ToHaveCountAsync(1);
            await Assertions.Expect(page.GetByTestId("recipe-group")).ToContainTextAsync("tb");
            await page.GetByTestId("group-by-recipe").UncheckAsync();
            await Assertions.Expect(page.GetByTestId("recipe-group")).ToHaveCountAsync(0);
        }
        catch
        {
            await BrowserSteps.ShotOfFailure(page, "runs-failure.png");
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task The_colour_scheme_picked_in_the_menu_is_kept_across_visits()
    {
        var page = await app.NewPageAsync(width: 1440, height: 900, dark: false);
        try
        {
            const string background = "() => getComputedStyle(document.body).backgroundColor";
            await BrowserSteps.Open(page, "/");
            var light = await page.EvaluateAsync<string>(background);
            await page.GetByTestId("theme-menu").ClickAsync();
            await page.GetByTestId("theme-dark").ClickAsync();
            await page.WaitForFunctionAsync($"light => ({background})() !== light", light);
            var dark = await page.EvaluateAsync<string>(background);

            // A new visit in the same browser opens dark although the system is light.
            await BrowserSteps.Open(page, "/queue");
            await page.WaitForFunctionAsync($"dark => ({background})() === dark", dark);
            Assert.Equal("Dark", await page.EvaluateAsync<string>("() => localStorage.getItem('tempbalance.theme')"));

            // Following the system again forgets the choice.
            await page.GetByTestId("theme-menu").ClickAsync();
            await page.GetByTestId("theme-system").ClickAsync();
            await page.WaitForFunctionAsync($"light => ({background})() === light", light);
            Assert.Null(await page.EvaluateAsync<string?>("() => localStorage.getItem('tempbalance.theme')"));
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Theory]
    [InlineData(390, 844, false, "runs-phone-light.png")]
    [InlineData(390, 844, true, "runs-phone-dark.png")]
    [InlineData(1440, 900, false, "runs-desktop-light.png")]
    [InlineData(1440, 900, true, "runs-desktop-dark.png")]
    public async Task The_toolbar_and_filters_do_not_overlap_the_table_at_phone_width_and_in_dark_mode(int width, int height, bool dark, string shot)
    {
        using (var client = new HttpClient { BaseAddress = new Uri(app.BaseUrl) })
            if ((await client.GetJsonAsync<RunPage>("/api/runs?pageSize=1")).TotalCount == 0) await SeedAsync();
        var page = await app.NewPageAsync(width, height, dark);
        try
        {
            await BrowserSteps.Open(page, "/");
            await page.GetByTestId("run-link").First.WaitForAsync();
            await page.GetByTestId("add-filter").ClickAsync();
            await page.GetByTestId("add-filter-lr").ClickAsync();
            await page.GetByTestId("filter-values-lr").WaitForAsync();
            var actions = await page.Locator(".runs-actions").BoundingBoxAsync();
            var filters = await page.GetByTestId("runs-filters").BoundingBoxAsync();
            var table = await page.GetByTestId("runs-table").BoundingBoxAsync();
            Assert.True(actions!.Y + actions.Height <= filters!.Y, $"the buttons ({actions.Y}+{actions.Height}) run into the filters ({filters.Y})");
            Assert.True(filters.Y + filters.Height <= table!.Y, $"the filters ({filters.Y}+{filters.Height}) run into the table ({table.Y})");
            // Every filter control lies inside the filter card.
            foreach (var box in await page.GetByTestId("runs-filters").Locator(".mud-input-control").AllAsync())
            {
                var b = (await box.BoundingBoxAsync())!;
                Assert.True(b.Y >= filters.Y && b.Y + b.Height <= filters.Y + filters.Height + 1, $"a filter at {b.Y}+{b.Height} sticks out of its card");
                Assert.True(b.X + b.Width <= width, $"a filter ends at {b.X + b.Width}, beyond the {width} px window");
            }
            // The table scrolls sideways inside its card; the page itself does not.
            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"),
                $"the page is {await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth")} px wide in a {width} px window; beyond it: "
                + await page.EvaluateAsync<string>("""
                    () => [...document.querySelectorAll('body *')]
                        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.mud-table-container'))
                        .slice(0, 8).map(e => `${e.tagName}.${e.className} ${getComputedStyle(e).position} (${Math.round(e.getBoundingClientRect().right)})`).join('; ')
                    """));
            await BrowserSteps.Shot(page, shot, fullPage: width < 600);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
