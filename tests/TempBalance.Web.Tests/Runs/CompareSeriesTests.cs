using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Runs;

public class CompareSeriesTests
{
    static EpochPoint Epoch(int epoch, double? testAccuracy, double? lr = null, double? trainLoss = null) =>
        new(epoch, trainLoss, null, null, testAccuracy, lr, 1, 0, []);

    static LayerPoint Layer(int epoch, int index, double? alpha, double? j) =>
        new(epoch, index, $"conv{index}", "Conv2d", 64, alpha, null, null, null, null, epoch == 0 ? null : 0.01 * (index + 1), 0.01, true, null, j);

    [Fact]
    public void A_runs_curve_keeps_finite_values_in_epoch_order()
    {
        var epochs = new[] { Epoch(0, 0.1, null, null), Epoch(2, 0.6, 0.02, double.NaN), Epoch(1, 0.5, 0.05, 1.2) };

        var accuracy = CompareSeries.Of(CompareMetric.TestAccuracy, epochs);
        var lr = CompareSeries.Of(CompareMetric.LearningRate, epochs);
        var loss = CompareSeries.Of(CompareMetric.TrainLoss, epochs);

        Assert.Equal([0.0, 1, 2], accuracy.X);
        Assert.Equal([0.1, 0.5, 0.6], accuracy.Y);
        Assert.Equal([1.0, 2], lr.X); // epoch 0 trains nothing, so it has no learning rate
        Assert.Equal([1.0], loss.X); // a diverged (NaN) epoch is a gap
    }

    [Fact]
    public void Per_layer_metrics_follow_the_chosen_layer()
    {
        var layers = new[] { Layer(0, 0, 5, 1.0), Layer(0, 1, 6, 1.1), Layer(1, 0, 4, 1.2), Layer(1, 1, null, 1.3) };

        Assert.Equal([6.0], CompareSeries.Of(CompareMetric.LayerAlpha, [], layers, layer: 1).Y);
        Assert.Equal([1.1, 1.3], CompareSeries.Of(CompareMetric.LayerJ, [], layers, layer: 1).Y);
        Assert.Equal([1.0], CompareSeries.Of(CompareMetric.LayerLearningRate, [], layers, layer: 0).X);
        Assert.True(CompareMetric.LayerJ.IsPerLayer());
        Assert.False(CompareMetric.TestLoss.IsPerLayer());
    }

    [Fact]
    public void The_band_is_mean_plus_minus_one_sample_std_where_at_least_two_runs_have_the_epoch()
    {
        var runs = new[]
        {
            new Series([0, 1, 2], [0.10, 0.50, 0.70]),
            new Series([0, 1], [0.20, 0.60]),
            new Series([0, 1], [0.30, 0.70]),
        };

        var band = CompareSeries.MeanBand(runs);

        Assert.Equal([0.0, 1], band.X); // epoch 2 only the first run has reached
        Assert.Equal([3, 3], band.Count);
        Assert.Equal(0.2, band.Mean[0], 12);
        Assert.Equal(0.6, band.Mean[1], 12);
        Assert.Equal(0.5, band.Lower[1], 12);
        Assert.Equal(0.7, band.Upper[1], 12);
        Assert.Empty(CompareSeries.MeanBand([runs[0]]).X);
    }
}
