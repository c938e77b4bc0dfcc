using TempBalance.Core.Spectral;
using TempBalance.Web.Data;

namespace TempBalance.Web.Diagnoses;

/// <summary>One diagnosis in the history list and at the top of its page.</summary>
public sealed record DiagnosisSummaryView(
    long Id,
    string FileName,
    long FileBytes,
    DiagnosisStatus Status,
    DateTime CreatedAt,
    DateTime? StartedAt,
    DateTime? FinishedAt,
    string? ErrorMessage,
    int LayersDone,
    int LayerTotal,
    int LayerCount,
    double? MeanAlpha,
    string? Summary,
    string Options,
    string? CreatedBy,
    string? CreatedByUserId)
{
    public bool IsActive => Status is DiagnosisStatus.Queued or DiagnosisStatus.Running;
}

/// <summary>A layer with every metric Core computes; the ESD histogram is fetched on its own (<see cref="DiagnosisSpectrum"/>).</summary>
public sealed record DiagnosisLayerView(
    int Index,
    string Name,
    string Kind,
    string Shape,
    string DType,
    int Part,
    int PartCount,
    long Rows,
    long Columns,
    int EigsNum,
    double? Alpha,
    double? D,
    double? Xmin,
    int? TailSize,
    double? AlphaWeighted,
    double? LogSpectralNorm,
    double? LogNorm,
    double? LogAlphaNorm,
    double? StableRank,
    double? MatrixEntropy,
    int? NumSpikes,
    double? MpBulkMax,
    HtsrVerdict Verdict,
    string? FitError)
{
    /// <summary>The verdict comes from alpha (heavy-tailed, well trained, under-trained), not "too few eigenvalues" or "no fit".</summary>
    public bool IsJudged => Alpha is not null && IsJudgedVerdict(Verdict);

    public static bool IsJudgedVerdict(HtsrVerdict? verdict) => verdict is HtsrVerdict.OverTrained or HtsrVerdict.WellTrained or HtsrVerdict.UnderTrained;
}

/// <summary>A diagnosis with its options, its layers in file order, what was skipped, and tensors that could not be read.</summary>
public sealed record DiagnosisDetails(
    DiagnosisSummaryView Summary,
    DiagnosisSettings Settings,
    IReadOnlyList<DiagnosisLayerView> Layers,
    int SkippedCount,
    IReadOnlyList<string> Skipped,
    IReadOnlyList<string> InputErrors,
    double? ElapsedSeconds)
{
    /// <summary>Layers per verdict, every verdict present (possibly 0).</summary>
    public IReadOnlyDictionary<HtsrVerdict, int> VerdictCounts =>
        Enum.GetValues<HtsrVerdict>().ToDictionary(v => v, v => Layers.Count(l => l.Verdict == v));

    /// <summary>As Core's summary picks them: up to 3 layers with an alpha verdict, largest alpha first.</summary>
    public IReadOnlyList<DiagnosisLayerView> MostUnderTrained =>
        [.. Layers.Where(l => l.IsJudged)
            .OrderByDescending(l => l.Alpha).ThenBy(l => l.Index).Take(3)];
}

/// <summary>One layer's log-binned ESD (log10 bin edges, counts) with its power-law fit.</summary>
public sealed record DiagnosisSpectrum(DiagnosisLayerView Layer, double[] Log10BinEdges, int[] Counts);

/// <summary>The answer to an upload: the new diagnosis's id and status.</summary>
public sealed record CreatedDiagnosis(long Id, DiagnosisStatus Status);

public enum DiagnosisDeletion { Deleted, NotFound, StillRunning }

/// <summary>A layer name present in one or both diagnoses, with its alpha in each and the change (after − before).</summary>
public sealed record ComparedLayer(string Name, int? BeforeIndex, int? AfterIndex, double? AlphaBefore, double? AlphaAfter, HtsrVerdict? VerdictBefore, HtsrVerdict? VerdictAfter)
{
    public double? Delta => AlphaBefore is { } a && AlphaAfter is { } b ? b - a : null;

    /// <summary>Both alphas gave a verdict: the change means something (a layer too small to judge is left out of means).</summary>
    public bool BothJudged => Delta is not null && DiagnosisLayerView.IsJudgedVerdict(VerdictBefore) && DiagnosisLayerView.IsJudgedVerdict(VerdictAfter);
}

/// <summary>Two diagnoses side by side (e.g. before and after fine-tuning): their layers matched by name.</summary>
public sealed record DiagnosisComparison(DiagnosisDetails Before, DiagnosisDetails After, IReadOnlyList<ComparedLayer> Layers)
{
    public int Matched => Layers.Count(l => l.BeforeIndex is not null && l.AfterIndex is not null);

    /// <summary>Mean change of alpha over the matched layers judged in both (<see cref="ComparedLayer.BothJudged"/>); null when none.</summary>
    public double? MeanDelta => Layers.Where(l => l.BothJudged).Select(l => l.Delta!.Value).DefaultIfEmpty(double.NaN).Average() is var m && double.IsFinite(m) ? m : null;

    /// <summary>
    /// The layers of both, in the order of <paramref name="before"/>, with layers only in <paramref name="after"/>
    /// after them in their own order. A name that occurs more than once (two files with the same tensor) is
    /// matched in order of occurrence.
    /// </summary>
    public static DiagnosisComparison Of(DiagnosisDetails before, DiagnosisDetails after)
    {
        var afterByName = after.Layers.GroupBy(l => l.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => new Queue<DiagnosisLayerView>(g), StringComparer.Ordinal);
        var rows = new List<ComparedLayer>();
        var matchedAfter = new HashSet<int>();
        foreach (var b in before.Layers)
        {
            DiagnosisLayerView? a = afterByName.TryGetValue(b.Name, out var queue) && queue.Count > 0 ? queue.Dequeue() : null;
            if (a is not null) matchedAfter.Add(a.Index);
            rows.Add(new ComparedLayer(b.Name, b.Index, a?.Index, b.Alpha, a?.Alpha, b.Verdict, a?.Verdict));
        }
        foreach (var a in after.Layers.Where(l => !matchedAfter.Contains(l.Index)))
            rows.Add(new ComparedLayer(a.Name, null, a.Index, null, a.Alpha, null, a.Verdict));
        return new DiagnosisComparison(before, after, rows);
    }
}
