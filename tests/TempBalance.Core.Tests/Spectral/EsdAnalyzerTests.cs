using TempBalance.Core.Scheduling;
using TempBalance.Core.Spectral;
using TorchSharp;
using static TorchSharp.torch;

namespace TempBalance.Core.Tests.Spectral;

public class EsdAnalyzerTests
{
    const double Tolerance = 1e-9;

    /// <summary>The method doc's conv example: [out=2, in=2, kh=1, kw=2], W[o][c][0][j].</summary>
    static Tensor GoldenConvWeight() => tensor(new double[] { 1, 0.5, 2, -1, 0, 3, 1, 1 }, float64).reshape(2, 2, 1, 2);

    [Fact]
    public void Conv_weight_gives_the_golden_eigenvalues_and_metrics()
    {
        using var scope = NewDisposeScope();
        var spectrum = EsdAnalyzer.AnalyzeWeight(3, "golden", GoldenConvWeight(), new TempBalanceOptions());

        Assert.Equal(LayerKind.Conv2d, spectrum.Kind);
        Assert.Equal(3, spectrum.Index);
        Assert.Equal(4, spectrum.EigsNum);
        double[] expected = [0.0857864376, 0.6107606308, 2.9142135624, 5.0142393692];
        for (int k = 0; k < 4; k++) Assert.Equal(expected[k], spectrum.Eigenvalues[k], Tolerance);
        Assert.Equal(4.6854012823, spectrum.Fit.Alpha, Tolerance);
        Assert.Equal(0.3646647168, spectrum.Fit.D, Tolerance);
        Assert.Equal(5.0142393692, spectrum.SpectralNorm, Tolerance);
        Assert.Equal(8.625, spectrum.Norm, Tolerance);
        Assert.Equal(3.2807416974, spectrum.AlphaWeighted!.Value, Tolerance);
        Assert.Equal(Math.Log10(8.625), spectrum.LogNorm, Tolerance);
        Assert.Equal(8.625 / 5.0142393692, spectrum.StableRank, Tolerance);
        Assert.Equal(Math.Log10(expected.Sum(e => Math.Pow(e, 4.6854012823))), spectrum.LogAlphaNorm!.Value, 1e-8);
        Assert.Equal(HtsrLabel.WellTrained, spectrum.Label);
    }

    [Fact]
    public void Float32_weights_give_the_same_golden_alpha()
    {
        using var scope = NewDisposeScope();
        var spectrum = EsdAnalyzer.AnalyzeWeight(0, "golden", GoldenConvWeight().to(float32), new TempBalanceOptions());
        // The weights are exact in float32; the eigenvalues are still computed in float64.
        Assert.Equal(4.6854012823, spectrum.Fit.Alpha, Tolerance);
    }

    [Fact]
    public void Eigenvalues_equal_squared_singular_values_of_each_kernel_position()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var weight = randn(24, 16, 3, 3, dtype: float64);
        var spectrum = EsdAnalyzer.AnalyzeWeight(0, "conv", weight, new TempBalanceOptions { ConvNorm = 1 });

        var expected = square(linalg.svdvals(weight.permute(2, 3, 0, 1))).flatten().sort().Values.data<double>().ToArray();
        Assert.Equal(9 * 16, spectrum.EigsNum);
        for (int k = 0; k < expected.Length; k++) Assert.Equal(expected[k], spectrum.Eigenvalues[k], 1e-9 * expected[^1]);
    }

    [Fact]
    public void Alpha_does_not_change_when_the_weight_is_scaled()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var weight = randn(64, 48, dtype: float64);
        var options = new TempBalanceOptions();
        var baseline = EsdAnalyzer.AnalyzeWeight(0, "fc", weight, options);

        foreach (var factor in new[] { 1e-3, 0.5, 7.0, 1e3 })
        {
            var scaled = EsdAnalyzer.AnalyzeWeight(0, "fc", weight * factor, options);
            Assert.Equal(baseline.Fit.Alpha, scaled.Fit.Alpha, 1e-8);
            Assert.Equal(baseline.Fit.D, scaled.Fit.D, 1e-8);
            Assert.Equal(baseline.SpectralNorm * factor * factor, scaled.SpectralNorm, 1e-8 * scaled.SpectralNorm);
        }
    }

    [Fact]
    public void Float32_eigenvalues_stay_close_to_the_float64_result()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var weight = randn(128, 96, 3, 3);
        var exact = EsdAnalyzer.AnalyzeWeight(0, "conv", weight, new TempBalanceOptions());
        var fast = EsdAnalyzer.AnalyzeWeight(0, "conv", weight, new TempBalanceOptions { Float32Eigenvalues = true });

        Assert.Equal(exact.EigsNum, fast.EigsNum);
        Assert.Equal(exact.Fit.Alpha, fast.Fit.Alpha, 1e-5 * exact.Fit.Alpha);
        Assert.Equal(exact.SpectralNorm, fast.SpectralNorm, 1e-5 * exact.SpectralNorm);
    }

    sealed class SmallNet : nn.Module<Tensor, Tensor>
    {
        readonly TorchSharp.Modules.Conv2d stem = nn.Conv2d(3, 8, 3, bias: false);
        readonly TorchSharp.Modules.BatchNorm2d bn = nn.BatchNorm2d(8);
        readonly TorchSharp.Modules.Sequential body = nn.Sequential(("conv", nn.Conv2d(8, 8, 3)), ("relu", nn.ReLU()), ("proj", nn.Conv2d(8, 16, 1)));
        readonly TorchSharp.Modules.Linear head = nn.Linear(16, 10);

        public SmallNet() : base(nameof(SmallNet)) => RegisterComponents();

        public override Tensor forward(Tensor x) => head.forward(body.forward(bn.forward(stem.forward(x))).mean([2, 3]));
    }

    [Fact]
    public void Analyses_conv_and_linear_layers_in_registration_order_with_dotted_names()
    {
        using var scope = NewDisposeScope();
        var model = new SmallNet();

        var layers = EsdAnalyzer.AnalysedLayers(model);
        var spectra = EsdAnalyzer.Analyze(model, new TempBalanceOptions());

        Assert.Equal(["stem", "body.conv", "body.proj", "head"], layers.Select(l => l.Name));
        Assert.Equal([LayerKind.Conv2d, LayerKind.Conv2d, LayerKind.Conv2d, LayerKind.Linear], layers.Select(l => l.Kind));
        Assert.Equal(["stem", "body.conv", "body.proj", "head"], spectra.Select(s => s.Name));
        Assert.Equal([0, 1, 2, 3], spectra.Select(s => s.Index));
        Assert.Equal([9 * 3, 9 * 8, 8, 10], spectra.Select(s => s.EigsNum));
        Assert.All(spectra, s => Assert.True(s.Fit.Succeeded, s.Fit.Error));
    }

    [Fact]
    public void Non_finite_and_zero_weights_give_flagged_failures()
    {
        using var scope = NewDisposeScope();
        var options = new TempBalanceOptions();
        var nan = EsdAnalyzer.AnalyzeWeight(0, "nan", full(4, 4, double.NaN, float64), options);
        var zero = EsdAnalyzer.AnalyzeWeight(1, "zero", zeros(4, 4, float64), options);

        Assert.False(nan.Fit.Succeeded);
        Assert.Contains("NaN", nan.Fit.Error);
        Assert.Equal(HtsrLabel.Unknown, nan.Label);
        Assert.False(zero.Fit.Succeeded);
        Assert.Null(zero.AlphaWeighted);
        Assert.Equal(HtsrLabel.Unknown, zero.Label);
    }

    [Fact]
    public void Near_zero_filter_drops_tiny_eigenvalues_before_the_fit_only()
    {
        using var scope = NewDisposeScope();
        // Eigenvalues [0 x5, 1, 4, 9]: unfiltered the median xmin is 0 (a failed fit); filtered it fits [4, 9] of [1, 4, 9].
        var weight = diag(tensor(new double[] { 1, 2, 3, 0, 0, 0, 0, 0 }, float64));

        var unfiltered = EsdAnalyzer.AnalyzeWeight(0, "w", weight, new TempBalanceOptions());
        var filtered = EsdAnalyzer.AnalyzeWeight(0, "w", weight, new TempBalanceOptions { FilterNearZero = true });

        Assert.False(unfiltered.Fit.Succeeded);
        Assert.True(filtered.Fit.Succeeded, filtered.Fit.Error);
        Assert.Equal(4, filtered.Fit.Xmin, 12);
        Assert.Equal(8, filtered.EigsNum);
    }
}
