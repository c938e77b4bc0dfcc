using TempBalance.Core.Models;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace TempBalance.Core.Optimizers;

/// <summary>
/// The final homogeneous sub-network of each model of <see cref="ModelFactory"/>: the layers after the last
/// normalisation or non-homogeneous activation. ReLU, max-pool, average-pool and flatten are positively
/// homogeneous, so with the activations entering these layers held fixed, scaling the layers' weights
/// (biases zero) by c scales the logits by c to the power of the layer count. Biases are constrained with
/// their layer's weights (one norm per layer, see <see cref="LawnConstraint"/>). docs/methods.md (section 8) justifies each row.
/// </summary>
public static class LawnLayers
{
    /// <summary>The dotted module names of the model's final homogeneous sub-network, input side first.</summary>
    public static IReadOnlyList<string> ModuleNames(string modelName) => modelName.ToLowerInvariant() switch
    {
        // No normalisation and ReLU only: the whole network.
        "mlp" => ["fc1", "fc2", "fc3"],
        // tanh is not homogeneous: only the classifier after it.
        "mlp-tanh" => ["fc2"],
        // After the last BatchNorm come ReLU, max-pool, flatten and the two-layer ReLU classifier.
        "smallcnn" => ["fc1", "fc2"],
        // The last block ends in BatchNorm + residual sum + ReLU; then average pooling and the classifier.
        "resnet18" or "resnet34" => ["linear"],
        // BatchNorm after every conv; then ReLU, max-pool, average pooling and the classifier.
        "vgg11" or "vgg16" or "vgg19" => ["linear"],
        // The final BatchNorm, ReLU and average pooling precede the classifier.
        "wrn16-8" or "wrn28-6" or "wrn28-10" => ["linear"],
        _ => throw new ArgumentException($"Unknown model '{modelName}'. Choose one of: {string.Join(", ", ModelFactory.Names)}.", nameof(modelName)),
    };

    /// <summary>The parameters LAWN constrains in this model, with their dotted names, in registration order.</summary>
    public static IReadOnlyList<(string Name, Parameter Parameter)> For(string modelName, nn.Module model)
    {
        var modules = ModuleNames(modelName);
        var selected = model.named_parameters()
            .Where(p => modules.Contains(OwnerOf(p.name)))
            .Select(p => (p.name, p.parameter))
            .ToList();
        var missing = modules.Where(m => selected.All(p => OwnerOf(p.name) != m)).ToList();
        if (missing.Count > 0)
            throw new ArgumentException(
                $"This model is no '{modelName}': it has no parameters under {string.Join(", ", missing)}.", nameof(model));
        return selected;
    }

    static string OwnerOf(string parameterName)
    {
        int dot = parameterName.LastIndexOf('.');
        return dot < 0 ? parameterName : parameterName[..dot];
    }
}
