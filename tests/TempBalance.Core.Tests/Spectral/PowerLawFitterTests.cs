using TempBalance.Core.Scheduling;
using TempBalance.Core.Spectral;

namespace TempBalance.Core.Tests.Spectral;

public class PowerLawFitterTests
{
    const double Tolerance = 1e-9;

    static double[] Range(int count, Func<int, double> f) => Enumerable.Range(1, count).Select(f).ToArray();

    [Fact]
    public void Median_fit_of_one_to_ten_matches_the_golden_values()
    {
        var fit = PowerLawFitter.Fit(Range(10, k => k), XminRule.Median);

        Assert.True(fit.Succeeded);
        Assert.Equal(5, fit.XminIndex);
        Assert.Equal(6, fit.Xmin);
        Assert.Equal(5, fit.TailSize);
        Assert.Equal(4.6815503585, fit.Alpha, Tolerance);
        Assert.Equal(0.2532378001, fit.D, Tolerance);
        Assert.Equal((fit.Alpha - 1) / Math.Sqrt(5), fit.Sigma, 12);
    }

    [Fact]
    public void Median_fit_of_squares_matches_the_golden_values()
    {
        var fit = PowerLawFitter.Fit(Range(20, k => k * k), XminRule.Median);

        Assert.Equal(10, fit.XminIndex);
        Assert.Equal(121, fit.Xmin);
        Assert.Equal(2.5373966384, fit.Alpha, Tolerance);
        Assert.Equal(0.2236124002, fit.D, Tolerance);
    }

    [Fact]
    public void Ks_fit_of_squares_matches_the_golden_values()
    {
        var fit = PowerLawFitter.Fit(Range(20, k => k * k), XminRule.Ks);

        Assert.True(fit.Succeeded);
        Assert.Equal(12, fit.XminIndex);
        Assert.Equal(169, fit.Xmin);
        Assert.Equal(3.1872180987, fit.Alpha, Tolerance);
        Assert.Equal(0.2217929807, fit.D, Tolerance);
    }

    [Fact]
    public void Xmin_pos_moves_the_median_index()
    {
        var fit = PowerLawFitter.Fit(Range(20, k => k * k), XminRule.Median, xminPos: 4);
        Assert.Equal(5, fit.XminIndex);
        Assert.Equal(36, fit.Xmin);
    }

    /// <summary>Samples of a density ~ x^-alpha above xmin: x = xmin * U^(-1/(alpha-1)).</summary>
    static double[] ParetoSample(int count, double alpha, int seed)
    {
        var random = new Random(seed);
        var x = new double[count];
        for (int k = 0; k < count; k++) x[k] = 0.1 * Math.Pow(1 - random.NextDouble(), -1 / (alpha - 1));
        Array.Sort(x);
        return x;
    }

    [Theory]
    [InlineData(2.5)]
    [InlineData(4.0)]
    public void Median_fit_recovers_the_exponent_of_a_large_pareto_sample(double alpha)
    {
        var fit = PowerLawFitter.Fit(ParetoSample(200_000, alpha, seed: 7), XminRule.Median);
        // Standard error (alpha - 1)/sqrt(100000) is below 0.01; allow five of them.
        Assert.InRange(fit.Alpha, alpha - 0.05, alpha + 0.05);
        Assert.True(fit.D < 0.01, $"D = {fit.D}");
    }

    [Fact]
    public void Ks_fit_recovers_the_exponent_and_xmin_of_a_pareto_tail_above_a_uniform_bulk()
    {
        var random = new Random(11);
        var bulk = Enumerable.Range(0, 5_000).Select(_ => 0.1 + 0.9 * random.NextDouble());
        var tail = ParetoSample(20_000, 3.0, seed: 3).Select(x => x * 10); // xmin = 1
        var values = bulk.Concat(tail).OrderBy(x => x).ToArray();

        var fit = PowerLawFitter.Fit(values, XminRule.Ks);

        Assert.InRange(fit.Alpha, 2.9, 3.1);
        Assert.InRange(fit.Xmin, 0.95, 1.3);
    }

    /// <summary>The O(N^2) scan straight from the method doc.</summary>
    static (int Index, double Alpha, double D) BruteForceKs(double[] s)
    {
        int count = s.Length, best = -1;
        double bestD = double.PositiveInfinity, bestAlpha = 0;
        for (int i = 0; i < count - 1; i++)
        {
            int n = count - i;
            double sum = 0;
            for (int j = i; j < count; j++) sum += Math.Log(s[j] / s[i]);
            double alpha = 1 + n / sum, d = 0;
            for (int j = 0; j < n; j++) d = Math.Max(d, Math.Abs(1 - Math.Pow(s[i + j] / s[i], 1 - alpha) - (double)j / n));
            if (d < bestD) { bestD = d; bestAlpha = alpha; best = i; }
        }
        return (best, bestAlpha, bestD);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Ks_scan_equals_the_brute_force_scan(int seed)
    {
        var random = new Random(seed);
        // Marchenko-Pastur-like bulk from a random matrix plus a few spikes: a realistic ESD shape.
        var values = Enumerable.Range(0, 600).Select(_ => Math.Exp(random.NextDouble() * 2 - 1) * (seed == 2 ? 1 : random.NextDouble()))
            .Concat(Enumerable.Range(0, 20).Select(k => 5.0 + k * random.NextDouble() * 3))
            .OrderBy(x => x).ToArray();

        var fit = PowerLawFitter.Fit(values, XminRule.Ks);
        var expected = BruteForceKs(values);

        Assert.Equal(expected.Index, fit.XminIndex);
        Assert.Equal(expected.Alpha, fit.Alpha, 1e-9);
        Assert.Equal(expected.D, fit.D, 1e-12);
    }

    [Fact]
    public void Peak_fit_only_tries_xmins_up_to_one_and_a_half_times_the_histogram_peak()
    {
        var random = new Random(5);
        // Bulk concentrated around 1 with a power-law tail far above it.
        var bulk = Enumerable.Range(0, 3_000).Select(_ => 0.8 + 0.4 * random.NextDouble());
        var tail = ParetoSample(300, 2.5, seed: 9).Select(x => x * 30);
        var values = bulk.Concat(tail).OrderBy(x => x).ToArray();

        var fit = PowerLawFitter.Fit(values, XminRule.Peak);

        Assert.True(fit.Succeeded);
        Assert.True(fit.Xmin <= 1.5 * 1.2, $"xmin {fit.Xmin}");
        Assert.True(fit.D > 0 && fit.Alpha > 1);
    }

    [Fact]
    public void Reference_peak_lower_bound_drops_candidates_below_log10_of_the_peak()
    {
        // Peak near 50: the reference bound is log10(0.95 * 50) = 1.68 compared against linear values, so 0.5 and 0.6 are no candidates.
        var values = new[] { 0.5, 0.6 }
            .Concat(Enumerable.Range(0, 40).Select(k => 50 + 0.01 * k))
            .Concat(ParetoSample(30, 2.0, seed: 4).Select(x => x * 1000))
            .OrderBy(x => x).ToArray();

        var plain = PowerLawFitter.Fit(values, XminRule.Peak);
        var reference = PowerLawFitter.Fit(values, XminRule.Peak, referencePeakLowerBound: true);

        Assert.True(plain.Succeeded);
        Assert.True(reference.Xmin >= Math.Log10(0.95 * 50) && reference.Xmin <= 75, $"xmin {reference.Xmin}");
    }

    [Fact]
    public void Zero_eigenvalues_in_the_tail_fail_with_a_reason_instead_of_nan()
    {
        var fit = PowerLawFitter.Fit(new double[] { 0, 0, 0, 0, 0, 0, 1, 2 }, XminRule.Median);

        Assert.False(fit.Succeeded);
        Assert.Contains("not positive", fit.Error);
        Assert.Equal(0, fit.Alpha);
        Assert.Equal(0, fit.D);
        Assert.Equal(-1, fit.XminIndex);
    }

    [Fact]
    public void A_tail_shorter_than_two_fails()
    {
        Assert.False(PowerLawFitter.Fit(new double[] { 1, 2, 3 }, XminRule.Median, xminPos: 1).Succeeded);
        Assert.False(PowerLawFitter.Fit(new double[] { 4 }, XminRule.Ks).Succeeded);
        Assert.False(PowerLawFitter.Fit(Array.Empty<double>(), XminRule.Median).Succeeded);
    }

    [Fact]
    public void Equal_tail_eigenvalues_and_non_finite_values_fail()
    {
        Assert.Contains("equal", PowerLawFitter.Fit(new double[] { 1, 2, 2, 2 }, XminRule.Median).Error);
        Assert.False(PowerLawFitter.Fit(new double[] { 3, 3, 3, 3 }, XminRule.Ks).Succeeded);
        Assert.False(PowerLawFitter.Fit(new double[] { 1, 2, double.NaN }, XminRule.Median).Succeeded);
        Assert.False(PowerLawFitter.Fit(new double[] { 0, 0, 0 }, XminRule.Peak).Succeeded);
    }

    [Fact]
    public void Ks_scan_skips_zero_eigenvalues()
    {
        var values = new double[] { 0, 0 }.Concat(Range(20, k => k * k)).ToArray();
        var fit = PowerLawFitter.Fit(values, XminRule.Ks);
        Assert.True(fit.Succeeded);
        Assert.Equal(169, fit.Xmin);
        Assert.Equal(3.1872180987, fit.Alpha, Tolerance);
    }
}
