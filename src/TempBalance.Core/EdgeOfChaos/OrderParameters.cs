using TempBalance.Core.Spectral;
using TorchSharp;
using static TorchSharp.torch;

namespace TempBalance.Core.EdgeOfChaos;

/// <summary>
/// The order parameters of a weight tensor (docs/edge-of-chaos-method.md §1): J = std(W) sqrt(N) and
/// J0 = mean(W) N, with N the fan-in and std the population standard deviation over all entries. The
/// layer's point in the phase diagram is (J0/J, 1/J).
/// </summary>
/// <remarks>
/// This is the seed's definition (3.Model_evolution/plot_figure2.py: np.std and np.mean over the whole
/// matrix, times sqrt(input_shape) and input_shape), not per-row statistics. For its square 784 x 784 Keras kernel
/// fan-in and fan-out coincide; for the [out, in] weights here N is the number of inputs.
/// </remarks>
public readonly record struct OrderParameters(double J, double J0)
{
    /// <summary>The diagram's horizontal coordinate; infinite when all entries are equal (J = 0).</summary>
    public double J0OverJ => J0 / J;

    /// <summary>The diagram's vertical coordinate; 1 is the edge of chaos for J0/J in [-1, 1].</summary>
    public double InverseJ => 1 / J;

    public double JSquared => J * J;

    public PhasePoint Point => new(J0OverJ, InverseJ);

    /// <summary>
    /// J and J0 of a Linear weight [out, in] (fan-in in) or a Conv2d weight [out, in, kh, kw] (fan-in
    /// in * kh * kw), computed in float64 on the weight's device. NaN when the weight has NaN entries.
    /// </summary>
    public static OrderParameters Of(Tensor weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        long fanIn = FanIn(weight);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (std, mean) = weight.detach().to(float64).std_mean(unbiased: false);
        return new OrderParameters(std.item<double>() * Math.Sqrt(fanIn), mean.item<double>() * fanIn);
    }

    /// <summary>The number of inputs of each output unit: in for [out, in], in * kh * kw for [out, in, kh, kw].</summary>
    public static long FanIn(Tensor weight) => weight.dim() switch
    {
        2 when weight.shape[1] > 0 => weight.shape[1],
        4 when weight.shape[1] * weight.shape[2] * weight.shape[3] > 0 => weight.shape[1] * weight.shape[2] * weight.shape[3],
        2 or 4 => throw new ArgumentException($"The weight [{string.Join(", ", weight.shape)}] has no inputs."),
        _ => throw new ArgumentException($"A weight must be 2-D [out, in] or 4-D [out, in, kh, kw], not {weight.dim()}-D."),
    };

    /// <summary>
    /// The order parameters of every Conv2d and Linear layer, in the order and with the names of
    /// <see cref="EsdAnalyzer.AnalysedLayers"/>.
    /// </summary>
    public static IReadOnlyList<LayerOrderParameters> OfModel(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return EsdAnalyzer.AnalysedLayers(model).Select((layer, index) =>
        {
            var weight = EsdAnalyzer.WeightOf(layer.Module);
            return new LayerOrderParameters(index, layer.Name, layer.Kind, FanIn(weight), Of(weight));
        }).ToList();
    }
}

/// <summary>One layer's order parameters; <see cref="Index"/> is its position among the analysed layers.</summary>
public sealed record LayerOrderParameters(int Index, string Name, LayerKind Kind, long FanIn, OrderParameters Parameters);
