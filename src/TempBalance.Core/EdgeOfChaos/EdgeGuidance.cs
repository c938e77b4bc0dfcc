using System.Globalization;

namespace TempBalance.Core.EdgeOfChaos;

/// <summary>J of a run's watched layer at one epoch (0 = untrained), with that epoch's test loss when it has one.</summary>
public readonly record struct JPoint(int Epoch, double J, double? TestLoss = null);

/// <summary>
/// What the guideline says about one run so far (docs/edge-of-chaos-method.md §3): the J^2 slope of its ordered
/// phase, the epoch at which that slope reaches the edge, where the run actually crossed J = 1, its best epoch
/// (lowest test loss) with J there, and the weight decay that would hold it at the edge. <see cref="Text"/> says it
/// in words for the run page.
/// </summary>
public sealed record EdgeGuidance(
    JSquaredSlope? Fit,
    double? PredictedEdgeEpoch,
    int? FirstEpochAtEdge,
    int? BestEpoch,
    double? BestTestLoss,
    double? JAtBestEpoch,
    EdgeWeightDecay? WeightDecay,
    string Text)
{
    /// <summary>
    /// Fits J^2 = A t + b over the ordered phase (<see cref="ChaosGuideline.FitSlope(IReadOnlyList{ValueTuple{double, double}}, SgdSetting, double)"/>)
    /// from epoch 1 on: the first epoch's growth is a transient (about twice the later per-epoch growth in the
    /// paper's setting, measured), which a short run's fit would take for the slope. Epoch 0 joins only when fewer
    /// than <see cref="ChaosGuideline.MinimumFitPoints"/> points are left without it.
    /// </summary>
    public static JSquaredSlope FitSlope(IReadOnlyList<JPoint> trajectory, SgdSetting setting)
    {
        ArgumentNullException.ThrowIfNull(trajectory);
        ArgumentNullException.ThrowIfNull(setting);
        var points = trajectory.Where(p => double.IsFinite(p.J)).OrderBy(p => p.Epoch).Select(p => ((double)p.Epoch, p.J * p.J)).ToList();
        var fromFirst = ChaosGuideline.FitSlope(points.Where(p => p.Item1 >= 1).ToList(), setting);
        return fromFirst.Succeeded ? fromFirst : ChaosGuideline.FitSlope(points, setting);
    }

    /// <param name="trajectory">The watched layer's J per epoch, epoch 0 included when recorded.</param>
    /// <param name="setting">The run's SGD setting; null when it does not train with plain SGD (no slope is then fitted).</param>
    /// <param name="optimizerName">The optimizer's name for the text when <paramref name="setting"/> is null.</param>
    /// <param name="trainingSamples">Images per epoch, for the weight decay; null leaves it out.</param>
    /// <param name="weightDecay">The run's own weight decay: with one, the fitted growth is net of it and no decay for the edge is given.</param>
    public static EdgeGuidance From(IReadOnlyList<JPoint> trajectory, SgdSetting? setting, string optimizerName, long? trainingSamples, double weightDecay)
    {
        ArgumentNullException.ThrowIfNull(trajectory);
        var c = CultureInfo.InvariantCulture;
        var ordered = trajectory.Where(p => double.IsFinite(p.J)).OrderBy(p => p.Epoch).ToList();
        var firstAtEdge = ordered.FirstOrDefault(p => p.J >= 1) is { J: >= 1 } crossed ? crossed.Epoch : (int?)null;
        var withLoss = ordered.Where(p => p.Epoch >= 1 && p.TestLoss is { } l && double.IsFinite(l)).ToList();
        bool hasBest = withLoss.Count > 0;
        var best = hasBest ? withLoss.MinBy(p => p.TestLoss!.Value) : default;

        var sentences = new List<string>();
        JSquaredSlope? fit = null;
        double? predicted = null;
        EdgeWeightDecay? decay = null;
        if (ordered.Count == 0)
            sentences.Add("J is recorded with each epoch; the guideline starts once a few epochs are in.");
        else if (setting is null)
            sentences.Add($"The slope rule A = c·η/((1 − α)B) is for SGD with momentum; this run trains with {optimizerName}.");
        else
        {
            fit = FitSlope(ordered, setting);
            if (!fit.Succeeded)
            {
                int ordering = ordered.Count(p => p.J < ChaosGuideline.DefaultEdgeFraction);
                sentences.Add(firstAtEdge is null
                    ? $"The J² slope needs {ChaosGuideline.MinimumFitPoints} epochs in the ordered phase (J < {ChaosGuideline.DefaultEdgeFraction.ToString(c)}); {ordering} so far."
                    : $"J reached 1 at epoch {firstAtEdge} before the J² slope could be fitted ({ordering} epoch{(ordering == 1 ? "" : "s")} below J = {ChaosGuideline.DefaultEdgeFraction.ToString(c)}).");
            }
            else
            {
                double initial = ordered[0].Epoch == 0 ? ordered[0].J * ordered[0].J : Math.Max(0, fit.Intercept);
                predicted = ChaosGuideline.PredictEdgeEpoch(fit.Slope, initial, setting).EdgeEpoch;
                var slopeText = $"J² grows by {fit.Slope.ToString("G3", c)} per epoch (epochs {fit.FirstEpoch.ToString(c)}–{fit.LastEpoch.ToString(c)}, c = {fit.Coefficient.ToString("F1", c)})";
                sentences.Add(double.IsFinite(predicted.Value)
                    ? $"{slopeText}: at this slope the model reaches the edge at epoch ≈ {predicted.Value.ToString("F0", c)}"
                      + (firstAtEdge is { } at ? $"; J reached 1 at epoch {at}." : ".")
                    : $"{slopeText}: at this slope J does not reach the edge.");
                if (trainingSamples is >= 1 and <= int.MaxValue && weightDecay == 0 && fit.Slope > 0)
                {
                    decay = ChaosGuideline.WeightDecayForEdge(fit, (int)trainingSamples.Value);
                    sentences.Add($"Weight decay {decay.WeightDecay.ToString("G2", c)} would hold it at the edge (settling in about {decay.RelaxationEpochs.ToString("F0", c)} epochs).");
                }
                else if (weightDecay > 0)
                    sentences.Add($"With weight decay {weightDecay.ToString("G2", c)} the growth measured is net of the decay.");
            }
        }
        if (hasBest)
            sentences.Add($"Lowest test (validation) loss so far at epoch {best.Epoch}, J = {best.J.ToString("F2", c)}.");

        return new EdgeGuidance(fit, predicted, firstAtEdge, hasBest ? best.Epoch : null, best.TestLoss,
            hasBest ? best.J : null, decay, string.Join(" ", sentences));
    }
}
