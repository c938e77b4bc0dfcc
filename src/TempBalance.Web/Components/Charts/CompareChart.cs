using System.Globalization;
using Plotly.Blazor;
using Plotly.Blazor.Traces;
using Plotly.Blazor.Traces.ScatterLib;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Components.Charts;

/// <summary>
/// The traces of Compare's overlay: each run's curve in its group's colour, or, with bands on, each group of two or
/// more runs as its mean curve inside a ±1 standard-deviation band (a group of one run is drawn as its curve: it
/// has no spread).
/// </summary>
public static class CompareChart
{
    // About one point per pixel column of a wide chart; longer curves are min-max downsampled.
    const int Buckets = 600;

    public static string ColorOf(int groupIndex) => ChartLayouts.Palette[groupIndex % ChartLayouts.Palette.Length];

    public static List<ITrace> Traces(IReadOnlyList<RunGroup> groups, Func<RunSummary, Series> seriesOf, bool bands, string metricTitle)
    {
        var traces = new List<ITrace>();
        for (var g = 0; g < groups.Count; g++)
        {
            var group = groups[g];
            var color = ColorOf(g);
            var curves = group.Runs.Select(seriesOf).ToList();
            if (bands && group.Runs.Count >= 2)
            {
                var band = CompareSeries.MeanBand(curves);
                traces.Add(BandEdge(group.Label, band.X, band.Upper, color, fill: false));
                traces.Add(BandEdge(group.Label, band.X, band.Lower, color, fill: true));
                var mean = ChartLayouts.Line($"{group.Label} (mean ± std, n = {group.Runs.Count})", band.X, band.Mean, color: color, legendGroup: group.Key);
                mean.HoverTemplate = $"epoch %{{x}}<br>mean {metricTitle} %{{y:.4g}}<extra>{Escape(group.Label)}</extra>";
                traces.Add(mean);
                continue;
            }
            for (var r = 0; r < group.Runs.Count; r++)
            {
                var run = group.Runs[r];
                var series = SeriesDownsampler.MinMax([.. curves[r].X], [.. curves[r].Y], Buckets);
                var line = ChartLayouts.Line(group.Label, series.X, series.Y, color: color, legendGroup: group.Key, showLegend: r == 0);
                line.HoverTemplate = string.Create(CultureInfo.InvariantCulture,
                    $"#{run.Id} seed {run.Seed}<br>epoch %{{x}}<br>{metricTitle} %{{y:.4g}}<extra>{Escape(group.Label)}</extra>");
                traces.Add(line);
            }
        }
        return traces;
    }

    // The band is the area between two edge lines: plotly fills from the second edge to the trace before it.
    static Scatter BandEdge(string group, IReadOnlyList<double> x, IReadOnlyList<double> y, string color, bool fill) => new()
    {
        Name = $"{group} ± std",
        Mode = ModeFlag.Lines,
        X = ChartLayouts.Values(x),
        Y = ChartLayouts.Values(y),
        Line = new Line { Color = color, Width = 0 },
        Fill = fill ? FillEnum.ToNextY : FillEnum.None,
        FillColor = fill ? Translucent(color) : null,
        ShowLegend = false,
        HoverInfo = HoverInfoFlag.Skip,
    };

    /// <summary>"#1f77b4" at a fifth of its opacity.</summary>
    static string Translucent(string hex)
    {
        var rgb = Convert.FromHexString(hex.TrimStart('#'));
        return $"rgba({rgb[0]},{rgb[1]},{rgb[2]},0.2)";
    }

    // Group labels are users' words (named groups) inside plotly's hover template, which reads "%{" as a placeholder
    // and "<" as markup.
    static string Escape(string text) => text.Replace("%{", "% {", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal);
}
