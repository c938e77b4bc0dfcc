using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TempBalance.Core.Models;

/// <summary>
/// Pre-activation WideResNet-depth-k (depth = 6n + 4): a 3x3 stem, three stages of n blocks
/// (BN, ReLU, conv, BN, ReLU, conv, with a 1x1 conv shortcut where the shape changes), a final BN and a
/// linear classifier. Convs have biases, and the final BN has momentum 0.9, as in the reference
/// (networks/wide_resnet.py of YefanZhou/TempBalance). Momentum follows PyTorch's convention, running =
/// (1 - momentum) running + momentum batch, so that BN's running statistics mostly follow the last batch.
/// The width factor multiplies every stage's channels (16, 16k, 32k, 64k), as it does the other models'.
/// </summary>
public sealed class WideResNet : Module<Tensor, Tensor>, IHasBatchNormMap
{
    readonly TorchSharp.Modules.Conv2d conv1;
    readonly TorchSharp.Modules.Sequential layer1;
    readonly TorchSharp.Modules.Sequential layer2;
    readonly TorchSharp.Modules.Sequential layer3;
    readonly TorchSharp.Modules.BatchNorm2d bn1;
    readonly TorchSharp.Modules.Linear linear;

    /// <summary>The reference's momentum of the BN before the classifier (the blocks' BNs keep PyTorch's 0.1).</summary>
    public const double FinalBatchNormMomentum = 0.9;

    public WideResNet(int depth, int widenFactor, int classes, int inputChannels, double widthFactor = 1) : base(nameof(WideResNet))
    {
        if ((depth - 4) % 6 != 0) throw new ArgumentException($"WideResNet depth must be 6n + 4, got {depth}.", nameof(depth));
        int blocks = (depth - 4) / 6;
        int[] widths = [16, 16 * widenFactor, 32 * widenFactor, 64 * widenFactor];
        widths = widths.Select(w => Mlp.Scale(w, widthFactor)).ToArray();
        int inPlanes = widths[0];
        conv1 = Conv2d(inputChannels, widths[0], 3, padding: 1);
        layer1 = Stage(ref inPlanes, widths[1], blocks, stride: 1);
        layer2 = Stage(ref inPlanes, widths[2], blocks, stride: 2);
        layer3 = Stage(ref inPlanes, widths[3], blocks, stride: 2);
        bn1 = BatchNorm2d(widths[3], momentum: FinalBatchNormMomentum);
        linear = Linear(widths[3], classes);
        RegisterComponents();
        // Pre-activation: a block's bnK normalises the input of its convK; the reference pairs them by name.
        BatchNormToConv = BatchNormMap.ByName(this);
    }

    public IReadOnlyDictionary<string, string> BatchNormToConv { get; }

    static TorchSharp.Modules.Sequential Stage(ref int inPlanes, int planes, int blocks, int stride)
    {
        var stage = Sequential();
        for (int i = 0; i < blocks; i++)
        {
            stage.append(new WideBlock(inPlanes, planes, i == 0 ? stride : 1));
            inPlanes = planes;
        }
        return stage;
    }

    public override Tensor forward(Tensor x)
    {
        var h = layer3.forward(layer2.forward(layer1.forward(conv1.forward(x))));
        h = functional.relu(bn1.forward(h));
        h = functional.adaptive_avg_pool2d(h, [1, 1]).flatten(1);
        return linear.forward(h);
    }

    sealed class WideBlock : Module<Tensor, Tensor>
    {
        readonly TorchSharp.Modules.BatchNorm2d bn1;
        readonly TorchSharp.Modules.Conv2d conv1;
        readonly TorchSharp.Modules.BatchNorm2d bn2;
        readonly TorchSharp.Modules.Conv2d conv2;
        readonly TorchSharp.Modules.Sequential shortcut;

        public WideBlock(int inPlanes, int planes, int stride) : base(nameof(WideBlock))
        {
            bn1 = BatchNorm2d(inPlanes);
            conv1 = Conv2d(inPlanes, planes, 3, padding: 1);
            bn2 = BatchNorm2d(planes);
            conv2 = Conv2d(planes, planes, 3, stride: stride, padding: 1);
            shortcut = stride != 1 || inPlanes != planes
                ? Sequential(Conv2d(inPlanes, planes, 1, stride: stride))
                : Sequential();
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var h = conv1.forward(functional.relu(bn1.forward(x)));
            h = conv2.forward(functional.relu(bn2.forward(h)));
            return h.add_(shortcut.forward(x));
        }
    }
}
