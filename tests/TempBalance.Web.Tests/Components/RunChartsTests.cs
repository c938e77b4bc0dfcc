using Plotly.Blazor.Traces;
using TempBalance.Core.Training;
using TempBalance.Web.Components.Charts;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Components;

public class RunChartsTests
{
    // Epoch 0 is the untrained network: it has test metrics but no training loss, accuracy or batch losses.
    static EpochPoint Epoch(int epoch) => new(epoch, epoch == 0 ? null : 2.0 / epoch, epoch == 0 ? null : 0.5 + epoch * 0.01,
        2.5 / (epoch + 1), 0.1 + epoch * 0.01, 0.1, 1, 0.1, epoch == 0 ? [] : BatchLosses(epoch));

    // Two buckets' lowest and highest: at a quarter, half, three quarters and the end of the epoch.
    static BatchLossPoint[] BatchLosses(int epoch, int count = 4) =>
        [.. Enumerable.Range(1, count).Select(i => new BatchLossPoint(epoch - 1 + i / 4.0, 2.2 / epoch - 0.01 * i))];

    const int BatchTrace = 0, TrainTrace = 1, TestTrace = 2;

    static LayerPoint Layer(int epoch, int index, double? alpha) =>
        new(epoch, index, $"layer{index}", "Conv2d", 64, alpha, 0.1, 0.5, 3, 1, 0.1 * (index + 1) + epoch * 0.001, 0.1 * (index + 1) + (epoch + 1) * 0.001, true, null);

    static List<object?> Xs(ChartFeed feed, int trace) => ((Scatter)feed.Traces[trace]).X.ToList();

    [Fact]
    public void Stored_history_becomes_the_initial_lines_with_gaps_where_an_epoch_has_no_value()
    {
        var charts = new RunCharts([Epoch(0), Epoch(1), Epoch(2)], []);

        Assert.Equal(2, charts.LastEpoch);
        Assert.Equal([1.0, 2.0], Xs(charts.Loss, TrainTrace).Cast<double>()); // train loss: none at epoch 0
        Assert.Equal([0.0, 1.0, 2.0], Xs(charts.Loss, TestTrace).Cast<double>());
        Assert.Equal([0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0], Xs(charts.Loss, BatchTrace).Cast<double>());
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
        Assert.Equal([BatchTrace, TrainTrace, TestTrace], update.Indices);
        Assert.Equal([1.25, 1.5, 1.75, 2.0], update.X[0]);
        Assert.Equal([2.0], update.X[1]);
        Assert.Equal([1.0], update.Y[1]);
        Assert.Equal(2, charts.LastEpoch);
    }

    [Fact]
    public void The_batch_loss_curve_of_the_epoch_in_training_grows_live_and_its_epoch_message_adds_only_the_rest()
    {
        var charts = new RunCharts([Epoch(0), Epoch(1)], []);
        charts.Loss.MarkReady();

        // Each progress message carries the epoch's curve so far.
        Assert.True(charts.AddBatchLosses(2, BatchLosses(2, count: 2)));
        Assert.False(charts.AddBatchLosses(2, BatchLosses(2, count: 2)));
        Assert.True(charts.AddBatchLosses(2, BatchLosses(2, count: 3)));
        var live = Assert.IsType<ChartUpdate.ExtendLines>(Assert.Single(charts.Loss.TakeUpdates()));
        Assert.Equal([BatchTrace], live.Indices);
        Assert.Equal([1.25, 1.5, 1.75], live.X[0]);

        Assert.True(charts.AddEpoch(Epoch(2)));
        var end = Assert.IsType<ChartUpdate.ExtendLines>(Assert.Single(charts.Loss.TakeUpdates()));
        Assert.Equal([2.0], end.X[0]);
        Assert.Equal([BatchTrace, TrainTrace, TestTrace], end.Indices);
    }

    [Fact]
    public void A_long_runs_stored_batch_losses_are_thinned_for_drawing_keeping_each_buckets_extremes()
    {
        // 200 epochs of 50 points, with one spike that thinning must keep.
        var epochs = Enumerable.Range(0, 201).Select(e => Epoch(e) with
        {
            BatchLosses = e == 0 ? [] : [.. Enumerable.Range(1, 50).Select(i => new BatchLossPoint(e - 1 + i / 50.0, e == 123 && i == 7 ? 9.9 : 1.0 + 0.1 * Math.Sin(i)))],
        }).ToList();

        var charts = new RunCharts(epochs, []);

        var shown = (Scatter)charts.Loss.Traces[BatchTrace];
        Assert.InRange(shown.X.Count, 500, 602);
        Assert.Equal(9.9, shown.Y.Cast<double>().Max());
        Assert.Equal(0.02, (double)shown.X[0]!, 12);
        Assert.Equal(200.0, (double)shown.X[^1]!, 12);
    }

    [Fact]
    public void A_batch_loss_curve_after_a_missing_epoch_waits_for_that_epochs_message()
    {
        var charts = new RunCharts([Epoch(0), Epoch(1)], []);
        charts.Loss.MarkReady();

        // Epoch 2 ended while the page was not listening: drawing epoch 3's curve now would leave epoch 2's out.
        Assert.False(charts.AddBatchLosses(3, BatchLosses(3, count: 2)));
        Assert.False(charts.Loss.HasPending);

        charts.AddEpoch(Epoch(2));
        Assert.True(charts.AddBatchLosses(3, BatchLosses(3, count: 2)));
        var update = Assert.Single(charts.Loss.TakeUpdates());
        Assert.Equal([1.25, 1.5, 1.75, 2.0, 2.25, 2.5], ((ChartUpdate.ExtendLines)update).X[0]);
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
