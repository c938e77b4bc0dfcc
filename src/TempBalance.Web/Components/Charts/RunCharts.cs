using Plotly.Blazor;
using Plotly.Blazor.Traces;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Components.Charts;

/// <summary>
/// The live charts of one run: loss and accuracy per epoch, alpha per layer by epoch (a heatmap) and each
/// layer's learning rate. Built from the stored history, then extended epoch by epoch; an epoch already
/// shown is ignored, so a refetch after a missed message cannot draw a point twice.
/// </summary>
public sealed class RunCharts
{
    readonly List<int> _layerIndices = [];

    public ChartFeed Loss { get; }
    public ChartFeed Accuracy { get; }
    public ChartFeed Alpha { get; }
    public ChartFeed LearningRates { get; }

    /// <summary>The last epoch whose metrics are drawn (-1: none).</summary>
    public int LastEpoch { get; private set; } = -1;

    /// <summary>The last epoch whose layer metrics are drawn (-1: none).</summary>
    public int LastLayerEpoch { get; private set; } = -1;

    public RunCharts(IReadOnlyList<EpochPoint> epochs, IReadOnlyList<LayerPoint> layers)
    {
        // Epoch 0 (the untrained network) has no training loss; it is drawn where it has values.
        Loss = new ChartFeed(new List<ITrace>
        {
            ChartLayouts.Line("train loss", color: ChartLayouts.Palette[0]),
            ChartLayouts.Line("test loss", color: ChartLayouts.Palette[1]),
        });
        Accuracy = new ChartFeed(new List<ITrace>
        {
            ChartLayouts.Line("train accuracy", color: ChartLayouts.Palette[0]),
            ChartLayouts.Line("test accuracy", color: ChartLayouts.Palette[1]),
        });
        foreach (var e in epochs) AddEpochTo(e, initial: true);

        var byEpoch = layers.GroupBy(l => l.Epoch).OrderBy(g => g.Key).ToList();
        _layerIndices.AddRange(layers.Select(l => l.LayerIndex).Distinct().Order());
        Alpha = new ChartFeed(new List<ITrace> { AlphaHeatmap(byEpoch.Select(g => (g.Key, (IReadOnlyList<LayerPoint>)[.. g]))) });
        LearningRates = new ChartFeed(LearningRateLines(layers));
        if (byEpoch.Count > 0) LastLayerEpoch = byEpoch[^1].Key;
    }

    /// <summary>Adds one epoch's metrics; false when it was already drawn.</summary>
    public bool AddEpoch(EpochPoint epoch) => AddEpochTo(epoch, initial: false);

    bool AddEpochTo(EpochPoint e, bool initial)
    {
        if (e.Epoch <= LastEpoch) return false;
        LastEpoch = e.Epoch;
        Put(Loss, 0, e.Epoch, e.TrainLoss, initial);
        Put(Loss, 1, e.Epoch, e.TestLoss, initial);
        Put(Accuracy, 0, e.Epoch, e.TrainAccuracy, initial);
        Put(Accuracy, 1, e.Epoch, e.TestAccuracy, initial);
        return true;
    }

    static void Put(ChartFeed feed, int trace, int epoch, double? value, bool initial)
    {
        if (value is not { } v) return;
        if (initial)
        {
            var line = (Scatter)feed.Traces[trace];
            line.X.Add(epoch);
            line.Y.Add(double.IsFinite(v) ? v : null!);
        }
        else feed.Append(trace, epoch, v);
    }

    /// <summary>Adds one epoch's layer metrics; false when they were already drawn.</summary>
    public bool AddLayers(int epoch, IReadOnlyList<LayerPoint> layers)
    {
        if (epoch <= LastLayerEpoch || layers.Count == 0) return false;
        LastLayerEpoch = epoch;
        if (!layers.Select(l => l.LayerIndex).Order().SequenceEqual(_layerIndices))
        {
            // The first layers of a run, or a different set: draw afresh.
            _layerIndices.Clear();
            _layerIndices.AddRange(layers.Select(l => l.LayerIndex).Order());
            Alpha.Replace([AlphaHeatmap([(epoch, layers)])]);
            LearningRates.Replace(LearningRateLines(layers));
            return true;
        }
        var byIndex = layers.ToDictionary(l => l.LayerIndex);
        Alpha.AppendColumn(0, epoch, [.. _layerIndices.Select(i => byIndex[i].Alpha)]);
        for (var t = 0; t < _layerIndices.Count; t++)
            LearningRates.Append(t, epoch, byIndex[_layerIndices[t]].LearningRate);
        return true;
    }

    // Transposed: z holds one row per epoch, drawn as a column, so a new epoch is one extendTraces call.
    HeatMap AlphaHeatmap(IEnumerable<(int Epoch, IReadOnlyList<LayerPoint> Layers)> epochs)
    {
        var heat = new HeatMap
        {
            Transpose = true,
            X = [],
            Y = [.. _layerIndices.Cast<object>()],
            Z = [],
            ColorScale = "Viridis",
            // HT-SR's range: below 2 heavy-tailed, 2 to 6 well-trained, above 6 under-trained; larger values saturate.
            ZMin = 1,
            ZMax = 8,
            HoverTemplate = "epoch %{x}<br>layer %{y}<br>alpha %{z:.2f}<extra></extra>",
            ColorBar = new Plotly.Blazor.Traces.HeatMapLib.ColorBar { Title = new Plotly.Blazor.Traces.HeatMapLib.ColorBarLib.Title { Text = "alpha" } },
        };
        foreach (var (epoch, layers) in epochs)
        {
            var byIndex = layers.ToDictionary(l => l.LayerIndex);
            heat.X.Add(epoch);
            heat.Z.Add(_layerIndices.Select(i => byIndex.GetValueOrDefault(i)?.Alpha is { } a && double.IsFinite(a) ? (object?)a : null).ToArray());
        }
        return heat;
    }

    List<ITrace> LearningRateLines(IReadOnlyList<LayerPoint> layers)
    {
        var byLayer = layers.GroupBy(l => l.LayerIndex).ToDictionary(g => g.Key, g => g.OrderBy(l => l.Epoch).ToList());
        return _layerIndices.Select(index =>
        {
            var points = byLayer.GetValueOrDefault(index) ?? [];
            var line = ChartLayouts.Line($"{index} {points.FirstOrDefault()?.Name}", points.Select(p => (double)p.Epoch),
                points.Select(p => p.LearningRate), showLegend: false);
            line.HoverTemplate = "%{fullData.name}<br>epoch %{x}<br>lr %{y:.4g}<extra></extra>";
            line.Line.Width = 1.5m;
            return (ITrace)line;
        }).ToList();
    }
}
