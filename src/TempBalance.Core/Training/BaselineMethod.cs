using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TempBalance.Core.Training;

/// <summary>The paper's "CAL" baseline: SGD with momentum, one learning rate for every parameter, the global schedule.</summary>
public sealed class BaselineMethod(nn.Module model, TrainingConfig config) : ITrainingMethod
{
    public SGD Optimizer { get; } = optim.SGD(model.parameters(), config.Lr, config.Momentum, weight_decay: config.WeightDecay);

    public MethodAnalysis Prepare(double globalLr)
    {
        foreach (var group in Optimizer.ParamGroups) group.LearningRate = globalLr;
        return new MethodAnalysis([], 0);
    }

    public void AfterStep(long step, double globalLr) { }

    public void Dispose() => Optimizer.Dispose();
}
