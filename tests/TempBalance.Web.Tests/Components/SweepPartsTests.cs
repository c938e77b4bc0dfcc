using Bunit;
using MudBlazor;
using MudBlazor.Services;
using Plotly.Blazor.Traces;
using TempBalance.Core.Sweeps;
using TempBalance.Core.Training;
using TempBalance.Web.Components.Charts;
using TempBalance.Web.Components.Sweeps;
using TempBalance.Web.Data;
using TempBalance.Web.Sweeps;

namespace TempBalance.Web.Tests.Components;

/// <summary>The sweep page's parts: heatmap data, parallel coordinates, the sortable run table, the best configuration.</summary>
public class SweepPartsTests : IAsyncLifetime
{
    readonly BunitContext _ctx = new();

    public Task InitializeAsync()
    {
        _ctx.Services.AddMudServices();
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _ctx.DisposeAsync();

    static readonly SweepAxisView Lr = new("lr", "lr", "learning rate", [0.01, 0.1]);
    static readonly SweepAxisView Batch = new("batch-size", "batchSize", "batch size", [16, 32, 64]);
    static readonly SweepAxisView Seed = new("seed", "seed", "seed", [1, 2]);

    // A run that trained two epochs: test loss 1.0 then `loss`, test accuracy 0.5 then `accuracy`, J 0.6 then `j`.
    static SweepRunRow Row(long id, double?[] values, double accuracy, double loss, double j = 0.9, RunStatus status = RunStatus.Completed) =>
        new(id, $"run {id}", values, status, 2, 2, RunMetrics.From(
        [
            new EpochMeasurement(0, 2.3, 0.1, 0.5),
            new EpochMeasurement(1, 1.0, 0.5, 0.6),
            new EpochMeasurement(2, loss, accuracy, j),
        ]));

    static SweepDetails Sweep(IReadOnlyList<SweepAxisView> axes, params SweepRunRow[] runs) => new(
        new SweepSummary(7, "test sweep", SweepStatus.Completed, runs.Length, runs.Length, 0, 0, 0, 0, DateTime.UtcNow, axes,
            "mlp-tanh", "mnist", "SGD, constant", runs.Max(r => r.Metrics.BestTestAccuracy), Guid.NewGuid()),
        new TrainingConfig { Model = "mlp-tanh", Dataset = "mnist" }, runs, 0, null);

    // lr x batch x seed: each (lr, batch) cell holds two seeds; (0.1, 64) has none yet (still queued).
    static SweepDetails ThreeAxes()
    {
        var runs = new List<SweepRunRow>();
        long id = 1;
        foreach (var lr in Lr.Values)
            foreach (var b in Batch.Values)
                foreach (var s in Seed.Values)
                {
                    if (lr == 0.1 && b == 64) { runs.Add(new SweepRunRow(id++, null, [lr, b, s], RunStatus.Queued, null, 2, RunMetrics.Empty)); continue; }
                    // Accuracy rises with lr and falls with batch size; the seeds differ by 0.02.
                    double accuracy = 0.6 + lr - b / 1000.0 + (s == 2 ? 0.02 : 0);
                    runs.Add(Row(id++, [lr, b, s], accuracy, 1 - accuracy));
                }
        return Sweep([Lr, Batch, Seed], [.. runs]);
    }

    [Fact]
    public void The_heatmap_holds_the_mean_over_the_other_axes_per_pair_of_values_and_a_gap_where_no_run_has_the_metric()
    {
        var map = SweepHeatmap.Of(ThreeAxes(), SweepMetric.FinalTestAccuracy, xAxis: 0, yAxis: 1);

        Assert.Equal(3, map.Values.Count); // rows: batch sizes
        Assert.Equal(0.6 + 0.01 - 0.016 + 0.01, map.Values[0][0]!.Value, 12); // lr 0.01, B 16: mean of the two seeds
        Assert.Equal(0.6 + 0.1 - 0.032 + 0.01, map.Values[1][1]!.Value, 12);
        Assert.Null(map.Values[2][1]); // lr 0.1, B 64: queued
        Assert.Equal([[2, 2], [2, 2], [2, 0]], map.Counts.Select(r => r.ToArray()));

        var trace = SweepCharts.HeatmapTrace(map);
        Assert.Equal(["0.01", "0.1"], trace.X.Cast<string>());
        Assert.Equal(["16", "32", "64"], trace.Y.Cast<string>());
        Assert.Equal("60.4% (n=2)", ((object[])trace.Text[0])[0]);
        Assert.False(trace.ReverseScale); // accuracy: higher is better, the bright end is good

        // One axis: a single row; a loss reverses the colours.
        var lrOnly = SweepHeatmap.Of(ThreeAxes(), SweepMetric.BestTestLoss, xAxis: 0, yAxis: null);
        Assert.Single(lrOnly.Values);
        Assert.Equal([6, 4], lrOnly.Counts[0]);
        Assert.True(SweepCharts.HeatmapTrace(lrOnly).ReverseScale);
    }

    [Fact]
    public void The_parallel_coordinates_have_one_dimension_per_axis_and_the_metric_over_the_runs_that_have_it()
    {
        var parcoords = SweepCharts.Parcoords(ThreeAxes(), SweepMetric.BestTestAccuracy)!;

        var dimensions = parcoords.Dimensions.ToList();
        Assert.Equal(["lr", "batch-size", "seed", "best test accuracy"], dimensions.Select(d => d.Label));
        Assert.Equal(10, dimensions[0].Values.Count); // 12 runs, 2 still queued
        Assert.Equal([16.0, 32.0, 64.0], dimensions[1].TickVals.Cast<double>());
        Assert.Equal(dimensions[3].Values, parcoords.Line.ColorArray);
        // The metric's axis and colour bar read as the heatmap's cells do (96.3%, not 0.963456).
        Assert.Equal(".1%", dimensions[3].TickFormat);
        Assert.Equal(".1%", parcoords.Line.ColorBar.TickFormat);
        Assert.Equal(".3f", SweepCharts.Parcoords(ThreeAxes(), SweepMetric.BestTestLoss)!.Dimensions.Last().TickFormat);

        Assert.Null(SweepCharts.Parcoords(Sweep([Lr], new SweepRunRow(1, null, [0.01], RunStatus.Queued, null, 2, RunMetrics.Empty)), SweepMetric.BestTestAccuracy));
    }

    [Fact]
    public async Task The_run_table_lists_every_run_with_its_values_and_metrics_and_sorts_by_a_metric()
    {
        var sweep = Sweep([Lr], Row(1, [0.01], 0.70, 0.40), Row(2, [0.1], 0.90, 0.20), Row(3, [0.05], 0.80, 0.30));
        _ctx.Render<MudPopoverProvider>();
        var cut = _ctx.Render<SweepRunTable>(p => p.Add(t => t.Sweep, sweep).Add(t => t.Highlight, 2L));

        string[] Column(string metric) => [.. cut.FindAll($"td[data-metric='{metric}']").Select(td => td.TextContent.Trim())];
        Assert.Equal(["70.0%", "90.0%", "80.0%"], Column("final_test_accuracy"));
        Assert.Equal(["0.400", "0.200", "0.300"], Column("best_test_loss"));
        Assert.Contains("mud-selected-item", cut.FindAll("tbody tr")[1].ClassName);

        // Click the accuracy column's title: ascending, then descending.
        var header = cut.FindAll("th").First(th => th.TextContent.Contains("final test accuracy"));
        await cut.InvokeAsync(() => header.QuerySelector(".mud-table-sort-label")!.Click());
        Assert.Equal(["70.0%", "80.0%", "90.0%"], Column("final_test_accuracy"));
        header = cut.FindAll("th").First(th => th.TextContent.Contains("final test accuracy"));
        await cut.InvokeAsync(() => header.QuerySelector(".mud-table-sort-label")!.Click());
        Assert.Equal(["90.0%", "80.0%", "70.0%"], Column("final_test_accuracy"));
        Assert.Equal(["0.1", "0.05", "0.01"], cut.FindAll("tbody tr").Select(tr => tr.QuerySelectorAll("td")[1].TextContent.Trim()));
    }

    [Fact]
    public void The_best_configuration_is_the_run_best_by_the_metric_in_its_direction_with_a_link_to_copy_it()
    {
        // Run 2 has the highest accuracy; run 3 the lowest loss (its accuracy is not the best).
        var sweep = Sweep([Lr, Batch], Row(1, [0.01, 16], 0.70, 0.40), Row(2, [0.1, 32], 0.90, 0.30), Row(3, [0.05, 64], 0.80, 0.10, j: 1.02));

        var byAccuracy = _ctx.Render<SweepBestConfiguration>(p => p.Add(b => b.Sweep, sweep).Add(b => b.Metric, SweepMetric.FinalTestAccuracy));
        Assert.Equal("90.0%", byAccuracy.Find("[data-testid='best-value']").TextContent);
        Assert.Equal("lr = 0.1, batch-size = 32", byAccuracy.Find("[data-testid='best-values']").TextContent.Trim());
        Assert.Equal("/runs/new?from=2", byAccuracy.Find("[data-testid='new-run-from-best']").GetAttribute("href"));

        var byLoss = _ctx.Render<SweepBestConfiguration>(p => p.Add(b => b.Sweep, sweep).Add(b => b.Metric, SweepMetric.BestTestLoss));
        Assert.Equal("0.100", byLoss.Find("[data-testid='best-value']").TextContent);
        Assert.Contains("at epoch 2, J = 1.02 there", byLoss.Markup);
        Assert.Equal("/runs/new?from=3", byLoss.Find("[data-testid='new-run-from-best']").GetAttribute("href"));

        // J has no better direction: the best run is the one of highest accuracy.
        var byJ = _ctx.Render<SweepBestConfiguration>(p => p.Add(b => b.Sweep, sweep).Add(b => b.Metric, SweepMetric.JAtBestEpoch));
        Assert.Contains("Best by best test accuracy", byJ.Markup);
        Assert.Equal("/runs/new?from=2", byJ.Find("[data-testid='new-run-from-best']").GetAttribute("href"));

        var none = _ctx.Render<SweepBestConfiguration>(p => p.Add(b => b.Sweep, Sweep([Lr], new SweepRunRow(1, null, [0.01], RunStatus.Queued, null, 2, RunMetrics.Empty) with { })));
        Assert.Equal("No run has best test accuracy yet.", none.Find("[data-testid='best-none']").TextContent);
    }
}

/// <summary>The New sweep form's text to request: numbers as typed, the base recipe as JSON, and what is wrong with either.</summary>
public class SweepFormModelTests
{
    [Fact]
    public void Typed_axes_and_a_base_recipe_become_the_request_and_text_that_is_not_one_becomes_errors_by_field()
    {
        var model = SweepFormModel.From(SweepFormModel.Bases[0].Config);
        Assert.Equal(["lr", "batch-size"], model.Axes.Select(a => a.Field));
        Assert.Equal("0.005, 0.01, 0.02", model.Axes[0].Values);
        Assert.Equal(9, model.RunCount);

        model.Axes[1].Values = "16;32 64  128";
        var (request, errors) = model.ToRequest();
        Assert.Empty(errors);
        Assert.Equal([16.0, 32, 64, 128], request!.Axes[1].Values);
        Assert.Equal(("mlp-tanh", "baseline", false), (request.Config.Model, request.Config.Method, request.Config.TempBalance.Enabled));

        model.Axes[0].Values = "0.01, fast";
        model.BaseJson = """{ "model": "mlp-tanh", "lr": "high" }""";
        (request, errors) = model.ToRequest();
        Assert.Null(request);
        Assert.Equal("'fast' is not a number; write values such as 0.01, 0.02, 1e-3.", Assert.Single(errors["axes[0].values"]));
        Assert.Contains("(at lr)", Assert.Single(errors["config"]));
        Assert.Equal(0, model.RunCount);
    }
}
