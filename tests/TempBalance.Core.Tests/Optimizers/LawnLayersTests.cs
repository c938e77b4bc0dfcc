using TempBalance.Core;
using TempBalance.Core.Models;
using TempBalance.Core.Optimizers;
using static TorchSharp.torch;

namespace TempBalance.Core.Tests.Optimizers;

public class LawnLayersTests
{
    static readonly Dictionary<string, string[]> Expected = new()
    {
        ["mlp"] = ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"],
        ["mlp-tanh"] = ["fc2.weight", "fc2.bias"],
        ["smallcnn"] = ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"],
        ["resnet18"] = ["linear.weight", "linear.bias"],
        ["resnet34"] = ["linear.weight", "linear.bias"],
        ["vgg11"] = ["linear.weight", "linear.bias"],
        ["vgg16"] = ["linear.weight", "linear.bias"],
        ["vgg19"] = ["linear.weight", "linear.bias"],
        ["wrn16-8"] = ["linear.weight", "linear.bias"],
        ["wrn28-6"] = ["linear.weight", "linear.bias"],
        ["wrn28-10"] = ["linear.weight", "linear.bias"],
    };

    public static TheoryData<string> Models => new(ModelFactory.Names);

    static (int Channels, int Size) SmallInput(string name) => name switch
    {
        "mlp" or "mlp-tanh" or "smallcnn" => (1, 8),
        "resnet18" or "resnet34" => (3, 8),
        "wrn16-8" or "wrn28-6" or "wrn28-10" => (3, 4),
        _ => (3, 32),
    };

    /// <summary>
    /// Besides the names: with the constrained biases zeroed, scaling the k constrained weights by c scales the
    /// logits by c^k, so no normalisation or non-homogeneous activation sits inside the chosen layers.
    /// </summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void Every_factory_model_constrains_its_final_homogeneous_layers(string name)
    {
        using var scope = NewDisposeScope();
        var (channels, size) = SmallInput(name);
        using var model = ModelFactory.Create(name, classes: 5, channels, size, widthFactor: 0.25);
        model.eval();

        var constrained = LawnLayers.For(name, model);

        Assert.Equal(Expected[name], constrained.Select(p => p.Name));
        int layers = LawnLayers.ModuleNames(name).Count;
        using var noGrad = no_grad();
        // As in training: oneDNN's forward kernels are wrong for the narrow WRNs' 24-channel inputs (and gave NaN logits).
        using var oneDnnOff = CpuConvolutionWorkaround.NeededForForward(model, CPU) ? CpuConvolutionWorkaround.OneDnnOff() : null;
        foreach (var (parameterName, parameter) in constrained)
            if (parameterName.EndsWith(".bias", StringComparison.Ordinal)) parameter.zero_();
        var input = randn(3, channels, size, size, generator: new Generator(1));
        var logits = model.forward(input);
        const double c = 1.7;
        foreach (var (parameterName, parameter) in constrained)
            if (parameterName.EndsWith(".weight", StringComparison.Ordinal)) parameter.mul_(c);
        var scaled = model.forward(input);
        double expectedFactor = Math.Pow(c, layers);
        double error = ((scaled - logits * expectedFactor).abs().max() / (logits * expectedFactor).abs().max()).item<float>();
        Assert.True(error < 1e-5, $"{name}: logits scaled with relative error {error:E2} instead of by c^{layers}");
    }

    [Fact]
    public void The_layer_before_the_tanh_is_not_homogeneous_so_mlp_tanh_stops_at_its_classifier()
    {
        using var scope = NewDisposeScope();
        using var model = ModelFactory.Create("mlp-tanh", 5, 1, 8);
        using var noGrad = no_grad();
        var input = randn(3, 1, 8, 8, generator: new Generator(2));
        var logits = model.forward(input);
        foreach (var (_, parameter) in model.named_parameters()) parameter.mul_(1.7);
        var scaled = model.forward(input);
        double error = ((scaled - logits * (1.7 * 1.7)).abs().max() / logits.abs().max()).item<float>();
        Assert.True(error > 0.1, $"scaling through tanh looked homogeneous (error {error:E2})");
    }

    [Fact]
    public void A_model_that_does_not_match_its_name_or_an_unknown_name_is_refused()
    {
        using var mlp = ModelFactory.Create("mlp", 5, 1, 8, widthFactor: 0.125);
        var mismatch = Assert.Throws<ArgumentException>(() => LawnLayers.For("resnet18", mlp));
        Assert.Contains("linear", mismatch.Message);
        var unknown = Assert.Throws<ArgumentException>(() => LawnLayers.ModuleNames("resnet50"));
        Assert.Contains("wrn28-10", unknown.Message);
    }
}
