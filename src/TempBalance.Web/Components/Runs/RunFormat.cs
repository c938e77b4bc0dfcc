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
/// pages write it. The thresholds are Core's (<see cref="LayerSpectrum.LabelFor(double?)"/>): below 2 the spectrum
/// is very heavy-tailed (possibly over-trained), 2 to 6 is typical of well-trained layers, above 6 the layer has
/// learned little (under-trained).
/// </summary>
public static class HtsrLabelText
{
    public static string For(double? alpha) => LayerSpectrum.LabelFor(alpha) switch
    {
        HtsrLabel.HeavyTailed => "heavy-tailed",
        HtsrLabel.WellTrained => "well-trained",
        HtsrLabel.UnderTrained => "under-trained",
        _ => "no fit",
    };

    public static MudBlazor.Color ColorFor(double? alpha) => LayerSpectrum.LabelFor(alpha) switch
    {
        HtsrLabel.HeavyTailed => MudBlazor.Color.Warning,
        HtsrLabel.WellTrained => MudBlazor.Color.Success,
        HtsrLabel.UnderTrained => MudBlazor.Color.Info,
        _ => MudBlazor.Color.Default,
    };
}
