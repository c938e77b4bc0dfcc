using TempBalance.Core.Spectral;

namespace TempBalance.Core.Diagnosis;

/// <summary>One matrix (or conv kernel) to analyse: a whole stored tensor or one part of a split fused matrix.</summary>
internal sealed record LayerJob(StoredTensor Tensor, string Name, LayerKind Kind, int Part, int PartCount, long Rows, long Columns)
{
    /// <summary>Elements read for this job (the whole tensor, shared by its parts).</summary>
    public long Elements => Tensor.ElementCount;
}

/// <summary>
/// Decides which tensors are layers: floating-point 2-D tensors are matrices (Linear, or GPT-2's Conv1D
/// [in, out], which has the same singular values), 4-D are Conv2d kernels [out, in, kh, kw]. Not analysed, and
/// listed with the reason: names outside the include filter, non-floating-point tensors, scalars and 1-D
/// vectors, names ending in "bias" (biases and GPT-2's attention-mask buffers), embeddings, other ranks and
/// empty tensors.
/// </summary>
internal static class LayerSelection
{
    static readonly string[] EmbeddingMarks = ["embed", "wte", "wpe"];

    public static (List<LayerJob> Jobs, List<SkippedTensor> Skipped, List<DiagnosisFailure> Failures) Select(IEnumerable<StoredTensor> tensors, DiagnosisOptions options)
    {
        var include = options.Include.Select(p => new NamePattern(p)).ToList();
        var embeddings = options.EmbeddingPatterns.Select(p => new NamePattern(p)).ToList();
        var splits = options.SplitFused.Select(s => (s.Parts, Pattern: new NamePattern(s.Pattern))).ToList();
        var jobs = new List<LayerJob>();
        var skipped = new List<SkippedTensor>();
        var failures = new List<DiagnosisFailure>();

        foreach (var t in tensors)
        {
            var reason = SkipFor(t, include, embeddings);
            if (reason is { } r)
            {
                skipped.Add(new SkippedTensor(t.Name, t.Source, t.Shape, t.DisplayDType, r.Reason, r.Detail));
                continue;
            }
            if (t.Shape.Length == 4)
            {
                jobs.Add(new LayerJob(t, t.Name, LayerKind.Conv2d, 0, 1, t.Shape[0], t.Shape[1]));
                continue;
            }
            long rows = t.Shape[0], cols = t.Shape[1];
            var split = splits.FirstOrDefault(s => s.Pattern.Matches(t.Name));
            if (split.Pattern is null)
            {
                jobs.Add(new LayerJob(t, t.Name, LayerKind.Linear, 0, 1, rows, cols));
                continue;
            }
            long longSide = Math.Max(rows, cols);
            if (longSide % split.Parts != 0)
            {
                failures.Add(new DiagnosisFailure(t.Source, t.Name, $"cannot split a [{rows}, {cols}] matrix into {split.Parts} equal parts along its long side ({longSide} is not divisible by {split.Parts})"));
                continue;
            }
            for (int part = 0; part < split.Parts; part++)
            {
                var (partRows, partCols) = cols >= rows ? (rows, cols / split.Parts) : (rows / split.Parts, cols);
                jobs.Add(new LayerJob(t, $"{t.Name}[{part}]", LayerKind.Linear, part, split.Parts, partRows, partCols));
            }
        }
        return (jobs, skipped, failures);
    }

    static (SkipReason Reason, string Detail)? SkipFor(StoredTensor t, List<NamePattern> include, List<NamePattern> embeddings)
    {
        if (include.Count > 0 && !include.Any(p => p.Matches(t.Name)))
            return (SkipReason.ExcludedByFilter, $"matches none of {string.Join(", ", include.Select(p => p.Glob))}");
        if (!t.DType.IsAnalysable()) return (SkipReason.NotFloatingPoint, $"dtype {t.DisplayDType} is not analysed");
        switch (t.Shape.Length)
        {
            case 0: return (SkipReason.Scalar, "a scalar");
            case 1: return (SkipReason.Vector, "1-D: a bias or normalisation vector");
        }
        var lastSegment = t.Name[(t.Name.LastIndexOf('.') + 1)..];
        if (lastSegment.EndsWith("bias", StringComparison.OrdinalIgnoreCase)) return (SkipReason.Bias, "a bias or attention-mask buffer");
        var lower = t.Name.ToLowerInvariant();
        if (EmbeddingMarks.FirstOrDefault(lower.Contains) is { } mark) return (SkipReason.Embedding, $"an embedding (the name contains '{mark}')");
        if (embeddings.FirstOrDefault(p => p.Matches(t.Name)) is { } pattern) return (SkipReason.Embedding, $"an embedding (matches '{pattern.Glob}')");
        if (t.Shape.Length is not (2 or 4))
            return (SkipReason.UnsupportedShape, $"{t.Shape.Length}-D: only 2-D matrices and 4-D conv kernels are analysed");
        if (t.Shape.Any(d => d == 0)) return (SkipReason.Empty, "a dimension of size 0");
        return null;
    }
}
