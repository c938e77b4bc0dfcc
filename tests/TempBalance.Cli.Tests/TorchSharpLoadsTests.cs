using TorchSharp;

namespace TempBalance.Cli.Tests;

public class TorchSharpLoadsTests
{
    [Fact]
    public void Cli_output_loads_libtorch_and_computes_singular_values()
    {
        using var scope = torch.NewDisposeScope();
        var m = torch.tensor(new double[] { 2, 0, 0, 0, 3, 0 }, torch.float64).reshape(2, 3);
        var s = torch.linalg.svdvals(m).data<double>().ToArray();
        Assert.Equal(3.0, s[0], 12);
        Assert.Equal(2.0, s[1], 12);
    }
}
