using TempBalance.Core.Training;
using TempBalance.Web.Data;

namespace TempBalance.Web.Runs;

/// <summary>What POST /api/runs and the New run form send.</summary>
public sealed record NewRunRequest
{
    public TrainingConfig Config { get; init; } = new();
    public IReadOnlyList<string>? Tags { get; init; }
    public string? Notes { get; init; }

    /// <summary>
    /// Also queue the same recipe with TempBalance switched the other way (TB + SNR and SNR, TB and the baseline),
    /// as the paper compares every method with and without it.
    /// </summary>
    public bool CompareWithBaseline { get; init; }

    /// <summary>Queue this many runs with seeds Seed, Seed+1, ... (per method).</summary>
    public int Seeds { get; init; } = 1;

    /// <summary>Name of the group when more than one run is created; <see cref="Name"/>, or a descriptive default, otherwise.</summary>
    public string? GroupName { get; init; }

    /// <summary>
    /// The run's name; empty: "tb · smallcnn · fashion-mnist · seed 42" (<see cref="Run.DefaultName"/>). When the
    /// request queues several runs, each gets its recipe and seed after it.
    /// </summary>
    public string? Name { get; init; }
}

/// <summary>Either field errors (keys are camelCase paths such as "config.epochs") or the new runs.</summary>
/// <summary>QueueFull: refused because the person has too many runs queued or training (errors["queue"] says so).</summary>
public sealed record CreateRunsResult(IReadOnlyDictionary<string, string[]> Errors, IReadOnlyList<long> RunIds, Guid? GroupId, bool QueueFull = false)
{
    public bool Succeeded => Errors.Count == 0;
}

public enum ArchivedFilter { Exclude, Include, Only }

/// <summary>
/// What the runs list sorts by. The members after <see cref="Name"/> are <see cref="Hyperparameters"/> (their
/// camelCase names are the hyperparameters' keys); runs without the value come last either way.
/// </summary>
public enum RunSort
{
    Created, Status, Method, Model, Dataset, BestAccuracy, FinalAccuracy, Epochs, Id, Name,
    Lr, BatchSize, Momentum, WeightDecay, Optimizer, Schedule, WarmupEpochs, S1, S2, Snr, WidthFactor, Subset, Seed,
}

/// <summary>A page request for the runs list. Page is 1-based.</summary>
public sealed record RunQuery
{
    public int Page { get; init; } = 1;
    public int PageSize { get; init; } = 25;
    public RunSort Sort { get; init; } = RunSort.Created;
    public bool Descending { get; init; } = true;
    public IReadOnlyList<RunStatus>? Statuses { get; init; }
    public string? Method { get; init; }
    public string? Model { get; init; }
    public string? Dataset { get; init; }

    /// <summary>Matches model, dataset, method, group name, notes, tags (case-insensitive) or the run id.</summary>
    public string? Search { get; init; }

    public string? Tag { get; init; }
    public Guid? GroupId { get; init; }

    /// <summary>Archived runs are left out unless asked for.</summary>
    public ArchivedFilter Archived { get; init; } = ArchivedFilter.Exclude;

    /// <summary>Filters on <see cref="Hyperparameters"/>, all of which a run must pass.</summary>
    public IReadOnlyList<HyperparameterFilter>? Filters { get; init; }

    public const int MaxPageSize = 500;
}

public sealed record RunPage(IReadOnlyList<RunSummary> Items, int TotalCount, int Page, int PageSize);

/// <summary>One row of the runs list. CompletedEpochs is the last stored epoch (0 = initial weights).</summary>
public sealed record RunSummary(
    long Id,
    string? Name,
    RunStatus Status,
    string Method,
    string Model,
    string Dataset,
    int Seed,
    int Epochs,
    int? CompletedEpochs,
    double? BestTestAccuracy,
    double? FinalTestAccuracy,
    IReadOnlyList<string> Tags,
    Guid? GroupId,
    string? GroupName,
    DateTime CreatedAt,
    DateTime? StartedAt,
    DateTime? FinishedAt,
    RunProgress? Progress,
    string? ErrorMessage,
    DateTime? ArchivedAt = null,
    TrainingConfig? Config = null)
{
    /// <summary>The recipe in words ("TB (×0.5–×1.5) on SGD, cosine"), as the method column's tooltip and Compare's groups read it.</summary>
    public string? Recipe => Config is null ? null : RecipeText.Describe(Config);
}

/// <summary>
/// Where a running run is inside its current epoch, as of its last heartbeat or batch message, and what it is doing
/// there (training, or the test pass and spectral analysis after the last batch).
/// </summary>
public sealed record RunProgress(int Epoch, int Batch, int BatchesPerEpoch, double? EtaSeconds, TrainingPhase? Phase = null);

public sealed record RunDetails(
    RunSummary Summary,
    TrainingConfig Config,
    string? Notes,
    DateTime? HeartbeatAt,
    long LastSequence,
    bool HasCheckpoint,
    RunEnvironment? Environment = null,
    string? CreatedBy = null,
    string? CreatedByUserId = null)
{
    /// <summary>The recipe in words ("TB + SNR (sg 0.001) on SGD, cosine").</summary>
    public string Recipe => RecipeText.Describe(Config);
}

/// <summary>
/// One epoch's metrics. <see cref="BatchLosses"/> is the training loss between the previous epoch's end and this
/// one's, kept as each bucket of consecutive batches' lowest and highest loss (<see cref="BatchLossCurve"/>);
/// empty for epoch 0.
/// </summary>
public sealed record EpochPoint(
    int Epoch,
    double? TrainLoss,
    double? TrainAccuracy,
    double? TestLoss,
    double? TestAccuracy,
    double? LearningRate,
    double EpochSeconds,
    double EsdSeconds,
    IReadOnlyList<BatchLossPoint> BatchLosses);

/// <summary>
/// One layer at one epoch. <see cref="LearningRate"/> is the rate it trained with DURING the epoch (null for epoch 0),
/// as in epochs.csv and the charts; <see cref="NextLearningRate"/> the one the epoch's analysis assigned next.
/// </summary>
public sealed record LayerPoint(
    int Epoch,
    int LayerIndex,
    string Name,
    string Kind,
    int EigsNum,
    double? Alpha,
    double? D,
    double? Xmin,
    double? SpectralNorm,
    double? AlphaWeighted,
    double? LearningRate,
    double NextLearningRate,
    bool Tuned,
    string? FitError,
    double? J = null,
    double? J0 = null);

/// <summary>Everything the ESD plot of one layer at one epoch needs: the histogram and the fitted power law.</summary>
public sealed record SpectrumView(LayerPoint Layer, double[] Log10BinEdges, int[] Counts);

/// <summary>The outcome of cancel or resume: done, no such run, or not possible in the run's state (with why).</summary>
public sealed record RunTransition(RunTransitionOutcome Outcome, RunStatus? Status, string? Message)
{
    public static readonly RunTransition NotFound = new(RunTransitionOutcome.NotFound, null, null);
}

public enum RunTransitionOutcome { Done, NotFound, Conflict }

public static class RunMapping
{
    public static EpochPoint ToPoint(this EpochMetric e) =>
        new(e.Epoch, e.TrainLoss, e.TrainAccuracy, e.TestLoss, e.TestAccuracy, e.LearningRate, e.EpochSeconds, e.EsdSeconds,
            e.BatchLosses is { } blob ? BatchLossBlob.Unpack(blob) : []);

    /// <summary>The layer as the learning-rate story reads it (<see cref="Core.Scheduling.LearningRateStory"/>).</summary>
    public static Core.Scheduling.RatedLayer ToRated(this LayerPoint l) =>
        new(l.LayerIndex, l.Name, l.Tuned, l.EigsNum, l.Alpha, l.SpectralNorm, l.AlphaWeighted, l.FitError);

    public static LayerPoint ToPoint(this LayerMetric l) =>
        new(l.Epoch, l.LayerIndex, l.Name, l.Kind, l.EigsNum, l.Alpha, l.D, l.Xmin, l.SpectralNorm, l.AlphaWeighted,
            l.LearningRate, l.NextLearningRate, l.Tuned, l.FitError, l.J, l.J0);
}
