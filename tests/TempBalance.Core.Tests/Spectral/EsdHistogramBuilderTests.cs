using TempBalance.Core.Spectral;

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
}
