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
        // Epoch 0 (the untrained network) has no training loss; each line has the epochs where it has a value.
        Loss = new ChartFeed(new List<ITrace>
        {
            EpochLine("train loss", epochs, e => e.TrainLoss, ChartLayouts.Palette[0]),
            EpochLine("test loss", epochs, e => e.TestLoss, ChartLayouts.Palette[1]),
        });
        Accuracy = new ChartFeed(new List<ITrace>
        {
            EpochLine("train accuracy", epochs, e => e.TrainAccuracy, ChartLayouts.Palette[0]),
            EpochLine("test accuracy", epochs, e => e.TestAccuracy, ChartLayouts.Palette[1]),
        });
        if (epochs.Count > 0) LastEpoch = epochs[^1].Epoch;

        var byEpoch = layers.GroupBy(l => l.Epoch).OrderBy(g => g.Key).ToList();
        _layerIndices.AddRange(layers.Select(l => l.LayerIndex).Distinct().Order());
        Alpha = new ChartFeed(new List<ITrace> { AlphaHeatmap(byEpoch.Select(g => (g.Key, (IReadOnlyList<LayerPoint>)[.. g]))) });
        LearningRates = new ChartFeed(LearningRateLines(layers));
        if (byEpoch.Count > 0) LastLayerEpoch = byEpoch[^1].Key;
    }

    /// <summary>Adds one epoch's metrics; false when it was already drawn.</summary>
    public bool AddEpoch(EpochPoint e)
    {
        if (e.Epoch <= LastEpoch) return false;
        LastEpoch = e.Epoch;
        Append(Loss, 0, e.Epoch, e.TrainLoss);
        Append(Loss, 1, e.Epoch, e.TestLoss);
        Append(Accuracy, 0, e.Epoch, e.TrainAccuracy);
        Append(Accuracy, 1, e.Epoch, e.TestAccuracy);
        return true;
    }

    static void Append(ChartFeed feed, int trace, int epoch, double? value)
    {
        if (value is { } v) feed.Append(trace, epoch, v);
    }

    /// <param name="epochs">Stored epochs, in order.</param>
    static Scatter EpochLine(string name, IReadOnlyList<EpochPoint> epochs, Func<EpochPoint, double?> value, string color)
    {
        var points = epochs.Where(e => value(e) is not null).ToList();
        return ChartLayouts.Line(name, points.Select(e => (double)e.Epoch), points.Select(e => value(e)!.Value), color: color);
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
            ColorBar = new Plotly.Blazor.Traces.HeatMapLib.ColorBar
            {
                Title = new Plotly.Blazor.Traces.HeatMapLib.ColorBarLib.Title { Text = "alpha" },
                TickLabelOverflow = Plotly.Blazor.Traces.HeatMapLib.ColorBarLib.TickLabelOverflowEnum.Allow,
            },
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
