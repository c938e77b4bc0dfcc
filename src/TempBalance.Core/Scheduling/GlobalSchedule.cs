namespace TempBalance.Core.Scheduling;

/// <summary>
/// The global learning rate per epoch. <see cref="ForEpoch"/> gives the rate used DURING epoch e (1-based):
/// cosine gives lr0 * 0.5 * (1 + cos(pi * (e - 1) / E)); step multiplies by 0.1 from 50% and again from 75%
/// of the epochs; constant keeps lr0. With warm-up, epoch e &lt;= W uses lr0 * e / W and the schedule then
/// runs over the remaining E - W epochs.
/// </summary>
public sealed class GlobalSchedule
{
    public static readonly IReadOnlyList<string> Kinds = ["cosine", "step", "constant"];

    public string Kind { get; }
    public double InitialLr { get; }
    public int Epochs { get; }
    public int WarmupEpochs { get; }

    GlobalSchedule(string kind, double lr0, int epochs, int warmupEpochs)
    {
        Kind = kind;
        InitialLr = lr0;
        Epochs = epochs;
        WarmupEpochs = warmupEpochs;
    }

    public static GlobalSchedule Create(string kind, double lr0, int epochs, int warmupEpochs = 0)
    {
        var normalized = (kind ?? "").Trim().ToLowerInvariant();
        if (!Kinds.Contains(normalized))
            throw new ArgumentException($"Unknown schedule '{kind}'; use one of: {string.Join(", ", Kinds)}.", nameof(kind));
        if (!(lr0 > 0 && double.IsFinite(lr0))) throw new ArgumentException($"The initial learning rate must be a positive number, not {lr0}.", nameof(lr0));
        if (epochs < 1) throw new ArgumentException($"Epochs must be at least 1, not {epochs}.", nameof(epochs));
        if (warmupEpochs < 0 || warmupEpochs >= epochs)
            throw new ArgumentException($"Warm-up epochs must be between 0 and {epochs - 1} (epochs - 1), not {warmupEpochs}.", nameof(warmupEpochs));
        return new GlobalSchedule(normalized, lr0, epochs, warmupEpochs);
    }

    /// <summary>The rate during epoch <paramref name="epoch"/> (1..E; E + 1, the rate after training, is allowed).</summary>
    public double ForEpoch(int epoch)
    {
        if (epoch < 1 || epoch > Epochs + 1) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, $"Epochs run from 1 to {Epochs}.");
        if (epoch <= WarmupEpochs) return InitialLr * epoch / WarmupEpochs;
        int done = epoch - 1 - WarmupEpochs, span = Epochs - WarmupEpochs;
        return Kind switch
        {
            "cosine" => InitialLr * 0.5 * (1 + Math.Cos(Math.PI * done / span)),
            "step" => InitialLr * (done >= span * 3 / 4 ? 0.01 : done >= span / 2 ? 0.1 : 1),
            _ => InitialLr,
        };
    }
}
