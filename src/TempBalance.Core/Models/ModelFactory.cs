using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TempBalance.Core.Models;

/// <summary>Builds the models by name.</summary>
public static class ModelFactory
{
    public static IReadOnlyList<string> Names { get; } =
        ["mlp", "mlp-tanh", "smallcnn", "resnet18", "resnet34", "vgg11", "vgg16", "vgg19", "wrn16-8", "wrn28-6", "wrn28-10"];

    public static bool Exists(string name) => Names.Contains(name.ToLowerInvariant());

    /// <summary>
    /// Why a model cannot take images of this shape, or null when it can. The conv nets halve the image
    /// size in stages and need enough pixels left; VGG's five max-pools need at least 32x32.
    /// </summary>
    public static string? ShapeProblem(string name, int inputChannels, int imageSize)
    {
        if (inputChannels < 1) return "images need at least one channel";
        int smallest = name.ToLowerInvariant() switch
        {
            "mlp" or "mlp-tanh" => 1,
            "smallcnn" => 4,
            "resnet18" or "resnet34" => 8,
            "wrn16-8" or "wrn28-6" or "wrn28-10" => 4,
            "vgg11" or "vgg16" or "vgg19" => 32,
            _ => 1,
        };
        return imageSize < smallest
            ? $"{name} needs images of at least {smallest}x{smallest} pixels, but these are {imageSize}x{imageSize}"
            : null;
    }

    /// <summary>How many Conv2d and Linear layers the model has (TempBalance needs at least 3).</summary>
    public static int AnalysedLayerCount(string name) => name.ToLowerInvariant() switch
    {
        "mlp" => 3,
        "mlp-tanh" => 2,
        "smallcnn" => 4,
        "resnet18" => 21,
        "resnet34" => 37,
        "vgg11" => 9,
        "vgg16" => 14,
        "vgg19" => 17,
        "wrn16-8" => 17,
        "wrn28-6" or "wrn28-10" => 29,
        _ => throw new ArgumentException($"Unknown model '{name}'. Choose one of: {string.Join(", ", Names)}."),
    };

    public static Module<Tensor, Tensor> Create(string name, int classes, int inputChannels, int imageSize, double widthFactor = 1)
    {
        if (ShapeProblem(name, inputChannels, imageSize) is { } problem) throw new ArgumentException(problem + ".");
        int inputs = inputChannels * imageSize * imageSize;
        return name.ToLowerInvariant() switch
        {
            "mlp" => new Mlp(inputs, classes, widthFactor),
            "mlp-tanh" => new TanhMlp(inputs, classes, widthFactor),
            "smallcnn" => new SmallCnn(inputChannels, imageSize, classes, widthFactor),
            "resnet18" => new ResNet([2, 2, 2, 2], classes, inputChannels, widthFactor),
            "resnet34" => new ResNet([3, 4, 6, 3], classes, inputChannels, widthFactor),
            "vgg11" => new Vgg(11, classes, inputChannels, widthFactor),
            "vgg16" => new Vgg(16, classes, inputChannels, widthFactor),
            "vgg19" => new Vgg(19, classes, inputChannels, widthFactor),
            "wrn16-8" => new WideResNet(16, 8, classes, inputChannels, widthFactor),
            // The paper's TinyImageNet model.
            "wrn28-6" => new WideResNet(28, 6, classes, inputChannels, widthFactor),
            "wrn28-10" => new WideResNet(28, 10, classes, inputChannels, widthFactor),
            _ => throw new ArgumentException($"Unknown model '{name}'. Choose one of: {string.Join(", ", Names)}."),
        };
    }
}
