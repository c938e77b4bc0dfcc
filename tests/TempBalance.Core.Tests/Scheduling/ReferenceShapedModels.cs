using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TempBalance.Core.Tests.Scheduling;

/// <summary>Module trees shaped like the paper's CIFAR models, so group counts can be checked without the model code.</summary>
public static class ReferenceShapedModels
{
    sealed class BasicBlock : nn.Module<Tensor, Tensor>
    {
        readonly Conv2d conv1;
        readonly BatchNorm2d bn1;
        readonly Conv2d conv2;
        readonly BatchNorm2d bn2;
        readonly Sequential shortcut;

        public BasicBlock(long inPlanes, long planes, long stride) : base(nameof(BasicBlock))
        {
            conv1 = nn.Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
            bn1 = nn.BatchNorm2d(planes);
            conv2 = nn.Conv2d(planes, planes, 3, padding: 1, bias: false);
            bn2 = nn.BatchNorm2d(planes);
            shortcut = stride != 1 || inPlanes != planes
                ? nn.Sequential(nn.Conv2d(inPlanes, planes, 1, stride: stride, bias: false), nn.BatchNorm2d(planes))
                : nn.Sequential();
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) =>
            nn.functional.relu(bn2.forward(conv2.forward(nn.functional.relu(bn1.forward(conv1.forward(x))))) + shortcut.forward(x));
    }

    sealed class CifarResNet18 : nn.Module<Tensor, Tensor>
    {
        readonly Conv2d conv1 = nn.Conv2d(3, 64, 3, padding: 1, bias: false);
        readonly BatchNorm2d bn1 = nn.BatchNorm2d(64);
        readonly Sequential layer1, layer2, layer3, layer4;
        readonly Linear linear;

        public CifarResNet18(int classes) : base(nameof(CifarResNet18))
        {
            layer1 = nn.Sequential(new BasicBlock(64, 64, 1), new BasicBlock(64, 64, 1));
            layer2 = nn.Sequential(new BasicBlock(64, 128, 2), new BasicBlock(128, 128, 1));
            layer3 = nn.Sequential(new BasicBlock(128, 256, 2), new BasicBlock(256, 256, 1));
            layer4 = nn.Sequential(new BasicBlock(256, 512, 2), new BasicBlock(512, 512, 1));
            linear = nn.Linear(512, classes);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var h = nn.functional.relu(bn1.forward(conv1.forward(x)));
            h = layer4.forward(layer3.forward(layer2.forward(layer1.forward(h))));
            return linear.forward(nn.functional.avg_pool2d(h, 4).flatten(1));
        }
    }

    public static nn.Module<Tensor, Tensor> ResNet18(int classes = 100) => new CifarResNet18(classes);

    /// <summary>VGG16 with BatchNorm after every conv: features.0 conv, features.1 BN, features.2 ReLU, ...</summary>
    public static nn.Module<Tensor, Tensor> Vgg16Bn(int classes = 100)
    {
        int[] config = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0];
        var features = new List<nn.Module<Tensor, Tensor>>();
        long channels = 3;
        foreach (var width in config)
        {
            if (width == 0) { features.Add(nn.MaxPool2d(2)); continue; }
            features.Add(nn.Conv2d(channels, width, 3, padding: 1));
            features.Add(nn.BatchNorm2d(width));
            features.Add(nn.ReLU());
            channels = width;
        }
        return nn.Sequential(("features", nn.Sequential(features)), ("flatten", nn.Flatten()), ("classifier", nn.Linear(512, classes)));
    }
}
