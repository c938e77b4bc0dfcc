namespace TempBalance.Web.Runs;

/// <summary>What Compare draws against the epoch. The Layer* metrics are of one chosen layer.</summary>
public enum CompareMetric { TestAccuracy, TrainAccuracy, TestLoss, TrainLoss, LearningRate, LayerAlpha, LayerLearningRate, LayerJ }

/// <summary>One curve: y at each epoch x, in epoch order, finite values only.</summary>
public sealed record Series(IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>A group's mean curve and its ±1 standard-deviation band, at the epochs at least two of its runs have.</summary>
public sealed record Band(IReadOnlyList<double> X, IReadOnlyList<double> Mean, IReadOnlyList<double> Lower, IReadOnlyList<double> Upper, IReadOnlyList<int> Count);

/// <summary>The curves Compare overlays, and how a group's curves are averaged.</summary>
public static class CompareSeries
{
    public static bool IsPerLayer(this CompareMetric metric) => metric is CompareMetric.LayerAlpha or CompareMetric.LayerLearningRate or CompareMetric.LayerJ;

    public static string Title(this CompareMetric metric) => metric switch
    {
        CompareMetric.TestAccuracy => "Test accuracy",
        CompareMetric.TrainAccuracy => "Train accuracy",
        CompareMetric.TestLoss => "Test loss",
        CompareMetric.TrainLoss => "Train loss",
        CompareMetric.LearningRate => "Learning rate",
        CompareMetric.LayerAlpha => "Layer alpha",
        CompareMetric.LayerLearningRate => "Layer learning rate",
        CompareMetric.LayerJ => "Layer J",
        _ => metric.ToString(),
    };

    /// <summary>
    /// One run's curve of <paramref name="metric"/>: from its epochs, or for a per-layer metric from its layer rows of
    /// layer <paramref name="layer"/>. Learning rates start at epoch 1 (epoch 0 trains nothing); missing and
    /// non-finite values (a diverged epoch) are left out.
    /// </summary>
    public static Series Of(CompareMetric metric, IReadOnlyList<EpochPoint> epochs, IReadOnlyList<LayerPoint>? layers = null, int layer = 0)
    {
        IEnumerable<(int Epoch, double? Value)> points = metric switch
        {
            CompareMetric.TestAccuracy => epochs.Select(e => (e.Epoch, e.TestAccuracy)),
            CompareMetric.TrainAccuracy => epochs.Select(e => (e.Epoch, e.TrainAccuracy)),
            CompareMetric.TestLoss => epochs.Select(e => (e.Epoch, e.TestLoss)),
            CompareMetric.TrainLoss => epochs.Select(e => (e.Epoch, e.TrainLoss)),
            CompareMetric.LearningRate => epochs.Select(e => (e.Epoch, e.LearningRate)),
            CompareMetric.LayerAlpha => OfLayer(layers, layer, l => l.Alpha),
            CompareMetric.LayerLearningRate => OfLayer(layers, layer, l => l.LearningRate),
            CompareMetric.LayerJ => OfLayer(layers, layer, l => l.J),
            _ => [],
        };
        var finite = points.Where(p => p.Value is { } v && double.IsFinite(v)).OrderBy(p => p.Epoch).ToList();
        return new Series([.. finite.Select(p => (double)p.Epoch)], [.. finite.Select(p => p.Value!.Value)]);
    }

    static IEnumerable<(int, double?)> OfLayer(IReadOnlyList<LayerPoint>? layers, int layer, Func<LayerPoint, double?> value) =>
        (layers ?? []).Where(l => l.LayerIndex == layer).Select(l => (l.Epoch, value(l)));

    /// <summary>
    /// Mean and sample standard deviation (n - 1) across the runs at each epoch that at least two of them have; an
    /// epoch only one run has reached (the others still training) has no spread to show, so the band stops there.
    /// </summary>
    public static Band MeanBand(IReadOnlyList<Series> runs)
    {
        var byEpoch = runs.SelectMany(r => r.X.Zip(r.Y)).GroupBy(p => p.First).Where(g => g.Count() >= 2).OrderBy(g => g.Key);
        List<double> x = [], mean = [], lower = [], upper = [];
        List<int> count = [];
        foreach (var epoch in byEpoch)
        {
            var stats = MeanStd.Of(epoch.Select(p => (double?)p.Second))!.Value;
            x.Add(epoch.Key);
            mean.Add(stats.Mean);
            lower.Add(stats.Mean - stats.Std);
            upper.Add(stats.Mean + stats.Std);
            count.Add(stats.Count);
        }
        return new Band(x, mean, lower, upper, count);
    }
}
