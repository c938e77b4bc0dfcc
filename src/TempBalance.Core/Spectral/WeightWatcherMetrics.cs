namespace TempBalance.Core.Spectral;

/// <summary>
/// The WeightWatcher metrics that need the matrix dimensions besides the eigenvalues (the others are on
/// <see cref="LayerSpectrum"/>): matrix entropy, hard rank and the Marchenko-Pastur fit with its spikes.
/// All are invariant to scaling the eigenvalues, so the conv normalisation does not change them.
/// </summary>
/// <param name="MatrixEntropy">WeightWatcher's matrix_entropy: -sum p ln p / ln(rank), p = lambda / sum lambda;
/// NaN when every eigenvalue is zero.</param>
/// <param name="MatrixRank">WeightWatcher's matrix_rank of the singular values sqrt(lambda): those above
/// max(sqrt(lambda)) * N * machine epsilon (float64), N the long side.</param>
/// <param name="MarchenkoPastur">The MP fit, or null when it cannot be made (no positive eigenvalue).</param>
public sealed record WeightWatcherMetrics(double MatrixEntropy, int MatrixRank, MarchenkoPasturFit? MarchenkoPastur)
{
    /// <summary>WeightWatcher's EPSILON, added to every p and to the rank before the logarithms.</summary>
    const double Epsilon = 1e-10;

    /// <summary>numpy.finfo(float64).eps: the gap between 1 and the next double (.NET's double.Epsilon is the smallest subnormal instead).</summary>
    const double Float64Epsilon = 2.220446049250313e-16;

    /// <summary>
    /// Metrics of the eigenvalues of matrices <paramref name="rows"/> x <paramref name="cols"/> (for a conv
    /// layer, the per-position matrices; the eigenvalues of all positions pooled).
    /// </summary>
    public static WeightWatcherMetrics From(ReadOnlySpan<double> eigenvalues, long rows, long cols)
    {
        long longSide = Math.Max(rows, cols);
        double maxSingular = 0, sum = 0;
        foreach (var e in eigenvalues)
        {
            maxSingular = Math.Max(maxSingular, Math.Sqrt(Math.Max(e, 0)));
            sum += e;
        }
        double tolerance = maxSingular * longSide * Float64Epsilon;
        int rank = 0;
        foreach (var e in eigenvalues) if (Math.Sqrt(Math.Max(e, 0)) > tolerance) rank++;

        double entropy = double.NaN;
        if (sum > 0 && double.IsFinite(sum))
        {
            double h = 0;
            foreach (var e in eigenvalues)
            {
                double p = e / sum + Epsilon;
                h -= p * Math.Log(p);
            }
            entropy = h / Math.Log(rank + Epsilon);
        }
        return new WeightWatcherMetrics(entropy, rank, MarchenkoPasturFit.Fit(eigenvalues, rows, cols));
    }
}
