using TempBalance.Core.Training;

namespace TempBalance.Core.Sweeps;

public enum SweepValueKind { Real, Integer }

/// <summary>
/// A numeric field of <see cref="TrainingConfig"/> that a sweep can vary: its camelCase JSON path (as
/// <see cref="TrainingConfigValidator"/> names fields), the name the CLI spells it with (the train option without
/// its dashes), whether it takes whole numbers, and how to read and set it.
/// </summary>
public sealed class SweepField
{
    internal SweepField(string path, string cliName, string title, SweepValueKind kind, Func<TrainingConfig, double?> get,
        Func<TrainingConfig, double, TrainingConfig> set)
    {
        Path = path;
        CliName = cliName;
        Title = title;
        Kind = kind;
        Get = get;
        Set = set;
    }

    /// <summary>"lr", "batchSize", "tempBalance.minRatio", "snr.coefficient".</summary>
    public string Path { get; }

    /// <summary>"lr", "batch-size", "tb-min-ratio", "snr".</summary>
    public string CliName { get; }

    /// <summary>Words for axis labels: "learning rate", "TempBalance s1".</summary>
    public string Title { get; }

    public SweepValueKind Kind { get; }

    /// <summary>The field's value in a config; null where the part it belongs to is off (SNR without SNR).</summary>
    public Func<TrainingConfig, double?> Get { get; }

    /// <summary>The config with this field set to the value (already checked to be of the field's kind).</summary>
    public Func<TrainingConfig, double, TrainingConfig> Set { get; }

    public override string ToString() => CliName;
}

/// <summary>
/// The one registry of sweepable fields. A field is found by its JSON path or its CLI name, case-insensitively
/// ("batchSize", "batch-size" and "BatchSize" are the same field).
/// </summary>
public static class SweepFields
{
    public static IReadOnlyList<SweepField> All { get; } =
    [
        Real("lr", "lr", "learning rate", (c, v) => c with { Lr = v }, c => c.Lr),
        Integer("batchSize", "batch-size", "batch size", (c, v) => c with { BatchSize = v }, c => c.BatchSize),
        Real("momentum", "momentum", "momentum", (c, v) => c with { Momentum = v }, c => c.Momentum),
        Real("weightDecay", "weight-decay", "weight decay", (c, v) => c with { WeightDecay = v }, c => c.WeightDecay),
        Integer("seed", "seed", "seed", (c, v) => c with { Seed = v }, c => c.Seed),
        Integer("epochs", "epochs", "epochs", (c, v) => c with { Epochs = v }, c => c.Epochs),
        Integer("warmupEpochs", "warmup-epochs", "warm-up epochs", (c, v) => c with { WarmupEpochs = v }, c => c.WarmupEpochs),
        Integer("subset", "subset", "training images", (c, v) => c with { Subset = v }, c => c.Subset),
        Real("widthFactor", "width-factor", "width factor", (c, v) => c with { WidthFactor = v }, c => c.WidthFactor),
        Real("tempBalance.minRatio", "tb-min-ratio", "TempBalance s1", (c, v) => c with { TempBalance = c.TempBalance with { MinRatio = v } }, c => c.TempBalance.MinRatio),
        Real("tempBalance.maxRatio", "tb-max-ratio", "TempBalance s2", (c, v) => c with { TempBalance = c.TempBalance with { MaxRatio = v } }, c => c.TempBalance.MaxRatio),
        Integer("tempBalance.xminPos", "tb-xmin-pos", "TempBalance xmin position", (c, v) => c with { TempBalance = c.TempBalance with { XminPos = v } }, c => c.TempBalance.XminPos),
        Real("tempBalance.convNorm", "tb-conv-norm", "TempBalance conv norm", (c, v) => c with { TempBalance = c.TempBalance with { ConvNorm = v } }, c => c.TempBalance.ConvNorm),
        // As the train command's --snr: 0 turns the regulariser off, any other value turns it on with that sg.
        Real("snr.coefficient", "snr", "SNR sg", (c, v) => c with { Snr = v == 0 ? null : (c.Snr ?? new SnrOptions()) with { Coefficient = v } }, c => c.Snr?.Coefficient ?? 0),
        Integer("snr.powerIterations", "snr-iterations", "SNR power iterations", (c, v) => c with { Snr = c.Snr is null ? null : c.Snr with { PowerIterations = v } }, c => c.Snr?.PowerIterations),
        Real("optimizer.beta1", "beta1", "beta1", (c, v) => c with { Optimizer = c.Optimizer with { Beta1 = v } }, c => c.Optimizer.Beta1),
        Real("optimizer.beta2", "beta2", "beta2", (c, v) => c with { Optimizer = c.Optimizer with { Beta2 = v } }, c => c.Optimizer.Beta2),
        Real("optimizer.eps", "eps", "optimizer eps", (c, v) => c with { Optimizer = c.Optimizer with { Eps = v } }, c => c.Optimizer.Eps),
        Real("optimizer.trustCoefficient", "trust-coefficient", "LARS trust coefficient", (c, v) => c with { Optimizer = c.Optimizer with { TrustCoefficient = v } }, c => c.Optimizer.TrustCoefficient),
    ];

    /// <summary>
    /// Fields of <see cref="TrainingConfig"/> that are not numbers, by path and CLI name, so that asking to sweep
    /// one says why it cannot be swept rather than that it does not exist.
    /// </summary>
    static readonly string[] NonNumeric =
    [
        "model", "dataset", "method", "schedule", "device", "augment", "keepFullTestSet", "full-test-set", "optimizer", "optimizer.kind",
        "tempBalance", "tempBalance.enabled", "tempbalance", "tempBalance.fit", "tb-fit", "tempBalance.assign", "tb-assign",
        "tempBalance.metric", "tb-metric", "tempBalance.filterNearZero", "tb-filter-zeros", "lookahead", "lawn", "sgdr",
    ];

    static SweepField Real(string path, string cli, string title, Func<TrainingConfig, double, TrainingConfig> set, Func<TrainingConfig, double?> get) =>
        new(path, cli, title, SweepValueKind.Real, get, set);

    static SweepField Integer(string path, string cli, string title, Func<TrainingConfig, int, TrainingConfig> set, Func<TrainingConfig, double?> get) =>
        new(path, cli, title, SweepValueKind.Integer, get, (c, v) => set(c, checked((int)v)));

    /// <summary>The field with this JSON path or CLI name (case-insensitive); null when there is none.</summary>
    public static SweepField? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = name.Trim();
        return All.FirstOrDefault(f => f.Path.Equals(key, StringComparison.OrdinalIgnoreCase) || f.CliName.Equals(key, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Why <paramref name="name"/> cannot be an axis: a field that is not a number, or no field at all.</summary>
    public static string Unsweepable(string name)
    {
        var key = name.Trim();
        var choices = $"Numeric fields: {string.Join(", ", All.Select(f => f.CliName))}.";
        return NonNumeric.Any(n => n.Equals(key, StringComparison.OrdinalIgnoreCase))
            ? $"'{key}' is not a numeric field and cannot be swept (run one sweep per value instead). {choices}"
            : $"Unknown field '{key}'. {choices}";
    }
}
