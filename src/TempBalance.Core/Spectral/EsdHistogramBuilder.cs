using TempBalance.Core.Training;

namespace TempBalance.Core.Spectral;

/// <summary>Bins eigenvalues on a log10 axis for ESD plots.</summary>
public static class EsdHistogramBuilder
{
    /// <summary>
    /// Equal-width bins over [log10 min, log10 max] of the positive, finite eigenvalues (zeros and negatives
    /// have no logarithm and are dropped). No positive values gives an empty histogram; a single distinct
    /// value gives one bin of width 1 centred on it.
    /// </summary>
    public static EsdHistogram Build(double[] eigenvalues, int bins = 60)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        var logs = eigenvalues.Where(e => e > 0 && double.IsFinite(e)).Select(Math.Log10).ToArray();
        if (logs.Length == 0) return new EsdHistogram([], []);
        double lo = logs.Min(), hi = logs.Max();
        if (hi == lo) return new EsdHistogram([lo - 0.5, lo + 0.5], [logs.Length]);

        var edges = new double[bins + 1];
        for (int b = 0; b <= bins; b++) edges[b] = lo + (hi - lo) * b / bins;
        var counts = new int[bins];
        foreach (var x in logs) counts[Math.Min((int)((x - lo) / (hi - lo) * bins), bins - 1)]++;
        return new EsdHistogram(edges, counts);
    }
}
