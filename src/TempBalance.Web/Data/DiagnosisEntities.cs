namespace TempBalance.Web.Data;

/// <summary>Queued until a job claims it, Running while the layers are analysed, then Completed or Failed (with a one-line error).</summary>
public enum DiagnosisStatus { Queued, Running, Completed, Failed }

/// <summary>
/// One HT-SR diagnosis of an uploaded model (docs/diagnosis.md, "In the browser"): the uploaded file under
/// {DataDirectory}/diagnoses/{id}/, the options it was analysed with, its status and summary, and its layers.
/// </summary>
public sealed class Diagnosis
{
    public long Id { get; set; }

    /// <summary>The uploaded file's name (no folders), as people and error messages refer to it.</summary>
    public required string FileName { get; set; }

    public long FileBytes { get; set; }

    /// <summary>The analysis options (<see cref="Diagnoses.DiagnosisSettings"/> as JSON).</summary>
    public required string OptionsJson { get; set; }

    public DiagnosisStatus Status { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }

    /// <summary>Why it failed, in one line that names the file and the problem; null unless Failed.</summary>
    public string? ErrorMessage { get; set; }

    /// <summary>Layers analysed so far and in all, while running.</summary>
    public int LayersDone { get; set; }
    public int LayerTotal { get; set; }

    /// <summary>Core's summary line (mean alpha, share of layers per verdict, the most under-trained layers).</summary>
    public string? Summary { get; set; }

    public double? MeanAlpha { get; set; }
    public int LayerCount { get; set; }

    /// <summary>Tensors read but not analysed (biases, embeddings, ...): "name: why" per line.</summary>
    public string? Skipped { get; set; }

    public int SkippedCount { get; set; }

    /// <summary>Tensors that could not be read while the others were analysed, one line each.</summary>
    public string? InputErrors { get; set; }

    public double? ElapsedSeconds { get; set; }

    public string? CreatedByUserId { get; set; }
    public string? CreatedBy { get; set; }

    public List<DiagnosisLayer> Layers { get; set; } = [];

    public const int MaxFileNameLength = 255;
}

/// <summary>One analysed layer of a diagnosis with every metric Core computes (null where it cannot be computed) and its ESD histogram.</summary>
public sealed class DiagnosisLayer
{
    public long DiagnosisId { get; set; }
    public int LayerIndex { get; set; }
    public required string Name { get; set; }
    public required string Kind { get; set; }

    /// <summary>The stored tensor's shape, "768x2304".</summary>
    public required string Shape { get; set; }

    public required string DType { get; set; }
    public int Part { get; set; }
    public int PartCount { get; set; }
    public long Rows { get; set; }
    public long Columns { get; set; }
    public int EigsNum { get; set; }
    public double? Alpha { get; set; }
    public double? D { get; set; }
    public double? Xmin { get; set; }
    public int? TailSize { get; set; }
    public double? AlphaWeighted { get; set; }
    public double? LogSpectralNorm { get; set; }
    public double? LogNorm { get; set; }
    public double? LogAlphaNorm { get; set; }
    public double? StableRank { get; set; }
    public double? MatrixEntropy { get; set; }
    public int? NumSpikes { get; set; }
    public double? MpBulkMax { get; set; }

    /// <summary>Core's <see cref="Core.Spectral.HtsrVerdict"/>.</summary>
    public Core.Spectral.HtsrVerdict Verdict { get; set; }

    public string? FitError { get; set; }

    /// <summary>The log-binned ESD (<see cref="EsdHistogramBlob"/>).</summary>
    public required byte[] Histogram { get; set; }
}
