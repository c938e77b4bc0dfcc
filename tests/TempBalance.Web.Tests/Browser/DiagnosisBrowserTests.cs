using Microsoft.Playwright;
using TempBalance.Web.Tests.Backend;

namespace TempBalance.Web.Tests.Browser;

/// <summary>
/// "Diagnose a model" in Chromium: a file uploaded through the page is analysed in the background and its page
/// shows the summary, the layer table, the alpha-by-depth chart and a layer's ESD; two diagnoses compare side by
/// side. Screenshots at 1440x900 and 390x844, light and dark.
/// </summary>
[Trait("Category", "Browser")]
[Collection("Browser")]
public class DiagnosisBrowserTests(BrowserFixture app) : IClassFixture<BrowserFixture>
{
    static readonly string[] Layers = ["fc1.weight", "fc2.weight", "conv.weight", "attn.c_attn.weight", "tiny.weight"];

    static async Task WaitForCharts(IPage page)
    {
        // The band's two traces, then the layers' alphas; the ESD's histogram segments.
        await BrowserSteps.WaitForPoints(page, "chart-diagnosis-alpha", trace: 2, atLeast: Layers.Length);
        await BrowserSteps.WaitForPoints(page, "chart-diagnosis-esd", trace: 0, atLeast: 3);
    }

    /// <summary>
    /// Sets the file input, as a person picking a file does, until the page shows the choice: a change event can be
    /// lost while MudBlazor's scripts attach right after the circuit starts (as in <see cref="BrowserSteps.SetNumber"/>).
    /// </summary>
    static async Task ChooseFile(IPage page, string path)
    {
        for (var attempt = 1; ; attempt++)
        {
            await page.Locator("input[type=file]").First.SetInputFilesAsync(path);
            try
            {
                await Assertions.Expect(page.GetByTestId("chosen-file")).ToContainTextAsync(Path.GetFileName(path), new LocatorAssertionsToContainTextOptions { Timeout = 8000 });
                return;
            }
            catch (PlaywrightException) when (attempt < 4)
            {
            }
        }
    }

    [Fact]
    public async Task A_model_uploaded_through_the_page_is_diagnosed_and_shown_with_its_table_and_charts()
    {
        var page = await app.NewPageAsync(width: 1440, height: 900);
        try
        {
            await BrowserSteps.Open(page, "/diagnoses");
            await Assertions.Expect(page.GetByTestId("accepted-formats")).ToContainTextAsync(".safetensors");
            await ChooseFile(page, DiagnosisFiles.Fixture("model.safetensors"));
            await page.GetByTestId("farms").CheckAsync();
            await BrowserSteps.Shot(page, "diagnose-form.png");
            await page.GetByTestId("diagnose").ClickAsync();

            await page.WaitForFunctionAsync("() => /^\\/diagnoses\\/\\d+$/.test(location.pathname)", null, new PageWaitForFunctionOptions { Timeout = 60_000 });
            var id = long.Parse(page.Url.Split('/')[^1]);
            await Assertions.Expect(page.GetByTestId("diagnosis-status")).ToHaveTextAsync("completed", new LocatorAssertionsToHaveTextOptions { Timeout = 60_000 });
            await Assertions.Expect(page.GetByTestId("layer-name")).ToHaveTextAsync(Layers);
            await Assertions.Expect(page.GetByTestId("summary-line")).ToContainTextAsync("5 layers, mean alpha");
            await Assertions.Expect(page.GetByTestId("diagnosis-file")).ToHaveTextAsync("model.safetensors");
            await Assertions.Expect(page.Locator("body")).ToContainTextAsync("FARMS alpha");
            await WaitForCharts(page);
            // The ESD starts at the layer with the most eigenvalues; another is picked by a row click.
            await page.GetByTestId("layer-name").Filter(new LocatorFilterOptions { HasText = "fc2.weight" }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("esd-caption")).ToContainTextAsync("fc2.weight: alpha");
            await BrowserSteps.Shot(page, "diagnosis.png", fullPage: true);

            // A second model, and the two side by side.
            using var client = new HttpClient { BaseAddress = app.Factory.BaseAddress };
            var second = await client.UploadAsync(DiagnosisFiles.Form("half.safetensors"));
            await client.WaitForDiagnosisAsync(second);
            await BrowserSteps.Open(page, $"/diagnoses/compare?before={id}&after={second}");
            await BrowserSteps.WaitForPoints(page, "chart-diagnosis-compare", trace: 3, atLeast: Layers.Length);
            await Assertions.Expect(page.GetByTestId("compared-name")).ToHaveCountAsync(Layers.Length);
            await Assertions.Expect(page.GetByTestId("comparison-summary")).ToContainTextAsync("5 layers in both");
            await BrowserSteps.Shot(page, "diagnosis-compare.png", fullPage: true);

            // The history lists both.
            await BrowserSteps.Open(page, "/diagnoses");
            await Assertions.Expect(page.GetByTestId("diagnoses").Locator("tbody tr")).ToHaveCountAsync(2);
            await BrowserSteps.Shot(page, "diagnoses-list.png", fullPage: true);

            foreach (var dark in new[] { false, true })
            {
                var phone = await app.NewPageAsync(width: 390, height: 844, dark: dark);
                try
                {
                    await BrowserSteps.Open(phone, $"/diagnoses/{id}");
                    await Assertions.Expect(phone.GetByTestId("layer-name")).ToHaveCountAsync(Layers.Length);
                    await WaitForCharts(phone);
                    await BrowserSteps.Shot(phone, $"diagnosis-detail-phone{(dark ? "-dark" : "")}.png", fullPage: true);
                    // No sideways scrolling of the whole page on a phone.
                    Assert.True(await phone.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), "the page scrolls sideways");
                    await BrowserSteps.Open(phone, "/diagnoses");
                    await Assertions.Expect(phone.GetByTestId("diagnoses").Locator("tbody tr")).ToHaveCountAsync(2);
                    await BrowserSteps.Shot(phone, $"diagnoses-phone{(dark ? "-dark" : "")}.png", fullPage: true);
                    Assert.True(await phone.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), "the list scrolls sideways");
                }
                finally
                {
                    await phone.Context.CloseAsync();
                }
            }
            var desktopDark = await app.NewPageAsync(width: 1440, height: 900, dark: true);
            try
            {
                await BrowserSteps.Open(desktopDark, $"/diagnoses/{id}");
                await WaitForCharts(desktopDark);
                await BrowserSteps.Shot(desktopDark, "diagnosis-detail-dark.png", fullPage: true);
            }
            finally
            {
                await desktopDark.Context.CloseAsync();
            }
        }
        catch
        {
            await BrowserSteps.ShotOfFailure(page, "diagnosis-failure.png");
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
