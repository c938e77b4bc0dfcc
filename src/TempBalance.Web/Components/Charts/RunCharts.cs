using Plotly.Blazor;
using Plotly.Blazor.Traces;
using TempBalance.Core.Training;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Components.Charts;

/// <summary>
/// The live charts of one run: loss and accuracy per epoch (with the training loss between epoch ends), alpha
/// per layer by epoch (a heatmap) and each layer's learning rate. Built from the stored history, then extended
/// epoch by epoch; an epoch already shown is ignored, so a refetch after a missed message cannot draw a point twice.
/// </summary>
public sealed class RunCharts
{
    // Trace indices of the loss chart: the batch curve first, so the epoch lines are drawn over it.
    const int BatchLossTrace = 0, TrainLossTrace = 1, TestLossTrace = 2;

    readonly List<int> _layerIndices = [];
    double _lastBatchLossAt = double.NegativeInfinity;

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
        var batchLosses = epochs.SelectMany(e => e.BatchLosses).ToList();
        if (batchLosses.Count > 0) _lastBatchLossAt = batchLosses[^1].Epoch;
        Loss = new ChartFeed(new List<ITrace>
        {
            BatchLossLine(batchLosses),
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
        AppendBatchLosses(e.BatchLosses);
        Append(Loss, TrainLossTrace, e.Epoch, e.TrainLoss);
        Append(Loss, TestLossTrace, e.Epoch, e.TestLoss);
        Append(Accuracy, 0, e.Epoch, e.TrainAccuracy);
        Append(Accuracy, 1, e.Epoch, e.TestAccuracy);
        return true;
    }

    /// <summary>
    /// Adds the batch-loss curve so far of epoch <paramref name="epoch"/>, which is being trained; false when it
    /// brought nothing new. Taken only once the epoch before it is drawn: otherwise (a page opened during a gap
    /// in the messages) that epoch's curve arrives with its epoch message and this one's with its own.
    /// </summary>
    public bool AddBatchLosses(int epoch, IReadOnlyList<BatchLossPoint> epochLosses) =>
        epoch == LastEpoch + 1 && AppendBatchLosses(epochLosses);

    bool AppendBatchLosses(IReadOnlyList<BatchLossPoint> points)
    {
        var added = false;
        foreach (var point in points.Where(p => p.Epoch > _lastBatchLossAt))
        {
            Loss.Append(BatchLossTrace, point.Epoch, point.Loss);
            _lastBatchLossAt = point.Epoch;
            added = true;
        }
        return added;
    }

    // A long run's stored curve (50 points an epoch) is thinned for drawing to about as many points as the chart
    // has pixels across; what arrives live afterwards is drawn whole.
    const int BatchLossBuckets = 300;

    static Scatter BatchLossLine(IReadOnlyList<BatchLossPoint> points)
    {
        var shown = SeriesDownsampler.MinMax([.. points.Select(p => p.Epoch)], [.. points.Select(p => p.Loss)], BatchLossBuckets);
        var line = ChartLayouts.Line("batches", shown.X, shown.Y, color: ChartLayouts.Palette[0]);
        line.Line.Width = 1;
        line.Opacity = 0.35m;
        line.HoverTemplate = "epoch %{x:.2f}<br>batch loss %{y:.4g}<extra></extra>";
        return line;
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
            Append(LearningRates, t, epoch, byIndex[_layerIndices[t]].LearningRate);
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
            var layer = byLayer.GetValueOrDefault(index) ?? [];
            var points = layer.Where(p => p.LearningRate is not null).ToList();
            var line = ChartLayouts.Line($"{index} {layer.FirstOrDefault()?.Name}", points.Select(p => (double)p.Epoch),
                points.Select(p => p.LearningRate!.Value), showLegend: false);
            line.HoverTemplate = "%{fullData.name}<br>epoch %{x}<br>lr %{y:.4g}<extra></extra>";
            line.Line.Width = 1.5m;
            return (ITrace)line;
        }).ToList();
    }
}
