namespace TempBalance.Core.Scheduling;

/// <summary>How the start of the power-law tail (xmin) is chosen; see docs/tempbalance-method.md §2.</summary>
public enum XminRule { Median, Ks, Peak }

/// <summary>How per-layer learning rates are derived from the layer metric (method doc §3).</summary>
public enum AssignmentFunction { Linear, Sqrt, Log2, Step }

/// <summary>The per-layer quantity the learning rates are assigned from.</summary>
public enum LayerMetric { Alpha, SpectralNorm, AlphaWeighted }

/// <summary>Every knob of the TempBalance scheduler. Defaults reproduce the paper.</summary>
public sealed record TempBalanceOptions
{
    /// <summary>Whether TempBalance sets the layers' learning rates; off, every parameter follows the global rate.</summary>
    public bool Enabled { get; init; } = true;

    public XminRule Fit { get; init; } = XminRule.Median;

    /// <summary>For <see cref="XminRule.Median"/>: xmin index = floor(N / XminPos).</summary>
    public int XminPos { get; init; } = 2;

    /// <summary>Conv kernel-position matrices are scaled by sqrt(ConvNorm).</summary>
    public double ConvNorm { get; init; } = 0.5;

    public AssignmentFunction Assign { get; init; } = AssignmentFunction.Linear;
    public LayerMetric Metric { get; init; } = LayerMetric.Alpha;

    /// <summary>s1: the smallest LR factor (linear and step assignment).</summary>
    public double MinRatio { get; init; } = 0.5;

    /// <summary>s2: the largest LR factor (linear and step assignment).</summary>
    public double MaxRatio { get; init; } = 1.5;

    /// <summary>Layers with fewer eigenvalues than this are not tuned; 0 (the paper) tunes them all.</summary>
    public int EigsThresh { get; init; }

    /// <summary>Drop eigenvalues &lt;= 1e-5 before fitting (if any remain).</summary>
    public bool FilterNearZero { get; init; }

    /// <summary>Refit every K optimizer steps instead of once per epoch; 0 means per epoch.</summary>
    public int UpdateEverySteps { get; init; }

    /// <summary>Reference behaviour when all metrics are equal: every layer gets s2 * eta (else the midpoint).</summary>
    public bool ReferenceTieBehaviour { get; init; }

    /// <summary>
    /// Compute eigenvalues in float32 instead of float64: faster (docs/benchmarks.md); alphas then differ from
    /// a float64 SVD by up to about 1e-6 relative (measured 8e-7 on a ResNet18), like the reference's float32 SVD.
    /// </summary>
    public bool Float32Eigenvalues { get; init; }

    /// <summary>Reference (WeightWatcher) lower bound of the peak rule, which mixes log and linear units.</summary>
    public bool ReferencePeakLowerBound { get; init; }

    /// <summary>
    /// FARMS (Fixed-Aspect-Ratio Matrix Subsampling, arXiv 2506.06280): fit the power law to the pooled ESD of
    /// fixed-aspect-ratio windows of each matrix (<see cref="Spectral.FarmsSampler"/>) instead of the whole
    /// matrix's ESD, so alphas of layers of different shapes are comparable. The norms and the spectral norm
    /// stay those of the whole matrix. Off by default (the paper's TempBalance does not use it).
    /// </summary>
    public bool Farms { get; init; }
}
