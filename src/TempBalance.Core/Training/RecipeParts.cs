using TempBalance.Core.Optimizers;

namespace TempBalance.Core.Training;

/// <summary>The base optimizer of a recipe. Every one takes per-group learning rates, so TempBalance can sit on top.</summary>
public enum OptimizerKind { Sgd, Adam, AdamW, Sgdp, Lars, Lamb }

/// <summary>
/// The base optimizer and the settings only some optimizers have. The learning rate, momentum (SGD, SGDP, LARS) and
/// weight decay are the run's own fields (<see cref="TrainingConfig.Lr"/>, ...), because every recipe has them.
/// </summary>
public sealed record OptimizerOptions
{
    public OptimizerKind Kind { get; init; } = OptimizerKind.Sgd;

    /// <summary>Adam, AdamW and LAMB: decay of the first-moment estimate.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>Adam, AdamW and LAMB: decay of the second-moment estimate.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>Numerical-stability term; null takes the optimizer's own default (Adam 1e-8, LARS 1e-5, ...).</summary>
    public double? Eps { get; init; }

    /// <summary>LARS: the trust coefficient eta of the layer-wise trust ratio (the reference's eeta, 0.001).</summary>
    public double TrustCoefficient { get; init; } = 0.001;

    /// <summary>Whether the optimizer reads <see cref="TrainingConfig.Momentum"/> (SGD, SGDP, LARS).</summary>
    public static bool UsesMomentum(OptimizerKind kind) => kind is OptimizerKind.Sgd or OptimizerKind.Sgdp or OptimizerKind.Lars;

    /// <summary>Whether the optimizer reads <see cref="Beta1"/> and <see cref="Beta2"/> (Adam, AdamW, LAMB).</summary>
    public static bool UsesBetas(OptimizerKind kind) => kind is OptimizerKind.Adam or OptimizerKind.AdamW or OptimizerKind.Lamb;

    /// <summary>Whether the optimizer reads <see cref="Eps"/>: every one but plain SGD.</summary>
    public static bool UsesEps(OptimizerKind kind) => kind != OptimizerKind.Sgd;

    /// <summary>Whether the optimizer reads <see cref="TrustCoefficient"/> (LARS).</summary>
    public static bool UsesTrustCoefficient(OptimizerKind kind) => kind == OptimizerKind.Lars;

    /// <summary>The eps an optimizer uses when <see cref="Eps"/> is null: each one's reference implementation's.</summary>
    public static double DefaultEps(OptimizerKind kind) => kind switch
    {
        OptimizerKind.Lars => 1e-5,
        OptimizerKind.Lamb => 1e-6,
        _ => 1e-8,
    };
}

/// <summary>SGDR: the first cosine lasts T0 epochs (null: half the epochs), each next one TMult times longer.</summary>
public sealed record SgdrOptions
{
    public int? T0 { get; init; }
    public int TMult { get; init; } = 1;
}

/// <summary>
/// SNR, the spectral-norm regulariser of the reference TempBalance code: before each step every weight matrix's
/// gradient gets Coefficient * sigma1 * u1 v1^T, its top singular triple estimated by power iterations.
/// </summary>
public sealed record SnrOptions
{
    /// <summary>The coefficient sg (the reference's 0.01 for SNR, 0.001 with TempBalance on ResNet18 / CIFAR-100).</summary>
    public double Coefficient { get; init; } = 0.01;

    public int PowerIterations { get; init; } = 5;
}

/// <summary>
/// Lookahead around the base optimizer: every K steps the slow weights move Alpha of the way to the fast ones, and
/// the fast ones start again from there. <see cref="Sync"/> picks when: the Lookahead paper's steps K, 2K, ... or,
/// as the torch_optimizer package the TempBalance reference used, steps 1, K + 1, 2K + 1, ...
/// </summary>
public sealed record LookaheadOptions
{
    public int K { get; init; } = 10;
    public double Alpha { get; init; } = 0.8;
    public LookaheadSync Sync { get; init; } = LookaheadSync.Paper;
}

/// <summary>
/// LAWN: FreeEpochs epochs with the plain optimizer, then the weight norms of the layers of the model's final
/// homogeneous sub-network are held at their values from that point (docs/methods.md).
/// </summary>
public sealed record LawnOptions
{
    public int FreeEpochs { get; init; } = 1;

    /// <summary>The free phase our presets use: a tenth of the epochs, rounded up, and at least one (docs/methods.md).</summary>
    public static int DefaultFreeEpochs(int epochs) => Math.Max(1, (int)Math.Ceiling(epochs / 10.0));
}
