using TempBalance.Core.EdgeOfChaos;

namespace TempBalance.Core.Sweeps;

/// <summary>One run of a sweep for <see cref="SweepGuidelineCheck"/>: its id (any key the caller uses), SGD setting and metrics.</summary>
public sealed record GuidelineRun(long Id, SgdSetting Setting, RunMetrics Metrics);

/// <summary>
/// One run's prediction from the reference run against what it measured: the J^2 slope the scaling relation gives
/// (c of the reference times eta / ((1 - alpha) B)) and the epoch at which J reaches 1 from its own J^2(0), next to
/// its fitted slope and the epoch where its J^2 crossed 1 (null where it has not, or has no fit).
/// </summary>
public sealed record GuidelinePrediction(
    long Id,
    SgdSetting Setting,
    double PredictedSlope,
    double? MeasuredSlope,
    double? PredictedEdgeEpoch,
    double? MeasuredEdgeEpoch)
{
    /// <summary>(measured - predicted) / predicted; null without a measured slope.</summary>
    public double? SlopeError => MeasuredSlope is { } m && PredictedSlope != 0 ? (m - PredictedSlope) / PredictedSlope : null;
}

/// <summary>
/// The sweep page's test of the paper's guideline: from one run's J^2 slope, the scaling relation
/// A = c eta / ((1 - alpha) B) predicts the slope, and so the edge epoch, of every other run.
/// <see cref="PooledCoefficient"/> is c fitted to all runs with a slope (through the origin), the constant the
/// relation would have if it held exactly; <see cref="PooledSpread"/> how far single runs' c stray from it.
/// </summary>
public sealed record SweepGuidelineCheck(
    long ReferenceId,
    JSquaredSlope ReferenceFit,
    double PooledCoefficient,
    double PooledSpread,
    IReadOnlyList<GuidelinePrediction> Predictions)
{
    /// <summary>
    /// The check over the runs with a successful slope fit; null when fewer than two have one. The reference is the
    /// run whose fit used the most epochs (the best-determined slope), the earliest of equals.
    /// </summary>
    public static SweepGuidelineCheck? From(IReadOnlyList<GuidelineRun> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var fitted = runs.Where(r => r.Metrics.Slope is { Succeeded: true }).ToList();
        if (fitted.Count < 2) return null;
        var reference = fitted.OrderByDescending(r => r.Metrics.Slope!.Points).ThenBy(r => r.Id).First();
        var fit = reference.Metrics.Slope!;
        double pooled = ChaosGuideline.FitCoefficient(fitted.Select(r => (r.Setting, r.Metrics.Slope!.Slope)));
        double spread = fitted.Max(r => Math.Abs(r.Metrics.Slope!.Coefficient / pooled - 1));
        var predictions = runs.Select(r =>
        {
            double slope = ChaosGuideline.SlopeFor(fit.Coefficient, r.Setting);
            double? edge = r.Metrics.InitialJSquared is { } j2 ? ChaosGuideline.PredictEdgeEpoch(slope, j2, r.Setting).EdgeEpoch : null;
            return new GuidelinePrediction(r.Id, r.Setting, slope,
                r.Metrics.Slope is { Succeeded: true } own ? own.Slope : null, edge, r.Metrics.EdgeEpoch);
        }).ToList();
        return new SweepGuidelineCheck(reference.Id, fit, pooled, spread, predictions);
    }
}
