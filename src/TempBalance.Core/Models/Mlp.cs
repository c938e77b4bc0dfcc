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
/// The bias-free tanh network of edge-of-chaos studies: input -> input -> classes (784-784-10 on 28x28
/// grey images). Without biases and with tanh, its spectra are those of the weights alone.
/// </summary>
public sealed class TanhMlp : Module<Tensor, Tensor>
{
    readonly TorchSharp.Modules.Linear fc1;
    readonly TorchSharp.Modules.Linear fc2;

    public TanhMlp(int inputs, int classes, double widthFactor = 1) : base(nameof(TanhMlp))
    {
        int hidden = Mlp.Scale(inputs, widthFactor);
        fc1 = Linear(inputs, hidden, hasBias: false);
        fc2 = Linear(hidden, classes, hasBias: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var h = tanh(fc1.forward(x.flatten(1)));
        return fc2.forward(h);
    }
}
