using System.Diagnostics;
using TempBalance.Core.Spectral;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TempBalance.Core.Training;

/// <summary>
/// The paper's "CAL" baseline: SGD with momentum, one learning rate for every parameter, the global schedule.
/// The layers are still analysed (with the TempBalance fit options) so that runs can be compared layer by layer.
/// </summary>
public sealed class BaselineMethod(nn.Module model, TrainingConfig config) : ITrainingMethod
{
    public SGD Optimizer { get; } = optim.SGD(model.parameters(), config.Lr, config.Momentum, weight_decay: config.WeightDecay);

    public MethodAnalysis Prepare(double globalLr)
    {
        foreach (var group in Optimizer.ParamGroups) group.LearningRate = globalLr;
        var clock = Stopwatch.StartNew();
        var spectra = EsdAnalyzer.Analyze(model, config.TempBalance);
        double seconds = clock.Elapsed.TotalSeconds;
        return new MethodAnalysis(spectra.Select(s => MethodAnalysis.Describe(s, tuned: false, globalLr)).ToList(), seconds);
    }

    public void AfterStep(long step, double globalLr) { }

    public void Dispose() => Optimizer.Dispose();
}
