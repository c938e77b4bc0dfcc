using System.Globalization;
using TempBalance.Core.Spectral;

namespace TempBalance.Core.Diagnosis;

/// <summary>Why a tensor is not analysed as a layer.</summary>
public enum SkipReason
{
    /// <summary>Its name matches none of <see cref="DiagnosisOptions.Include"/>.</summary>
    ExcludedByFilter,

    /// <summary>Integer, boolean or a floating-point format the analysis does not read (float8).</summary>
    NotFloatingPoint,

    /// <summary>0-D: a scalar (a counter such as num_batches_tracked).</summary>
    Scalar,

    /// <summary>1-D: a bias or normalisation vector.</summary>
    Vector,

    /// <summary>A bias or attention-mask buffer (the name ends in "bias").</summary>
    Bias,

    /// <summary>An embedding table (name contains embed, wte or wpe, or matches an embedding pattern).</summary>
    Embedding,

    /// <summary>3-D or more than 4-D: not a Linear [out, in] or Conv2d [out, in, kh, kw] weight.</summary>
    UnsupportedShape,

    /// <summary>A dimension of size 0.</summary>
    Empty,
}

/// <summary>A tensor that was read but not analysed, and why.</summary>
public sealed record SkippedTensor(string Name, string Source, long[] Shape, string DType, SkipReason Reason, string Detail);

/// <summary>
/// One analysed layer (a 2-D matrix, a Conv2d kernel, or one part of a split fused matrix) with every metric.
/// Metric properties are null when they cannot be computed (a failed fit has no alpha); NaN never appears
/// in them. <see cref="Spectrum"/> holds the eigenvalues (for plots) and the raw fit.
/// </summary>
/// <param name="Index">Position in the report, from 0.</param>
/// <param name="Name">The tensor name as stored (e.g. transformer.h.3.mlp.c_fc.weight); a split part adds "[k]".</param>
/// <param name="Source">The file it came from.</param>
/// <param name="TensorName">The stored tensor's name (without the part suffix).</param>
/// <param name="Shape">The stored tensor's shape.</param>
/// <param name="DType">The stored dtype (float32, float16, bfloat16, float64).</param>
/// <param name="Part">For a split fused matrix, the part (from 0); otherwise 0.</param>
/// <param name="PartCount">How many parts the tensor was split into; 1 when not split.</param>
/// <param name="Rows">Rows of each analysed matrix (a conv layer: out channels; a split part: its rows).</param>
/// <param name="Columns">Columns of each analysed matrix (a conv layer: in channels).</param>
/// <param name="Order">
/// The order parameters of the analysed weight (J = std(W) sqrt(N), J0 = mean(W) N, docs/edge-of-chaos-method.md §1) with
/// fan-in N its second dimension times the kernel size ([out, in] and [out, in, kh, kw] layouts).
/// </param>
public sealed record DiagnosedLayer(
    int Index,
    string Name,
    string Source,
    string TensorName,
    long[] Shape,
    string DType,
    LayerKind Kind,
    int Part,
    int PartCount,
    long Rows,
    long Columns,
    LayerSpectrum Spectrum,
    WeightWatcherMetrics Metrics,
    HtsrVerdict Verdict,
    bool Farms,
    EdgeOfChaos.OrderParameters? Order = null)
{
    /// <summary>J = std(W) sqrt(fan-in); null when not finite (NaN weights) or not computed.</summary>
    public double? J => Finite(Order?.J);

    /// <summary>J0 = mean(W) fan-in; null when not finite or not computed.</summary>
    public double? J0 => Finite(Order?.J0);

    PowerLawFit Fit => Spectrum.Fit;

    public int EigenvalueCount => Spectrum.EigsNum;
    public double? Alpha => Fit.Succeeded ? Fit.Alpha : null;
    public double? D => Fit.Succeeded ? Fit.D : null;
    public double? Xmin => Fit.Succeeded ? Fit.Xmin : null;

    /// <summary>Eigenvalues in the fitted tail.</summary>
    public int? TailSize => Fit.Succeeded ? Fit.TailSize : null;

    /// <summary>alpha-hat = alpha * log10(lambda_max).</summary>
    public double? AlphaWeighted => Finite(Spectrum.AlphaWeighted);

    /// <summary>log10 of the largest eigenvalue (the squared spectral norm).</summary>
    public double? LogSpectralNorm => Finite(Spectrum.LogSpectralNorm);

    /// <summary>log10 of the sum of eigenvalues (the squared Frobenius norm).</summary>
    public double? LogNorm => Finite(Spectrum.LogNorm);

    /// <summary>log10 of the sum of lambda^alpha.</summary>
    public double? LogAlphaNorm => Finite(Spectrum.LogAlphaNorm);

    /// <summary>sum lambda / lambda_max.</summary>
    public double? StableRank => Spectrum.SpectralNorm > 0 ? Spectrum.StableRank : null;

    public double? MatrixEntropy => Finite(Metrics.MatrixEntropy);
    public int MatrixRank => Metrics.MatrixRank;
    public int? NumSpikes => Metrics.MarchenkoPastur?.NumSpikes;

    /// <summary>The Marchenko-Pastur bulk edge lambda_+ in the units of the eigenvalues.</summary>
    public double? MpBulkMax => Metrics.MarchenkoPastur?.BulkMax;

    /// <summary>The fitted MP scale (WeightWatcher's sigma_mp, the ESD rescaled to mean 1).</summary>
    public double? MpSigma => Metrics.MarchenkoPastur?.Sigma;

    public double? MpSoftRank => Metrics.MarchenkoPastur?.SoftRank;

    /// <summary>Why the fit failed; null when it succeeded.</summary>
    public string? FitError => Fit.Error;

    static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;
}

/// <summary>Where a running diagnosis stands (reported after each batch of layers).</summary>
public readonly record struct DiagnosisProgress(int LayersDone, int LayerCount, string? LastLayer);

/// <summary>The model in a few numbers.</summary>
/// <param name="LayerCount">Analysed layers.</param>
/// <param name="MeanAlpha">Mean alpha over the layers with a verdict from alpha (OverTrained, WellTrained, UnderTrained); null if none.</param>
/// <param name="VerdictCounts">Layers per verdict (every verdict present, possibly 0).</param>
/// <param name="MostUnderTrained">Up to 3 layers with the largest alpha among those with an alpha verdict, largest first.</param>
public sealed record DiagnosisSummary(
    int LayerCount,
    double? MeanAlpha,
    IReadOnlyDictionary<HtsrVerdict, int> VerdictCounts,
    IReadOnlyList<DiagnosedLayer> MostUnderTrained,
    int SkippedCount,
    int FailureCount)
{
    /// <summary>Share of analysed layers with this verdict, in [0, 1].</summary>
    public double Share(HtsrVerdict verdict) => LayerCount == 0 ? 0 : (double)VerdictCounts[verdict] / LayerCount;

    public static DiagnosisSummary From(IReadOnlyList<DiagnosedLayer> layers, int skipped, int failures)
    {
        var counts = Enum.GetValues<HtsrVerdict>().ToDictionary(v => v, v => layers.Count(l => l.Verdict == v));
        var judged = layers.Where(l => l.Verdict is HtsrVerdict.OverTrained or HtsrVerdict.WellTrained or HtsrVerdict.UnderTrained).ToList();
        double? mean = judged.Count > 0 ? judged.Average(l => l.Alpha!.Value) : null;
        var worst = judged.OrderByDescending(l => l.Alpha!.Value).ThenBy(l => l.Index).Take(3).ToList();
        return new DiagnosisSummary(layers.Count, mean, counts, worst, skipped, failures);
    }

    /// <summary>
    /// One line: "48 layers, mean alpha 3.412; over-trained 0%, well trained 75%, under-trained 25%, too few
    /// eigenvalues 0%, fit failed 0%; most under-trained: a (7.20), b (6.91), c (6.50); 100 tensors skipped".
    /// </summary>
    public string Describe()
    {
        var c = CultureInfo.InvariantCulture;
        var parts = new List<string>
        {
            $"{LayerCount} layer{(LayerCount == 1 ? "" : "s")}, mean alpha {(MeanAlpha is { } m ? m.ToString("F3", c) : "-")}",
            string.Join(", ", Enum.GetValues<HtsrVerdict>().Select(v => $"{VerdictText(v)} {(Share(v) * 100).ToString("F0", c)}%")),
        };
        if (MostUnderTrained.Count > 0)
            parts.Add("most under-trained: " + string.Join(", ", MostUnderTrained.Select(l => $"{l.Name} ({l.Alpha!.Value.ToString("F2", c)})")));
        if (SkippedCount > 0) parts.Add($"{SkippedCount} tensor{(SkippedCount == 1 ? "" : "s")} skipped");
        if (FailureCount > 0) parts.Add($"{FailureCount} input error{(FailureCount == 1 ? "" : "s")}");
        return string.Join("; ", parts);
    }

    /// <summary>The verdict in words: over-trained, well trained, under-trained, too few eigenvalues, fit failed.</summary>
    public static string VerdictText(HtsrVerdict verdict) => verdict switch
    {
        HtsrVerdict.OverTrained => "over-trained",
        HtsrVerdict.WellTrained => "well trained",
        HtsrVerdict.UnderTrained => "under-trained",
        HtsrVerdict.TooFewEigenvalues => "too few eigenvalues",
        _ => "fit failed",
    };
}

/// <summary>The result of <see cref="ModelDiagnosis.Analyze(IReadOnlyList{DiagnosisInput}, DiagnosisOptions?, IProgress{DiagnosisProgress}?, CancellationToken)"/>.</summary>
/// <param name="Layers">Analysed layers in file order (within a file, in the order the file lists its tensors).</param>
/// <param name="Skipped">Tensors read but not analysed, with the reason.</param>
/// <param name="Failures">Files or tensors that could not be read (the others were still analysed).</param>
public sealed record DiagnosisReport(
    IReadOnlyList<DiagnosedLayer> Layers,
    IReadOnlyList<SkippedTensor> Skipped,
    IReadOnlyList<DiagnosisFailure> Failures,
    DiagnosisSummary Summary,
    DiagnosisOptions Options,
    TimeSpan Elapsed);

/// <summary>What <see cref="ModelDiagnosis.Inspect"/> found: how many tensors the inputs list, and every problem with them.</summary>
public sealed record DiagnosisInspection(int TensorCount, IReadOnlyList<DiagnosisFailure> Failures);
