using System.Globalization;
using Plotly.Blazor;
using Plotly.Blazor.LayoutLib;
using Plotly.Blazor.Traces;
using Plotly.Blazor.Traces.ScatterLib;
using TempBalance.Core.EdgeOfChaos;
using TempBalance.Core.Sweeps;
using TempBalance.Web.Runs;
using PlotLayout = Plotly.Blazor.Layout;

namespace TempBalance.Web.Components.Charts;

/// <summary>
/// The edge-of-chaos charts of one run: J per analysed layer over epochs with the line J = 1, and, for fully
/// connected models, the phase diagram (regions, edge of chaos, magnetization onset) with the hidden layers'
/// trajectories and the best epoch (lowest test loss) marked; with the guideline in words (Core's
/// <see cref="EdgeGuidance"/>). Built from the stored history, then extended epoch by epoch; an epoch already shown
/// is ignored.
/// </summary>
public sealed class EdgeOfChaosCharts
{
    // J chart: trace 0 is the line J = 1, then one line per layer.
    const int UnitLineTrace = 0;

    readonly RunDetails _run;
    readonly List<int> _layerIndices = [];
    readonly Dictionary<int, string> _layerNames = [];
    // Per watched layer, its (epoch, J, J0) in epoch order.
    readonly Dictionary<int, List<(int Epoch, double J, double J0)>> _trajectories = [];
    readonly Dictionary<int, double?> _testLoss = [];

    public ChartFeed J { get; }

    /// <summary>The phase diagram; null for models without a hidden layer in the diagram's sense.</summary>
    public ChartFeed? Phase { get; }

    /// <summary>The hidden layers drawn in the diagram (<see cref="WatchedLayers.HiddenLayers"/>).</summary>
    public IReadOnlyList<int> Watched { get; }

    /// <summary>The guideline for the first hidden layer; null without one.</summary>
    public EdgeGuidance? Guidance { get; private set; }

    /// <summary>The last epoch whose layers are drawn (-1: none).</summary>
    public int LastLayerEpoch { get; private set; } = -1;

    public EdgeOfChaosCharts(RunDetails run, IReadOnlyList<EpochPoint> epochs, IReadOnlyList<LayerPoint> layers)
    {
        _run = run;
        Watched = WatchedLayers.HiddenLayers(run.Config.Model);
        foreach (var e in epochs) _testLoss[e.Epoch] = e.TestLoss;
        _layerIndices.AddRange(layers.Select(l => l.LayerIndex).Distinct().Order());
        foreach (var l in layers)
        {
            _layerNames[l.LayerIndex] = l.Name;
            Record(l);
        }
        if (layers.Count > 0) LastLayerEpoch = layers.Max(l => l.Epoch);
        J = new ChartFeed(JTraces(layers));
        Phase = Watched.Count > 0 ? new ChartFeed(PhaseTraces()) : null;
        UpdateGuidance();
    }

    /// <summary>Records an epoch's test loss (the best epoch is the lowest); false when it was known.</summary>
    public bool AddEpoch(EpochPoint epoch)
    {
        if (_testLoss.ContainsKey(epoch.Epoch)) return false;
        _testLoss[epoch.Epoch] = epoch.TestLoss;
        return true;
    }

    /// <summary>Adds one epoch's layer metrics: extends the J lines, redraws the diagram, updates the guideline. False when already drawn.</summary>
    public bool AddLayers(int epoch, IReadOnlyList<LayerPoint> layers)
    {
        if (epoch <= LastLayerEpoch || layers.Count == 0) return false;
        LastLayerEpoch = epoch;
        foreach (var l in layers)
        {
            _layerNames[l.LayerIndex] = l.Name;
            Record(l);
        }
        if (!layers.Select(l => l.LayerIndex).Order().SequenceEqual(_layerIndices))
        {
            _layerIndices.Clear();
            _layerIndices.AddRange(layers.Select(l => l.LayerIndex).Order());
            J.Replace(JTraces(layers));
        }
        else
        {
            var byIndex = layers.ToDictionary(l => l.LayerIndex);
            for (int t = 0; t < _layerIndices.Count; t++)
                if (byIndex[_layerIndices[t]].J is { } j) J.Append(t + 1, epoch, j);
        }
        Phase?.Replace(PhaseTraces());
        UpdateGuidance();
        return true;
    }

    void Record(LayerPoint l)
    {
        if (!Watched.Contains(l.LayerIndex) || l.J is not { } j || l.J0 is not { } j0 || !double.IsFinite(j) || !double.IsFinite(j0)) return;
        if (!_trajectories.TryGetValue(l.LayerIndex, out var points)) _trajectories[l.LayerIndex] = points = [];
        if (points.Count > 0 && points[^1].Epoch >= l.Epoch) return;
        points.Add((l.Epoch, j, j0));
    }

    void UpdateGuidance()
    {
        if (Watched.Count == 0) return;
        var trajectory = _trajectories.GetValueOrDefault(Watched[0]) ?? [];
        var config = _run.Config;
        long? samples = _run.Environment?.TrainImages is > 0 and var n ? n : config.Subset;
        Guidance = EdgeGuidance.From(
            [.. trajectory.Select(p => new JPoint(p.Epoch, p.J, _testLoss.GetValueOrDefault(p.Epoch)))],
            RunMetrics.SgdSettingOf(config), config.Optimizer?.Kind.ToString() ?? "an unknown optimizer", samples, config.WeightDecay);
    }

    /// <summary>The epoch of lowest test loss among those with the first hidden layer's J, or null.</summary>
    public int? BestEpoch => Guidance?.BestEpoch;

    List<ITrace> JTraces(IReadOnlyList<LayerPoint> layers)
    {
        var unit = ChartLayouts.Line("J = 1 (edge of chaos)", [0, Math.Max(1, _run.Summary.Epochs)], [1, 1], color: "#c81428", dash: "dash");
        unit.HoverInfo = HoverInfoFlag.Skip;
        var traces = new List<ITrace> { unit };
        var byLayer = layers.GroupBy(l => l.LayerIndex).ToDictionary(g => g.Key, g => g.OrderBy(l => l.Epoch).ToList());
        foreach (var index in _layerIndices)
        {
            var points = (byLayer.GetValueOrDefault(index) ?? []).Where(p => p.J is not null).ToList();
            var line = ChartLayouts.Line($"{index} {_layerNames.GetValueOrDefault(index)}", points.Select(p => (double)p.Epoch), points.Select(p => p.J!.Value),
                showLegend: false);
            line.Line.Width = Watched.Contains(index) ? 2.5m : 1.5m;
            line.HoverTemplate = "%{fullData.name}<br>epoch %{x}<br>J %{y:.4f}<extra></extra>";
            traces.Add(line);
        }
        return traces;
    }

    // Semi-transparent, so the shades read on light and dark backgrounds alike.
    static string RegionFill(Phase phase) => phase switch
    {
        Core.EdgeOfChaos.Phase.Paramagnetic => "rgba(90,150,220,0.22)",
        Core.EdgeOfChaos.Phase.Ferromagnetic => "rgba(80,170,70,0.22)",
        Core.EdgeOfChaos.Phase.Antiferromagnetic => "rgba(230,180,40,0.22)",
        _ => "rgba(220,70,70,0.2)",
    };

    public static string PhaseName(Phase phase) => phase switch
    {
        Core.EdgeOfChaos.Phase.Paramagnetic => "ordered (paramagnetic)",
        Core.EdgeOfChaos.Phase.Ferromagnetic => "ordered (ferromagnetic)",
        Core.EdgeOfChaos.Phase.Antiferromagnetic => "ordered (antiferromagnetic)",
        _ => "chaotic (spin glass)",
    };

    static readonly string[] TrajectoryColors = ["#1f64b4", "#e6780a"];

    // The diagram is the same for every run: its regions are traced once per process, not per page or epoch.
    static readonly Lazy<IReadOnlyList<PhaseRegion>> Regions = new(() => PhaseRegions.Of(PhaseDiagram.Default), LazyThreadSafetyMode.ExecutionAndPublication);

    List<ITrace> PhaseTraces()
    {
        var diagram = PhaseDiagram.Default;
        var traces = new List<ITrace>();
        foreach (var region in Regions.Value)
        {
            var fill = ChartLayouts.Line(PhaseName(region.Phase), region.Outline.Select(p => p.J0OverJ), region.Outline.Select(p => p.InverseJ), showLegend: false);
            fill.Fill = FillEnum.ToSelf;
            fill.FillColor = RegionFill(region.Phase);
            fill.Line.Width = 0;
            fill.HoverInfo = HoverInfoFlag.Skip;
            traces.Add(fill);
        }
        foreach (var boundary in diagram.Boundaries.Where(b => b.Kind == BoundaryKind.MagnetizationOnset))
        {
            var onset = ChartLayouts.Line("magnetization onset", boundary.Points.Select(p => p.J0OverJ), boundary.Points.Select(p => p.InverseJ),
                color: "#46505f", dash: "dot", showLegend: false);
            onset.Line.Width = 1.5m;
            onset.HoverInfo = HoverInfoFlag.Skip;
            traces.Add(onset);
        }
        var w = diagram.Settings;
        var unit = ChartLayouts.Line("J = 1", [w.J0OverJMin, w.J0OverJMax], [1, 1], color: "#000000", dash: "dash", showLegend: false);
        unit.Line.Width = 1;
        unit.HoverInfo = HoverInfoFlag.Skip;
        traces.Add(unit);
        bool first = true;
        foreach (var boundary in diagram.Boundaries.Where(b => b.Kind == BoundaryKind.EdgeOfChaos))
        {
            var edge = ChartLayouts.Line("edge of chaos", boundary.Points.Select(p => p.J0OverJ), boundary.Points.Select(p => p.InverseJ),
                color: "#c81428", legendGroup: "edge", showLegend: first);
            edge.Line.Width = 3;
            edge.HoverInfo = HoverInfoFlag.Skip;
            traces.Add(edge);
            first = false;
        }
        for (int k = 0; k < Watched.Count; k++)
        {
            var points = _trajectories.GetValueOrDefault(Watched[k]) ?? [];
            var path = ChartLayouts.Line($"layer {Watched[k]} {_layerNames.GetValueOrDefault(Watched[k])}", points.Select(p => p.J0 / p.J), points.Select(p => 1 / p.J),
                color: TrajectoryColors[k % TrajectoryColors.Length], markers: true);
            path.Marker = new Marker { Size = 5 };
            path.TextArray = [.. points.Select(p => p.Epoch.ToString(CultureInfo.InvariantCulture))];
            path.HoverTemplate = "epoch %{text}<br>J0/J %{x:.3f}<br>1/J %{y:.3f}<extra>%{fullData.name}</extra>";
            traces.Add(path);
        }
        var primary = _trajectories.GetValueOrDefault(Watched[0]) ?? [];
        if (BestPoint(primary) is { } best)
        {
            var star = ChartLayouts.Line($"best epoch {best.Epoch} (J = {best.J:0.00})", [best.J0 / best.J], [1 / best.J], color: "#111111", markers: true);
            star.Mode = ModeFlag.Markers;
            star.Marker = new Marker { Size = 16, Symbol = Plotly.Blazor.Traces.ScatterLib.MarkerLib.SymbolEnum.Star, Color = "#ffd400", Line = new Plotly.Blazor.Traces.ScatterLib.MarkerLib.Line { Color = "#111111", Width = 1.5m } };
            star.HoverTemplate = $"best epoch {best.Epoch}<br>J {best.J:0.000}<extra></extra>";
            traces.Add(star);
        }
        return traces;
    }

    (int Epoch, double J, double J0)? BestPoint(List<(int Epoch, double J, double J0)> points)
    {
        var scored = points.Where(p => p.Epoch >= 1 && _testLoss.GetValueOrDefault(p.Epoch) is { } loss && double.IsFinite(loss)).ToList();
        return scored.Count == 0 ? null : scored.MinBy(p => _testLoss[p.Epoch]!.Value);
    }

    /// <summary>The diagram's axes: the seed's window (J0/J from -1 to 2, 1/J from 0 to 2) and the regions named.</summary>
    public static PlotLayout PhaseLayout(bool dark)
    {
        var layout = ChartLayouts.Axes(dark, "Phase diagram of the hidden layer (tanh mean-field theory)", "J0 / J", "1 / J");
        var w = PhaseDiagram.Default.Settings;
        layout.XAxis[0].Range = [w.J0OverJMin, w.J0OverJMax];
        layout.YAxis[0].Range = [0, w.InverseJMax];
        layout.Legend = [new Legend { Orientation = Plotly.Blazor.LayoutLib.LegendLib.OrientationEnum.H, Y = -0.22m }];
        var ink = dark ? "#e0e0e0" : "#333333";
        layout.Annotations =
        [
            Label("ordered (paramagnetic)", -0.35, 1.75, ink),
            Label("chaotic (spin glass)", -0.35, 0.45, ink),
            Label("ordered (ferro-<br>magnetic)", 1.65, 1.05, ink),
        ];
        return layout;
    }

    static Annotation Label(string text, double x, double y, string color) => new()
    {
        Text = text,
        X = x,
        Y = y,
        ShowArrow = false,
        Font = new Plotly.Blazor.LayoutLib.AnnotationLib.Font { Color = color, Size = 12 },
    };
}
