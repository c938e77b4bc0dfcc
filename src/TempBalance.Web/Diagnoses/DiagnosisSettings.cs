using System.Globalization;
using TempBalance.Core.Diagnosis;
using TempBalance.Core.Scheduling;

namespace TempBalance.Web.Diagnoses;

/// <summary>
/// The options of one web diagnosis: those of `tempbalance analyze` that the form and the API offer. Stored with
/// the diagnosis as JSON; <see cref="ToOptions"/> gives Core's options.
/// </summary>
public sealed record DiagnosisSettings
{
    /// <summary>xmin rule: median (the TempBalance paper), ks (WeightWatcher's default) or peak.</summary>
    public string Fit { get; init; } = "median";

    /// <summary>Median rule: xmin index = floor(N / XminPos).</summary>
    public int XminPos { get; init; } = 2;

    /// <summary>Alpha from FARMS (fixed-aspect-ratio windows), comparable across layer shapes.</summary>
    public bool Farms { get; init; }

    /// <summary>Drop eigenvalues &lt;= 1e-5 before the fit (with ks: exactly WeightWatcher's fit).</summary>
    public bool FilterZeros { get; init; }

    /// <summary>Analyse only tensors whose full name matches one of these globs; empty: all.</summary>
    public IReadOnlyList<string> Filter { get; init; } = [];

    /// <summary>Split fused matrices (GPT-2's c_attn) into this many parts; null: analyse them whole.</summary>
    public int? SplitParts { get; init; }

    /// <summary>Which matrices to split (a glob); empty: the usual fused attention names (<see cref="FusedSplit.DefaultPatterns"/>).</summary>
    public string? SplitPattern { get; init; }

    /// <summary>Layers with fewer eigenvalues get no verdict.</summary>
    public int MinEigenvalues { get; init; } = DiagnosisOptions.DefaultMinEigenvalues;

    public static readonly IReadOnlyList<string> FitRules = ["median", "ks", "peak"];

    public const int MaxFilters = 20;
    public const int MaxGlobLength = 200;

    /// <summary>Errors by field (the API's form field names); empty when the settings can be used.</summary>
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (!FitRules.Contains(Fit)) errors["fit"] = [$"Unknown xmin rule '{Fit}'; choose median, ks or peak."];
        if (XminPos is < 1 or > 1000) errors["xminPos"] = [$"xminPos must be between 1 and 1000, not {XminPos}."];
        if (MinEigenvalues is < 0 or > 100_000) errors["minEigenvalues"] = [$"minEigenvalues must be between 0 and 100000, not {MinEigenvalues}."];
        if (Filter.Count > MaxFilters) errors["filter"] = [$"At most {MaxFilters} name patterns."];
        else if (Filter.FirstOrDefault(f => string.IsNullOrWhiteSpace(f) || f.Length > MaxGlobLength) is { } bad)
            errors["filter"] = [$"A name pattern must be 1 to {MaxGlobLength} characters, not '{Shorten(bad)}'."];
        if (SplitParts is { } parts && parts is < 2 or > 64) errors["splitParts"] = [$"splitParts must be between 2 and 64 (or left empty), not {parts}."];
        if (SplitPattern is { Length: > MaxGlobLength }) errors["splitPattern"] = [$"The split pattern is longer than {MaxGlobLength} characters."];
        if (SplitPattern is { Length: > 0 } && SplitParts is null) errors["splitPattern"] = ["A split pattern needs splitParts (2 or more)."];
        return errors;
    }

    /// <summary>The form fields besides the file, as the upload API and the page name them.</summary>
    public static readonly IReadOnlyList<string> FormFields = ["fit", "xminPos", "farms", "filterZeros", "filter", "splitParts", "splitPattern", "minEigenvalues"];

    /// <summary>
    /// Settings from form fields (each may repeat; filter collects every value, the others take one). Unknown fields
    /// and values that are not numbers or true/false are errors by field, as are settings <see cref="Validate"/> refuses.
    /// </summary>
    public static DiagnosisSettings FromForm(IReadOnlyDictionary<string, List<string>> fields, out Dictionary<string, string[]> errors)
    {
        var found = new Dictionary<string, string[]>();
        var settings = new DiagnosisSettings();
        foreach (var (key, values) in fields)
        {
            var field = FormFields.FirstOrDefault(f => string.Equals(f, key, StringComparison.OrdinalIgnoreCase));
            if (field is null)
            {
                found[key] = [$"Unknown field '{Shorten(key)}'; the fields are file, {string.Join(", ", FormFields)}."];
                continue;
            }
            if (field != "filter" && values.Count > 1)
            {
                found[field] = [$"{field} is given {values.Count} times; give it once."];
                continue;
            }
            var value = values[0].Trim();
            switch (field)
            {
                case "fit": settings = settings with { Fit = value.ToLowerInvariant() }; break;
                case "xminPos": settings = Integer(value) is { } x ? settings with { XminPos = x } : Bad(field, value, "a whole number"); break;
                case "minEigenvalues": settings = Integer(value) is { } m ? settings with { MinEigenvalues = m } : Bad(field, value, "a whole number"); break;
                case "splitParts":
                    settings = value.Length == 0 ? settings with { SplitParts = null } : Integer(value) is { } p ? settings with { SplitParts = p } : Bad(field, value, "a whole number");
                    break;
                case "splitPattern": settings = settings with { SplitPattern = value.Length == 0 ? null : value }; break;
                case "farms": settings = bool.TryParse(value, out var farms) ? settings with { Farms = farms } : Bad(field, value, "true or false"); break;
                case "filterZeros": settings = bool.TryParse(value, out var zeros) ? settings with { FilterZeros = zeros } : Bad(field, value, "true or false"); break;
                case "filter": settings = settings with { Filter = [.. values.Select(v => v.Trim()).Where(v => v.Length > 0)] }; break;
            }
        }
        foreach (var (field, messages) in settings.Validate()) found.TryAdd(field, messages);
        errors = found;
        return settings;

        DiagnosisSettings Bad(string field, string value, string what)
        {
            found[field] = [$"'{Shorten(value)}' is not {what}."];
            return settings;
        }
    }

    static int? Integer(string value) => int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : null;

    static string Shorten(string text) => text.Length > 40 ? text[..40] + "…" : text;

    public DiagnosisOptions ToOptions() => new()
    {
        Fit = Enum.Parse<XminRule>(Fit, ignoreCase: true),
        XminPos = XminPos,
        Farms = Farms,
        FilterNearZero = FilterZeros,
        Include = Filter,
        SplitFused = SplitParts is { } parts
            ? string.IsNullOrWhiteSpace(SplitPattern)
                ? [.. FusedSplit.DefaultPatterns.Select(p => new FusedSplit(parts, p))]
                : [new FusedSplit(parts, SplitPattern.Trim())]
            : [],
        MinEigenvalues = MinEigenvalues,
    };

    /// <summary>"median xmin rule, FARMS, filter transformer.h.*, split fused matrices into 3": what was asked, in words.</summary>
    public string Describe()
    {
        var parts = new List<string> { Fit == "median" ? $"median xmin rule (xmin_pos {XminPos.ToString(CultureInfo.InvariantCulture)})" : $"{Fit} xmin rule" };
        if (FilterZeros) parts.Add("near-zero eigenvalues dropped");
        if (Farms) parts.Add("FARMS alpha");
        if (Filter.Count > 0) parts.Add($"only {string.Join(", ", Filter)}");
        if (SplitParts is { } n) parts.Add($"fused matrices ({(string.IsNullOrWhiteSpace(SplitPattern) ? "usual names" : SplitPattern)}) split into {n}");
        if (MinEigenvalues != DiagnosisOptions.DefaultMinEigenvalues) parts.Add($"verdict from {MinEigenvalues} eigenvalues");
        return string.Join(", ", parts);
    }
}
