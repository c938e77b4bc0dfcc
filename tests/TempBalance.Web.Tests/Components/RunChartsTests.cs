using Plotly.Blazor.Traces;
using TempBalance.Web.Components.Charts;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Components;

public class RunChartsTests
{
    // Epoch 0 is the untrained network: it has test metrics but no training loss or accuracy.
    static EpochPoint Epoch(int epoch) => new(epoch, epoch == 0 ? null : 2.0 / epoch, epoch == 0 ? null : 0.5 + epoch * 0.01,
        2.5 / (epoch + 1), 0.1 + epoch * 0.01, 0.1, 1, 0.1);

    static LayerPoint Layer(int epoch, int index, double? alpha) =>
        new(epoch, index, $"layer{index}", "Conv2d", 64, alpha, 0.1, 0.5, 3, 1, 0.1 * (index + 1) + epoch * 0.001, true, null);

    static List<object?> Xs(ChartFeed feed, int trace) => ((Scatter)feed.Traces[trace]).X.ToList();

    [Fact]
    public void Stored_history_becomes_the_initial_lines_with_gaps_where_an_epoch_has_no_value()
    {
        var charts = new RunCharts([Epoch(0), Epoch(1), Epoch(2)], []);

        Assert.Equal(2, charts.LastEpoch);
        Assert.Equal([1.0, 2.0], Xs(charts.Loss, 0).Cast<double>()); // train loss: none at epoch 0
        Assert.Equal([0.0, 1.0, 2.0], Xs(charts.Loss, 1).Cast<double>());
        Assert.Equal([0.1, 0.11, 0.12], ((Scatter)charts.Accuracy.Traces[1]).Y.Cast<double>().Select(v => Math.Round(v, 12)));
        Assert.False(charts.Loss.HasPending);
    }

    [Fact]
    public void A_live_epoch_is_appended_once_and_an_old_or_repeated_one_is_ignored()
    {
        var charts = new RunCharts([Epoch(0), Epoch(1)], []);
        charts.Loss.MarkReady();

        Assert.True(charts.AddEpoch(Epoch(2)));
        Assert.False(charts.AddEpoch(Epoch(2)));
        Assert.False(charts.AddEpoch(Epoch(1)));

        var update = Assert.IsType<ChartUpdate.ExtendLines>(Assert.Single(charts.Loss.TakeUpdates()));
        Assert.Equal([0, 1], update.Indices);
        Assert.Equal([2.0], update.X[0]);
        Assert.Equal([1.0], update.Y[0]);
        Assert.Equal(2, charts.LastEpoch);
    }

    [Fact]
    public void Layer_metrics_extend_the_alpha_heatmap_by_a_column_and_each_learning_rate_line_by_a_point()
    {
        var charts = new RunCharts([], [Layer(0, 0, 3.0), Layer(0, 1, 5.0)]);
        var heat = (HeatMap)charts.Alpha.Traces[0];
        Assert.Equal([0, 1], heat.Y.Cast<int>());
        Assert.Equal(2, charts.LearningRates.Traces.Count);
        charts.Alpha.MarkReady();
        charts.LearningRates.MarkReady();

        // A failed fit (no alpha) leaves a gap in its cell.
        Assert.True(charts.AddLayers(1, [Layer(1, 1, 4.0), Layer(1, 0, null)]));
        Assert.False(charts.AddLayers(1, [Layer(1, 0, 3.0), Layer(1, 1, 4.0)]));

        var column = Assert.IsType<ChartUpdate.ExtendHeatmap>(Assert.Single(charts.Alpha.TakeUpdates()));
        Assert.Equal([1.0], column.X);
        Assert.Equal([null, 4.0], (object?[])column.Z[0]!);
        var lines = Assert.IsType<ChartUpdate.ExtendLines>(Assert.Single(charts.LearningRates.TakeUpdates()));
        Assert.Equal([0, 1], lines.Indices);
        Assert.Equal([0.101], lines.Y[0].Cast<double>().Select(v => Math.Round(v, 12)));
        Assert.Equal(1, charts.LastLayerEpoch);
    }

    [Fact]
    public void A_different_set_of_layers_redraws_both_layer_charts()
    {
        var charts = new RunCharts([], [Layer(0, 0, 3.0)]);
        charts.Alpha.MarkReady();
        charts.LearningRates.MarkReady();

        charts.AddLayers(1, [Layer(1, 0, 3.0), Layer(1, 1, 4.0)]);

        Assert.IsType<ChartUpdate.Full>(Assert.Single(charts.Alpha.TakeUpdates()));
        Assert.IsType<ChartUpdate.Full>(Assert.Single(charts.LearningRates.TakeUpdates()));
        Assert.Equal(2, charts.LearningRates.Traces.Count);
    }
}
