namespace TempBalance.Web.Components.Charts;

/// <summary>A series reduced for drawing: x ascending, as plain arrays ready for Plotly.</summary>
public sealed record DownsampledSeries(double[] X, double[] Y);

/// <summary>
/// Shrinks long series before they leave the server. Each bucket keeps its smallest and its largest point
/// (in x order), so spikes and dips survive; random or reservoir sampling would hide them.
/// </summary>
public static class SeriesDownsampler
{
    /// <summary>
    /// Splits the points into <paramref name="buckets"/> runs of equal count and keeps each run's minimum and
    /// maximum, plus the very first and last point. Series with at most 2 * buckets points come back whole.
    /// NaN values are skipped when picking extremes (a bucket of only NaN keeps its first point).
    /// </summary>
    public static DownsampledSeries MinMax(IReadOnlyList<double> xs, IReadOnlyList<double> ys, int buckets)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(buckets, 1);
        if (xs.Count != ys.Count)
            throw new ArgumentException($"xs has {xs.Count} values but ys has {ys.Count}; they must pair up.");

        var n = xs.Count;
        if (n <= 2 * buckets) return new DownsampledSeries([.. xs], [.. ys]);

        var keep = new List<int>(2 * buckets + 2) { 0 };
        for (var b = 0; b < buckets; b++)
        {
            var start = (int)((long)b * n / buckets);
            var end = (int)((long)(b + 1) * n / buckets);
            int min = -1, max = -1;
            for (var i = start; i < end; i++)
            {
                var y = ys[i];
                if (double.IsNaN(y)) continue;
                if (min < 0 || y < ys[min]) min = i;
                if (max < 0 || y > ys[max]) max = i;
            }
            if (min < 0) { Add(keep, start); continue; }
            Add(keep, Math.Min(min, max));
            Add(keep, Math.Max(min, max));
        }
        Add(keep, n - 1);

        var x = new double[keep.Count];
        var yOut = new double[keep.Count];
        for (var k = 0; k < keep.Count; k++)
        {
            x[k] = xs[keep[k]];
            yOut[k] = ys[keep[k]];
        }
        return new DownsampledSeries(x, yOut);
    }

    static void Add(List<int> keep, int index)
    {
        if (keep[^1] != index) keep.Add(index);
    }
}
