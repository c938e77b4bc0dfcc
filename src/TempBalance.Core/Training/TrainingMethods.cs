using static TorchSharp.torch;

namespace TempBalance.Core.Training;

/// <summary>The training methods by name.</summary>
public static class TrainingMethods
{
    public static IReadOnlyList<string> Names { get; } = ["baseline", "tempbalance"];

    public static ITrainingMethod Create(TrainingConfig config, nn.Module model) => config.Method.ToLowerInvariant() switch
    {
        "baseline" => new BaselineMethod(model, config),
        "tempbalance" => new TempBalanceMethod(model, config),
        _ => throw new ArgumentException($"Unknown method '{config.Method}'. Choose one of: {string.Join(", ", Names)}."),
    };
}
