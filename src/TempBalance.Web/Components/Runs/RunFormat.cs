using System.Globalization;
using TempBalance.Core.Spectral;

namespace TempBalance.Web.Components.Runs;

/// <summary>How numbers of a run read on the pages.</summary>
public static class RunFormat
{
    public static string Percent(double? accuracy) =>
        accuracy is { } a && double.IsFinite(a) ? (a * 100).ToString("0.00", CultureInfo.InvariantCulture) + " %" : "–";

    public static string Number(double? value, string format = "0.###") =>
        value is { } v && double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "–";

    /// <summary>A learning rate: up to five decimals (0.0375, 0.00046), tiny ones in powers of ten (3.2e-07), 0 as 0.</summary>
    public static string Rate(double? rate) => rate switch
    {
        null => "–",
        { } r when !double.IsFinite(r) => "–",
        0 => "0",
        { } r when Math.Abs(r) >= 1e-4 => r.ToString("0.#####", CultureInfo.InvariantCulture),
        { } r => r.ToString("0.##e+00", CultureInfo.InvariantCulture),
    };

    public static string Duration(double? seconds)
    {
        if (seconds is not { } s || !double.IsFinite(s) || s < 0) return "–";
        var t = TimeSpan.FromSeconds(Math.Round(s));
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}h {t.Minutes:00}m" : t.TotalMinutes >= 1 ? $"{t.Minutes}m {t.Seconds:00}s" : $"{t.Seconds}s";
    }

    public static string When(DateTime? utc) =>
        utc is { } t ? t.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "–";

    /// <summary>For a table column: the time of day for this year's dates, the year instead for older ones.</summary>
    public static string WhenShort(DateTime? utc, DateTime? nowUtc = null)
    {
        if (utc is not { } t) return "–";
        var local = t.ToLocalTime();
        return local.Year == (nowUtc ?? DateTime.UtcNow).ToLocalTime().Year
            ? local.ToString("MMM d, HH:mm", CultureInfo.InvariantCulture)
            : local.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// Heavy-Tailed Self-Regularization reading of a layer's power-law exponent alpha (Martin and Mahoney), as the
/// pages write it. The rule is Core's (<see cref="LayerSpectrum.VerdictFor(int, double?, int)"/>): below 2 the
/// spectrum is very heavy-tailed (possibly over-trained), 2 to 6 is typical of well-trained layers, above 6 the layer
/// has learned little (under-trained); a layer with fewer than 10 eigenvalues gets no verdict at all.
/// </summary>
public static class HtsrLabelText
{
    public static HtsrVerdict VerdictOf(int eigenvalues, double? alpha) => LayerSpectrum.VerdictFor(eigenvalues, alpha);

    public static string For(int eigenvalues, double? alpha) => For(VerdictOf(eigenvalues, alpha));

    public static string For(HtsrVerdict verdict) => verdict switch
    {
        HtsrVerdict.OverTrained => "heavy-tailed",
        HtsrVerdict.WellTrained => "well-trained",
        HtsrVerdict.UnderTrained => "under-trained",
        HtsrVerdict.TooFewEigenvalues => "too few eigenvalues to judge",
        _ => "no fit",
    };

    public static MudBlazor.Color ColorFor(HtsrVerdict verdict) => verdict switch
    {
        HtsrVerdict.OverTrained => MudBlazor.Color.Warning,
        HtsrVerdict.WellTrained => MudBlazor.Color.Success,
        HtsrVerdict.UnderTrained => MudBlazor.Color.Info,
        _ => MudBlazor.Color.Default,
    };
}
