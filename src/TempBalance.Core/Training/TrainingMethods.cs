using static TorchSharp.torch;

namespace TempBalance.Core.Training;

/// <summary>Picks how a run sets its learning rates from its recipe.</summary>
public static class TrainingMethods
{
    public static ITrainingMethod Create(TrainingConfig config, nn.Module model) =>
        config.TempBalance.Enabled ? new TempBalanceMethod(model, config) : new BaselineMethod(model, config);
}
