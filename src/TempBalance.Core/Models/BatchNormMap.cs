using TorchSharp;
using static TorchSharp.torch.nn;

namespace TempBalance.Core.Models;

/// <summary>
/// The reference implementation's "name" rule: a BatchNorm whose dotted name with "bn" replaced by "conv"
/// names a conv belongs to that conv (layer1.0.bn2 -> layer1.0.conv2, features.bn_2 -> features.conv_2).
/// Shortcut BatchNorms (shortcut.1) have no such conv and stay with the global learning rate.
/// </summary>
static class BatchNormMap
{
    public static IReadOnlyDictionary<string, string> ByName(Module model)
    {
        var modules = model.named_modules().ToList();
        var convs = modules.Where(m => m.module is TorchSharp.Modules.Conv2d).Select(m => m.name).ToHashSet();
        return modules
            .Where(m => m.module is TorchSharp.Modules.BatchNorm2d)
            .Select(m => (bn: m.name, conv: m.name.Replace("bn", "conv", StringComparison.Ordinal)))
            .Where(p => convs.Contains(p.conv))
            .ToDictionary(p => p.bn, p => p.conv);
    }
}
