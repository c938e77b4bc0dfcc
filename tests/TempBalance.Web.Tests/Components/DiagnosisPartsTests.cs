using Bunit;
using MudBlazor;
using MudBlazor.Services;
using Plotly.Blazor.Traces;
using TempBalance.Core.Spectral;
using TempBalance.Web.Components.Charts;
using TempBalance.Web.Components.Diagnoses;
using TempBalance.Web.Data;
using TempBalance.Web.Diagnoses;

namespace TempBalance.Web.Tests.Components;

/// <summary>The diagnosis pages' parts: the sortable layer table, the comparison of two diagnoses, the alpha-by-depth chart.</summary>
public class DiagnosisPartsTests : IAsyncLifetime
{
    readonly BunitContext _ctx = new();

    public Task InitializeAsync()
    {
        _ctx.Services.AddMudServices();
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _ctx.DisposeAsync();

    static DiagnosisLayerView Layer(int index, string name, double? alpha, int eigs = 64, double? entropy = 0.8)
    {
        var verdict = Core.Spectral.LayerSpectrum.VerdictFor(eigs, alpha);
        return new DiagnosisLayerView(index, name, "Linear", "64x128", "float32", 0, 1, 64, 128, eigs, alpha, 0.05, 1.2, eigs / 2,
            alpha * 1.1, 1.1, 2.0, alpha * 1.5, 12.5, entropy, 2, 3.1, verdict, null);
    }

    static DiagnosisDetails Details(long id, string file, params DiagnosisLayerView[] layers) => new(
        new DiagnosisSummaryView(id, file, 1000, DiagnosisStatus.Completed, DateTime.UtcNow, null, null, null, layers.Length, layers.Length, layers.Length,
            null, null, "median xmin rule", null, null),
        new DiagnosisSettings(), layers, 0, [], [], 1.0);

    [Fact]
    public async Task The_layer_table_sorts_by_any_metric_and_names_layers_without_a_verdict()
    {
        _ctx.Render<MudPopoverProvider>();
        DiagnosisLayerView[] layers = [Layer(0, "a.weight", 3.5), Layer(1, "b.weight", 1.7, entropy: 0.2), Layer(2, "tiny.weight", 40, eigs: 3), Layer(3, "d.weight", 7.25)];
        var cut = _ctx.Render<DiagnosisLayerTable>(p => p.Add(t => t.Layers, layers).Add(t => t.SelectedLayer, 3));
        string[] Names() => [.. cut.FindAll("[data-testid='layer-name']").Select(e => e.TextContent.Trim())];
        async Task SortBy(string title)
        {
            var header = cut.FindAll("th").First(th => th.TextContent.Trim() == title);
            await cut.InvokeAsync(() => header.QuerySelector(".mud-table-sort-label")!.Click());
        }

        Assert.Equal(["a.weight", "b.weight", "tiny.weight", "d.weight"], Names());
        Assert.Equal(["3.500", "1.700", "40.000", "7.250"], cut.FindAll("[data-testid='layer-alpha']").Select(e => e.TextContent.Trim()));
        Assert.Equal(["well-trained", "heavy-tailed", "too few eigenvalues to judge", "under-trained"], cut.FindAll("[data-testid='layer-verdict']").Select(e => e.TextContent.Trim()));
        Assert.Contains("Only 3 eigenvalues (fewer than 10)", cut.FindAll("td[data-label='verdict']")[2].GetAttribute("title"));
        Assert.Contains("mud-selected-item", cut.FindAll("tbody tr")[3].ClassName);

        await SortBy("alpha");
        Assert.Equal(["b.weight", "a.weight", "d.weight", "tiny.weight"], Names());
        await SortBy("alpha");
        Assert.Equal(["tiny.weight", "d.weight", "a.weight", "b.weight"], Names());
        await SortBy("entropy");
        Assert.Equal(["b.weight", "a.weight", "tiny.weight", "d.weight"], Names());
        await SortBy("verdict");
        Assert.Equal(["b.weight", "a.weight", "d.weight", "tiny.weight"], Names());
    }

    [Fact]
    public async Task Two_diagnoses_are_matched_by_layer_name_with_the_change_of_alpha_and_sort_by_it()
    {
        var before = Details(1, "base.safetensors", Layer(0, "fc1.weight", 4.0), Layer(1, "fc2.weight", 3.0), Layer(2, "tiny.weight", 50, eigs: 3), Layer(3, "head.weight", 6.5));
        var after = Details(2, "tuned.safetensors", Layer(0, "fc2.weight", 2.5), Layer(1, "fc1.weight", 4.75), Layer(2, "tiny.weight", 9, eigs: 3), Layer(3, "adapter.weight", 3.0));
        var comparison = DiagnosisComparison.Of(before, after);

        Assert.Equal(["fc1.weight", "fc2.weight", "tiny.weight", "head.weight", "adapter.weight"], comparison.Layers.Select(l => l.Name));
        Assert.Equal([0.75, -0.5, -41, null, null], comparison.Layers.Select(l => l.Delta));
        Assert.Equal(3, comparison.Matched);
        // The tiny layer has no verdict on either side: its change is shown but left out of the mean.
        Assert.Equal(0.125, comparison.MeanDelta);

        _ctx.Render<MudPopoverProvider>();
        var cut = _ctx.Render<DiagnosisComparisonTable>(p => p.Add(t => t.Comparison, comparison));
        string[] Deltas() => [.. cut.FindAll("[data-testid='compared-delta']").Select(e => e.TextContent.Trim())];
        Assert.Equal(["+0.750", "-0.500", "-41.000", "only before", "only after"], Deltas());
        var header = cut.FindAll("th").First(th => th.TextContent.Trim() == "change");
        await cut.InvokeAsync(() => header.QuerySelector(".mud-table-sort-label")!.Click());
        Assert.Equal(["head.weight", "adapter.weight", "tiny.weight", "fc2.weight", "fc1.weight"], cut.FindAll("[data-testid='compared-name']").Select(e => e.TextContent.Trim()));
    }

    [Fact]
    public void The_alpha_chart_draws_the_2_to_6_band_and_one_line_per_diagnosis_with_gaps_where_there_is_no_verdict()
    {
        var before = Details(1, "a", Layer(0, "x", 3.0), Layer(1, "tiny", 40, eigs: 3), Layer(2, "z", 5.0));
        var after = Details(2, "b", Layer(0, "x", 2.5), Layer(1, "tiny", 8, eigs: 3));
        var traces = DiagnosisCharts.AlphaByDepth([("before", before.Layers), ("after", after.Layers)]);

        Assert.Equal(4, traces.Count);
        var low = (Scatter)traces[0];
        var high = (Scatter)traces[1];
        Assert.Equal([-0.5, 2.5], low.X.Cast<double>());
        Assert.Equal([2.0, 2.0], low.Y.Cast<double>());
        Assert.Equal([6.0, 6.0], high.Y.Cast<double>());
        Assert.Equal(Plotly.Blazor.Traces.ScatterLib.FillEnum.ToNextY, high.Fill);
        var first = (Scatter)traces[2];
        Assert.Equal("before", first.Name);
        Assert.Equal([0.0, 1.0, 2.0], first.X.Cast<double>());
        Assert.Equal([3.0, null, 5.0], first.Y.Select(y => (double?)y));
        Assert.Equal(["x", "tiny", "z"], first.TextArray);
        Assert.Equal([2.5, null], ((Scatter)traces[3]).Y.Select(y => (double?)y));
    }
}
