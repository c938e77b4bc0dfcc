using TempBalance.Core.Training;
using TempBalance.Web.Data;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Live;

/// <summary>
/// A live message about one run. Sequence grows by at least one per message of that run, across restarts,
/// so a client that sees a gap refetches with GET /api/runs/{id}/epochs?sinceEpoch=.
/// </summary>
public abstract record RunUpdate(long RunId, long Sequence)
{
    /// <summary>
    /// Every kind of update by its name: the hub method clients listen to and the "kind" of a message between nodes.
    /// A kind's name is its type's name without "Update".
    /// </summary>
    public static readonly IReadOnlyDictionary<string, Type> Kinds = new[]
    {
        typeof(EpochCompletedUpdate), typeof(LayerMetricsUpdate), typeof(BatchProgressUpdate), typeof(PhaseChangedUpdate), typeof(StatusChangedUpdate),
    }.ToDictionary(type => type.Name[..^"Update".Length]);

    // The names by type, read for every update sent (batch messages, a few a second per run): no string cut each time.
    static readonly Dictionary<Type, string> KindNames = Kinds.ToDictionary(kind => kind.Value, kind => kind.Key);

    /// <summary>An update's kind (<see cref="Kinds"/>). A method, not a property: the update's JSON stays as it is.</summary>
    public static string KindOf(RunUpdate update) => KindNames[update.GetType()];
}

public sealed record EpochCompletedUpdate(long RunId, long Sequence, int Epochs, EpochPoint Epoch) : RunUpdate(RunId, Sequence);

public sealed record LayerMetricsUpdate(long RunId, long Sequence, int Epoch, IReadOnlyList<LayerPoint> Layers) : RunUpdate(RunId, Sequence);

/// <summary>
/// Training progress within an epoch. <see cref="EpochLosses"/> is the epoch's batch-loss curve so far, whole, so
/// a client that joins mid-epoch or misses a message still draws it without a gap.
/// </summary>
public sealed record BatchProgressUpdate(
    long RunId, long Sequence, int Epoch, int Batch, int BatchesPerEpoch, double Loss, double Accuracy,
    double ImagesPerSecond, double EtaSeconds, IReadOnlyList<BatchLossPoint> EpochLosses) : RunUpdate(RunId, Sequence);

/// <summary>The run moved on to training, the test pass or the spectral analysis of an epoch.</summary>
public sealed record PhaseChangedUpdate(long RunId, long Sequence, int Epoch, TrainingPhase Phase) : RunUpdate(RunId, Sequence);

public sealed record StatusChangedUpdate(long RunId, long Sequence, RunStatus Status, string? Message) : RunUpdate(RunId, Sequence);
