using TempBalance.Core.Spectral;
using TempBalance.Core.Training;

namespace TempBalance.Core.Tests.Spectral;

public class EsdHistogramBuilderTests
{
    [Fact]
    public void Bins_positive_values_on_a_log10_axis_and_drops_the_rest()
    {
        var histogram = EsdHistogramBuilder.Build([0, -1, 1, 10, 100, 1000], bins: 3);

        Assert.Equal([0, 1, 2, 3], histogram.Log10BinEdges.Select(e => Math.Round(e, 12)));
        Assert.Equal([1, 1, 2], histogram.Counts);
    }

    [Fact]
    public void Empty_and_single_valued_inputs_stay_drawable()
    {
        Assert.Empty(EsdHistogramBuilder.Build([0, 0]).Counts);
        var single = EsdHistogramBuilder.Build([5, 5, 5]);
        Assert.Equal([3], single.Counts);
        Assert.Equal(Math.Log10(5) - 0.5, single.Log10BinEdges[0], 12);
    }

    [Fact]
    public void Densities_are_counts_per_unit_eigenvalue_and_integrate_to_one()
    {
        // Bins [0.1, 1) and [1, 10): 1 and 3 of 4 eigenvalues.
        var histogram = new EsdHistogram([-1, 0, 1], [1, 3]);

        var densities = histogram.Densities();

        Assert.Equal(1 / (4 * 0.9), densities[0], 12);
        Assert.Equal(3 / (4 * 9.0), densities[1], 12);
        Assert.Equal(1, densities[0] * 0.9 + densities[1] * 9, 12);
        Assert.Equal([0.0, 0.0], new EsdHistogram([0, 1, 2], [0, 0]).Densities());
    }
}
