using TempBalance.Core.Scheduling;
using TempBalance.Core.Spectral;
using static TorchSharp.torch;

namespace TempBalance.Core.Tests.Diagnosis;

public sealed class FarmsTests
{
    [Fact]
    public void Windows_have_a_fixed_aspect_ratio_and_spread_evenly()
    {
        // 256 x 4096: ten 100 x 200 windows per side, long-side starts every (4096 - 200) / 9 = 432 columns.
        var wide = FarmsSampler.Windows(256, 4096);
        Assert.Equal(100, wide.Count);
        Assert.All(wide, w => Assert.Equal((100L, 200L), (w.Rows, w.Columns)));
        Assert.Equal([0L, 432, 864, 1296, 1728, 2160, 2592, 3024, 3456, 3888], wide.Select(w => w.Column).Distinct());
        Assert.Equal([0L, 17, 34, 51, 68, 85, 102, 119, 136, 153], wide.Select(w => w.Row).Distinct());

        // A tall matrix is windowed on its transpose; a small one gets the largest m x 2m windows that fit.
        Assert.Equal(FarmsSampler.Windows(256, 4096), FarmsSampler.Windows(4096, 256));
        var small = FarmsSampler.Windows(48, 80);
        Assert.Equal(9, small.Count);
        Assert.All(small, w => Assert.Equal((40L, 80L, 0L), (w.Rows, w.Columns, w.Column)));
        Assert.Equal([new FarmsWindow(0, 0, 1, 1)], FarmsSampler.Windows(1, 1));
    }

    [Fact]
    public void Gaussian_matrices_of_different_aspect_ratios_get_nearly_equal_alphas_only_with_farms()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        long[] columns = [256, 1024, 4096];
        var weights = columns.Select(c => randn(256, c)).ToArray();
        var names = columns.Select(c => $"256x{c}").ToArray();

        var plain = EsdAnalyzer.AnalyzeWeights(names, weights, new TempBalanceOptions()).Select(s => s.Fit.Alpha).ToArray();
        var farms = EsdAnalyzer.AnalyzeWeights(names, weights, new TempBalanceOptions { Farms = true }).Select(s => s.Fit.Alpha).ToArray();

        // Without FARMS alpha grows with the aspect ratio Q = 1, 4, 16 (the Marchenko-Pastur shape changes);
        // with it, every layer is seen through 100 x 200 windows and the alphas agree to 0.6%.
        Assert.Equal([2.0997, 3.5001, 6.0251], plain.Select(a => Math.Round(a, 4)));
        Assert.Equal([2.7086, 2.7074, 2.6932], farms.Select(a => Math.Round(a, 4)));
        Assert.True(plain[1] > 1.5 * plain[0] && plain[2] > 1.5 * plain[1], $"plain alphas {string.Join(", ", plain)}");
        Assert.True(farms.Max() - farms.Min() < 0.01 * farms.Average(), $"FARMS alphas {string.Join(", ", farms)}");
    }
}
