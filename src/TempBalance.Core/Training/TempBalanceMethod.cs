using TempBalance.Core.Models;
using TempBalance.Core.Scheduling;
using static TorchSharp.torch;

namespace TempBalance.Core.Training;

/// <summary>
/// TempBalance (method doc §3-4) on the recipe's optimizer, whatever it is: one parameter group per tuned layer and
/// its BatchNorm, whose learning rates the scheduler sets from the layers' power-law exponents before every epoch
/// (or every K steps).
/// </summary>
public sealed class TempBalanceMethod : ITrainingMethod
{
    readonly TempBalanceScheduler scheduler;
    readonly nn.Module model;

    public TempBalanceMethod(nn.Module model, TrainingConfig config)
    {
        this.model = model;
        scheduler = new TempBalanceScheduler(model, config.TempBalance, (model as IHasBatchNormMap)?.BatchNormToConv);
        OptimizerStack? stack = null;
        scheduler.CreateOptimizer(config.Lr, groups => (stack = new OptimizerStack(config, model, groups)).Base);
        Optimizer = stack!;
    }

    public OptimizerStack Optimizer { get; }

    public IReadOnlyList<ParamGroupInfo> Groups => scheduler.Groups;

    public MethodAnalysis Prepare(double globalLr) => Describe(scheduler.Update(globalLr));

    public void AfterStep(long step, double globalLr) => scheduler.OnOptimizerStep(globalLr);

    MethodAnalysis Describe(TempBalanceUpdate update) => new(
        MethodAnalysis.Describe(model, update.Layers.Select(l => (l.Spectrum, l.Tuned, l.LearningRate)).ToList()),
        update.EsdTime.TotalSeconds);

    public void Dispose() => Optimizer.Dispose();
}
