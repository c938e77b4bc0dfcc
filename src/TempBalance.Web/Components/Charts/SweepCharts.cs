using System.Globalization;
using Plotly.Blazor;
using Plotly.Blazor.Traces;
using TempBalance.Core.Sweeps;
using TempBalance.Web.Sweeps;
using PlotLayout = Plotly.Blazor.Layout;

namespace TempBalance.Web.Components.Charts;

/// <summary>
/// A metric over two axes of a sweep: <see cref="Values"/>[row][column] is the mean of the runs at that pair of
/// values (rows: the Y axis' values, columns: the X axis'), over the other axes and any repeated configuration;
/// null where no run there has the metric yet. <see cref="Counts"/> says how many runs each mean is of. Without a
/// Y axis (a one-axis sweep) there is one row.
/// </summary>
public sealed record SweepHeatmap(
    SweepMetric Metric,
    SweepAxisView X,
    SweepAxisView? Y,
    IReadOnlyList<IReadOnlyList<double?>> Values,
    IReadOnlyList<IReadOnlyList<int>> Counts)
{
    public static SweepHeatmap Of(SweepDetails sweep, SweepMetric metric, int xAxis, int? yAxis)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        var axes = sweep.Summary.Axes;
        var x = axes[xAxis];
        var y = yAxis is int yi && yi != xAxis ? axes[yi] : null;
        int rows = y?.Values.Count ?? 1;
        var sums = new double[rows, x.Values.Count];
        var counts = new int[rows, x.Values.Count];
        foreach (var run in sweep.Runs)
        {
            if (run.Metrics.Value(metric) is not { } value || !double.IsFinite(value)) continue;
            int column = IndexOf(x.Values, run.Values[xAxis]);
            int row = y is null ? 0 : IndexOf(y.Values, run.Values[yAxis!.Value]);
            if (column < 0 || row < 0) continue;
            sums[row, column] += value;
            counts[row, column]++;
        }
        var values = Enumerable.Range(0, rows).Select(r => (IReadOnlyList<double?>)Enumerable.Range(0, x.Values.Count)
            .Select(c => counts[r, c] > 0 ? sums[r, c] / counts[r, c] : (double?)null).ToList()).ToList();
        var n = Enumerable.Range(0, rows).Select(r => (IReadOnlyList<int>)Enumerable.Range(0, x.Values.Count).Select(c => counts[r, c]).ToList()).ToList();
        return new SweepHeatmap(metric, x, y, values, n);
    }

    // A run's config holds the value the grid set, so an exact match finds its cell.
    static int IndexOf(IReadOnlyList<double> values, double? value) =>
        value is { } v ? values.ToList().FindIndex(a => a == v) : -1;
}

/// <summary>Plotly traces and layouts of the sweep page: the metric heatmap over two axes and the parallel coordinates of all runs.</summary>
public static class SweepCharts
{
    /// <summary>Axis values as categories, so 0.001, 0.01 and 0.1 get cells of one size.</summary>
    public static string Label(double value) => SweepText.Value(value);

    public static string Format(SweepMetric metric, double? value) => value is not { } v ? "–" : metric switch
    {
        SweepMetric.FinalTestAccuracy or SweepMetric.BestTestAccuracy => (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%",
        SweepMetric.EpochsToEdge => v.ToString("0.#", CultureInfo.InvariantCulture),
        _ => v.ToString("0.000", CultureInfo.InvariantCulture),
    };

    /// <summary>The same formats as <see cref="Format"/>, as plotly (d3) tick formats: colour bars and the metric's axis.</summary>
    public static string TickFormat(SweepMetric metric) => metric switch
    {
        SweepMetric.FinalTestAccuracy or SweepMetric.BestTestAccuracy => ".1%",
        SweepMetric.EpochsToEdge => ".1~f",
        _ => ".3f",
    };

    public static HeatMap HeatmapTrace(SweepHeatmap map)
    {
        var higherBetter = SweepMetrics.HigherIsBetter(map.Metric);
        return new HeatMap
        {
            X = [.. map.X.Values.Select(Label)],
            Y = map.Y is { } y ? [.. y.Values.Select(Label)] : ["all"],
            Z = [.. map.Values.Select(row => (object)row.Select(v => v is { } d ? (object)d : null).ToArray())],
            Text = [.. map.Values.Select((row, r) => (object)row.Select((v, c) => $"{Format(map.Metric, v)} (n={map.Counts[r][c]})").ToArray())],
            TextTemplate = "%{text}",
            HoverTemplate = $"{map.X.Field} %{{x}}<br>{map.Y?.Field ?? ""} %{{y}}<br>{SweepMetrics.Title(map.Metric)} %{{text}}<extra></extra>",
            ColorScale = "Viridis",
            // Losses: lower is better, so the good end gets the bright colour too.
            ReverseScale = higherBetter == false,
            XGap = 2,
            YGap = 2,
            ColorBar = new Plotly.Blazor.Traces.HeatMapLib.ColorBar
            {
                Title = new Plotly.Blazor.Traces.HeatMapLib.ColorBarLib.Title { Text = SweepMetrics.Title(map.Metric) },
                TickLabelOverflow = Plotly.Blazor.Traces.HeatMapLib.ColorBarLib.TickLabelOverflowEnum.Allow,
                TickFormat = TickFormat(map.Metric),
            },
        };
    }

    public static PlotLayout HeatmapLayout(bool dark, SweepHeatmap map)
    {
        var layout = ChartLayouts.Axes(dark, $"{Capitalised(SweepMetrics.Title(map.Metric))} (mean over the other axes)", map.X.Title, map.Y?.Title ?? "", showLegend: false);
        layout.XAxis[0].Type = Plotly.Blazor.LayoutLib.XAxisLib.TypeEnum.Category;
        layout.YAxis[0].Type = Plotly.Blazor.LayoutLib.YAxisLib.TypeEnum.Category;
        layout.XAxis[0].ShowGrid = false;
        layout.YAxis[0].ShowGrid = false;
        return layout;
    }

    /// <summary>
    /// One line per run through every axis and the metric, coloured by the metric; runs without the metric yet are
    /// left out (parcoords takes finite numbers only). Null when no run has it.
    /// </summary>
    public static ParCoords? Parcoords(SweepDetails sweep, SweepMetric metric)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        var runs = sweep.Runs.Where(r => r.Metrics.Value(metric) is { } v && double.IsFinite(v) && r.Values.All(a => a is { } d && double.IsFinite(d))).ToList();
        if (runs.Count == 0) return null;
        var metricValues = runs.Select(r => (object)r.Metrics.Value(metric)!.Value).ToList();
        var dimensions = sweep.Summary.Axes.Select((axis, i) => new Plotly.Blazor.Traces.ParCoordsLib.Dimension
        {
            Label = axis.Field,
            Values = [.. runs.Select(r => (object)r.Values[i]!.Value)],
            // The grid's values as ticks: a sweep's axes hold a few chosen values, not a continuum.
            TickVals = [.. axis.Values.Select(v => (object)v)],
            TickText = [.. axis.Values.Select(Label)],
        }).ToList();
        dimensions.Add(new Plotly.Blazor.Traces.ParCoordsLib.Dimension { Label = SweepMetrics.Title(metric), Values = metricValues, TickFormat = TickFormat(metric) });
        return new ParCoords
        {
            Dimensions = dimensions,
            Line = new Plotly.Blazor.Traces.ParCoordsLib.Line
            {
                ColorArray = metricValues,
                ColorScale = "Viridis",
                ReverseScale = SweepMetrics.HigherIsBetter(metric) == false,
                ShowScale = true,
                ColorBar = new Plotly.Blazor.Traces.ParCoordsLib.LineLib.ColorBar { TickFormat = TickFormat(metric) },
            },
        };
    }

    public static PlotLayout ParcoordsLayout(bool dark)
    {
        var layout = ChartLayouts.Axes(dark, "All runs (drag along an axis to filter)", "", "", showLegend: false);
        layout.Margin = new Plotly.Blazor.LayoutLib.Margin { L = 70, R = 70, T = 95, B = 30 };
        layout.XAxis[0].Visible = false;
        layout.YAxis[0].Visible = false;
        return layout;
    }

    static string Capitalised(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
