using TempBalance.Core.Scheduling;

namespace TempBalance.Core.Spectral;

public enum LayerKind { Conv2d, Linear }

/// <summary>HT-SR reading of a layer's power-law exponent (method doc §2).</summary>
public enum HtsrLabel
{
    /// <summary>alpha &lt; 2: heavy-tailed, possibly over-trained.</summary>
    HeavyTailed,

    /// <summary>2 &lt;= alpha &lt;= 6.</summary>
    WellTrained,

    /// <summary>alpha &gt; 6: under-trained or random-like.</summary>
    UnderTrained,

    /// <summary>The power-law fit failed.</summary>
    Unknown,
}

/// <summary>
/// The HT-SR verdict on a layer: its <see cref="HtsrLabel"/> when there are enough eigenvalues to judge, else why
/// there is none. The one rule for every place that judges layers (diagnosis, the run pages): see
/// <see cref="LayerSpectrum.VerdictFor(int, double?, int)"/>.
/// </summary>
public enum HtsrVerdict
{
    /// <summary>alpha &lt; 2: very heavy-tailed, possibly over-trained.</summary>
    OverTrained,

    /// <summary>2 &lt;= alpha &lt;= 6.</summary>
    WellTrained,

    /// <summary>alpha &gt; 6: under-trained, close to random.</summary>
    UnderTrained,

    /// <summary>Fewer eigenvalues than the threshold (<see cref="LayerSpectrum.DefaultMinEigenvalues"/>): a fit of so few says nothing.</summary>
    TooFewEigenvalues,

    /// <summary>The power-law fit failed (the reason is on the layer).</summary>
    FitFailed,
}

/// <summary>
/// One analysed layer: its pooled eigenvalues (squared singular values, ascending) and the metrics of the
/// method doc §1. When the fit failed, <see cref="AlphaWeighted"/> and <see cref="LogAlphaNorm"/> are null and
/// <see cref="Fit"/> carries the reason. <see cref="LogNorm"/> and <see cref="LogSpectralNorm"/> are
/// negative infinity for an all-zero weight.
/// </summary>
public sealed record LayerSpectrum(
    int Index,
    string Name,
    LayerKind Kind,
    double[] Eigenvalues,
    int EigsNum,
    double SpectralNorm,
    double Norm,
    PowerLawFit Fit,
    double? AlphaWeighted,
    double LogNorm,
    double LogSpectralNorm,
    double? LogAlphaNorm,
    double StableRank,
    HtsrLabel Label)
{
    /// <summary>
    /// The eigenvalues the power law was fitted to, ascending, when they are not <see cref="Eigenvalues"/>:
    /// with <see cref="TempBalanceOptions.Farms"/>, the pooled eigenvalues of the FARMS windows; null otherwise.
    /// </summary>
    public double[]? FitEigenvalues { get; init; }

    /// <summary>The HT-SR reading of an alpha (method doc §2); no alpha (a failed fit) reads Unknown.</summary>
    public static HtsrLabel LabelFor(double? alpha) =>
        alpha is not { } a || double.IsNaN(a) ? HtsrLabel.Unknown
        : a < 2 ? HtsrLabel.HeavyTailed
        : a <= 6 ? HtsrLabel.WellTrained
        : HtsrLabel.UnderTrained;

    public static HtsrLabel LabelFor(PowerLawFit fit) => LabelFor(fit.Succeeded ? fit.Alpha : null);

    /// <summary>
    /// Below this many eigenvalues a layer gets no verdict (WeightWatcher's min_evals): a power law fitted to a
    /// handful of points can land anywhere, and calling such a layer under- or well-trained would be noise.
    /// </summary>
    public const int DefaultMinEigenvalues = 10;

    /// <summary>
    /// The verdict on a layer with <paramref name="eigenvalueCount"/> eigenvalues and power-law exponent
    /// <paramref name="alpha"/> (null: the fit failed). No eigenvalues at all (a weight that is not finite) is a
    /// failed fit; then too few eigenvalues, a failed fit, and the alpha ranges of <see cref="LabelFor(double?)"/>.
    /// </summary>
    public static HtsrVerdict VerdictFor(int eigenvalueCount, double? alpha, int minEigenvalues = DefaultMinEigenvalues)
    {
        if (eigenvalueCount == 0) return HtsrVerdict.FitFailed;
        if (eigenvalueCount < minEigenvalues) return HtsrVerdict.TooFewEigenvalues;
        return LabelFor(alpha) switch
        {
            HtsrLabel.HeavyTailed => HtsrVerdict.OverTrained,
            HtsrLabel.WellTrained => HtsrVerdict.WellTrained,
            HtsrLabel.UnderTrained => HtsrVerdict.UnderTrained,
            _ => HtsrVerdict.FitFailed,
        };
    }

    /// <summary>The verdict on an analysed spectrum (see <see cref="VerdictFor(int, double?, int)"/>).</summary>
    public static HtsrVerdict VerdictFor(LayerSpectrum spectrum, int minEigenvalues = DefaultMinEigenvalues) =>
        VerdictFor(spectrum.EigsNum, spectrum.Fit.Succeeded ? spectrum.Fit.Alpha : null, minEigenvalues);

    /// <summary>Derives every metric of the method doc from sorted eigenvalues and their fit.</summary>
    public static LayerSpectrum From(int index, string name, LayerKind kind, double[] eigenvaluesAscending, PowerLawFit fit)
    {
        double spectralNorm = eigenvaluesAscending.Length == 0 ? 0 : eigenvaluesAscending[^1];
        double norm = 0;
        foreach (var e in eigenvaluesAscending) norm += e;
        double? alphaWeighted = null, logAlphaNorm = null;
        if (fit.Succeeded)
        {
            alphaWeighted = fit.Alpha * Math.Log10(spectralNorm);
            double sum = 0;
            foreach (var e in eigenvaluesAscending) sum += e > 0 ? Math.Pow(e, fit.Alpha) : 0;
            logAlphaNorm = Math.Log10(sum);
        }
        return new LayerSpectrum(
            index, name, kind, eigenvaluesAscending, eigenvaluesAscending.Length, spectralNorm, norm, fit,
            alphaWeighted, Math.Log10(norm), Math.Log10(spectralNorm), logAlphaNorm,
            spectralNorm > 0 ? norm / spectralNorm : 0, LabelFor(fit));
    }
}
