namespace TempBalance.Core.Scheduling;

/// <summary>Per-layer learning rates from per-layer scores (method doc §3).</summary>
public static class LrAssignment
{
    /// <summary>
    /// A layer's score for <paramref name="metric"/>: its power-law alpha, its spectral norm (largest eigenvalue)
    /// or alpha-hat (alpha · log10 of it); null when the layer has none (alpha and alpha-hat need a fit).
    /// </summary>
    public static double? ScoreOf(LayerMetric metric, double? alpha, double? spectralNorm, double? alphaWeighted) => metric switch
    {
        LayerMetric.Alpha => alpha,
        LayerMetric.SpectralNorm => spectralNorm,
        LayerMetric.AlphaWeighted => alphaWeighted,
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown metric."),
    };

    /// <summary>
    /// One learning rate per score, for the global rate <paramref name="eta"/>. With `linear`, equal scores
    /// give every layer the midpoint (s1 + s2)/2 * eta, or s2 * eta with
    /// <see cref="TempBalanceOptions.ReferenceTieBehaviour"/>. `step` ranks ties by position.
    /// </summary>
    public static double[] Assign(IReadOnlyList<double> scores, double eta, TempBalanceOptions options)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(options);
        if (!double.IsFinite(eta) || eta < 0) throw new ArgumentException($"The global learning rate must be a finite number >= 0, not {eta}.", nameof(eta));
        for (int l = 0; l < scores.Count; l++)
            if (!double.IsFinite(scores[l])) throw new ArgumentException($"Score {l} is {scores[l]}; scores must be finite.", nameof(scores));
        int n = scores.Count;
        if (n == 0) return [];
        double s1 = options.MinRatio, s2 = options.MaxRatio;

        switch (options.Assign)
        {
            case AssignmentFunction.Linear:
                {
                    double min = scores.Min(), max = scores.Max();
                    if (max == min)
                    {
                        double factor = options.ReferenceTieBehaviour ? s2 : (s1 + s2) / 2;
                        return Enumerable.Repeat(eta * factor, n).ToArray();
                    }
                    return scores.Select(s => eta * (s1 + (s2 - s1) * (s - min) / (max - min))).ToArray();
                }
            case AssignmentFunction.Sqrt:
                {
                    if (scores.Any(s => s < 0)) throw new ArgumentException("sqrt assignment needs scores >= 0.", nameof(scores));
                    double sum = scores.Sum(Math.Sqrt);
                    if (sum == 0) return Enumerable.Repeat(eta, n).ToArray();
                    return scores.Select(s => eta * n * Math.Sqrt(s) / sum).ToArray();
                }
            case AssignmentFunction.Log2:
                {
                    int bad = Enumerable.Range(0, n).FirstOrDefault(l => scores[l] <= 1, -1);
                    if (bad >= 0)
                        throw new ArgumentException($"log2 assignment needs every score > 1, but score {bad} is {scores[bad]}; use linear or sqrt for this metric.", nameof(scores));
                    double sum = scores.Sum(Math.Log2);
                    return scores.Select(s => eta * n * Math.Log2(s) / sum).ToArray();
                }
            case AssignmentFunction.Step:
                {
                    var order = Enumerable.Range(0, n).OrderBy(l => scores[l]).ToArray();
                    var result = new double[n];
                    for (int rank = 0; rank < n; rank++) result[order[rank]] = eta * (s1 + (s2 - s1) * rank / n);
                    return result;
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(options), options.Assign, "Unknown assignment function.");
        }
    }
}
