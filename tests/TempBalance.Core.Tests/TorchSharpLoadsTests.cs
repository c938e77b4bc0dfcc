using TorchSharp;

namespace TempBalance.Core.Tests;

public class TorchSharpLoadsTests
{
    [Fact]
    public void Singular_values_of_a_fixed_matrix_are_exact()
    {
        using var scope = torch.NewDisposeScope();
        // [[3, 0], [4, 5]] has singular values sqrt(45) and sqrt(5): sigma1^2 + sigma2^2 = 50, sigma1*sigma2 = 15.
        var m = torch.tensor(new double[] { 3, 0, 4, 5 }, torch.float64).reshape(2, 2);
        var s = torch.linalg.svdvals(m).data<double>().ToArray();
        Assert.Equal(Math.Sqrt(45), s[0], 12);
        Assert.Equal(Math.Sqrt(5), s[1], 12);
    }
}
