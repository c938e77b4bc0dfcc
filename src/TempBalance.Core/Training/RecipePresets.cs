using TempBalance.Core.Optimizers;
using TempBalance.Core.Scheduling;

namespace TempBalance.Core.Training;

/// <summary>
/// A named recipe as the papers ran it. <see cref="Apply"/> sets the method's parts of a config (optimizer,
/// TempBalance on or off and its ratios, SNR, Lookahead, LAWN, SGDR) and the settings the method fixes, and
/// leaves model, data, epochs and the rest alone. Sources of every default: docs/methods.md.
/// </summary>
public sealed record RecipePreset(string Name, string Title, string Summary, Func<TrainingConfig, TrainingConfig> Apply);

/// <summary>The presets, and the one rule that names a config's recipe.</summary>
public static class RecipePresets
{
    public const string Custom = "custom";

    /// <summary>The preset every config starts from (a config's <see cref="TrainingConfig.Method"/> default).</summary>
    public const string Default = "tb";

    public static IReadOnlyList<RecipePreset> All { get; } =
    [
        Preset("baseline", "Baseline (CAL)", "SGD with momentum and one learning rate for every layer, on the global schedule.",
            c => Compose(c, OptimizerKind.Sgd)),
        Preset("tb", "TempBalance", "SGD whose per-layer learning rates TempBalance sets from each layer's alpha (s1 0.5, s2 1.5).",
            c => Compose(c, OptimizerKind.Sgd, tempBalance: (0.5, 1.5))),
        Preset("snr", "SNR", "SGD with the spectral-norm regulariser (sg 0.01).",
            c => Compose(c, OptimizerKind.Sgd, snr: new SnrOptions { Coefficient = 0.01 })),
        Preset("tb+snr", "TB + SNR", "TempBalance (s1 0.6, s2 1.4) and the spectral-norm regulariser (sg 0.001) on SGD.",
            c => Compose(c, OptimizerKind.Sgd, tempBalance: (0.6, 1.4), snr: new SnrOptions { Coefficient = 0.001 })),
        Preset("sgdr", "SGDR", "SGD with cosine annealing and warm restarts (T0 half the epochs, T_mult 1).",
            c => Compose(c, OptimizerKind.Sgd, sgdr: true)),
        Preset("lookahead", "Lookahead", "Lookahead (k 10, alpha 0.8, synced as torch_optimizer does) around SGD.",
            c => Compose(c, OptimizerKind.Sgd, lookahead: new LookaheadOptions { K = 10, Alpha = 0.8, Sync = LookaheadSync.TorchOptimizer })),
        Preset("sgdp", "SGDP", "SGDP: SGD that removes the radial part of the update of scale-invariant weights.",
            c => Compose(c, OptimizerKind.Sgdp)),
        Preset("tb+sgdp", "TB + SGDP", "TempBalance (s1 0.5, s2 1.5) on SGDP.",
            c => Compose(c, OptimizerKind.Sgdp, tempBalance: (0.5, 1.5))),
        Preset("lars", "LARS", "LARS, layer-wise trust ratios (trust coefficient 0.001), learning rate 28, no momentum.",
            c => Compose(c, OptimizerKind.Lars, lr: 28, momentum: 0)),
        Preset("lamb", "LAMB", "LAMB, layer-wise trust ratios on Adam's update, learning rate 0.01.",
            c => Compose(c, OptimizerKind.Lamb, lr: 0.01)),
        Preset("lawn-sgd", "LAWN-SGD", "SGD free for the first tenth of the epochs, then LAWN holds the final layers' weight norms.",
            c => Compose(c, OptimizerKind.Sgd, lawn: LawnFor(c))),
        Preset("lawn-adam", "LAWN-Adam", "Adam (lr 0.001, no weight decay) free for the first tenth of the epochs, then LAWN holds the final layers' weight norms.",
            c => Compose(c, OptimizerKind.Adam, lawn: LawnFor(c), lr: 1e-3, weightDecay: 0)),
    ];

    static RecipePreset Preset(string name, string title, string summary, Func<TrainingConfig, TrainingConfig> compose) =>
        new(name, title, summary, c => compose(c) with { Method = name });

    /// <summary>Names that older versions wrote and still mean a preset.</summary>
    static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase) { ["tempbalance"] = "tb" };

    public static IReadOnlyList<string> Names { get; } = All.Select(p => p.Name).ToArray();

    /// <summary>The preset of this name or alias (any case), or null.</summary>
    public static RecipePreset? Find(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        var key = name.Trim();
        if (Aliases.TryGetValue(key, out var canonical)) key = canonical;
        return All.FirstOrDefault(p => string.Equals(p.Name, key, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// The name of the preset whose parts this config has, or "custom". Parts are the method's structure (base
    /// optimizer; TempBalance, SNR, Lookahead, LAWN on or off; SGDR or not); coefficients may differ from the
    /// preset's, since tuning sg or s1 does not make another method.
    /// </summary>
    public static string NameOf(TrainingConfig config)
    {
        var shape = Shape(config);
        return PresetShapes.Value.FirstOrDefault(p => p.Shape == shape).Name ?? Custom;
    }

    /// <summary>The config with <see cref="TrainingConfig.Method"/> set to the name its parts have.</summary>
    public static TrainingConfig Named(TrainingConfig config) => config with { Method = NameOf(config) };

    /// <summary>The default config of a preset: what a request naming only the preset trains.</summary>
    public static TrainingConfig ConfigOf(RecipePreset preset) => preset.Apply(new TrainingConfig());

    /// <summary>
    /// The same recipe with TempBalance switched the other way (the paper's comparison of a method with and
    /// without it): TB + SNR and SNR, TB and the baseline.
    /// </summary>
    public static TrainingConfig WithTempBalance(TrainingConfig config, bool enabled) =>
        Named(config with { TempBalance = config.TempBalance with { Enabled = enabled } });

    static readonly Lazy<(string Name, RecipeShape Shape)[]> PresetShapes =
        new(() => All.Select(p => (p.Name, Shape(ConfigOf(p)))).ToArray());

    sealed record RecipeShape(OptimizerKind Optimizer, bool TempBalance, bool Snr, bool Lookahead, bool Lawn, bool Sgdr);

    static RecipeShape Shape(TrainingConfig c) => new(
        c.Optimizer.Kind, c.TempBalance.Enabled, c.Snr is not null, c.Lookahead is not null, c.Lawn is not null, c.Schedule == ScheduleKind.Sgdr);

    /// <summary>The learning rate an optimizer starts from when a preset switches to it without naming one.</summary>
    public static double DefaultLr(OptimizerKind kind) => kind switch
    {
        OptimizerKind.Adam or OptimizerKind.AdamW => 1e-3,
        OptimizerKind.Lars => 28,
        OptimizerKind.Lamb => 0.01,
        _ => new TrainingConfig().Lr,
    };

    static double DefaultMomentum(OptimizerKind kind) => kind == OptimizerKind.Lars ? 0 : 0.9;

    // At least one epoch stays for the constrained phase.
    static LawnOptions LawnFor(TrainingConfig c) => new() { FreeEpochs = Math.Min(LawnOptions.DefaultFreeEpochs(c.Epochs), Math.Max(0, c.Epochs - 1)) };

    static TrainingConfig Compose(
        TrainingConfig c, OptimizerKind optimizer, (double S1, double S2)? tempBalance = null, SnrOptions? snr = null,
        LookaheadOptions? lookahead = null, LawnOptions? lawn = null, bool sgdr = false, double? lr = null, double? momentum = null,
        double? weightDecay = null)
    {
        // Switching optimizer family also switches to its usual learning rate and momentum: SGD's 0.05 would stall
        // LARS, whose trust ratio scales the rate down by about 1000.
        bool newOptimizer = c.Optimizer.Kind != optimizer;
        var schedule = sgdr ? ScheduleKind.Sgdr : c.Schedule == ScheduleKind.Sgdr ? ScheduleKind.Cosine : c.Schedule;
        var tb = tempBalance is { } ratios
            ? c.TempBalance with { Enabled = true, MinRatio = ratios.S1, MaxRatio = ratios.S2 }
            : c.TempBalance with { Enabled = false };
        var config = c with
        {
            Optimizer = newOptimizer ? new OptimizerOptions { Kind = optimizer } : c.Optimizer,
            Lr = lr ?? (newOptimizer ? DefaultLr(optimizer) : c.Lr),
            Momentum = momentum ?? (newOptimizer ? DefaultMomentum(optimizer) : c.Momentum),
            WeightDecay = weightDecay ?? c.WeightDecay,
            Schedule = schedule,
            Sgdr = sgdr ? new SgdrOptions() : c.Sgdr,
            TempBalance = tb,
            Snr = snr,
            Lookahead = lookahead,
            Lawn = lawn,
        };
        return config;
    }
}
