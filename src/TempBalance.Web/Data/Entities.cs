using TempBalance.Core.Training;

namespace TempBalance.Web.Data;

/// <summary>
/// CancelRequested and Cancelled are different states: a running job stops at its next batch, not at once.
/// Interrupted means the job's heartbeat stopped (a crash or a hung worker); such a run can be resumed.
/// </summary>
public enum RunStatus { Queued, Running, CancelRequested, Cancelled, Completed, Failed, Diverged, Interrupted }

public static class RunStatuses
{
    public static bool IsActive(this RunStatus status) =>
        status is RunStatus.Queued or RunStatus.Running or RunStatus.CancelRequested;

    public static bool IsFinished(this RunStatus status) => !status.IsActive();

    /// <summary>A run whose cancel was requested is already stopping; asking again changes nothing.</summary>
    public static bool CanCancel(this RunStatus status) => Runs.RunTransitions.Allows(status, Runs.RunCause.Cancel);

    /// <summary>
    /// Resuming continues from the last checkpoint: a completed run has nothing left to train and a diverged
    /// one would diverge again.
    /// </summary>
    public static bool CanResume(this RunStatus status) => Runs.RunTransitions.Allows(status, Runs.RunCause.Resume);
}

/// <summary>One training run. Model, dataset, method and seed are copied out of the config so the runs list can filter and sort on them.</summary>
public sealed class Run
{
    public long Id { get; set; }

    /// <summary>A name people can refer to the run by; defaulted from the recipe and seed, editable.</summary>
    public string? Name { get; set; }

    public required string ConfigJson { get; set; }
    public required string Method { get; set; }
    public required string Model { get; set; }
    public required string Dataset { get; set; }
    public int Seed { get; set; }
    public int Epochs { get; set; }

    // Hyperparameters the runs table sorts and filters on, copied out of the config (Runs/Hyperparameters.cs
    // says which and how). Null where the setting does not apply (s1 without TempBalance, momentum with Adam),
    // and on rows of older versions until the start-up backfill (HyperparameterColumns) has filled them.
    public double? Lr { get; set; }
    public int? BatchSize { get; set; }
    public double? Momentum { get; set; }
    public double? WeightDecay { get; set; }
    public string? Optimizer { get; set; }
    public string? Schedule { get; set; }
    public int? WarmupEpochs { get; set; }
    public double? TbMinRatio { get; set; }
    public double? TbMaxRatio { get; set; }
    public double? SnrCoefficient { get; set; }
    public double? WidthFactor { get; set; }
    public int? Subset { get; set; }

    /// <summary>False on rows of versions before the hyperparameter columns, until the start-up backfill fills them.</summary>
    public bool HyperparametersCopied { get; set; }

    public RunStatus Status { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    public DateTime? HeartbeatAt { get; set; }
    public string? ErrorMessage { get; set; }

    public List<string> Tags { get; set; } = [];
    public string? Notes { get; set; }

    /// <summary>Runs created together (baseline comparison, several seeds) share a group.</summary>
    public Guid? GroupId { get; set; }
    public string? GroupName { get; set; }

    public double? BestTestAccuracy { get; set; }
    public double? FinalTestAccuracy { get; set; }

    /// <summary>The last epoch stored (0 = initial weights); null before the first report.</summary>
    public int? CompletedEpochs { get; set; }
    public int? ProgressEpoch { get; set; }
    public int? ProgressBatch { get; set; }
    public int? BatchesPerEpoch { get; set; }
    public double? EtaSeconds { get; set; }

    /// <summary>The highest live-update sequence number written so far; a restarted app continues above it.</summary>
    public long LastSequence { get; set; }

    /// <summary>When the run was archived: hidden from the runs table unless asked for, kept otherwise.</summary>
    public DateTime? ArchivedAt { get; set; }

    /// <summary>Where it trained (<see cref="RunEnvironment"/> as JSON), recorded when training starts.</summary>
    public string? EnvironmentJson { get; set; }

    /// <summary>What the job is doing inside the current epoch (training, evaluating, spectral analysis).</summary>
    public TrainingPhase? Phase { get; set; }

    /// <summary>The sweep this run is one point of; null for runs created on their own.</summary>
    public long? SweepId { get; set; }

    /// <summary>The account that created the run (its user id), or null: created before accounts, or in auth mode none.</summary>
    public string? CreatedByUserId { get; set; }

    /// <summary>Who created it, as shown: the account's name, "local" in auth mode none, null before accounts.</summary>
    public string? CreatedBy { get; set; }

    public List<EpochMetric> EpochMetrics { get; set; } = [];

    public TrainingConfig Config => RunJson.DeserializeConfig(ConfigJson);

    /// <summary>A new row for this config, with the columns the runs list filters and sorts on copied out of it.</summary>
    public static Run For(TrainingConfig config, RunStatus status, DateTime createdAt)
    {
        var run = new Run
        {
            Name = DefaultName(config),
            ConfigJson = RunJson.SerializeConfig(config),
            Method = RecipePresets.NameOf(config),
            Model = config.Model.Trim().ToLowerInvariant(),
            Dataset = config.Dataset.Trim().ToLowerInvariant(),
            Seed = config.Seed,
            Epochs = config.Epochs,
            Status = status,
            CreatedAt = createdAt,
        };
        Runs.Hyperparameters.CopyColumns(config, run);
        return run;
    }

    public const int MaxNameLength = 200;

    /// <summary>"tb+snr · resnet18 · cifar100 · seed 42": what the runs table shows until someone renames the run.</summary>
    public static string DefaultName(TrainingConfig config) =>
        $"{RecipePresets.NameOf(config)} · {config.Model.Trim().ToLowerInvariant()} · {config.Dataset.Trim().ToLowerInvariant()} · seed {config.Seed}";
}

/// <summary>
/// A grid of runs: a base recipe (<see cref="BaseConfigJson"/>) trained at every combination of the axes' values
/// (<see cref="AxesJson"/>, a list of Core's SweepAxis). Its runs point back to it (<see cref="Run.SweepId"/>) and
/// share a group; its status and progress are derived from theirs.
/// </summary>
public sealed class Sweep
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public required string BaseConfigJson { get; set; }
    public required string AxesJson { get; set; }

    /// <summary>How many runs the grid has (runs deleted since are counted as missing).</summary>
    public int RunCount { get; set; }

    /// <summary>The group the sweep's runs share (<see cref="Run.GroupId"/>).</summary>
    public Guid GroupId { get; set; }

    public DateTime CreatedAt { get; set; }

    public const int MaxNameLength = 200;
}

/// <summary>
/// Losses and accuracies are null when the value was not finite (a diverging run). BatchLosses is the epoch's
/// batch-loss curve (<see cref="BatchLossBlob"/>); null for epoch 0, which trains nothing.
/// </summary>
public sealed class EpochMetric
{
    public long RunId { get; set; }
    public int Epoch { get; set; }
    public double? TrainLoss { get; set; }
    public double? TrainAccuracy { get; set; }
    public double? TestLoss { get; set; }
    public double? TestAccuracy { get; set; }

    /// <summary>The global rate used during the epoch; null for epoch 0.</summary>
    public double? LearningRate { get; set; }

    public double EpochSeconds { get; set; }
    public double EsdSeconds { get; set; }
    public DateTime RecordedAt { get; set; }
    public byte[]? BatchLosses { get; set; }
}

public sealed class LayerMetric
{
    public long RunId { get; set; }
    public int Epoch { get; set; }
    public int LayerIndex { get; set; }
    public required string Name { get; set; }
    public required string Kind { get; set; }
    public int EigsNum { get; set; }
    public double? Alpha { get; set; }
    public double? D { get; set; }
    public double? Xmin { get; set; }
    public double? SpectralNorm { get; set; }
    public double? AlphaWeighted { get; set; }

    /// <summary>The rate the layer trained with during the epoch (null for epoch 0).</summary>
    public double? LearningRate { get; set; }

    /// <summary>The rate this epoch's analysis assigned for the next epoch.</summary>
    public double NextLearningRate { get; set; }

    public bool Tuned { get; set; }

    /// <summary>Order parameters J = std(W) sqrt(fan-in) and J0 = mean(W) fan-in (null where not recorded).</summary>
    public double? J { get; set; }

    public double? J0 { get; set; }

    /// <summary>Null when the power-law fit succeeded; otherwise why it did not.</summary>
    public string? FitError { get; set; }
}

/// <summary>A layer's log-binned eigenvalue histogram for one epoch, packed as a small blob (see <see cref="EsdHistogramBlob"/>).</summary>
public sealed class LayerSpectrum
{
    public long RunId { get; set; }
    public int Epoch { get; set; }
    public int LayerIndex { get; set; }
    public required byte[] Histogram { get; set; }
}

/// <summary>What the training process cost the machine at one moment (<see cref="SystemSampler"/>), taken with each heartbeat.</summary>
public sealed class SystemMetric
{
    public long RunId { get; set; }
    public DateTime At { get; set; }
    public double CpuPercent { get; set; }
    public double MemoryMegabytes { get; set; }
    public double? GpuUtilizationPercent { get; set; }
    public double? GpuMemoryMegabytes { get; set; }
}

/// <summary>One change to a run: who (an account's name, "local", or one of the app's own processes), what and when.</summary>
public sealed class AuditEntry
{
    public long Id { get; set; }
    public long RunId { get; set; }
    public DateTime At { get; set; }
    public required string Actor { get; set; }
    public string? ActorUserId { get; set; }

    /// <summary>created, cancel, resume, edit, delete, claim, finish, sweep, recover.</summary>
    public required string Action { get; set; }

    /// <summary>What changed, in words: "Queued -> Cancelled", "tags: a, b", ...</summary>
    public string? Details { get; set; }

    public const int MaxDetailsLength = 2000;
}

/// <summary>A personal API token; only the SHA-256 of its secret is stored (<see cref="Auth.PersonalTokens"/>).</summary>
public sealed class ApiToken
{
    public long Id { get; set; }
    public required string UserId { get; set; }
    public required string Name { get; set; }
    public required string TokenHash { get; set; }

    /// <summary>The secret's first characters, so a person can tell their tokens apart.</summary>
    public required string DisplayPrefix { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}
