using Bunit;
using MudBlazor.Services;
using Plotly.Blazor.Traces;
using Plotly.Blazor.Traces.ScatterLib;
using TempBalance.Core.Training;
using TempBalance.Web.Components.Charts;
using TempBalance.Web.Components.Compare;
using TempBalance.Web.Runs;
using static TempBalance.Web.Tests.Runs.RunGroupingTests;

namespace TempBalance.Web.Tests.Components;

/// <summary>What Compare shows: its overlay's traces, its groups table and its configuration diff.</summary>
public class CompareViewTests : IAsyncLifetime
{
    static readonly TrainingConfig Tb = RecipePresets.ConfigOf(RecipePresets.Find("tb")!);
    static readonly TrainingConfig Baseline = RecipePresets.ConfigOf(RecipePresets.Find("baseline")!);

    readonly BunitContext _ctx = new();

    public Task InitializeAsync()
    {
        _ctx.Services.AddMudServices();
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _ctx.DisposeAsync();

    // Run n's test accuracy is 0.5 + n/100 at every epoch 0..3.
    static Series Flat(RunSummary run) => new([0, 1, 2, 3], [.. Enumerable.Repeat(0.5 + run.Id / 100.0, 4)]);

    [Fact]
    public void A_group_of_seeds_is_drawn_as_its_mean_in_a_filled_band_and_a_lone_run_as_its_curve()
    {
        var groups = RunGrouping.Group([Run(1, Tb with { Seed = 1 }), Run(3, Tb with { Seed = 2 }), Run(7, Baseline)]);

        var traces = CompareChart.Traces(groups, Flat, bands: true, "test accuracy").Cast<Scatter>().ToList();

        // Upper edge, lower edge filled to the upper one, mean; then the baseline's single curve.
        Assert.Equal(4, traces.Count);
        Assert.Equal(FillEnum.ToNextY, traces[1].Fill);
        Assert.Equal("rgba(31,119,180,0.2)", traces[1].FillColor);
        Assert.False(traces[0].ShowLegend);
        // Runs 1 and 3: mean 0.52, sample std 0.01414.
        Assert.Equal(0.52, (double)traces[2].Y[1], 12);
        Assert.Equal(0.52 + Math.Sqrt(0.0002), (double)traces[0].Y[1], 12);
        Assert.Equal(0.52 - Math.Sqrt(0.0002), (double)traces[1].Y[1], 12);
        Assert.Contains("n = 2", traces[2].Name);
        Assert.Equal(0.57, (double)traces[3].Y[0], 12);
        Assert.Equal("#ff7f0e", traces[3].Line.Color);
    }

    [Fact]
    public void Without_bands_every_run_is_its_own_curve_in_its_groups_colour()
    {
        var groups = RunGrouping.Group([Run(1, Tb with { Seed = 1 }), Run(3, Tb with { Seed = 2 }), Run(7, Baseline)]);

        var traces = CompareChart.Traces(groups, Flat, bands: false, "test accuracy").Cast<Scatter>().ToList();

        Assert.Equal(["#1f77b4", "#1f77b4", "#ff7f0e"], traces.Select(t => t.Line.Color));
        Assert.Equal([true, false, true], traces.Select(t => t.ShowLegend == true));
        Assert.All(traces, t => Assert.NotEqual(FillEnum.ToNextY, t.Fill));
        Assert.Contains("#3 seed 2", traces[1].HoverTemplate);
    }

    [Fact]
    public void The_groups_table_says_n_1_no_spread_and_warns_of_shared_seeds()
    {
        var groups = RunGrouping.Group([Run(1, Tb, 0.80), Run(2, Tb, 0.82), Run(5, Baseline, 0.791)]);

        var cut = _ctx.Render<CompareGroupsTable>(p => p
            .Add(t => t.Groups, groups)
            .Add(t => t.Best, r => r.BestTestAccuracy)
            .Add(t => t.Final, r => r.FinalTestAccuracy));

        var rows = cut.FindAll("[data-testid='group-row']");
        Assert.Equal(2, rows.Count);
        Assert.Equal("81.00 ± 1.41 %", rows[0].QuerySelector("[data-testid='group-best']")!.TextContent);
        Assert.Equal("79.10 % (n = 1, no spread)", rows[1].QuerySelector("[data-testid='group-best']")!.TextContent);
        Assert.DoesNotContain("± 0.00", cut.Markup);
        Assert.Contains("tb", rows[0].TextContent);
        Assert.Contains("(#1, #2)", rows[0].TextContent);
        var warning = Assert.Single(cut.FindAll("[data-testid='group-warning']"));
        Assert.Contains("Runs #1 and #2 share seed 42", warning.TextContent);
    }

    [Fact]
    public void The_configuration_diff_lists_only_the_settings_that_differ()
    {
        var runs = new[] { Run(1, Tb with { Lr = 0.05 }), Run(2, Tb with { Lr = 0.1, Seed = 43 }), Run(3, Tb with { Lr = 0.1, BatchSize = 64 }) };

        var cut = _ctx.Render<ConfigDiffTable>(p => p.Add(t => t.Runs, runs));

        var rows = cut.FindAll("[data-testid='config-diff-row']")
            .Select(r => r.QuerySelectorAll("td").Select(td => td.TextContent).ToArray()).ToList();
        Assert.Equal([["batchSize", "128", "128", "64"], ["lr", "0.05", "0.1", "0.1"], ["seed", "42", "43", "42"]], rows);
        Assert.Equal(["Setting", "#1", "#2", "#3"], cut.FindAll("th").Select(th => th.TextContent));
    }

    [Fact]
    public void Runs_with_one_configuration_say_so_instead_of_an_empty_table()
    {
        var cut = _ctx.Render<ConfigDiffTable>(p => p.Add(t => t.Runs, [Run(1, Tb), Run(2, Tb)]));

        Assert.Equal("All 2 runs have the same configuration, seed included.", cut.Find("[data-testid='config-diff-none']").TextContent);
        Assert.Empty(cut.FindAll("[data-testid='config-diff']"));
    }
}
