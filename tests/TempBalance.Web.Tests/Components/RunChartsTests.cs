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
        Assert.Equal(["layer0", "layer1"], heat.Y.Cast<string>());
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

    [Fact]
    public void The_heatmap_names_its_layers_on_a_category_axis_first_layer_on_top_and_in_the_hover()
    {
        var layers = Enumerable.Range(0, 3).SelectMany(e => new[]
        {
            Layer(e, 0, 3.0) with { Name = "conv1" },
            Layer(e, 1, 4.0) with { Name = "features.denseblock4.denselayer16.conv2" },
            Layer(e, 2, 5.0) with { Name = "fc" },
        }).ToList();

        var charts = new RunCharts([], layers);

        var heat = (HeatMap)charts.Alpha.Traces[0];
        Assert.Equal(["conv1", "features.denseblock4.denselayer16.conv2", "fc"], heat.Y.Cast<string>());
        Assert.Equal("%{y}<br>epoch %{x}<br>alpha %{z:.2f}<extra></extra>", heat.HoverTemplate);
        var axis = charts.AlphaLayout(dark: false, epochs: 10).YAxis[0];
        Assert.Equal(Plotly.Blazor.LayoutLib.YAxisLib.TypeEnum.Category, axis.Type);
        Assert.Equal(Plotly.Blazor.LayoutLib.YAxisLib.AutoRangeEnum.Reversed, axis.AutoRange);
        // A long name keeps its end on the axis; the hover has it whole.
        Assert.Equal(["conv1", "…k4.denselayer16.conv2", "fc"], axis.TickText.Cast<string>());
        Assert.Equal(14 + 6 * 22, charts.AlphaLayout(dark: true, epochs: 10).Margin.L);
    }

    [Fact]
    public void One_outlier_does_not_squeeze_the_heatmaps_colours_and_the_band_edges_are_marked()
    {
        // 40 layers x 10 epochs with alphas between 2.5 and 5.5, and one failed-looking fit of alpha 40.
        var layers = Enumerable.Range(0, 10).SelectMany(e => Enumerable.Range(0, 40)
            .Select(i => Layer(e, i, e == 3 && i == 7 ? 40 : 2.5 + 3.0 * ((i * 7 + e) % 40) / 39))).ToList();

        var charts = new RunCharts([], layers);

        var heat = (HeatMap)charts.Alpha.Traces[0];
        Assert.Equal(2.5m, heat.ZMin);
        Assert.Equal(5.5m, heat.ZMax);
        Assert.True(charts.AlphaScale.ClippedAbove);
        Assert.Equal(["2.5", "≥ 5.5"], heat.ColorBar.TickText.Cast<string>());

        // With alphas on both sides of the band, 2 and 6 are ticks and the colour changes at once there.
        var wide = new RunCharts([], [.. Enumerable.Range(0, 25).Select(i => Layer(0, i, 1.0 + 8.0 * i / 24))]);
        var scale = wide.AlphaScale;
        Assert.Equal((1.0, 9.0), (scale.Min, scale.Max));
        Assert.Equal([1.0, 2.0, 6.0, 9.0], scale.TickValues);
        var atTwo = scale.Colors.Where(stop => Math.Abs((double)stop[0] - 1.0 / 8) < 1e-12).Select(stop => (string)stop[1]).ToList();
        Assert.Equal(2, atTwo.Count);
        Assert.NotEqual(atTwo[0], atTwo[1]);
        Assert.Equal([0.0, 1.0], new[] { (double)scale.Colors[0][0], (double)scale.Colors[^1][0] });
    }

    [Fact]
    public void Falling_alphas_move_the_colour_limits_and_resend_the_heatmap_once_they_moved_far_enough()
    {
        var charts = new RunCharts([], [.. Enumerable.Range(0, 20).Select(i => Layer(0, i, 6 + 0.1 * i))]);
        charts.Alpha.MarkReady();
        var before = charts.AlphaScale;

        charts.AddLayers(1, [.. Enumerable.Range(0, 20).Select(i => Layer(1, i, 6 + 0.1 * i))]);
        Assert.Same(before, charts.AlphaScale); // the same alphas again: no new limits
        for (var e = 2; e < 8; e++) charts.AddLayers(e, [.. Enumerable.Range(0, 20).Select(i => Layer(e, i, 2.5 + 0.1 * i))]);

        Assert.IsType<ChartUpdate.Full>(Assert.Single(charts.Alpha.TakeUpdates()));
        Assert.True(charts.AlphaScale.Min < before.Min);
        var heat = (HeatMap)charts.Alpha.Traces[0];
        Assert.Equal(8, heat.X.Count); // the columns that were pending went out with the full update
        Assert.Equal((decimal)charts.AlphaScale.Min, heat.ZMin);
    }

    static readonly double[] GlobalRates = [0, 0.1, 0.064, 0.04];

    static EpochPoint Trained(int epoch) => Epoch(epoch) with { LearningRate = epoch == 0 ? null : GlobalRates[epoch] };

    // Four layers, the middle two tuned, with rates as TempBalance's linear rule assigns them: equal alphas at epoch 0
    // (a tie: both get the midpoint, ×1), then alpha 5 and 3 (×1.5 and ×0.5).
    static List<LayerPoint> Layers4(int epoch)
    {
        (string Name, bool Tuned)[] layers = [("conv1", false), ("conv2", true), ("conv3", true), ("fc", false)];
        double[] Factors(int e) => e == 0 ? [1, 1, 1, 1] : [1, 1.5, 0.5, 1];
        double[] Alphas(int e) => e == 0 ? [3, 3, 3, 4] : [3, 5, 3, 4];
        return [.. layers.Select((l, i) => new LayerPoint(epoch, i, l.Name, "Conv2d", 576, Alphas(epoch)[i], 0.1, 1, 2, 1,
            epoch == 0 ? null : GlobalRates[epoch] * Factors(epoch - 1)[i], GlobalRates[Math.Min(epoch + 1, 3)] * Factors(epoch)[i], l.Tuned, null))];
    }

    [Fact]
    public void Learning_rate_lines_are_named_by_layer_and_can_show_factors_of_the_global_rate()
    {
        var charts = new RunCharts([Trained(0), Trained(1), Trained(2)], [.. Layers4(0), .. Layers4(1), .. Layers4(2)]);
        charts.LearningRates.MarkReady();

        var lines = charts.LearningRates.Traces.Cast<Scatter>().ToList();
        Assert.Equal(["conv1", "conv2", "conv3", "fc"], lines.Select(l => l.Name));
        Assert.Equal([1.0, 2.0], lines[1].X.Cast<double>()); // epoch 0 trains nothing: no rate
        Assert.Equal([0.1, 0.096], lines[1].Y.Cast<double>().Select(v => Math.Round(v, 12)));
        Assert.Equal("dot", lines[0].Line.Dash); // untuned
        Assert.Null(lines[1].Line.Dash);
        Assert.False(charts.LearningRateLayout(dark: false, epochs: 10).ShowLegend); // named in the legend beside it
        var legend = charts.LearningRateLegend;
        Assert.Equal(["conv1", "conv2", "conv3", "fc"], legend.Select(e => e.Name));
        Assert.Equal([true, false, false, true], legend.Select(e => e.Untuned));
        Assert.Equal(lines.Select(l => l.Line.Color), legend.Select(e => (object)e.Color));

        // A click on a legend entry hides its line (the whole chart is sent again), a second shows it.
        charts.ToggleLearningRateLine(2);
        Assert.True(charts.LearningRateLegend[2].Hidden);
        Assert.Equal(Plotly.Blazor.Traces.ScatterLib.VisibleEnum.False, lines[2].Visible);
        Assert.IsType<ChartUpdate.Full>(Assert.Single(charts.LearningRates.TakeUpdates()));
        charts.ToggleLearningRateLine(2);
        Assert.False(charts.LearningRateLegend[2].Hidden);
        charts.LearningRates.TakeUpdates();

        charts.ShowLearningRateFactors(true);

        Assert.IsType<ChartUpdate.Full>(Assert.Single(charts.LearningRates.TakeUpdates()));
        Assert.Equal([1.0, 1.5], ((Scatter)charts.LearningRates.Traces[1]).Y.Cast<double>().Select(v => Math.Round(v, 12)));
        Assert.Equal("× global LR, during the epoch", charts.LearningRateLayout(dark: false, epochs: 10).YAxis[0].Title.Text);

        // Live epochs append factors too.
        charts.AddEpoch(Trained(3));
        charts.AddLayers(3, Layers4(3));
        var update = Assert.IsType<ChartUpdate.ExtendLines>(Assert.Single(charts.LearningRates.TakeUpdates()));
        Assert.Equal([1.0, 1.5, 0.5, 1.0], update.Y.Select(y => Math.Round((double)y[0]!, 12)));
    }

    [Fact]
    public void A_learning_rate_point_says_its_rate_factor_and_why_from_the_epoch_before()
    {
        var charts = new RunCharts([Trained(0), Trained(1), Trained(2)], [.. Layers4(0), .. Layers4(1), .. Layers4(2)]);

        Assert.Equal("conv2, epoch 2: LR 0.096 = ×1.50 the global LR 0.064. Why (assigned after epoch 1): alpha 5.00, the largest of the 2 tuned layers → s2 = 1.5 × η.",
            charts.DescribeLearningRate(trace: 1, epoch: 2));
        Assert.Equal("conv2, epoch 1: LR 0.1 = ×1.00 the global LR 0.1. Why (assigned after epoch 0): alpha 3.00, a tie across the 2 tuned layers → the midpoint (s1 + s2)/2 = 1 × η.",
            charts.DescribeLearningRate(trace: 1, epoch: 1));
        Assert.Equal("fc, epoch 1: LR 0.1 = ×1.00 the global LR 0.1. Why (assigned after epoch 0): last layer: not tuned, global LR.",
            charts.DescribeLearningRate(trace: 3, epoch: 1));
        Assert.Null(charts.DescribeLearningRate(trace: 1, epoch: 0));
        Assert.Null(charts.DescribeLearningRate(trace: 7, epoch: 1));
        Assert.Equal(0.064, charts.GlobalRateAt(2));
        Assert.Equal("TempBalance tunes 2 of 4 layers; not the first (conv1) and the last (fc), which train at the global LR.", charts.StoryOf(2)!.Tuning);
        // The story of epoch 2's own analysis (the rates for epoch 3) replays the rule on epoch 2's alphas.
        Assert.Equal(0.5, charts.AssignedAfter(2)!.Of(2)!.Factor);
    }

    [Fact]
    public void Smoothing_draws_an_exponential_average_over_faint_raw_loss_lines_and_keeps_it_going_live()
    {
        var charts = new RunCharts([Epoch(0), Epoch(1), Epoch(2)], []);
        charts.Loss.MarkReady();

        charts.SetLossSmoothing(0.5);

        Assert.IsType<ChartUpdate.Full>(Assert.Single(charts.Loss.TakeUpdates()));
        var traces = charts.Loss.Traces.Cast<Scatter>().ToList();
        Assert.Equal(6, traces.Count);
        Assert.Equal(0.3m, traces[TestTrace].Opacity);
        Assert.False(traces[TestTrace].ShowLegend);
        // Test losses 2.5, 1.25, 0.8333: TensorBoard's debiased average with weight 0.5.
        var expected = EmaSmoother.Smooth([2.5, 1.25, 2.5 / 3], 0.5);
        Assert.Equal(expected, traces[3 + TestTrace].Y.Cast<double>());
        Assert.Equal(2.5, expected[0], 12);
        Assert.Equal((0.25 * 2.5 + 0.5 * 1.25) / 0.75, expected[1], 12);

        charts.AddEpoch(Epoch(3));
        var update = Assert.IsType<ChartUpdate.ExtendLines>(Assert.Single(charts.Loss.TakeUpdates()));
        Assert.Contains(3 + TestTrace, update.Indices);
        Assert.Equal(EmaSmoother.Smooth([2.5, 1.25, 2.5 / 3, 2.5 / 4], 0.5)[^1], (double)update.Y[Array.IndexOf(update.Indices, 3 + TestTrace)][0]!, 12);

        charts.SetLossSmoothing(0);
        Assert.Empty(((Scatter)charts.Loss.Traces[3 + TestTrace]).X);
        Assert.Null(((Scatter)charts.Loss.Traces[TestTrace]).Opacity);
    }
}
