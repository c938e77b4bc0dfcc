using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TempBalance.Core.Models;

/// <summary>
/// Two conv blocks (conv 3x3, BatchNorm, ReLU, max-pool 2) and a two-layer classifier: enough for
/// 90% on Fashion-MNIST in a few CPU minutes, with four analysed layers (two of them tuned).
/// </summary>
public sealed class SmallCnn : Module<Tensor, Tensor>, IHasBatchNormMap
{
    readonly TorchSharp.Modules.Conv2d conv1;
    readonly TorchSharp.Modules.BatchNorm2d bn1;
    readonly TorchSharp.Modules.Conv2d conv2;
    readonly TorchSharp.Modules.BatchNorm2d bn2;
    readonly TorchSharp.Modules.Linear fc1;
    readonly TorchSharp.Modules.Linear fc2;

    public SmallCnn(int inputChannels, int imageSize, int classes, double widthFactor = 1) : base(nameof(SmallCnn))
    {
        int c1 = Mlp.Scale(32, widthFactor), c2 = Mlp.Scale(64, widthFactor), hidden = Mlp.Scale(128, widthFactor);
        int pooled = imageSize / 4;
        conv1 = Conv2d(inputChannels, c1, 3, padding: 1, bias: false);
        bn1 = BatchNorm2d(c1);
        conv2 = Conv2d(c1, c2, 3, padding: 1, bias: false);
        bn2 = BatchNorm2d(c2);
        fc1 = Linear(c2 * pooled * pooled, hidden);
        fc2 = Linear(hidden, classes);
        RegisterComponents();
        BatchNormToConv = BatchNormMap.ByName(this);
    }

    public IReadOnlyDictionary<string, string> BatchNormToConv { get; }

    public override Tensor forward(Tensor x)
    {
        var h = functional.max_pool2d(functional.relu(bn1.forward(conv1.forward(x))), 2);
        h = functional.max_pool2d(functional.relu(bn2.forward(conv2.forward(h))), 2);
        h = functional.relu(fc1.forward(h.flatten(1)));
        return fc2.forward(h);
    }
}
