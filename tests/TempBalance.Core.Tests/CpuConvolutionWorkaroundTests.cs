using TempBalance.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace TempBalance.Core.Tests;

public class CpuConvolutionWorkaroundTests
{
    [Fact]
    public void Convolutions_with_output_channels_off_the_16_block_are_affected_except_the_first()
    {
        using var narrow = ModelFactory.Create("resnet18", 10, 3, 32, widthFactor: 0.125);
        var affected = CpuConvolutionWorkaround.AffectedConvolutions(narrow);
        // 8-channel layer1 convolutions; the 8-channel stem takes the images, which need no gradient.
        Assert.Contains("layer1.0.conv1", affected);
        Assert.Contains("layer1.1.conv2", affected);
        Assert.DoesNotContain("conv1", affected);
        Assert.DoesNotContain("layer2.0.conv1", affected); // 16 channels

        using var paper = ModelFactory.Create("resnet18", 10, 3, 32);
        Assert.Empty(CpuConvolutionWorkaround.AffectedConvolutions(paper));
        using var smallCnn = ModelFactory.Create("smallcnn", 10, 1, 28, widthFactor: 0.25); // conv1 8, conv2 16 channels
        Assert.Empty(CpuConvolutionWorkaround.AffectedConvolutions(smallCnn));
    }

    [Fact]
    public void While_a_narrow_model_trains_on_the_cpu_an_8_channel_convolution_has_right_input_gradients()
    {
        using var narrow = ModelFactory.Create("resnet18", 10, 1, 28, widthFactor: 0.125);
        Assert.True(CpuConvolutionWorkaround.OneDnnEnabled);
        using (CpuConvolutionWorkaround.For(narrow, CPU))
        {
            Assert.False(CpuConvolutionWorkaround.OneDnnEnabled);
            // oneDNN 3.7.1 on AVX-512 was 30 to 80 % off here (or NaN) in every try.
            for (int trial = 0; trial < 5; trial++)
                Assert.InRange(InputGradientError(channels: 8, seed: trial), 0, 1e-4);
        }
        Assert.True(CpuConvolutionWorkaround.OneDnnEnabled);
    }

    [Fact]
    public void Scopes_nest_and_models_or_devices_without_the_problem_change_nothing()
    {
        using var narrow = ModelFactory.Create("resnet18", 10, 1, 28, widthFactor: 0.125);
        using var paper = ModelFactory.Create("resnet18", 10, 1, 28);

        using (CpuConvolutionWorkaround.For(paper, CPU))
            Assert.True(CpuConvolutionWorkaround.OneDnnEnabled);
        using (CpuConvolutionWorkaround.For(narrow, new Device(DeviceType.CUDA, 0)))
            Assert.True(CpuConvolutionWorkaround.OneDnnEnabled);

        var first = CpuConvolutionWorkaround.For(narrow, CPU);
        var second = CpuConvolutionWorkaround.For(narrow, CPU);
        first.Dispose();
        first.Dispose();
        Assert.False(CpuConvolutionWorkaround.OneDnnEnabled);
        second.Dispose();
        Assert.True(CpuConvolutionWorkaround.OneDnnEnabled);
    }

    /// <summary>
    /// Largest error of a 3x3 convolution's input gradient, relative to the largest value, against the same
    /// convolution written as im2col and a matrix product in float64 (kernels independent of the convolution's).
    /// </summary>
    static double InputGradientError(int channels, int seed)
    {
        using var scope = NewDisposeScope();
        manual_seed(seed);
        var weight = randn(channels, channels, 3, 3) * 0.1;
        var x = randn(32, channels, 16, 16).requires_grad_(true);
        var output = nn.functional.conv2d(x, weight, padding: [1, 1]);
        var upstream = randn_like(output);
        (output * upstream).sum().backward();

        var x64 = x.detach().to(ScalarType.Float64).requires_grad_(true);
        var columns = nn.functional.unfold(x64, 3, padding: 1);
        var reference = weight.to(ScalarType.Float64).view(channels, -1).matmul(columns).view(32, channels, 16, 16);
        (reference * upstream.to(ScalarType.Float64)).sum().backward();

        var error = (x.grad!.to(ScalarType.Float64) - x64.grad!).abs().max() / x64.grad!.abs().max();
        var value = error.item<double>();
        return double.IsFinite(value) ? value : double.PositiveInfinity;
    }
}
