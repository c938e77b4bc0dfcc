using TempBalance.Core.EdgeOfChaos;
using TempBalance.Core.Spectral;
using static TorchSharp.torch;

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

/// <summary>
/// Each analysed layer with the learning rate it trains with next (<see cref="LayerReport.NextLearningRate"/>;
/// the trainer fills in the rate it trained with), and the seconds the spectral analysis took.
/// </summary>
public sealed record MethodAnalysis(IReadOnlyList<LayerReport> Layers, double EsdSeconds)
{
    /// <summary>The layers' spectra, order parameters and next learning rates, in the analysed layers' order.</summary>
    public static IReadOnlyList<LayerReport> Describe(nn.Module model, IReadOnlyList<(LayerSpectrum Spectrum, bool Tuned, double NextLearningRate)> layers)
    {
        var order = OrderParameters.OfModel(model);
        return layers.Select(l =>
        {
            var (spectrum, fit) = (l.Spectrum, l.Spectrum.Fit);
            var parameters = order[spectrum.Index].Parameters;
            return new LayerReport(
                spectrum.Index, spectrum.Name, spectrum.Kind.ToString(), spectrum.EigsNum,
                fit.Succeeded ? fit.Alpha : null, fit.Succeeded ? fit.D : null, fit.Succeeded ? fit.Xmin : null,
                spectrum.SpectralNorm, spectrum.AlphaWeighted, null, l.NextLearningRate, l.Tuned, fit.Error,
                EsdHistogramBuilder.Build(spectrum.Eigenvalues), parameters.J, parameters.J0);
        }).ToList();
    }
}
