using Plotly.Blazor;
using Plotly.Blazor.LayoutLib;
using Plotly.Blazor.Traces;
using TempBalance.Core.Training;
using PlotLayout = Plotly.Blazor.Layout;

namespace TempBalance.Web.Components.Charts;

/// <summary>
/// What a run cost the machine while it trained, sampled with every heartbeat: the process's CPU use (100 % = one
/// core) and memory, and on CUDA the GPU's utilisation and memory in use. Percentages on the left axis, megabytes on
/// the right; the GPU lines (dashed) only when the samples have them.
/// </summary>
public static class SystemChart
{
    public static List<ITrace> Traces(IReadOnlyList<SystemSample> samples)
    {
        if (samples.Count == 0) return [];
        var start = samples[0].At;
        var minutes = samples.Select(s => (s.At - start).TotalMinutes).ToArray();
        Scatter Line(string name, Func<SystemSample, double?> value, int color, bool megabytes, string? dash = null)
        {
            var points = samples.Select((s, i) => (X: minutes[i], Y: value(s))).Where(p => p.Y is not null).ToList();
            var line = ChartLayouts.Line(name, points.Select(p => p.X), points.Select(p => p.Y!.Value), color: ChartLayouts.Palette[color], dash: dash);
            line.Line.Width = 1.5m;
            line.HoverTemplate = megabytes ? "%{x:.1f} min: %{y:,.0f} MB<extra>%{fullData.name}</extra>" : "%{x:.1f} min: %{y:.0f} %<extra>%{fullData.name}</extra>";
            if (megabytes) line.YAxis = "y2";
            return line;
        }
        var traces = new List<ITrace>
        {
            Line("CPU %", s => s.CpuPercent, 0, megabytes: false),
            Line("memory (MB)", s => s.MemoryMegabytes, 1, megabytes: true),
        };
        if (samples.Any(s => s.GpuUtilizationPercent is not null))
            traces.Add(Line("GPU %", s => s.GpuUtilizationPercent, 2, megabytes: false, dash: "dash"));
        if (samples.Any(s => s.GpuMemoryMegabytes is not null))
            traces.Add(Line("GPU memory (MB)", s => s.GpuMemoryMegabytes, 3, megabytes: true, dash: "dash"));
        return traces;
    }

    public static PlotLayout Layout(bool dark)
    {
        var layout = ChartLayouts.Axes(dark, "System use while training", "minutes since the first sample", "%");
        layout.Margin.R = 55;
        layout.Margin.T = 30;
        layout.Legend![0].Y = -0.35m;
        var right = new YAxis
        {
            Title = new Plotly.Blazor.LayoutLib.YAxisLib.Title { Text = "MB" },
            Overlaying = "y",
            Side = Plotly.Blazor.LayoutLib.YAxisLib.SideEnum.Right,
            ShowGrid = false,
            ZeroLine = false,
            RangeMode = Plotly.Blazor.LayoutLib.YAxisLib.RangeModeEnum.ToZero,
            TickLabelOverflow = Plotly.Blazor.LayoutLib.YAxisLib.TickLabelOverflowEnum.Allow,
        };
        layout.YAxis[0].RangeMode = Plotly.Blazor.LayoutLib.YAxisLib.RangeModeEnum.ToZero;
        layout.YAxis.Add(right);
        return layout;
    }
}
