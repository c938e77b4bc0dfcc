using Plotly.Blazor;
using Plotly.Blazor.Traces;

namespace TempBalance.Web.Components.Charts;

/// <summary>One step that brings a chart in the browser up to date.</summary>
public abstract record ChartUpdate
{
    /// <summary>Re-send every trace: their shape changed (re-bucketed, replaced), so appending would be wrong.</summary>
    public sealed record Full : ChartUpdate;

    /// <summary>Append to line traces: trace <c>Indices[i]</c> gets the points <c>X[i]</c>, <c>Y[i]</c>.</summary>
    public sealed record ExtendLines(int[] Indices, object?[][] X, object?[][] Y) : ChartUpdate;

    /// <summary>Append columns to a transposed heatmap: each X value comes with one Z column (one value per row).</summary>
    public sealed record ExtendHeatmap(int Index, object?[] X, object?[] Z) : ChartUpdate;
}

/// <summary>
/// The data of one live chart and what the browser has not seen yet. Points appended before the chart has
/// been drawn once wait until it has (plotly draws the initial traces, then gets the rest by extendTraces),
/// so nothing is drawn twice or lost; after that, each flush sends only the new points, and the whole data
/// goes out again only after <see cref="Replace"/>. Not thread-safe: call it on the component's renderer
/// (InvokeAsync), like any component state.
/// </summary>
public sealed class ChartFeed(IList<ITrace> traces)
{
    readonly SortedDictionary<int, (List<object?> X, List<object?> Y)> _pendingLines = [];
    readonly SortedDictionary<int, (List<object?> X, List<object?> Z)> _pendingColumns = [];
    bool _fullPending;

    /// <summary>The traces as last sent whole; extended in place as updates go out.</summary>
    public IList<ITrace> Traces { get; } = traces;

    public bool Ready { get; private set; }

    public bool HasPending => _fullPending || _pendingLines.Count > 0 || _pendingColumns.Count > 0;

    /// <summary>
    /// The chart would show nothing, counting points still waiting to be sent: no heatmap column, and no line
    /// with two points (plotly draws no line through a single point, such as a run's lone epoch 0).
    /// </summary>
    public bool DrawsNothing => Traces.Select((trace, i) => trace switch
    {
        Scatter line => (line.X?.Count ?? 0) + (_pendingLines.TryGetValue(i, out var points) ? points.X.Count : 0) < 2,
        HeatMap heat => (heat.Z?.Count ?? 0) + (_pendingColumns.TryGetValue(i, out var columns) ? columns.X.Count : 0) == 0,
        _ => false,
    }).All(nothing => nothing);

    /// <summary>Raised after every change, so the chart component can schedule a flush.</summary>
    public event Action? Changed;

    public void Append(int trace, double x, double y)
    {
        if (!_pendingLines.TryGetValue(trace, out var pending))
            _pendingLines[trace] = pending = ([], []);
        pending.X.Add(x);
        pending.Y.Add(Plottable(y));
        Changed?.Invoke();
    }

    /// <summary>Appends one column (one value per row; null leaves a gap) to a heatmap drawn with Transpose = true.</summary>
    public void AppendColumn(int trace, double x, IReadOnlyList<double?> column)
    {
        if (Traces[trace] is not HeatMap { Transpose: true })
            throw new InvalidOperationException($"Trace {trace} is not a transposed heatmap; columns can only be appended to one.");
        if (!_pendingColumns.TryGetValue(trace, out var pending))
            _pendingColumns[trace] = pending = ([], []);
        pending.X.Add(x);
        pending.Z.Add(column.Select(v => v is { } d ? Plottable(d) : null).ToArray());
        Changed?.Invoke();
    }

    /// <summary>Swaps in new traces; the next flush re-sends everything.</summary>
    public void Replace(IEnumerable<ITrace> traces)
    {
        Traces.Clear();
        foreach (var trace in traces) Traces.Add(trace);
        _pendingLines.Clear();
        _pendingColumns.Clear();
        _fullPending = true;
        Changed?.Invoke();
    }

    /// <summary>
    /// The traces were changed in place (a heatmap's colour limits): the next flush re-sends every trace, with what
    /// is still pending folded in.
    /// </summary>
    public void Resend() => ResendAll([]);

    /// <summary>
    /// The browser's copy is in doubt (an update timed out): the next flush re-sends every trace, with the
    /// updates that were taken but never sent (<paramref name="unsent"/>) folded in.
    /// </summary>
    public void ResendAll(IEnumerable<ChartUpdate> unsent)
    {
        foreach (var update in unsent)
        {
            switch (update)
            {
                case ChartUpdate.ExtendLines lines:
                    for (var i = 0; i < lines.Indices.Length; i++)
                    {
                        if (!_pendingLines.TryGetValue(lines.Indices[i], out var pending))
                            _pendingLines[lines.Indices[i]] = pending = ([], []);
                        pending.X.InsertRange(0, lines.X[i]);
                        pending.Y.InsertRange(0, lines.Y[i]);
                    }
                    break;
                case ChartUpdate.ExtendHeatmap columns:
                    if (!_pendingColumns.TryGetValue(columns.Index, out var pendingColumns))
                        _pendingColumns[columns.Index] = pendingColumns = ([], []);
                    pendingColumns.X.InsertRange(0, columns.X);
                    pendingColumns.Z.InsertRange(0, columns.Z);
                    break;
            }
        }
        _fullPending = true;
        Changed?.Invoke();
    }

    /// <summary>Called once plotly has drawn the initial traces.</summary>
    public void MarkReady()
    {
        Ready = true;
        if (HasPending) Changed?.Invoke();
    }

    /// <summary>
    /// What to send now. Extend updates leave <see cref="Traces"/> as it is (PlotlyChart.ExtendTraces appends
    /// to it); a full update folds the pending points into <see cref="Traces"/> before it goes out.
    /// </summary>
    public IReadOnlyList<ChartUpdate> TakeUpdates()
    {
        if (!Ready || !HasPending) return [];
        if (_fullPending)
        {
            foreach (var (index, (x, y)) in _pendingLines)
            {
                var trace = (Scatter)Traces[index];
                foreach (var v in x) trace.X.Add(v);
                foreach (var v in y) trace.Y.Add(v);
            }
            foreach (var (index, (x, z)) in _pendingColumns)
            {
                var trace = (HeatMap)Traces[index];
                foreach (var v in x) trace.X.Add(v);
                foreach (var v in z) trace.Z.Add(v);
            }
            ClearPending();
            return [new ChartUpdate.Full()];
        }

        var updates = new List<ChartUpdate>();
        if (_pendingLines.Count > 0)
        {
            updates.Add(new ChartUpdate.ExtendLines(
                [.. _pendingLines.Keys],
                [.. _pendingLines.Values.Select(p => p.X.ToArray())],
                [.. _pendingLines.Values.Select(p => p.Y.ToArray())]));
        }
        foreach (var (index, (x, z)) in _pendingColumns)
            updates.Add(new ChartUpdate.ExtendHeatmap(index, [.. x], [.. z]));
        ClearPending();
        return updates;
    }

    void ClearPending()
    {
        _pendingLines.Clear();
        _pendingColumns.Clear();
        _fullPending = false;
    }

    // JSON has no NaN or infinity; plotly draws null as a gap.
    static object? Plottable(double v) => double.IsFinite(v) ? v : null;
}

/// <summary>A point of a chart under the pointer: its trace and plotly's x and y (numbers or categories).</summary>
public sealed record ChartPoint(int Trace, object? X, object? Y)
{
    /// <summary>The x value as a whole number (an epoch), when it is one.</summary>
    public int? Epoch => Whole(X);

    /// <summary>A whole number from plotly's event data (a number, its JSON, or its text); null for anything else.</summary>
    public static int? Whole(object? value)
    {
        double? number = value switch
        {
            int i => i,
            long l => l,
            double d => d,
            System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.Number } e => e.GetDouble(),
            _ => double.TryParse(value?.ToString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var parsed) ? parsed : null,
        };
        return number is { } n && n == Math.Round(n) && Math.Abs(n) < int.MaxValue ? (int)n : null;
    }
}
