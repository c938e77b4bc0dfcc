using static TorchSharp.torch;

namespace TempBalance.Core.Data;

/// <summary>
/// A learnable stand-in for Fashion-MNIST that needs no files: each of 10 classes is a fixed random
/// 28x28 pattern, and an image is its class pattern plus noise. The same seed gives the same images.
/// </summary>
public static class SyntheticData
{
    public const int TrainCount = 4096;
    public const int TestCount = 1024;

    public static (ImageData Train, ImageData Test) Create(DatasetInfo info, long seed = 1234)
    {
        using var generator = new Generator((ulong)seed);
        using var patterns = randn([info.Classes, info.Channels, info.ImageSize, info.ImageSize], generator: generator);
        return (Sample(patterns, TrainCount, generator), Sample(patterns, TestCount, generator));
    }

    static ImageData Sample(Tensor patterns, int count, Generator generator)
    {
        using var scope = NewDisposeScope();
        var labels = randint(0, patterns.shape[0], [count], generator: generator);
        var noise = randn([count, .. patterns.shape[1..]], generator: generator);
        var images = (patterns.index_select(0, labels) * 40 + noise * 50 + 128).clamp(0, 255).to(ScalarType.Byte);
        return new ImageData(images.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope());
    }
}
