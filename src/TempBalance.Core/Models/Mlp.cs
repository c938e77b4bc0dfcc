using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TempBalance.Core.Models;

/// <summary>A fully connected ReLU network on flattened images: input -> 512 -> 256 -> classes.</summary>
public sealed class Mlp : Module<Tensor, Tensor>
{
    readonly TorchSharp.Modules.Linear fc1;
    readonly TorchSharp.Modules.Linear fc2;
    readonly TorchSharp.Modules.Linear fc3;

    public Mlp(int inputs, int classes, double widthFactor = 1) : base(nameof(Mlp))
    {
        int w1 = Scale(512, widthFactor), w2 = Scale(256, widthFactor);
        fc1 = Linear(inputs, w1);
        fc2 = Linear(w1, w2);
        fc3 = Linear(w2, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var h = functional.relu(fc1.forward(x.flatten(1)));
        h = functional.relu(fc2.forward(h));
        return fc3.forward(h);
    }

    internal static int Scale(int width, double factor) => Math.Max(1, (int)Math.Round(width * factor));
}

/// <summary>
/// The network of the edge-of-chaos paper (Zhang et al., arXiv 2107.09437) as its code builds it: input -> input
/// tanh units without bias -> classes with bias (784-784-10 on 28x28 grey images). The hidden weights start from
/// N(0, (1 / (2 sqrt(fan-in)))^2), so J = 0.5 at epoch 0; the classifier from Glorot-uniform weights and zero
/// biases, Keras' defaults for its Dense output layer. It reads pixels in [0, 1]
/// (<see cref="ModelFactory.TakesUnitRangePixels"/>), as the paper's code does.
/// </summary>
public sealed class TanhMlp : Module<Tensor, Tensor>, IOwnInitialization
{
    readonly TorchSharp.Modules.Linear fc1;
    readonly TorchSharp.Modules.Linear fc2;

    public TanhMlp(int inputs, int classes, double widthFactor = 1) : base(nameof(TanhMlp))
    {
        int hidden = Mlp.Scale(inputs, widthFactor);
        fc1 = Linear(inputs, hidden, hasBias: false);
        fc2 = Linear(hidden, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var h = tanh(fc1.forward(x.flatten(1)));
        return fc2.forward(h);
    }

    /// <summary>The standard deviation of the hidden weights at initialisation: J = std sqrt(fan-in) = 0.5.</summary>
    public static double HiddenInitStd(long fanIn) => 1 / (2 * Math.Sqrt(fanIn));

    public void Initialize(Generator generator)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var hidden = fc1.weight!;
        hidden.copy_(randn(hidden.shape, ScalarType.Float64, generator: generator).mul_(HiddenInitStd(hidden.shape[1])).to(hidden.dtype));
        var output = fc2.weight!;
        double bound = Math.Sqrt(6.0 / (output.shape[0] + output.shape[1]));
        output.copy_(rand(output.shape, ScalarType.Float64, generator: generator).mul_(2 * bound).sub_(bound).to(output.dtype));
        fc2.bias!.zero_();
    }
}
