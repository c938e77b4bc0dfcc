using TempBalance.Core.Scheduling;

namespace TempBalance.Core.Training;

/// <summary>
/// Everything that defines a training run. Serialised as JSON into results, checkpoints and the web database; a
/// JSON config that leaves fields out gets them from the preset its <see cref="Method"/> names
/// (<see cref="TrainingConfigJson"/>), so old configs and short API requests read as they were meant.
/// </summary>
public sealed record TrainingConfig
{
    public string Model { get; init; } = "smallcnn";
    public string Dataset { get; init; } = "fashion-mnist";

    /// <summary>
    /// The recipe's name: the preset whose parts it has ("baseline", "tb", "tb+snr", ...; see
    /// <see cref="RecipePresets"/>), or "custom". The parts below decide how the run trains; this names them.
    /// </summary>
    public string Method { get; init; } = "tb";

    public int Epochs { get; init; } = 3;
    public int BatchSize { get; init; } = 128;
    public double Lr { get; init; } = 0.05;

    /// <summary>Momentum of SGD, SGDP and LARS (Adam-style optimizers use <see cref="OptimizerOptions.Beta1"/>).</summary>
    public double Momentum { get; init; } = 0.9;

    public double WeightDecay { get; init; } = 5e-4;
    public int Seed { get; init; } = 42;

    public ScheduleKind Schedule { get; init; } = ScheduleKind.Cosine;

    public int WarmupEpochs { get; init; }

    /// <summary>Only read when <see cref="Schedule"/> is SGDR.</summary>
    public SgdrOptions Sgdr { get; init; } = new();

    /// <summary>"auto" (CUDA when present), "cpu", "cuda" or "cuda:N".</summary>
    public string Device { get; init; } = "auto";

    /// <summary>Use only the first N training images (smoke tests, quick looks), and at most N test images unless
    /// <see cref="KeepFullTestSet"/>.</summary>
    public int? Subset { get; init; }

    /// <summary>With a <see cref="Subset"/>, still evaluate on the whole test set.</summary>
    public bool KeepFullTestSet { get; init; }

    /// <summary>Multiplies every model's channel widths and hidden sizes (1 = the paper's: 64 base channels for the ResNets, 16/16k/32k/64k for WRN-d-k).</summary>
    public double WidthFactor { get; init; } = 1.0;

    /// <summary>Random crop with padding and horizontal flip (32x32 colour datasets).</summary>
    public bool Augment { get; init; } = true;

    public OptimizerOptions Optimizer { get; init; } = new();

    /// <summary>TempBalance's options; <see cref="TempBalanceOptions.Enabled"/> says whether it sets the learning
    /// rates. Its fit options describe every run's layer analysis, with or without it.</summary>
    public TempBalanceOptions TempBalance { get; init; } = new();

    /// <summary>The spectral-norm regulariser; null: off.</summary>
    public SnrOptions? Snr { get; init; }

    /// <summary>Lookahead around the base optimizer; null: off.</summary>
    public LookaheadOptions? Lookahead { get; init; }

    /// <summary>LAWN's constrained phase after a free one; null: off.</summary>
    public LawnOptions? Lawn { get; init; }
}
