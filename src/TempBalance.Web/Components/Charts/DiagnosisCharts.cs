using Plotly.Blazor;
using Plotly.Blazor.Traces;
using Plotly.Blazor.Traces.ScatterLib;
using TempBalance.Web.Diagnoses;

namespace TempBalance.Web.Components.Charts;

/// <summary>Charts of model diagnoses: alpha by layer depth (one series per diagnosis) with the HT-SR band, and a layer's ESD.</summary>
public static class DiagnosisCharts
{
    /// <summary>The well-trained range of alpha (HT-SR): below is heavy-tailed, above under-trained.</summary>
    public const double BandLow = 2, BandHigh = 6;

    /// <summary>
    /// The 2–6 band as a shaded strip across the layers, then one line with markers per series: x the layer's
    /// position in the file (depth), y its alpha, the name on hover. Layers without a verdict (too few eigenvalues,
    /// a failed fit) are gaps: the alpha of a 3x4 matrix can be 75 and would squash every other point.
    /// </summary>
    public static List<ITrace> AlphaByDepth(IReadOnlyList<(string Name, IReadOnlyList<DiagnosisLayerView> Layers)> series)
    {
        var count = series.Select(s => s.Layers.Count).DefaultIfEmpty(0).Max();
        var traces = new List<ITrace>();
        if (count == 0) return traces;
        double[] span = [-0.5, count - 0.5];
        var low = ChartLayouts.Line("alpha 2", span, [BandLow, BandLow], color: "rgba(46,160,44,0.45)", showLegend: false, legendGroup: "band");
        low.Line.Width = 1;
        low.HoverInfo = HoverInfoFlag.Skip;
        var high = ChartLayouts.Line("2 ≤ alpha ≤ 6 (well trained)", span, [BandHigh, BandHigh], color: "rgba(46,160,44,0.45)", legendGroup: "band");
        high.Line.Width = 1;
        high.Fill = FillEnum.ToNextY;
        high.FillColor = "rgba(46,160,44,0.12)";
        high.HoverInfo = HoverInfoFlag.Skip;
        traces.Add(low);
        traces.Add(high);
        for (int s = 0; s < series.Count; s++)
        {
            var (name, layers) = series[s];
            var line = ChartLayouts.Line(name, layers.Select(l => (double)l.Index), layers.Select(l => l.IsJudged ? l.Alpha!.Value : double.NaN),
                color: ChartLayouts.Palette[s % ChartLayouts.Palette.Length], markers: true);
            line.TextArray = [.. layers.Select(l => l.Name)];
            line.HoverTemplate = $"%{{text}}<br>layer %{{x}} · alpha %{{y:.3f}}<extra>{System.Net.WebUtility.HtmlEncode(name)}</extra>";
            traces.Add(line);
        }
        return traces;
    }

    public static Plotly.Blazor.Layout AlphaLayout(bool dark) =>
        ChartLayouts.Axes(dark, "Alpha by layer depth (shaded: 2–6, well trained)", "layer (file order)", "alpha");

    public static Plotly.Blazor.Layout EsdLayout(bool dark) =>
        ChartLayouts.Axes(dark, "Empirical spectral density (log-log)", "eigenvalue λ", "density", logX: true, logY: true);

    public static List<ITrace> Esd(DiagnosisSpectrum spectrum) =>
        EsdFigure.Traces(spectrum.Log10BinEdges, spectrum.Counts, spectrum.Layer.Alpha, spectrum.Layer.Xmin);
}
