using TempBalance.Core.Sweeps;
using TempBalance.Core.Training;
using TempBalance.Web.Data;

namespace TempBalance.Web.Sweeps;

/// <summary>What POST /api/sweeps and the New sweep form send: a base recipe and the axes to vary in it.</summary>
public sealed record NewSweepRequest
{
    /// <summary>A name for the sweep (and its runs' group); a descriptive default when empty.</summary>
    public string? Name { get; init; }

    public TrainingConfig Config { get; init; } = new();

    /// <summary>Each axis: a numeric field, by JSON path ("batchSize") or CLI name ("batch-size"), and its values.</summary>
    public IReadOnlyList<SweepAxis> Axes { get; init; } = [];

    public IReadOnlyList<string>? Tags { get; init; }
}

/// <summary>Either field errors (keys such as "axes[1].values", "config.epochs") or the new sweep and its runs.</summary>
public sealed record CreateSweepResult(IReadOnlyDictionary<string, string[]> Errors, long? SweepId, IReadOnlyList<long> RunIds)
{
    public bool Succeeded => Errors.Count == 0;
}

/// <summary>
/// A sweep's state, from its runs': Running while any trains or waits after others have started; Queued before any
/// has; once all have finished, Cancelled if any was cancelled, else Failed if any failed or was interrupted,
/// else Completed (a diverged run is a result of the grid, not a failure).
/// </summary>
public enum SweepStatus { Queued, Running, Completed, Cancelled, Failed }

public static class SweepStatuses
{
    public static SweepStatus Derive(IReadOnlyDictionary<RunStatus, int> runsByStatus)
    {
        int Count(params RunStatus[] statuses) => statuses.Sum(s => runsByStatus.GetValueOrDefault(s));
        int active = Count(RunStatus.Running, RunStatus.CancelRequested);
        int queued = Count(RunStatus.Queued);
        int finished = runsByStatus.Where(kv => kv.Key.IsFinished()).Sum(kv => kv.Value);
        if (active > 0 || (queued > 0 && finished > 0)) return SweepStatus.Running;
        if (queued > 0) return SweepStatus.Queued;
        if (Count(RunStatus.Cancelled) > 0) return SweepStatus.Cancelled;
        if (Count(RunStatus.Failed, RunStatus.Interrupted) > 0) return SweepStatus.Failed;
        return SweepStatus.Completed;
    }
}

/// <summary>An axis as pages and the API show it: the field as the CLI spells it, its JSON path, its words, its values.</summary>
public sealed record SweepAxisView(string Field, string Path, string Title, IReadOnlyList<double> Values);

/// <summary>One sweep in the list: its axes, recipe, status and progress (runs finished of the grid's runs).</summary>
public sealed record SweepSummary(
    long Id,
    string Name,
    SweepStatus Status,
    int RunCount,
    int Finished,
    int Active,
    int Queued,
    int Failed,
    int Cancelled,
    DateTime CreatedAt,
    IReadOnlyList<SweepAxisView> Axes,
    string Model,
    string Dataset,
    string Recipe,
    double? BestTestAccuracy,
    Guid GroupId)
{
    /// <summary>Runs finished out of the grid's runs, in [0, 1].</summary>
    public double Progress => RunCount == 0 ? 1 : Math.Min(1, (double)Finished / RunCount);
}

/// <summary>One run of a sweep: its axis values (in axis order, read from its config), status and metrics.</summary>
public sealed record SweepRunRow(long RunId, string? Name, IReadOnlyList<double?> Values, RunStatus Status, int? CompletedEpochs, int Epochs, RunMetrics Metrics);

/// <summary>
/// A sweep with its runs. <see cref="WatchedLayer"/> is the layer whose J the J metrics are of (null for models
/// without a hidden layer in the phase diagram's sense); <see cref="Guideline"/> the scaling-relation check over its
/// SGD runs (null until two runs have a J^2 slope).
/// </summary>
public sealed record SweepDetails(
    SweepSummary Summary,
    TrainingConfig BaseConfig,
    IReadOnlyList<SweepRunRow> Runs,
    int? WatchedLayer,
    SweepGuidelineCheck? Guideline)
{
    /// <summary>The metric a page ranks by while showing <paramref name="shown"/>: itself, or best test accuracy for one without a direction (J, epochs to the edge).</summary>
    public static SweepMetric RankedBy(SweepMetric shown) => SweepMetrics.HigherIsBetter(shown) is null ? SweepMetric.BestTestAccuracy : shown;

    /// <summary>The best run while <paramref name="shown"/> is on show (<see cref="RankedBy"/>).</summary>
    public SweepRunRow? BestFor(SweepMetric shown) => Best(RankedBy(shown));

    /// <summary>The run with the best value of <paramref name="metric"/> (its direction), or null when none has one or the metric has no direction.</summary>
    public SweepRunRow? Best(SweepMetric metric)
    {
        var withValue = Runs.Where(r => r.Metrics.Value(metric) is not null).ToList();
        return SweepMetrics.HigherIsBetter(metric) switch
        {
            true => withValue.MaxBy(r => r.Metrics.Value(metric)!.Value),
            false => withValue.MinBy(r => r.Metrics.Value(metric)!.Value),
            null => null,
        };
    }
}

/// <summary>The outcome of cancelling a sweep: how many of its runs were stopped or dequeued, and how many had already finished.</summary>
public sealed record SweepCancelResult(int Cancelled, int AlreadyFinished);
