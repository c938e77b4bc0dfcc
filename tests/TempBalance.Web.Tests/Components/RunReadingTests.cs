using TempBalance.Web.Components.Charts;
using TempBalance.Web.Components.Runs;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Components;

public class RunReadingTests
{
    [Theory]
    [InlineData(64, 1.5, "heavy-tailed")]
    [InlineData(64, 2.0, "well-trained")]
    [InlineData(64, 6.0, "well-trained")]
    [InlineData(64, 6.01, "under-trained")]
    [InlineData(64, null, "no fit")]
    [InlineData(64, double.NaN, "no fit")]
    [InlineData(9, 7.05, "too few eigenvalues to judge")]
    [InlineData(10, 7.05, "under-trained")]
    public void Alpha_reads_as_its_HT_SR_label_when_there_are_enough_eigenvalues(int eigenvalues, double? alpha, string label) =>
        Assert.Equal(label, HtsrLabelText.For(eigenvalues, alpha));

    [Theory]
    [InlineData(0.0375, "0.0375")]
    [InlineData(0.000462121, "0.00046")]
    [InlineData(3.2e-7, "3.2e-07")]
    [InlineData(0.0, "0")]
    [InlineData(null, "–")]
    public void Learning_rates_read_with_up_to_five_decimals_and_tiny_ones_in_powers_of_ten(double? rate, string text) =>
        Assert.Equal(text, RunFormat.Rate(rate));

    [Fact]
    public void Smoothing_is_TensorBoards_debiased_moving_average()
    {
        // m: 0.5, 1.25, 2.125, debiased by 1 - 0.5^n: 1, 5/3, 17/7. NaN passes through and leaves the average alone.
        var smoothed = EmaSmoother.Smooth([1, 2, 3, double.NaN, 0], 0.5);
        Assert.Equal(1.0, smoothed[0], 12);
        Assert.Equal(5.0 / 3, smoothed[1], 12);
        Assert.Equal(17.0 / 7, smoothed[2], 12);
        Assert.True(double.IsNaN(smoothed[3]));
        Assert.Equal((0.5 * 2.125) / (1 - 0.0625), smoothed[4], 12); // the fourth finite value
        Assert.Equal([1.0, 2.0, 3.0], EmaSmoother.Smooth([1, 2, 3], 0));
    }

    [Fact]
    public void A_table_shows_this_years_dates_with_the_time_and_older_ones_with_the_year()
    {
        // Stored times are UTC and shown in local time: the inputs are local noon, whatever this machine's zone.
        static DateTime LocalNoon(int year, int month, int day) => new DateTime(year, month, day, 12, 0, 0, DateTimeKind.Local).ToUniversalTime();
        var now = LocalNoon(2026, 7, 1);
        Assert.Equal("Mar 5, 12:00", RunFormat.WhenShort(LocalNoon(2026, 3, 5), now));
        Assert.Equal("2025-03-05", RunFormat.WhenShort(LocalNoon(2025, 3, 5), now));
        Assert.Equal("–", RunFormat.WhenShort(null, now));
    }

    [Fact]
    public void Mean_and_sample_standard_deviation_over_finite_values()
    {
        var stats = MeanStd.Of([0.90, 0.92, 0.94, null, double.NaN])!.Value;
        Assert.Equal(3, stats.Count);
        Assert.Equal(0.92, stats.Mean, 12);
        Assert.Equal(0.02, stats.Std, 12);
        Assert.Equal("92.00 ± 2.00 %", stats.AsPercent());
        Assert.Equal(0, MeanStd.Of([0.5])!.Value.Std);
        Assert.Null(MeanStd.Of([null]));
    }

    [Fact]
    public void The_fitted_power_law_sits_on_the_tail_of_the_histogram()
    {
        // 100 eigenvalues in 4 log bins over [0.1, 10); xmin = 1 starts bin 2, so the tail holds 30 + 10 of them.
        var layer = new LayerPoint(5, 0, "conv", "Conv2d", 100, Alpha: 3, D: 0.1, Xmin: 1, SpectralNorm: 10, null, 0.1, 0.1, true, null);
        var spectrum = new SpectrumView(layer, [-1, -0.5, 0, 0.5, 1], [20, 40, 30, 10]);

        var fit = EsdFigure.PowerLaw(spectrum)!;

        Assert.Equal(0.4, fit.TailShare, 12);
        Assert.Equal(1.0, fit.X[0]);
        Assert.Equal(10.0, fit.X[1], 9);
        // p(xmin) = share * (alpha - 1) / xmin, then falling as x^-alpha.
        Assert.Equal(0.4 * 2, fit.Y[0], 12);
        Assert.Equal(0.8 * Math.Pow(10, -3), fit.Y[1], 12);

        var traces = EsdFigure.Traces(spectrum);
        Assert.Equal(3, traces.Count); // histogram, fit, xmin marker
        Assert.Null(EsdFigure.PowerLaw(spectrum with { Layer = layer with { Alpha = null } }));
    }

    [Fact]
    public void Progress_counts_finished_epochs_and_the_current_epochs_batches()
    {
        Assert.Equal(0.25, EpochProgress.Fraction(4, 0, new RunProgress(1, 50, 50, 30)), 12);
        Assert.Equal(0.5 + 0.125, EpochProgress.Fraction(4, 2, new RunProgress(3, 25, 50, 30)), 12);
        Assert.Equal(0.5, EpochProgress.Fraction(4, 2, new RunProgress(2, 50, 50, 30)), 12); // stale progress of a stored epoch
        Assert.Contains("ETA 30s", EpochProgress.Describe(4, 2, new RunProgress(3, 25, 50, 30)));
    }
}
