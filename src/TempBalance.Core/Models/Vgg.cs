using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TempBalance.Core.Models;

/// <summary>
/// CIFAR VGG with BatchNorm after every conv (convs with bias) and one linear classifier, named as in the
/// reference (features.conv_1, features.bn_1, ...), so VGG16 gives 12 tuned convs + 12 BNs + 1 = 25 groups.
/// </summary>
public sealed class Vgg : Module<Tensor, Tensor>, IHasBatchNormMap
{
    const int MaxPool = 0;

    static readonly Dictionary<int, int[]> Configurations = new()
    {
        [11] = [64, MaxPool, 128, MaxPool, 256, 256, MaxPool, 512, 512, MaxPool, 512, 512, MaxPool],
        [16] = [64, 64, MaxPool, 128, 128, MaxPool, 256, 256, 256, MaxPool, 512, 512, 512, MaxPool, 512, 512, 512, MaxPool],
        [19] = [64, 64, MaxPool, 128, 128, MaxPool, 256, 256, 256, 256, MaxPool, 512, 512, 512, 512, MaxPool, 512, 512, 512, 512, MaxPool],
    };

    readonly TorchSharp.Modules.Sequential features;
    readonly TorchSharp.Modules.Linear linear;

    public Vgg(int depth, int classes, int inputChannels, double widthFactor = 1) : base(nameof(Vgg))
    {
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        int channels = inputChannels;
        int position = 0;
        foreach (var entry in Configurations[depth])
        {
            position++;
            if (entry == MaxPool)
            {
                layers.Add(($"MaxPool2d_{position}", MaxPool2d(2, 2)));
                continue;
            }
            int width = Mlp.Scale(entry, widthFactor);
            layers.Add(($"conv_{position}", Conv2d(channels, width, 3, padding: 1)));
            layers.Add(($"bn_{position}", BatchNorm2d(width)));
            layers.Add(($"relu_{position}", ReLU(inplace: true)));
            channels = width;
        }
        features = Sequential(layers);
        linear = Linear(channels, classes);
        RegisterComponents();
        BatchNormToConv = BatchNormMap.ByName(this);
    }

    public IReadOnlyDictionary<string, string> BatchNormToConv { get; }

    public override Tensor forward(Tensor x)
    {
        // 32x32 inputs leave 1x1 maps after five max-pools; larger images are averaged down to that.
        var h = functional.adaptive_avg_pool2d(features.forward(x), [1, 1]).flatten(1);
        return linear.forward(h);
    }
}
