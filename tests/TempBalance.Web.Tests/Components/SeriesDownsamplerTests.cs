using TempBalance.Web.Components.Charts;

namespace TempBalance.Web.Tests.Components;

public class SeriesDownsamplerTests
{
    [Fact]
    public void Keeps_every_bucket_extreme_including_single_spikes()
    {
        var n = 10_000;
        var xs = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        var ys = xs.Select(x => Math.Sin(x / 500)).ToArray();
        ys[1234] = 50;   // a one-point spike
        ys[7777] = -40;  // a one-point dip

        var result = SeriesDownsampler.MinMax(xs, ys, buckets: 100);

        Assert.InRange(result.X.Length, 100, 2 * 100 + 2);
        Assert.Contains(1234.0, result.X);
        Assert.Contains(7777.0, result.X);
        Assert.Equal(50, result.Y.Max());
        Assert.Equal(-40, result.Y.Min());
        Assert.Equal(0, result.X[0]);
        Assert.Equal(n - 1, result.X[^1]);
        Assert.True(result.X.Zip(result.X.Skip(1)).All(p => p.First < p.Second), "x must stay strictly ascending");
        // Every kept point is a real point of the input, with its own y.
        Assert.All(result.X.Zip(result.Y), p => Assert.Equal(ys[(int)p.First], p.Second));
    }

    [Fact]
    public void Each_bucket_contributes_its_min_and_max()
    {
        // 4 buckets of 5 points; each bucket's min and max are known.
        double[] ys = [3, 1, 4, 1.5, 5, /**/ 9, 2, 6, 5, 3, /**/ 5, 8, 9, 7, 9.5, /**/ 3, 2, 3, 8, 4];
        var xs = Enumerable.Range(0, ys.Length).Select(i => (double)i).ToArray();

        var result = SeriesDownsampler.MinMax(xs, ys, buckets: 4);

        // first point, then per bucket (min, max in x order), then last point.
        Assert.Equal([0, 1, 4, 5, 6, 10, 14, 16, 18, 19], result.X);
        Assert.Equal([3, 1, 5, 9, 2, 5, 9.5, 2, 8, 4], result.Y);
    }

    [Fact]
    public void Short_series_come_back_whole()
    {
        double[] xs = [1, 2, 3, 4];
        double[] ys = [4, 3, 2, 1];
        var result = SeriesDownsampler.MinMax(xs, ys, buckets: 2);
        Assert.Equal(xs, result.X);
        Assert.Equal(ys, result.Y);
    }

    [Fact]
    public void NaN_does_not_hide_the_real_extremes()
    {
        var ys = Enumerable.Range(0, 100).Select(i => i % 7 == 0 ? double.NaN : i).ToArray();
        var xs = Enumerable.Range(0, 100).Select(i => (double)i).ToArray();
        var result = SeriesDownsampler.MinMax(xs, ys, buckets: 10);
        Assert.Equal(99, result.Y.Where(double.IsFinite).Max());
        Assert.Equal(1, result.Y.Where(double.IsFinite).Min());
    }

    [Fact]
    public void Mismatched_lengths_are_rejected_with_a_clear_message()
    {
        var ex = Assert.Throws<ArgumentException>(() => SeriesDownsampler.MinMax([1, 2, 3], [1, 2], 1));
        Assert.Contains("xs has 3 values but ys has 2", ex.Message);
    }
}
