using TempBalance.Core.Models;
using TempBalance.Core.Scheduling;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TempBalance.Core.Training;

/// <summary>
/// TempBalance (method doc §3-4): one SGD group per tuned layer and its BatchNorm, whose learning rates the
/// scheduler sets from the layers' power-law exponents before every epoch (or every K steps).
/// </summary>
public sealed class TempBalanceMethod : ITrainingMethod
{
    readonly TempBalanceScheduler scheduler;

    public TempBalanceMethod(nn.Module model, TrainingConfig config)
    {
        scheduler = new TempBalanceScheduler(model, config.TempBalance, (model as IHasBatchNormMap)?.BatchNormToConv);
        Optimizer = scheduler.CreateOptimizer(config.Lr, config.Momentum, config.WeightDecay);
    }

    public SGD Optimizer { get; }

    public IReadOnlyList<ParamGroupInfo> Groups => scheduler.Groups;

    public MethodAnalysis Prepare(double globalLr) => Describe(scheduler.Update(globalLr));

    public void AfterStep(long step, double globalLr) => scheduler.OnOptimizerStep(globalLr);

    static MethodAnalysis Describe(TempBalanceUpdate update) => new(
        update.Layers.Select(l => MethodAnalysis.Describe(l.Spectrum, l.Tuned, l.LearningRate)).ToList(),
        update.EsdTime.TotalSeconds);

    public void Dispose() => Optimizer.Dispose();
}
