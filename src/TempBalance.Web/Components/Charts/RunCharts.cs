using Plotly.Blazor;
using Plotly.Blazor.Traces;
using TempBalance.Core.Scheduling;
using TempBalance.Core.Training;
using TempBalance.Web.Components.Runs;
using TempBalance.Web.Runs;
using PlotLayout = Plotly.Blazor.Layout;

namespace TempBalance.Web.Components.Charts;

/// <summary>
/// The live charts of one run: loss and accuracy per epoch (with the training loss between epoch ends), alpha
/// per layer by epoch (a heatmap) and each layer's learning rate. Built from the stored history, then extended
/// epoch by epoch; an epoch already shown is ignored, so a refetch after a missed message cannot draw a point twice.
/// It keeps the run's layers by epoch too, and explains each layer's learning rate (<see cref="LearningRateStory"/>).
/// </summary>
public sealed class RunCharts
{
    // Trace indices of the loss chart: the batch curve first, so the epoch lines are drawn over it; the smoothed
    // lines (empty without smoothing) after the raw ones, so the raw traces keep their indices whatever the view.
    const int BatchLossTrace = 0, TrainLossTrace = 1, TestLossTrace = 2, SmoothedOffset = 3;

    readonly TempBalanceOptions _tempBalance;
    readonly List<int> _layerIndices = [];
    readonly Dictionary<int, string> _layerNames = [];
    readonly SortedDictionary<int, IReadOnlyList<LayerPoint>> _layersByEpoch = [];
    readonly Dictionary<int, double> _globalRates = [];
    readonly Dictionary<int, LearningRateStory?> _stories = [];
    readonly List<BatchLossPoint> _batchLosses = [];
    readonly List<(double Epoch, double Loss)> _trainLosses = [], _testLosses = [];
    readonly List<double> _alphas = [];
    readonly HashSet<int> _hiddenLines = [];
    EmaSmoother[] _smoothers = [];
    double _lastBatchLossAt = double.NegativeInfinity;

    public ChartFeed Loss { get; }
    public ChartFeed Accuracy { get; }
    public ChartFeed Alpha { get; }
    public ChartFeed LearningRates { get; }

    /// <summary>The last epoch whose metrics are drawn (-1: none).</summary>
    public int LastEpoch { get; private set; } = -1;

    /// <summary>The last epoch whose layer metrics are drawn (-1: none).</summary>
    public int LastLayerEpoch { get; private set; } = -1;

    /// <summary>The loss chart's smoothing weight (TensorBoard's slider: 0 none, up to 0.99).</summary>
    public double LossSmoothing { get; private set; }

    /// <summary>The learning-rate chart shows each rate over the epoch's global rate (×0.5 … ×1.5) instead of the rate.</summary>
    public bool LearningRateFactors { get; private set; }

    /// <summary>The alpha heatmap's colour limits and scale.</summary>
    public AlphaColorScale AlphaScale { get; private set; }

    /// <summary>Changes whenever the set of layers changes, so the layer charts' layouts (names on the axis) follow.</summary>
    public int LayerSetVersion { get; private set; }

    /// <param name="tempBalance">The run's TempBalance options: the learning-rate stories replay its rule.</param>
    public RunCharts(IReadOnlyList<EpochPoint> epochs, IReadOnlyList<LayerPoint> layers, TempBalanceOptions? tempBalance = null)
    {
        _tempBalance = tempBalance ?? new TempBalanceOptions();
        foreach (var e in epochs) Remember(e);
        _batchLosses.AddRange(epochs.SelectMany(e => e.BatchLosses));
        if (_batchLosses.Count > 0) _lastBatchLossAt = _batchLosses[^1].Epoch;
        Loss = new ChartFeed(LossTraces());
        Accuracy = new ChartFeed(new List<ITrace>
        {
            EpochLine("train accuracy", epochs, e => e.TrainAccuracy, ChartLayouts.Palette[0]),
            EpochLine("test accuracy", epochs, e => e.TestAccuracy, ChartLayouts.Palette[1]),
        });
        if (epochs.Count > 0) LastEpoch = epochs[^1].Epoch;

        foreach (var group in layers.GroupBy(l => l.Epoch)) _layersByEpoch[group.Key] = [.. group.OrderBy(l => l.LayerIndex)];
        SetLayers(layers.Select(l => (l.LayerIndex, l.Name)).DistinctBy(l => l.LayerIndex));
        _alphas.AddRange(layers.Where(l => l.Alpha is { } a && double.IsFinite(a)).Select(l => l.Alpha!.Value));
        AlphaScale = AlphaColorScale.For(_alphas);
        Alpha = new ChartFeed(new List<ITrace> { AlphaHeatmap() });
        LearningRates = new ChartFeed(LearningRateLines());
        if (_layersByEpoch.Count > 0) LastLayerEpoch = _layersByEpoch.Keys.Last();
    }

    /// <summary>The layers stored for an epoch, by index (empty when there are none).</summary>
    public IReadOnlyList<LayerPoint> LayersAt(int epoch) => _layersByEpoch.GetValueOrDefault(epoch) ?? [];

    /// <summary>The global learning rate used during an epoch, when stored (epoch 0 trains nothing).</summary>
    public double? GlobalRateAt(int epoch) => _globalRates.TryGetValue(epoch, out var rate) ? rate : null;

    /// <summary>The layer names in index order, as the heatmap's axis shows them.</summary>
    public IReadOnlyList<string> LayerNames => [.. _layerIndices.Select(i => _layerNames[i])];

    void Remember(EpochPoint e)
    {
        if (e.LearningRate is { } rate && double.IsFinite(rate) && rate > 0) _globalRates[e.Epoch] = rate;
        if (e.TrainLoss is { } train) _trainLosses.Add((e.Epoch, train));
        if (e.TestLoss is { } test) _testLosses.Add((e.Epoch, test));
    }

    void SetLayers(IEnumerable<(int Index, string Name)> layers)
    {
        _layerIndices.Clear();
        foreach (var (index, name) in layers.OrderBy(l => l.Index))
        {
            _layerIndices.Add(index);
            _layerNames[index] = name;
        }
        LayerSetVersion++;
    }

    /// <summary>Adds one epoch's metrics; false when it was already drawn.</summary>
    public bool AddEpoch(EpochPoint e)
    {
        if (e.Epoch <= LastEpoch) return false;
        LastEpoch = e.Epoch;
        Remember(e);
        AppendBatchLosses(e.BatchLosses);
        AppendLoss(TrainLossTrace, e.Epoch, e.TrainLoss);
        AppendLoss(TestLossTrace, e.Epoch, e.TestLoss);
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
            _batchLosses.Add(point);
            AppendLoss(BatchLossTrace, point.Epoch, point.Loss);
            _lastBatchLossAt = point.Epoch;
            added = true;
        }
        return added;
    }

    void AppendLoss(int trace, double x, double? loss)
    {
        if (loss is not { } y) return;
        Loss.Append(trace, x, y);
        if (LossSmoothing > 0) Loss.Append(SmoothedOffset + trace, x, _smoothers[trace].Next(y));
    }

    /// <summary>Smooths the loss lines with this weight (0: raw lines only); redraws the loss chart when it changes.</summary>
    public void SetLossSmoothing(double weight)
    {
        weight = Math.Clamp(Math.Round(weight, 3), 0, 0.99);
        if (weight == LossSmoothing) return;
        LossSmoothing = weight;
        Loss.Replace(LossTraces());
    }

    // A long run's stored curve (50 points an epoch) is thinned for drawing to about as many points as the chart
    // has pixels across; what arrives live afterwards is drawn whole.
    const int BatchLossBuckets = 300;

    List<ITrace> LossTraces()
    {
        var smoothing = LossSmoothing > 0;
        var batch = BatchLossLine(_batchLosses.Select(p => (p.Epoch, p.Loss)).ToList(), "batches", 0.35m);
        var train = ChartLayouts.Line("train loss", _trainLosses.Select(p => p.Epoch), _trainLosses.Select(p => p.Loss), color: ChartLayouts.Palette[0]);
        var test = ChartLayouts.Line("test loss", _testLosses.Select(p => p.Epoch), _testLosses.Select(p => p.Loss), color: ChartLayouts.Palette[1]);
        // Smoothed, TensorBoard's way: the raw lines stay, faint and out of the legend, under the smoothed ones.
        _smoothers = [.. Enumerable.Range(0, 3).Select(_ => new EmaSmoother(LossSmoothing))];
        List<(double, double)> Smoothed(int trace, List<(double X, double Y)> points) =>
            smoothing ? [.. points.Select(p => (p.X, _smoothers[trace].Next(p.Y)))] : [];
        var smoothedBatch = BatchLossLine(Smoothed(BatchLossTrace, [.. _batchLosses.Select(p => (p.Epoch, p.Loss))]), "batches (smoothed)", 0.8m);
        var smoothedTrain = ChartLayouts.Line("train loss", color: ChartLayouts.Palette[0]);
        var smoothedTest = ChartLayouts.Line("test loss", color: ChartLayouts.Palette[1]);
        foreach (var (line, points) in new[] { (smoothedTrain, Smoothed(TrainLossTrace, _trainLosses)), (smoothedTest, Smoothed(TestLossTrace, _testLosses)) })
        {
            line.X = ChartLayouts.Values(points.Select(p => p.Item1));
            line.Y = ChartLayouts.Values(points.Select(p => p.Item2));
        }
        smoothedBatch.ShowLegend = smoothedTrain.ShowLegend = smoothedTest.ShowLegend = smoothing;
        if (smoothing)
        {
            batch.Opacity = 0.15m;
            foreach (var raw in new[] { train, test })
            {
                raw.Opacity = 0.3m;
                raw.ShowLegend = false;
            }
        }
        return [batch, train, test, smoothedBatch, smoothedTrain, smoothedTest];
    }

    static Scatter BatchLossLine(List<(double Epoch, double Loss)> points, string name, decimal opacity)
    {
        var shown = SeriesDownsampler.MinMax([.. points.Select(p => p.Epoch)], [.. points.Select(p => p.Loss)], BatchLossBuckets);
        var line = ChartLayouts.Line(name, shown.X, shown.Y, color: ChartLayouts.Palette[0]);
        line.Line.Width = 1;
        line.Opacity = opacity;
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
        _layersByEpoch[epoch] = [.. layers.OrderBy(l => l.LayerIndex)];
        _alphas.AddRange(layers.Where(l => l.Alpha is { } a && double.IsFinite(a)).Select(l => l.Alpha!.Value));
        if (!layers.Select(l => l.LayerIndex).Order().SequenceEqual(_layerIndices))
        {
            // The first layers of a run, or a different set: draw afresh.
            SetLayers(layers.Select(l => (l.LayerIndex, l.Name)));
            AlphaScale = AlphaColorScale.For(_alphas);
            Alpha.Replace([AlphaHeatmap()]);
            LearningRates.Replace(LearningRateLines());
            return true;
        }
        var byIndex = layers.ToDictionary(l => l.LayerIndex);
        Alpha.AppendColumn(0, epoch, [.. _layerIndices.Select(i => byIndex[i].Alpha)]);
        var scale = AlphaColorScale.For(_alphas);
        if (scale.Differs(AlphaScale))
        {
            // The alphas drifted (they fall as a run trains): new limits, sent with the whole heatmap once.
            AlphaScale = scale;
            Colour((HeatMap)Alpha.Traces[0]);
            Alpha.Resend();
        }
        for (var t = 0; t < _layerIndices.Count; t++)
            if (LearningRatePoint(epoch, byIndex[_layerIndices[t]]) is { } y) LearningRates.Append(t, epoch, y);
        return true;
    }

    // Transposed: z holds one row per epoch, drawn as a column, so a new epoch is one extendTraces call.
    HeatMap AlphaHeatmap()
    {
        var heat = new HeatMap
        {
            Transpose = true,
            X = [],
            // Names on a category axis; hover says which layer, alpha and epoch.
            Y = [.. _layerIndices.Select(i => (object)_layerNames[i])],
            Z = [],
            HoverTemplate = "%{y}<br>epoch %{x}<br>alpha %{z:.2f}<extra></extra>",
        };
        Colour(heat);
        foreach (var (epoch, layers) in _layersByEpoch)
        {
            var byIndex = layers.ToDictionary(l => l.LayerIndex);
            heat.X.Add(epoch);
            heat.Z.Add(_layerIndices.Select(i => byIndex.GetValueOrDefault(i)?.Alpha is { } a && double.IsFinite(a) ? (object?)a : null).ToArray());
        }
        return heat;
    }

    void Colour(HeatMap heat)
    {
        heat.ColorScale = AlphaScale.Colors;
        heat.ZMin = (decimal)AlphaScale.Min;
        heat.ZMax = (decimal)AlphaScale.Max;
        heat.ColorBar = new Plotly.Blazor.Traces.HeatMapLib.ColorBar
        {
            Title = new Plotly.Blazor.Traces.HeatMapLib.ColorBarLib.Title { Text = "alpha" },
            TickLabelOverflow = Plotly.Blazor.Traces.HeatMapLib.ColorBarLib.TickLabelOverflowEnum.Allow,
            TickMode = Plotly.Blazor.Traces.HeatMapLib.ColorBarLib.TickModeEnum.Array,
            TickVals = [.. AlphaScale.TickValues.Cast<object>()],
            TickText = [.. AlphaScale.TickTexts.Cast<object>()],
            Thickness = 14,
        };
    }

    /// <summary>
    /// The alpha heatmap's layout: layer names on a category axis, first layer at the top, with room for the names.
    /// </summary>
    public PlotLayout AlphaLayout(bool dark, int epochs)
    {
        var layout = ChartLayouts.Axes(dark, "Alpha per layer · 2–6 green", "epoch", "", showLegend: false, epochs: epochs);
        var names = LayerNames;
        var shown = names.Select(ChartLayouts.ShortName).ToList();
        var axis = layout.YAxis[0];
        axis.Title = null;
        axis.Type = Plotly.Blazor.LayoutLib.YAxisLib.TypeEnum.Category;
        axis.AutoRange = Plotly.Blazor.LayoutLib.YAxisLib.AutoRangeEnum.Reversed;
        axis.TickFont = new Plotly.Blazor.LayoutLib.YAxisLib.TickFont { Size = 10 };
        axis.TickMode = Plotly.Blazor.LayoutLib.YAxisLib.TickModeEnum.Array;
        axis.TickVals = [.. names.Cast<object>()];
        axis.TickText = [.. shown.Cast<object>()];
        layout.Margin.L = ChartLayouts.MarginFor(shown);
        return layout;
    }

    /// <summary>Shows the learning rates as factors of the global rate, or as rates; redraws the chart when it changes.</summary>
    public void ShowLearningRateFactors(bool factors)
    {
        if (factors == LearningRateFactors) return;
        LearningRateFactors = factors;
        LearningRates.Replace(LearningRateLines());
    }

    /// <summary>
    /// The learning-rate chart's layout: the y axis says which view it is. The layers are named in a legend beside
    /// the chart (<see cref="LearningRateLegend"/>), not in plotly's: plotly measures each legend entry's text on
    /// every draw, which made the chart's first draw twice as slow with 40 layers (docs/benchmarks.md).
    /// </summary>
    public PlotLayout LearningRateLayout(bool dark, int epochs) =>
        ChartLayouts.Axes(dark, "Learning rate per layer", "epoch",
            LearningRateFactors ? "× global LR, during the epoch" : "LR during the epoch", showLegend: false, epochs: epochs);

    /// <summary>One line of the learning-rate chart as its legend shows it: the trace, the layer's name and the line's look.</summary>
    public sealed record LegendEntry(int Trace, string Name, string FullName, string Color, bool Untuned, bool Hidden);

    /// <summary>The learning-rate chart's lines, in trace order (by layer index).</summary>
    public IReadOnlyList<LegendEntry> LearningRateLegend
    {
        get
        {
            var latest = _layersByEpoch.Count > 0 ? _layersByEpoch.Values.Last().ToDictionary(l => l.LayerIndex) : [];
            return [.. _layerIndices.Select((index, t) => new LegendEntry(t, ChartLayouts.ShortName(_layerNames[index]), _layerNames[index],
                ChartLayouts.DepthColor(t, _layerIndices.Count), latest.GetValueOrDefault(index)?.Tuned == false, _hiddenLines.Contains(index)))];
        }
    }

    /// <summary>Hides a line of the learning-rate chart, or shows it again (a click on its legend entry).</summary>
    public void ToggleLearningRateLine(int trace)
    {
        if (trace < 0 || trace >= _layerIndices.Count) return;
        var index = _layerIndices[trace];
        if (!_hiddenLines.Remove(index)) _hiddenLines.Add(index);
        ((Scatter)LearningRates.Traces[trace]).Visible = _hiddenLines.Contains(index) ? Plotly.Blazor.Traces.ScatterLib.VisibleEnum.False : Plotly.Blazor.Traces.ScatterLib.VisibleEnum.True;
        LearningRates.Resend();
    }

    /// <summary>Shows every line of the learning-rate chart.</summary>
    public void ShowAllLearningRateLines()
    {
        if (_hiddenLines.Count == 0) return;
        _hiddenLines.Clear();
        foreach (var line in LearningRates.Traces.Cast<Scatter>()) line.Visible = Plotly.Blazor.Traces.ScatterLib.VisibleEnum.True;
        LearningRates.Resend();
    }

    double? LearningRatePoint(int epoch, LayerPoint layer)
    {
        if (layer.LearningRate is not { } rate) return null;
        if (!LearningRateFactors) return rate;
        return _globalRates.TryGetValue(epoch, out var global) ? rate / global : null;
    }

    List<ITrace> LearningRateLines()
    {
        var byLayer = _layersByEpoch.Values.SelectMany(l => l).GroupBy(l => l.LayerIndex).ToDictionary(g => g.Key, g => g.OrderBy(l => l.Epoch).ToList());
        var lines = _layerIndices.Select((index, t) =>
        {
            var history = byLayer.GetValueOrDefault(index) ?? [];
            var points = history.Select(l => (l.Epoch, Y: LearningRatePoint(l.Epoch, l))).Where(p => p.Y is not null).ToList();
            // Colour by depth, so the order of the layers reads without the legend; untuned layers dotted.
            var line = ChartLayouts.Line(ChartLayouts.ShortName(_layerNames[index]), points.Select(p => (double)p.Epoch), points.Select(p => p.Y!.Value),
                color: ChartLayouts.DepthColor(t, _layerIndices.Count), dash: history.Count > 0 && !history[^1].Tuned ? "dot" : null);
            if (_hiddenLines.Contains(index)) line.Visible = Plotly.Blazor.Traces.ScatterLib.VisibleEnum.False;
            line.HoverTemplate = LearningRateFactors
                ? "%{fullData.name}<br>epoch %{x}: ×%{y:.2f} global LR<extra></extra>"
                : "%{fullData.name}<br>epoch %{x}: LR %{y:.4g}<extra></extra>";
            line.Line.Width = 1.5m;
            return (ITrace)line;
        }).ToList();
        return lines;
    }

    /// <summary>
    /// Why the layers trained at their rates during <paramref name="epoch"/>: the rule replayed on the epoch before
    /// it, whose analysis assigned them. Null for epoch 0 (no training) or when that epoch's layers are not stored.
    /// </summary>
    public LearningRateStory? StoryOf(int epoch) => epoch <= 0 ? null : AssignedAfter(epoch - 1);

    /// <summary>The story of the rates the analysis after <paramref name="epoch"/> assigned for the next epoch.</summary>
    public LearningRateStory? AssignedAfter(int epoch)
    {
        if (_stories.TryGetValue(epoch, out var story)) return story;
        if (!_layersByEpoch.TryGetValue(epoch, out var layers)) return null;
        var global = GlobalRateAt(epoch + 1);
        story = LearningRateStory.Explain(_tempBalance, [.. layers.Select(l => l.ToRated())], global);
        // Kept once complete: the rates need the next epoch's global rate, which a running run stores later.
        if (global is not null) _stories[epoch] = story;
        return story;
    }

    /// <summary>
    /// A point of the learning-rate chart in words: the layer, its rate during the epoch, the factor and why
    /// ("layer3.conv, epoch 12: LR 0.0375 = ×1.50 global LR. alpha 7.05 after epoch 11, the largest …").
    /// Null when the chart has no such point.
    /// </summary>
    public string? DescribeLearningRate(int trace, int epoch)
    {
        if (trace < 0 || trace >= _layerIndices.Count) return null;
        var index = _layerIndices[trace];
        if (LayersAt(epoch).FirstOrDefault(l => l.LayerIndex == index) is not { LearningRate: { } rate } layer) return null;
        var text = $"{layer.Name}, epoch {epoch}: LR {RunFormat.Rate(rate)}";
        if (GlobalRateAt(epoch) is { } global) text += $" = {LearningRateStory.FactorText(rate / global)} the global LR {RunFormat.Rate(global)}";
        if (StoryOf(epoch)?.Of(index) is { } why) text += $". Why (assigned after epoch {epoch - 1}): {why.Reason}.";
        return text;
    }
}
