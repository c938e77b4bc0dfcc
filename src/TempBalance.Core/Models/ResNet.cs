using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TempBalance.Core.Models;

/// <summary>
/// The CIFAR ResNet of the TempBalance paper: a 3x3 stride-1 stem without max-pool, bias-free convs,
/// four stages of basic blocks, global average pooling and one linear classifier. Submodules are
/// registered in the reference order, so ResNet18 has 21 analysed layers (20 convs + linear).
/// </summary>
public sealed class ResNet : Module<Tensor, Tensor>, IHasBatchNormMap
{
    readonly TorchSharp.Modules.Conv2d conv1;
    readonly TorchSharp.Modules.BatchNorm2d bn1;
    readonly TorchSharp.Modules.Sequential layer1;
    readonly TorchSharp.Modules.Sequential layer2;
    readonly TorchSharp.Modules.Sequential layer3;
    readonly TorchSharp.Modules.Sequential layer4;
    readonly TorchSharp.Modules.Linear linear;

    public ResNet(int[] blocksPerStage, int classes, int inputChannels, double widthFactor = 1) : base(nameof(ResNet))
    {
        int width = Mlp.Scale(64, widthFactor);
        int inPlanes = width;
        conv1 = Conv2d(inputChannels, width, 3, stride: 1, padding: 1, bias: false);
        bn1 = BatchNorm2d(width);
        layer1 = Stage(ref inPlanes, width, blocksPerStage[0], stride: 1);
        layer2 = Stage(ref inPlanes, width * 2, blocksPerStage[1], stride: 2);
        layer3 = Stage(ref inPlanes, width * 4, blocksPerStage[2], stride: 2);
        layer4 = Stage(ref inPlanes, width * 8, blocksPerStage[3], stride: 2);
        linear = Linear(width * 8, classes);
        RegisterComponents();
        BatchNormToConv = BatchNormMap.ByName(this);
    }

    public IReadOnlyDictionary<string, string> BatchNormToConv { get; }

    static TorchSharp.Modules.Sequential Stage(ref int inPlanes, int planes, int blocks, int stride)
    {
        var stage = Sequential();
        for (int i = 0; i < blocks; i++)
        {
            stage.append(new BasicBlock(inPlanes, planes, i == 0 ? stride : 1));
            inPlanes = planes;
        }
        return stage;
    }

    public override Tensor forward(Tensor x)
    {
        var h = functional.relu(bn1.forward(conv1.forward(x)));
        h = layer4.forward(layer3.forward(layer2.forward(layer1.forward(h))));
        // Global average pooling: the reference's avg_pool2d(4) on 32x32 inputs, and any other size too.
        h = functional.adaptive_avg_pool2d(h, [1, 1]).flatten(1);
        return linear.forward(h);
    }

    sealed class BasicBlock : Module<Tensor, Tensor>
    {
        readonly TorchSharp.Modules.Conv2d conv1;
        readonly TorchSharp.Modules.BatchNorm2d bn1;
        readonly TorchSharp.Modules.Conv2d conv2;
        readonly TorchSharp.Modules.BatchNorm2d bn2;
        readonly TorchSharp.Modules.Sequential shortcut;

        public BasicBlock(int inPlanes, int planes, int stride) : base(nameof(BasicBlock))
        {
            conv1 = Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
            bn1 = BatchNorm2d(planes);
            conv2 = Conv2d(planes, planes, 3, stride: 1, padding: 1, bias: false);
            bn2 = BatchNorm2d(planes);
            shortcut = stride != 1 || inPlanes != planes
                ? Sequential(Conv2d(inPlanes, planes, 1, stride: stride, bias: false), BatchNorm2d(planes))
                : Sequential();
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var h = functional.relu(bn1.forward(conv1.forward(x)));
            h = bn2.forward(conv2.forward(h));
            return functional.relu(h + shortcut.forward(x));
        }
    }
}
