namespace TempBalance.Core.Training;

/// <summary>
/// Raised after every optimizer step. <see cref="EpochLosses"/> is this epoch's <see cref="BatchLossCurve"/> so
/// far: a snapshot, replaced (not changed) when a bucket completes.
/// </summary>
public sealed record BatchProgress(
    int Epoch, int Batch, int BatchesPerEpoch, double Loss, double Accuracy, double ImagesPerSecond, TimeSpan Eta,
    IReadOnlyList<BatchLossPoint> EpochLosses);

/// <summary>A log-binned histogram of one layer's eigenvalues: enough to redraw its ESD plot.</summary>
public sealed record EsdHistogram(double[] Log10BinEdges, int[] Counts)
{
    /// <summary>Each bin's density per unit eigenvalue, count / (N x linear bin width): the y of an ESD plot.</summary>
    public double[] Densities()
    {
        double total = Counts.Sum();
        var densities = new double[Counts.Length];
        if (total <= 0) return densities;
        for (int b = 0; b < densities.Length; b++)
            densities[b] = Counts[b] / (total * (Math.Pow(10, Log10BinEdges[b + 1]) - Math.Pow(10, Log10BinEdges[b])));
        return densities;
    }
}

/// <summary>
/// One analysed layer at the end of an epoch. <see cref="LearningRate"/> is the rate the layer trained with DURING
/// this epoch (null for epoch 0, which trains nothing; with refits every K steps, the rate at the epoch's start);
/// <see cref="NextLearningRate"/> is the rate the method assigned from this epoch's analysis for the next one.
/// Alpha, D and Xmin are null when the power-law fit failed (see FitError). J and J0 are the weight's order
/// parameters (EdgeOfChaos.OrderParameters); null in epochs of checkpoints written before they were recorded.
/// </summary>
public sealed record LayerReport(
    int Index,
    string Name,
    string Kind,
    int EigsNum,
    double? Alpha,
    double? D,
    double? Xmin,
    double SpectralNorm,
    double? AlphaWeighted,
    double? LearningRate,
    double NextLearningRate,
    bool Tuned,
    string? FitError,
    EsdHistogram Histogram,
    double? J = null,
    double? J0 = null);

/// <summary>
/// Raised after every epoch; epoch numbers start at 1. Epoch 0 describes the initial weights: its test metrics
/// are measured on the test set and its train metrics on up to 10,000 training images without augmentation,
/// and EpochSeconds is that evaluation's time. <see cref="LearningRate"/> is the global rate used DURING the
/// epoch (null for epoch 0). EpochSeconds covers training and test evaluation; EsdSeconds is the spectral
/// analysis after it, counted separately. <see cref="BatchLosses"/> is the epoch's <see cref="BatchLossCurve"/>
/// (null for epoch 0, and for epochs of checkpoints written before it existed).
/// </summary>
public sealed record EpochReport(
    int Epoch,
    double TrainLoss,
    double TrainAccuracy,
    double TestLoss,
    double TestAccuracy,
    double? LearningRate,
    double EpochSeconds,
    double EsdSeconds,
    IReadOnlyList<LayerReport> Layers,
    IReadOnlyList<BatchLossPoint>? BatchLosses = null);

/// <summary>What a run is doing between its batches: training, or the test pass and spectral analysis after an epoch.</summary>
public enum TrainingPhase { Training, Evaluating, SpectralAnalysis }

/// <summary>Raised when a run enters a phase of an epoch (epoch 0: evaluating and analysing the initial weights).</summary>
public sealed record PhaseChange(int Epoch, TrainingPhase Phase);

public enum RunOutcome { Completed, Cancelled, Diverged }

public sealed record TrainingResult(RunOutcome Outcome, string? Message, IReadOnlyList<EpochReport> Epochs);

/// <summary>What a host (the web app's training job) needs of a trainer: its events and one blocking run.</summary>
public interface ITrainer
{
    event Action<BatchProgress>? BatchCompleted;
    event Action<EpochReport>? EpochCompleted;
    event Action<string>? Notice;
    event Action<RunEnvironment>? Started;
    event Action<PhaseChange>? PhaseChanged;

    TrainingResult Run(CancellationToken cancellationToken);
}
