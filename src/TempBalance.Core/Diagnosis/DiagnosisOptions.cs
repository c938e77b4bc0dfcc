using System.Text.RegularExpressions;
using TempBalance.Core.Scheduling;
using TempBalance.Core.Spectral;

namespace TempBalance.Core.Diagnosis;

/// <summary>
/// Split a fused matrix whose name matches <see cref="Pattern"/> (a glob, see <see cref="NamePattern"/>) into
/// <see cref="Parts"/> equal matrices along its long side, each analysed as a layer of its own (GPT-2's
/// c_attn [768, 2304] holds the query, key and value projections: 3 parts of [768, 768]).
/// </summary>
public sealed record FusedSplit(int Parts, string Pattern)
{
    /// <summary>Names of fused attention projections in common models (GPT-2, ViT/BLOOM/Falcon, Baichuan).</summary>
    public static IReadOnlyList<string> DefaultPatterns { get; } = ["*c_attn.weight", "*qkv*", "*query_key_value*", "*W_pack*"];
}

/// <summary>Everything a diagnosis can be told; the defaults are those of `tempbalance analyze`.</summary>
public sealed record DiagnosisOptions
{
    /// <summary>WeightWatcher's min_evals: a layer with fewer eigenvalues gets no verdict.</summary>
    public const int DefaultMinEigenvalues = LayerSpectrum.DefaultMinEigenvalues;

    public XminRule Fit { get; init; } = XminRule.Median;

    /// <summary>For <see cref="XminRule.Median"/>: xmin index = floor(N / XminPos).</summary>
    public int XminPos { get; init; } = 2;

    /// <summary>Conv kernel-position matrices are scaled by sqrt(ConvNorm) (TempBalance's convention).</summary>
    public double ConvNorm { get; init; } = 0.5;

    /// <summary>Drop eigenvalues &lt;= 1e-5 before the fit (WeightWatcher always does).</summary>
    public bool FilterNearZero { get; init; }

    /// <summary>Alpha from FARMS windows (<see cref="Spectral.FarmsSampler"/>) instead of the whole matrix.</summary>
    public bool Farms { get; init; }

    /// <summary>Eigenvalues in float32 (faster, about 1e-6 relative in alpha) instead of float64.</summary>
    public bool Float32Eigenvalues { get; init; }

    /// <summary>Analyse only tensors whose name matches one of these globs; empty: all.</summary>
    public IReadOnlyList<string> Include { get; init; } = [];

    /// <summary>More name globs of embeddings to skip, besides names containing "embed", "wte" or "wpe".</summary>
    public IReadOnlyList<string> EmbeddingPatterns { get; init; } = [];

    /// <summary>Fused matrices to split; the first rule whose pattern matches a 2-D tensor applies.</summary>
    public IReadOnlyList<FusedSplit> SplitFused { get; init; } = [];

    /// <summary>Layers with fewer eigenvalues get <see cref="HtsrVerdict.TooFewEigenvalues"/>.</summary>
    public int MinEigenvalues { get; init; } = DefaultMinEigenvalues;

    /// <summary>Weights are read and analysed in batches of about this many elements (bounds memory for large models).</summary>
    public long BatchElements { get; init; } = 32L << 20;

    /// <summary>The spectral options of the same settings (what <see cref="Spectral.EsdAnalyzer"/> takes).</summary>
    public TempBalanceOptions ToSpectralOptions() => new()
    {
        Fit = Fit,
        XminPos = XminPos,
        ConvNorm = ConvNorm,
        FilterNearZero = FilterNearZero,
        Float32Eigenvalues = Float32Eigenvalues,
        Farms = Farms,
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that cannot work.</summary>
    public void Validate()
    {
        if (XminPos < 1) throw new ArgumentException($"xmin_pos must be at least 1, not {XminPos}.");
        if (!(ConvNorm > 0 && double.IsFinite(ConvNorm))) throw new ArgumentException($"conv_norm must be a positive number, not {ConvNorm}.");
        if (MinEigenvalues < 0) throw new ArgumentException($"the minimum number of eigenvalues cannot be negative ({MinEigenvalues}).");
        if (BatchElements < 1) throw new ArgumentException("the batch size must be positive.");
        foreach (var split in SplitFused)
            if (split.Parts < 2) throw new ArgumentException($"a fused matrix is split into at least 2 parts, not {split.Parts} ('{split.Pattern}').");
    }
}

/// <summary>
/// Name globs: '*' matches any run of characters (dots included), '?' one character, everything else itself;
/// the whole name must match, case-sensitively. "transformer.h.*.mlp.*" selects every MLP weight of GPT-2.
/// </summary>
public sealed class NamePattern
{
    readonly Regex regex;

    public NamePattern(string glob)
    {
        Glob = glob;
        var body = string.Concat(glob.Select(c => c switch
        {
            '*' => ".*",
            '?' => ".",
            _ => Regex.Escape(c.ToString()),
        }));
        regex = new Regex($"^{body}$", RegexOptions.CultureInvariant | RegexOptions.Singleline);
    }

    public string Glob { get; }

    public bool Matches(string name) => regex.IsMatch(name);
}
