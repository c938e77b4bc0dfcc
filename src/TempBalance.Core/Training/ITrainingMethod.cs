using TempBalance.Core.Spectral;

namespace TempBalance.Core.Training;

/// <summary>
/// How a run sets learning rates: it lays out the parameter groups, owns the recipe's optimizer over them and,
/// before every epoch, analyses the weights and sets every group's learning rate. <see cref="TrainingMethods.Create"/>
/// picks one from the recipe (TempBalance on or off).
/// </summary>
public interface ITrainingMethod : IDisposable
{
    OptimizerStack Optimizer { get; }

    /// <summary>
    /// Called before epoch 1 and after every epoch: analyses the current weights, sets every group's
    /// learning rate for the coming epoch from <paramref name="globalLr"/>, and describes each layer.
    /// </summary>
    MethodAnalysis Prepare(double globalLr);

    /// <summary>Called after every optimizer step (1-based count over the run), for methods that refit within epochs.</summary>
    void AfterStep(long step, double globalLr);
}

/// <summary>Each analysed layer with the learning rate it trains with next, and the seconds the analysis took.</summary>
public sealed record MethodAnalysis(IReadOnlyList<LayerReport> Layers, double EsdSeconds)
{
    public static LayerReport Describe(LayerSpectrum spectrum, bool tuned, double learningRate)
    {
        var fit = spectrum.Fit;
        return new LayerReport(
            spectrum.Index, spectrum.Name, spectrum.Kind.ToString(), spectrum.EigsNum,
            fit.Succeeded ? fit.Alpha : null, fit.Succeeded ? fit.D : null, fit.Succeeded ? fit.Xmin : null,
            spectrum.SpectralNorm, spectrum.AlphaWeighted, learningRate, tuned, fit.Error,
            EsdHistogramBuilder.Build(spectrum.Eigenvalues));
    }
}
