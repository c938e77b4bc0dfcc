using TempBalance.Core.EdgeOfChaos;

namespace TempBalance.Core.Tests.EdgeOfChaos;

public class TanhGaussianTests
{
    // golden/golden_moments.py: mpmath at 30 digits. The last rows have the narrow sech spike (std 20 and 50).
    [Theory]
    [InlineData(0, 0.5, 0, 0.17351614343237185, 0.82648385656762815, 0.71737986160310995, 0, 0.1091039949645182)]
    [InlineData(0.3, 1, 0.18008925215265959, 0.41042727951312309, 0.58957272048687691, 0.44863272562985652, 0.053020042567205381, 0.14093999485702039)]
    [InlineData(1.2, 2.5, 0.34873955311467595, 0.72870565133695225, 0.27129434866304775, 0.18597415929823116, 0.023169768180427096, 0.08532018936481659)]
    [InlineData(-0.7, 5, -0.10957989760568731, 0.84444552939545187, 0.15555447060454813, 0.1046884814377835, -0.0021096219476448148, 0.050865989166764635)]
    [InlineData(2, 20, 0.079574229519703817, 0.96034506112790243, 0.039654938872097573, 0.026452950390577671, 9.8934170837859339e-5, 0.013201988481519902)]
    [InlineData(0.5, 50, 0.0079774006804896963, 0.98404573028377437, 0.015954269716225634, 0.010637242972774061, 1.5949023732590333e-6, 0.0053170267434515732)]
    public void Averages_match_high_precision_quadrature(double mean, double std, double tanh, double tanh2, double sech2, double sech4, double tanhSech2, double tanh2Sech2)
    {
        var m = TanhGaussian.Average(mean, std);
        const double Tolerance = 1e-13;
        Assert.Equal(tanh, m.Tanh, Tolerance);
        Assert.Equal(tanh2, m.Tanh2, Tolerance);
        Assert.Equal(sech2, m.Sech2, Tolerance);
        Assert.Equal(sech4, m.Sech4, Tolerance);
        Assert.Equal(tanhSech2, m.TanhSech2, Tolerance);
        Assert.Equal(tanh2Sech2, m.Tanh2Sech2, Tolerance);
    }

    [Fact]
    public void Zero_spread_gives_the_point_values()
    {
        var m = TanhGaussian.Average(0.8, 0);
        double t = Math.Tanh(0.8), s2 = 1 / (Math.Cosh(0.8) * Math.Cosh(0.8));
        Assert.Equal(t, m.Tanh, 1e-15);
        Assert.Equal(s2, m.Sech2, 1e-15);
        Assert.Equal(s2 * s2, m.Sech4, 1e-15);
        Assert.Equal(t * t * s2, m.Tanh2Sech2, 1e-15);
    }

    [Fact]
    public void Sech_terms_stay_accurate_far_in_the_saturated_tail()
    {
        // 1 - tanh^2 would round to 0 here; sech^2(30) = 4 e^-60 is about 3.5e-26.
        var m = TanhGaussian.Average(30, 0);
        Assert.Equal(4 * Math.Exp(-60), m.Sech2, 1e-30);
        Assert.True(m.Sech2 > 0);
    }

    [Theory]
    [InlineData(double.NaN, 1)]
    [InlineData(0, -1)]
    [InlineData(0, double.PositiveInfinity)]
    public void Invalid_arguments_throw(double mean, double std) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => TanhGaussian.Average(mean, std));
}
