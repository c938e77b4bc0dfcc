namespace TempBalance.Web.Diagnoses;

/// <summary>What the "Diagnose a model" form edits; <see cref="ToSettings"/> gives the settings the service checks.</summary>
public sealed class DiagnosisFormModel
{
    public string Fit { get; set; } = "median";
    public int XminPos { get; set; } = 2;
    public bool Farms { get; set; }
    public bool FilterZeros { get; set; }

    /// <summary>Name globs separated by spaces or commas ("transformer.h.*.mlp.* lm_head*").</summary>
    public string? Filter { get; set; }

    public bool SplitFused { get; set; }
    public int SplitParts { get; set; } = 3;
    public string? SplitPattern { get; set; }

    public DiagnosisSettings ToSettings() => new()
    {
        Fit = Fit,
        XminPos = XminPos,
        Farms = Farms,
        FilterZeros = FilterZeros,
        Filter = (Filter ?? "").Split([' ', ',', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        SplitParts = SplitFused ? SplitParts : null,
        SplitPattern = SplitFused && !string.IsNullOrWhiteSpace(SplitPattern) ? SplitPattern.Trim() : null,
    };
}
