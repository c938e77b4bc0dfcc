using System.Diagnostics;
using TempBalance.Core.Spectral;
using static TorchSharp.torch;

namespace TempBalance.Core.Training;

/// <summary>
/// One learning rate for every parameter, the global schedule's (the paper's "CAL" baseline on SGD, and every recipe
/// without TempBalance). The layers are still analysed, with the TempBalance fit options, so that runs can be
/// compared layer by layer.
/// </summary>
public sealed class BaselineMethod(nn.Module model, TrainingConfig config) : ITrainingMethod
{
    public OptimizerStack Optimizer { get; } = new(config, model, [(model.parameters().ToArray(), config.Lr)]);

    public MethodAnalysis Prepare(double globalLr)
    {
        foreach (var group in Optimizer.Groups) group.LearningRate = globalLr;
        var clock = Stopwatch.StartNew();
        var spectra = EsdAnalyzer.Analyze(model, config.TempBalance);
        double seconds = clock.Elapsed.TotalSeconds;
        return new MethodAnalysis(MethodAnalysis.Describe(model, spectra.Select(s => (s, false, globalLr)).ToList()), seconds);
    }

    public void AfterStep(long step, double globalLr) { }

    public void Dispose() => Optimizer.Dispose();
}
