using TempBalance.Core.EdgeOfChaos;
using TempBalance.Core.Models;
using TempBalance.Core.Spectral;
using TorchSharp;
using static TorchSharp.torch;

namespace TempBalance.Core.Tests.EdgeOfChaos;

public class OrderParametersTests
{
    // golden/golden_order_parameters.py (numpy, float64).
    [Fact]
    public void Linear_weight_matches_numpy()
    {
        using var scope = NewDisposeScope();
        var weight = tensor(new float[] { 0.1f, -0.2f, 0.3f, 0.05f, -0.4f, 0.25f, 0.0f, 0.15f, 0.6f, -0.35f, 0.2f, -0.1f }).reshape(3, 4);
        var (j, j0) = OrderParameters.Of(weight);
        Assert.Equal(0.544671165920283, j, 1e-14);
        Assert.Equal(0.200000014156103, j0, 1e-14);
        Assert.Equal(4, OrderParameters.FanIn(weight));
    }

    [Fact]
    public void Conv_weight_uses_fan_in_in_channels_times_kernel_area()
    {
        using var scope = NewDisposeScope();
        var values = Enumerable.Range(0, 24).Select(k => k * 0.37 % 1.3 - 0.6).ToArray();
        var weight = tensor(values).reshape(2, 3, 2, 2);
        var (j, j0) = OrderParameters.Of(weight);
        Assert.Equal(1.323253566025801, j, 1e-14);
        Assert.Equal(0.959999999999999, j0, 1e-14);
        Assert.Equal(12, OrderParameters.FanIn(weight));
    }

    [Fact]
    public void Whole_matrix_statistics_match_the_seeds_transposed_keras_kernel()
    {
        // The seed's kernel is [in, out] and it multiplies by sqrt(input_shape): the same numbers as [out, in].
        using var scope = NewDisposeScope();
        manual_seed(3);
        var weight = randn(6, 5, dtype: float64);
        var ours = OrderParameters.Of(weight);
        var kernel = weight.T.contiguous().data<double>().ToArray();
        double mean = kernel.Average(), std = Math.Sqrt(kernel.Select(w => (w - mean) * (w - mean)).Average());
        Assert.Equal(std * Math.Sqrt(5), ours.J, 1e-13);
        Assert.Equal(mean * 5, ours.J0, 1e-13);
    }

    [Fact]
    public void The_seeds_initialisation_starts_at_J_one_half()
    {
        // N(0, (1 / (2 sqrt 784))^2): J = 0.5 up to 0.1% sampling error, J0 = 784 mean ~ N(0, 0.018^2).
        using var scope = NewDisposeScope();
        manual_seed(11);
        var weight = normal(0, 1 / (2 * Math.Sqrt(784)), [784, 784]);
        var parameters = OrderParameters.Of(weight);
        Assert.Equal(0.5, parameters.J, 0.003);
        Assert.InRange(parameters.J0, -0.08, 0.08);
        Assert.Equal(0.25, parameters.JSquared, 0.003);
        Assert.Equal(2, parameters.InverseJ, 0.03);
        Assert.Equal(Phase.Paramagnetic, PhaseDiagram.Default.Classify(parameters.Point));
    }

    [Fact]
    public void Model_layers_come_in_the_esd_analyzers_order_with_its_names()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var model = nn.Sequential(
            ("features", nn.Sequential(("conv1", nn.Conv2d(3, 4, 3)), ("act", nn.ReLU()), ("conv2", nn.Conv2d(4, 2, 1)))),
            ("flatten", nn.Flatten()),
            ("head", nn.Linear(8, 3)));
        var layers = OrderParameters.OfModel(model);
        var analysed = EsdAnalyzer.AnalysedLayers(model);

        Assert.Equal(analysed.Select(l => l.Name), layers.Select(l => l.Name));
        Assert.Equal(["features.conv1", "features.conv2", "head"], layers.Select(l => l.Name));
        Assert.Equal([LayerKind.Conv2d, LayerKind.Conv2d, LayerKind.Linear], layers.Select(l => l.Kind));
        Assert.Equal([27L, 4L, 8L], layers.Select(l => l.FanIn));
        Assert.Equal([0, 1, 2], layers.Select(l => l.Index));
        for (int k = 0; k < layers.Count; k++)
            Assert.Equal(OrderParameters.Of(EsdAnalyzer.WeightOf(analysed[k].Module)), layers[k].Parameters);
    }

    [Fact]
    public void The_tanh_mlp_has_its_hidden_layer_first()
    {
        using var scope = NewDisposeScope();
        var layers = OrderParameters.OfModel(new TanhMlp(784, 10));
        Assert.Equal(["fc1", "fc2"], layers.Select(l => l.Name));
        Assert.Equal([784L, 784L], layers.Select(l => l.FanIn));
    }

    [Fact]
    public void Invalid_shapes_throw()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => OrderParameters.Of(zeros(3)));
        Assert.Throws<ArgumentException>(() => OrderParameters.Of(zeros(3, 2, 2)));
        Assert.Throws<ArgumentException>(() => OrderParameters.Of(zeros(3, 0)));
    }

    [Fact]
    public void NaN_weights_give_NaN()
    {
        using var scope = NewDisposeScope();
        var parameters = OrderParameters.Of(tensor(new[] { 1.0, double.NaN, 0, 2 }).reshape(2, 2));
        Assert.True(double.IsNaN(parameters.J) && double.IsNaN(parameters.J0));
    }
}
