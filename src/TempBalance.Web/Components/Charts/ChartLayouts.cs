using Plotly.Blazor;
using PlotLayout = Plotly.Blazor.Layout;
using Plotly.Blazor.LayoutLib;
using Plotly.Blazor.Traces;
using Plotly.Blazor.Traces.ScatterLib;

namespace TempBalance.Web.Components.Charts;

/// <summary>Plotly layouts and traces in the app's look, for light and dark mode.</summary>
public static class ChartLayouts
{
    /// <param name="epochs">
    /// For an epoch axis: the run's planned epochs. The axis spans 0 to that from the start, so a live chart
    /// fills from left to right instead of rescaling every epoch (and a lone epoch 0 is not centred on -1..1);
    /// ticks fall on whole epochs, about eight of them.
    /// </param>
    public static PlotLayout Axes(bool dark, string title, string xTitle, string yTitle, bool logX = false, bool logY = false,
        bool showLegend = true, int? epochs = null)
    {
        var grid = dark ? "rgba(255,255,255,0.12)" : "rgba(0,0,0,0.1)";
        return new PlotLayout
        {
            // Left-aligned: plotly's toolbar shows at the top right, so a title there stays readable under it.
            Title = new Title
            {
                Text = title,
                Font = new Plotly.Blazor.LayoutLib.TitleLib.Font { Size = 14 },
                X = 0.01m,
                XAnchor = Plotly.Blazor.LayoutLib.TitleLib.XAnchorEnum.Left,
            },
            Font = new Font { Color = dark ? "#e0e0e0" : "#424242", Family = "system-ui, sans-serif", Size = 12 },
            PaperBgColor = "rgba(0,0,0,0)",
            PlotBgColor = "rgba(0,0,0,0)",
            Margin = new Margin { L = 55, R = 15, T = 40, B = 45 },
            ShowLegend = showLegend,
            Legend = [new Legend { Orientation = Plotly.Blazor.LayoutLib.LegendLib.OrientationEnum.H, Y = -0.25m }],
            HoverMode = HoverModeEnum.Closest,
            XAxis =
            [
                new XAxis
                {
                    Title = new Plotly.Blazor.LayoutLib.XAxisLib.Title { Text = xTitle },
                    GridColor = grid,
                    // plotly's heavy zero lines say nothing on these axes (epoch 0, layer 0) and cut through heatmaps.
                    ZeroLine = false,
                    // plotly's default ("hide past div") measures every tick label, forcing a layout each time,
                    // on every draw and every live update; these margins keep the labels inside the chart.
                    TickLabelOverflow = Plotly.Blazor.LayoutLib.XAxisLib.TickLabelOverflowEnum.Allow,
                    Type = logX ? Plotly.Blazor.LayoutLib.XAxisLib.TypeEnum.Log : Plotly.Blazor.LayoutLib.XAxisLib.TypeEnum.Linear,
                    DTick = epochs is { } n ? Math.Max(1, (int)Math.Ceiling(n / 8.0)) : null,
                    // Half an epoch of margin (more on long runs) keeps the first and last points and heatmap cells whole.
                    Range = epochs is { } planned ? [-EpochMargin(planned), planned + EpochMargin(planned)] : null,
                },
            ],
            YAxis =
            [
                new YAxis
                {
                    Title = new Plotly.Blazor.LayoutLib.YAxisLib.Title { Text = yTitle },
                    GridColor = grid,
                    ZeroLine = false,
                    TickLabelOverflow = Plotly.Blazor.LayoutLib.YAxisLib.TickLabelOverflowEnum.Allow,
                    Type = logY ? Plotly.Blazor.LayoutLib.YAxisLib.TypeEnum.Log : Plotly.Blazor.LayoutLib.YAxisLib.TypeEnum.Linear,
                },
            ],
        };
    }

    static double EpochMargin(int epochs) => Math.Max(0.5, epochs * 0.02);

    public static Scatter Line(string name, IEnumerable<double>? x = null, IEnumerable<double>? y = null, string? color = null,
        bool markers = false, string? dash = null, string? legendGroup = null, bool showLegend = true) => new()
        {
            Name = name,
            Mode = markers ? ModeFlag.Lines | ModeFlag.Markers : ModeFlag.Lines,
            X = Values(x),
            Y = Values(y),
            Line = new Line { Color = color, Width = 2, Dash = dash },
            LegendGroup = legendGroup,
            ShowLegend = showLegend,
        };

    public static List<object> Values(IEnumerable<double>? values) =>
        values is null ? [] : [.. values.Select(v => double.IsFinite(v) ? (object)v : null!)];

    /// <summary>A layer name short enough for an axis or legend: long names keep their end ("…layer3.1.conv2").</summary>
    public static string ShortName(string name) => name.Length <= MaxLabelLength ? name : "…" + name[^(MaxLabelLength - 1)..];

    const int MaxLabelLength = 22;

    /// <summary>A left margin that fits these tick labels at 10 px (about 6 px a character) without plotly measuring them.</summary>
    public static int MarginFor(IEnumerable<string> labels) => Math.Clamp(14 + 6 * labels.Select(l => l.Length).DefaultIfEmpty(0).Max(), 45, 160);

    /// <summary>
    /// A colour for line <paramref name="i"/> of <paramref name="n"/> ordered by depth: hues from violet (first) through
    /// blue, green and ochre to red (last), at a lightness that reads on light and dark backgrounds.
    /// </summary>
    public static string DepthColor(int i, int n)
    {
        double hue = 270 - 270 * (n <= 1 ? 0 : (double)i / (n - 1));
        return $"hsl({hue.ToString("0", System.Globalization.CultureInfo.InvariantCulture)}, 70%, 48%)";
    }

    /// <summary>Colours for run groups and seeds (Plotly's default sequence).</summary>
    public static readonly string[] Palette =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
}
