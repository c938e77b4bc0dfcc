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
    public void Narrow_models_need_it_on_the_cpu_only()
    {
        using var narrow = ModelFactory.Create("resnet18", 10, 1, 28, widthFactor: 0.125);
        using var paper = ModelFactory.Create("resnet18", 10, 1, 28);
        Assert.True(CpuConvolutionWorkaround.Needed(narrow, CPU));
        Assert.False(CpuConvolutionWorkaround.Needed(narrow, new Device(DeviceType.CUDA, 0)));
        Assert.False(CpuConvolutionWorkaround.Needed(paper, CPU));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void With_onednn_off_for_the_backward_pass_an_8_channel_convolution_has_right_input_gradients(bool forwardToo)
    {
        Assert.True(CpuConvolutionWorkaround.OneDnnEnabled);
        // oneDNN 3.7.1 on AVX-512 was 30 to 80 % off here (or NaN) in every try.
        for (int trial = 0; trial < 5; trial++)
            Assert.InRange(InputGradientError(channels: 8, seed: trial, forwardWithOneDnn: !forwardToo), 0, 1e-4);
        Assert.True(CpuConvolutionWorkaround.OneDnnEnabled);
    }

    [Theory]
    [InlineData(24)]
    [InlineData(40)]
    public void With_onednn_off_a_convolution_with_input_channels_off_the_16_block_computes_its_forward_pass_right(int channels)
    {
        // oneDNN 3.7.1 on AVX-512 was about 23 % off here (sometimes NaN) in every try.
        for (int seed = 0; seed < 3; seed++)
        {
            using var scope = NewDisposeScope();
            manual_seed(seed);
            var weight = randn(channels, channels, 3, 3) * 0.1;
            var x = randn(8, channels, 16, 16);
            Tensor output;
            using (CpuConvolutionWorkaround.OneDnnOff())
                output = nn.functional.conv2d(x, weight, padding: [1, 1]);
            var reference = nn.functional.conv2d(x.to(ScalarType.Float64), weight.to(ScalarType.Float64), padding: [1, 1]);
            var error = ((output.to(ScalarType.Float64) - reference).abs().max() / reference.abs().max()).item<double>();
            Assert.InRange(error, 0, 1e-5);
        }
    }

    [Fact]
    public void A_model_with_24_channel_inputs_needs_onednn_off_for_its_forward_passes_and_one_with_8_only_for_backward()
    {
        using var wrn = ModelFactory.Create("wrn28-6", 10, 3, 32, widthFactor: 0.25); // stage widths 24, 48, 96
        using var narrow = ModelFactory.Create("resnet18", 10, 3, 32, widthFactor: 0.125); // 8, 16, 32, 64
        using var paper = ModelFactory.Create("resnet18", 10, 3, 32);
        Assert.True(CpuConvolutionWorkaround.NeededForForward(wrn, CPU));
        Assert.False(CpuConvolutionWorkaround.NeededForForward(narrow, CPU));
        Assert.True(CpuConvolutionWorkaround.Needed(narrow, CPU));
        Assert.False(CpuConvolutionWorkaround.NeededForForward(paper, CPU));
        Assert.False(CpuConvolutionWorkaround.NeededForForward(wrn, new Device(DeviceType.CUDA, 0)));
        Assert.Contains("for every pass", CpuConvolutionWorkaround.Notice(wrn));
        Assert.Contains("for its backward passes", CpuConvolutionWorkaround.Notice(narrow));
    }

    [Fact]
    public void Scopes_nest()
    {
        var first = CpuConvolutionWorkaround.OneDnnOff();
        var second = CpuConvolutionWorkaround.OneDnnOff();
        Assert.False(CpuConvolutionWorkaround.OneDnnEnabled);
        first.Dispose();
        first.Dispose();
        Assert.False(CpuConvolutionWorkaround.OneDnnEnabled);
        second.Dispose();
        Assert.True(CpuConvolutionWorkaround.OneDnnEnabled);
    }

    /// <summary>
    /// Largest error of a 3x3 convolution's input gradient (backward pass with oneDNN off), relative to the largest
    /// value, against the same convolution written as im2col and a matrix product in float64 (kernels independent of
    /// the convolution's).
    /// </summary>
    static double InputGradientError(int channels, int seed, bool forwardWithOneDnn)
    {
        using var scope = NewDisposeScope();
        manual_seed(seed);
        var weight = randn(channels, channels, 3, 3) * 0.1;
        var x = randn(32, channels, 16, 16).requires_grad_(true);
        Tensor output;
        using (forwardWithOneDnn ? null : CpuConvolutionWorkaround.OneDnnOff())
            output = nn.functional.conv2d(x, weight, padding: [1, 1]);
        var upstream = randn_like(output);
        using (CpuConvolutionWorkaround.OneDnnOff())
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
