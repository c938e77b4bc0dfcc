using Plotly.Blazor;
using Plotly.Blazor.Traces;
using TempBalance.Core.Training;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Components.Charts;

/// <summary>
/// The empirical spectral density of one layer on log-log axes: the stored log-binned histogram as a
/// density, the fitted power law p(x) = f (alpha - 1) / xmin (x / xmin)^-alpha over the tail (f: the share
/// of eigenvalues at or above xmin, so the line sits on the histogram), and a marker at xmin.
/// </summary>
public static class EsdFigure
{
    public static List<ITrace> Traces(SpectrumView spectrum) =>
        Traces(spectrum.Log10BinEdges, spectrum.Counts, spectrum.Layer.Alpha, spectrum.Layer.Xmin);

    /// <summary>The histogram of a log-binned ESD with its power-law fit from xmin (when there is one); runs and model diagnoses alike.</summary>
    public static List<ITrace> Traces(double[] edges, int[] counts, double? alpha, double? xmin)
    {
        var densities = new EsdHistogram(edges, counts).Densities();
        // One horizontal segment per non-empty bin (NaN breaks the line): isolated bins stay visible, and log
        // axes need no zero.
        var x = new List<double>();
        var y = new List<double>();
        for (var i = 0; i < densities.Length; i++)
        {
            if (densities[i] <= 0) continue;
            x.AddRange([Math.Pow(10, edges[i]), Math.Pow(10, edges[i + 1]), double.NaN]);
            y.AddRange([densities[i], densities[i], double.NaN]);
        }
        var histogram = ChartLayouts.Line("ESD (density)", x, y, color: ChartLayouts.Palette[0]);
        histogram.Line.Width = 3;
        histogram.HoverTemplate = "λ %{x:.3g}<br>density %{y:.3g}<extra></extra>";
        var traces = new List<ITrace> { histogram };

        if (PowerLaw(edges, counts, alpha, xmin) is { } fit)
        {
            traces.Add(ChartLayouts.Line($"power law α = {fit.Alpha:0.00}", fit.X, fit.Y, color: ChartLayouts.Palette[3], dash: "dash"));
            var finite = y.Where(double.IsFinite).ToArray();
            if (finite.Length > 0)
            {
                traces.Add(ChartLayouts.Line($"xmin = {fit.Xmin:0.###}", [fit.Xmin, fit.Xmin], [finite.Min() / 3, finite.Max() * 3],
                    color: ChartLayouts.Palette[2], dash: "dot"));
            }
        }
        return traces;
    }

    public sealed record PowerLawLine(double Alpha, double Xmin, double TailShare, double[] X, double[] Y);

    /// <summary>The fitted line from xmin to the largest eigenvalue; null without a successful fit.</summary>
    public static PowerLawLine? PowerLaw(SpectrumView spectrum) =>
        PowerLaw(spectrum.Log10BinEdges, spectrum.Counts, spectrum.Layer.Alpha, spectrum.Layer.Xmin);

    public static PowerLawLine? PowerLaw(double[] edges, int[] counts, double? fittedAlpha, double? fittedXmin)
    {
        if (fittedAlpha is not { } alpha || fittedXmin is not { } xmin || !(alpha > 1) || !(xmin > 0)) return null;
        double total = counts.Sum();
        if (total <= 0 || counts.Length == 0) return null;

        // Eigenvalues at or above xmin; the bin holding xmin counts in proportion (in log space).
        var logXmin = Math.Log10(xmin);
        double tail = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            if (edges[i] >= logXmin) tail += counts[i];
            else if (edges[i + 1] > logXmin) tail += counts[i] * (edges[i + 1] - logXmin) / (edges[i + 1] - edges[i]);
        }
        var share = tail / total;
        var xmax = Math.Max(Math.Pow(10, edges[^1]), xmin * 1.01);
        double[] xs = [xmin, xmax];
        var ys = xs.Select(v => share * (alpha - 1) / xmin * Math.Pow(v / xmin, -alpha)).ToArray();
        return new PowerLawLine(alpha, xmin, share, xs, ys);
    }
}
