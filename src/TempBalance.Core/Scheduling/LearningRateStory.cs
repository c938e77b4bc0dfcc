using System.Globalization;

namespace TempBalance.Core.Scheduling;

/// <summary>
/// One analysed layer as the analysis that assigned the learning rates saw it: a <c>LayerReport</c> of the run, or
/// a stored row. <paramref name="Alpha"/> is null when the power-law fit failed.
/// </summary>
public sealed record RatedLayer(
    int Index, string Name, bool Tuned, int EigsNum, double? Alpha, double? SpectralNorm, double? AlphaWeighted, string? FitError);

/// <summary>Why a layer trains at its rate.</summary>
public enum RateReason
{
    /// <summary>Tuned: its factor comes from its metric and the assignment rule.</summary>
    Assigned,

    /// <summary>The first analysed layer: TempBalance never tunes it.</summary>
    FirstLayer,

    /// <summary>The last analysed layer (the classifier): TempBalance never tunes it.</summary>
    LastLayer,

    /// <summary>Fewer eigenvalues than <see cref="TempBalanceOptions.EigsThresh"/>: not tuned.</summary>
    TooFewEigenvalues,

    /// <summary>Tuned, but its power-law fit failed: it keeps the global rate.</summary>
    FitFailed,

    /// <summary>Not tuned for a reason the stored rows do not tell.</summary>
    NotTuned,

    /// <summary>TempBalance is off: every layer follows the global schedule.</summary>
    TempBalanceOff,

    /// <summary>The assignment rule cannot take these metrics (log2 of a metric at or below 1).</summary>
    AssignmentFailed,
}

/// <summary>
/// One layer's learning rate in the story: its factor (the rate over the global rate η), why, in a sentence and
/// in a few words (for a chart's hover), the metric the rule used, and the rate itself when η was given.
/// </summary>
public sealed record LayerRate(int Index, string Name, RateReason Why, double Factor, double? Metric, string Reason, string Brief, double? Rate)
{
    /// <summary>"×1.50".</summary>
    public string FactorText => LearningRateStory.FactorText(Factor);
}

/// <summary>
/// Why each layer trains at the learning rate it does, in words: TempBalance's assignment rule (method doc §3,
/// <see cref="LrAssignment"/>) replayed on the layers of the analysis that assigned the rates. That analysis is the
/// one after the previous epoch (before epoch 1: of the initial weights), so the rate a layer trains with during
/// epoch N is explained by the metrics stored for epoch N - 1, and the rate assigned after epoch N by epoch N's.
/// The factors come from <see cref="LrAssignment.Assign"/> itself, so the story cannot drift from the rule.
/// </summary>
/// <param name="Enabled">Whether TempBalance set the rates at all.</param>
/// <param name="MetricName">The metric the rule ranks layers by: "alpha", "spectral norm" or "alpha-hat".</param>
/// <param name="Rule">The assignment rule in words, with its formula and the run's s1 and s2.</param>
/// <param name="Tuning">Which layers TempBalance tunes and which it leaves at the global rate.</param>
/// <param name="Layers">Every layer given, in the order given.</param>
public sealed record LearningRateStory(bool Enabled, string MetricName, string Rule, string Tuning, IReadOnlyList<LayerRate> Layers)
{
    static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public LayerRate? Of(int index) => Layers.FirstOrDefault(l => l.Index == index);

    /// <param name="options">The run's TempBalance options (<see cref="TempBalanceOptions.Enabled"/> says whether it is on).</param>
    /// <param name="layers">The analysed layers of the analysis that assigned the rates, in any order.</param>
    /// <param name="globalLr">The global rate η the factors multiply, when known: fills <see cref="LayerRate.Rate"/>.</param>
    public static LearningRateStory Explain(TempBalanceOptions options, IReadOnlyList<RatedLayer> layers, double? globalLr = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(layers);
        var metricName = NameOf(options.Metric);
        if (!options.Enabled)
        {
            var off = layers.Select(l => Make(l, RateReason.TempBalanceOff, 1, null,
                "TempBalance off: every layer trains at the global learning rate", "TempBalance off", globalLr)).ToList();
            return new LearningRateStory(false, metricName,
                "TempBalance is off: every layer trains at the global learning rate η of the schedule.",
                "TempBalance is off: no layer is tuned.", off);
        }

        var ordered = layers.OrderBy(l => l.Index).ToList();
        int first = ordered.Count > 0 ? ordered[0].Index : -1, last = ordered.Count > 0 ? ordered[^1].Index : -1;
        // The layers the rule ranks: tuned, with a successful fit (the scheduler leaves failed fits out of the range).
        var scored = ordered.Where(l => l.Tuned && l.Alpha is not null && MetricOf(options.Metric, l) is { } m && double.IsFinite(m)).ToList();
        var metrics = scored.Select(l => MetricOf(options.Metric, l)!.Value).ToArray();
        double[] factors;
        string? failure = null;
        try
        {
            factors = LrAssignment.Assign(metrics, 1, options);
        }
        catch (ArgumentException e)
        {
            factors = [.. metrics.Select(_ => 1.0)];
            failure = e.Message;
        }
        var position = scored.Select((l, i) => (l.Index, i)).ToDictionary(x => x.Index, x => x.i);

        var rates = layers.Select(l =>
        {
            if (position.TryGetValue(l.Index, out int k))
            {
                if (failure is not null)
                    return Make(l, RateReason.AssignmentFailed, 1, metrics[k], $"the {options.Assign.ToString().ToLowerInvariant()} rule cannot use these metrics ({failure})", "rule failed", globalLr);
                var (reason, brief) = Assigned(options, metricName, metrics, factors, k);
                return Make(l, RateReason.Assigned, factors[k], metrics[k], reason, brief, globalLr);
            }
            if (l.Tuned)
            {
                var why = l.Alpha is null ? $"power-law fit failed{(l.FitError is { Length: > 0 } e ? $" ({e})" : "")}" : $"no finite {metricName}";
                return Make(l, RateReason.FitFailed, 1, null, $"{why}: keeps the global LR and stays out of the {metricName} range", "fit failed → global LR", globalLr);
            }
            if (l.Index == first) return Make(l, RateReason.FirstLayer, 1, null, "first layer: not tuned, global LR", "first layer, not tuned", globalLr);
            if (l.Index == last) return Make(l, RateReason.LastLayer, 1, null, "last layer: not tuned, global LR", "last layer, not tuned", globalLr);
            if (options.EigsThresh > 0 && l.EigsNum < options.EigsThresh)
            {
                return Make(l, RateReason.TooFewEigenvalues, 1, null,
                    $"{l.EigsNum} eigenvalues, fewer than eigs_thresh {options.EigsThresh}: not tuned, global LR", "too few eigenvalues, not tuned", globalLr);
            }
            return Make(l, RateReason.NotTuned, 1, null, "not tuned: global LR", "not tuned", globalLr);
        }).ToList();

        return new LearningRateStory(true, metricName, RuleText(options, metricName), TuningText(options, ordered, rates), rates);
    }

    /// <summary>The metric the rule ranks by, for <see cref="LayerMetric"/>: null when the layer has none.</summary>
    public static double? MetricOf(LayerMetric metric, RatedLayer layer) =>
        LrAssignment.ScoreOf(metric, layer.Alpha, layer.SpectralNorm, layer.AlphaWeighted);

    public static string NameOf(LayerMetric metric) => metric switch
    {
        LayerMetric.Alpha => "alpha",
        LayerMetric.SpectralNorm => "spectral norm",
        LayerMetric.AlphaWeighted => "alpha-hat",
        _ => metric.ToString(),
    };

    public static string FactorText(double factor) => "×" + factor.ToString("0.00", Invariant);

    static LayerRate Make(RatedLayer l, RateReason why, double factor, double? metric, string reason, string brief, double? globalLr) =>
        new(l.Index, l.Name, why, factor, metric, reason, brief, globalLr * factor);

    static (string Reason, string Brief) Assigned(TempBalanceOptions options, string metricName, double[] metrics, double[] factors, int k)
    {
        int n = metrics.Length;
        double m = metrics[k], min = metrics.Min(), max = metrics.Max();
        string value = $"{metricName} {Number(m)}";
        string of = n == 1 ? "the only tuned layer with a fit" : $"the {n} tuned layers";
        string s1 = Ratio(options.MinRatio), s2 = Ratio(options.MaxRatio);
        switch (options.Assign)
        {
            case AssignmentFunction.Linear when max == min:
                return options.ReferenceTieBehaviour
                    ? ($"{value}, {(n == 1 ? of : $"a tie across {of}")} → s2 = {s2} × η (the reference's tie rule)", $"{value}, tie → s2")
                    : ($"{value}, {(n == 1 ? of : $"a tie across {of}")} → the midpoint (s1 + s2)/2 = {Ratio(factors[k])} × η", $"{value}, tie → midpoint");
            case AssignmentFunction.Linear when m == max:
                return ($"{value}, the largest of {of} → s2 = {s2} × η", $"{value}, the largest → s2");
            case AssignmentFunction.Linear when m == min:
                return ($"{value}, the smallest of {of} → s1 = {s1} × η", $"{value}, the smallest → s1");
            case AssignmentFunction.Linear:
                {
                    var share = ((m - min) / (max - min) * 100).ToString("0", Invariant);
                    return ($"{value}, {share}% of the way from the smallest ({Number(min)}) to the largest ({Number(max)}) → {FactorText(factors[k])}",
                        $"{value}, {share}% of its range");
                }
            case AssignmentFunction.Sqrt:
                return ($"{value}: √{metricName} over the mean √{metricName} of {of} → {FactorText(factors[k])}", value);
            case AssignmentFunction.Log2:
                return ($"{value}: log2 {metricName} over the mean log2 {metricName} of {of} → {FactorText(factors[k])}", value);
            default:
                {
                    // Step ranks ties by position, as LrAssignment does (a stable sort).
                    int rank = Enumerable.Range(0, n).OrderBy(i => metrics[i]).ToList().IndexOf(k);
                    return ($"{value} ranks {rank + 1} of {n} (smallest first) → s1 + (s2 − s1) · {rank}/{n} = {FactorText(factors[k])}",
                        $"{value}, rank {rank + 1} of {n}");
                }
        }
    }

    static string RuleText(TempBalanceOptions options, string metricName)
    {
        string s1 = Ratio(options.MinRatio), s2 = Ratio(options.MaxRatio);
        string m = $"m = {metricName}{(options.Metric == LayerMetric.AlphaWeighted ? " (alpha · log10 λmax)" : "")}";
        var rule = options.Assign switch
        {
            AssignmentFunction.Linear =>
                $"Linear: η_l = η · (s1 + (s2 − s1) · (m_l − m_min) / (m_max − m_min)), {m}, s1 = {s1}, s2 = {s2}: the layer with the smallest {metricName} gets {s1} × η, the largest {s2} × η. " +
                (options.ReferenceTieBehaviour ? "If all are equal, each gets s2 × η (the reference's tie rule)." : "If all are equal, each gets (s1 + s2)/2 × η."),
            AssignmentFunction.Sqrt => $"Square root: η_l = η · n · √m_l / Σ √m_k over the n tuned layers, {m}: the factors average 1.",
            AssignmentFunction.Log2 => $"Log2: η_l = η · n · log2 m_l / Σ log2 m_k over the n tuned layers, {m}: the factors average 1.",
            _ => $"Step: the n tuned layers ranked by {metricName}, smallest first (ties by position); rank r (from 0) gets η · (s1 + (s2 − s1) · r / n), s1 = {s1}, s2 = {s2}.",
        };
        var timing = options.UpdateEverySteps > 0
            ? $" The layers are refitted every {options.UpdateEverySteps} optimizer steps; a layer's rate for an epoch is the one it had when the epoch began."
            : " The rates are assigned from each epoch's analysis (before epoch 1, from the initial weights) and used during the next epoch.";
        return $"{rule} Only tuned layers whose power-law fit succeeded are ranked; the others train at η.{timing}";
    }

    static string TuningText(TempBalanceOptions options, List<RatedLayer> ordered, List<LayerRate> rates)
    {
        if (ordered.Count == 0) return "No layers analysed yet.";
        int tuned = ordered.Count(l => l.Tuned);
        var why = rates.ToDictionary(r => r.Index, r => r.Why);
        var parts = new List<string>();
        if (why.GetValueOrDefault(ordered[0].Index) == RateReason.FirstLayer) parts.Add($"the first ({ordered[0].Name})");
        if (ordered.Count > 1 && why.GetValueOrDefault(ordered[^1].Index) == RateReason.LastLayer) parts.Add($"the last ({ordered[^1].Name})");
        int few = rates.Count(r => r.Why == RateReason.TooFewEigenvalues);
        if (few > 0) parts.Add($"{few} with fewer than {options.EigsThresh} eigenvalues");
        int other = rates.Count(r => r.Why == RateReason.NotTuned);
        if (other > 0) parts.Add($"{other} other{(other == 1 ? "" : "s")}");
        var text = $"TempBalance tunes {tuned} of {ordered.Count} layers";
        return parts.Count == 0 ? text + "." : $"{text}; not {Join(parts)}, which train at the global LR.";
    }

    static string Join(List<string> parts) => parts.Count switch
    {
        1 => parts[0],
        2 => $"{parts[0]} and {parts[1]}",
        _ => $"{string.Join(", ", parts.Take(parts.Count - 1))} and {parts[^1]}",
    };

    /// <summary>Two decimals for the usual alphas and norms; three significant digits for very small or large ones.</summary>
    static string Number(double value) =>
        Math.Abs(value) is >= 0.01 and < 1000 ? value.ToString("0.00", Invariant) : value.ToString("G3", Invariant);

    /// <summary>s1, s2 and other ratios as given: 0.5, 1.5, 1.</summary>
    static string Ratio(double value) => value.ToString("0.###", Invariant);
}
