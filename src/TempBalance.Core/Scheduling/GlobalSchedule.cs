namespace TempBalance.Core.Scheduling;

/// <summary>The shape of the global learning rate over a run.</summary>
public enum ScheduleKind { Cosine, Step, Constant, Sgdr }

/// <summary>
/// The global learning rate per epoch. <see cref="ForEpoch"/> gives the rate used DURING epoch e (1-based):
/// cosine gives lr0 * 0.5 * (1 + cos(pi * (e - 1) / E)); step multiplies by 0.1 from 50% and again from 75%
/// of the epochs; constant keeps lr0; sgdr (cosine annealing with warm restarts, Loshchilov and Hutter 2017, as
/// PyTorch's CosineAnnealingWarmRestarts stepped once per epoch with eta_min 0) restarts a cosine of T_i epochs,
/// T_0 first and each next one T_mult times longer. With warm-up, epoch e &lt;= W uses lr0 * e / W and the
/// schedule then runs over the remaining E - W epochs.
/// </summary>
public sealed class GlobalSchedule
{
    public static readonly IReadOnlyList<string> Kinds = Enum.GetNames<ScheduleKind>().Select(n => n.ToLowerInvariant()).ToArray();

    public ScheduleKind Kind { get; }
    public double InitialLr { get; }
    public int Epochs { get; }
    public int WarmupEpochs { get; }
    public int RestartPeriod { get; }
    public int RestartMultiplier { get; }

    GlobalSchedule(ScheduleKind kind, double lr0, int epochs, int warmupEpochs, int restartPeriod, int restartMultiplier)
    {
        Kind = kind;
        InitialLr = lr0;
        Epochs = epochs;
        WarmupEpochs = warmupEpochs;
        RestartPeriod = restartPeriod;
        RestartMultiplier = restartMultiplier;
    }

    /// <param name="sgdrT0">SGDR: epochs of the first cosine (T_0); null takes half the epochs after warm-up,
    /// the reference's 100 of 200.</param>
    /// <param name="sgdrTMult">SGDR: each restart's period is this many times the previous one (T_mult, at least 1).</param>
    public static GlobalSchedule Create(ScheduleKind kind, double lr0, int epochs, int warmupEpochs = 0, int? sgdrT0 = null, int sgdrTMult = 1)
    {
        if (!Enum.IsDefined(kind)) throw new ArgumentException($"Unknown schedule '{kind}'; use one of: {string.Join(", ", Kinds)}.", nameof(kind));
        if (!(lr0 > 0 && double.IsFinite(lr0))) throw new ArgumentException($"The initial learning rate must be a positive number, not {lr0}.", nameof(lr0));
        if (epochs < 1) throw new ArgumentException($"Epochs must be at least 1, not {epochs}.", nameof(epochs));
        if (warmupEpochs < 0 || warmupEpochs >= epochs)
            throw new ArgumentException($"Warm-up epochs must be between 0 and {epochs - 1} (epochs - 1), not {warmupEpochs}.", nameof(warmupEpochs));
        if (sgdrT0 is < 1) throw new ArgumentException($"SGDR's first period T0 must be at least 1 epoch, not {sgdrT0}.", nameof(sgdrT0));
        if (sgdrTMult < 1) throw new ArgumentException($"SGDR's T_mult must be at least 1, not {sgdrTMult}.", nameof(sgdrTMult));
        return new GlobalSchedule(kind, lr0, epochs, warmupEpochs, sgdrT0 ?? DefaultRestartPeriod(epochs, warmupEpochs), sgdrTMult);
    }

    /// <summary>Parses a schedule name ("cosine", "SGDR", ...) as the CLI and old configs write it.</summary>
    public static GlobalSchedule Create(string kind, double lr0, int epochs, int warmupEpochs = 0) =>
        Create(Parse(kind), lr0, epochs, warmupEpochs);

    public static ScheduleKind Parse(string? kind) =>
        Enum.TryParse<ScheduleKind>((kind ?? "").Trim(), ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(kind, out _)
            ? parsed
            : throw new ArgumentException($"Unknown schedule '{kind}'; use one of: {string.Join(", ", Kinds)}.", nameof(kind));

    /// <summary>The first SGDR period when none is given: half of the scheduled epochs (at least 1).</summary>
    public static int DefaultRestartPeriod(int epochs, int warmupEpochs) => Math.Max(1, (epochs - warmupEpochs) / 2);

    /// <summary>The rate during epoch <paramref name="epoch"/> (1..E; E + 1, the rate after training, is allowed).</summary>
    public double ForEpoch(int epoch)
    {
        // In long arithmetic: with int.MaxValue epochs, Epochs + 1 and span * 3 would overflow.
        if (epoch < 1 || epoch > (long)Epochs + 1) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, $"Epochs run from 1 to {Epochs}.");
        if (epoch <= WarmupEpochs) return InitialLr * epoch / WarmupEpochs;
        long done = (long)epoch - 1 - WarmupEpochs, span = (long)Epochs - WarmupEpochs;
        return Kind switch
        {
            ScheduleKind.Cosine => InitialLr * 0.5 * (1 + Math.Cos(Math.PI * done / span)),
            ScheduleKind.Step => InitialLr * (done >= span * 3 / 4 ? 0.01 : done >= span / 2 ? 0.1 : 1),
            ScheduleKind.Sgdr => Restarted(done),
            _ => InitialLr,
        };
    }

    // Where epoch `done` (0-based, after warm-up) falls in its restart period, as CosineAnnealingWarmRestarts counts.
    double Restarted(long done)
    {
        long period = RestartPeriod, position = done;
        while (position >= period)
        {
            position -= period;
            period *= RestartMultiplier;
        }
        return InitialLr * 0.5 * (1 + Math.Cos(Math.PI * position / period));
    }
}
