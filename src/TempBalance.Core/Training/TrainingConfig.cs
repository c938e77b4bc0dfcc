using TempBalance.Core.Scheduling;

namespace TempBalance.Core.Training;

/// <summary>Everything that defines a training run. Serialised as JSON into results and the web database.</summary>
public sealed record TrainingConfig
{
    public string Model { get; init; } = "smallcnn";
    public string Dataset { get; init; } = "fashion-mnist";

    /// <summary>"baseline" (SGD + global schedule) or "tempbalance".</summary>
    public string Method { get; init; } = "tempbalance";

    public int Epochs { get; init; } = 3;
    public int BatchSize { get; init; } = 128;
    public double Lr { get; init; } = 0.05;
    public double Momentum { get; init; } = 0.9;
    public double WeightDecay { get; init; } = 5e-4;
    public int Seed { get; init; } = 42;

    /// <summary>Global schedule: "cosine", "step" or "constant".</summary>
    public string Schedule { get; init; } = "cosine";

    public int WarmupEpochs { get; init; }

    /// <summary>"auto" (CUDA when present), "cpu", "cuda" or "cuda:N".</summary>
    public string Device { get; init; } = "auto";

    /// <summary>Use only the first N training images (smoke tests, quick looks).</summary>
    public int? Subset { get; init; }

    /// <summary>Multiplies channel widths of the ResNets (1 = the paper's 64 base channels).</summary>
    public double WidthFactor { get; init; } = 1.0;

    /// <summary>Random crop with padding and horizontal flip (32x32 colour datasets).</summary>
    public bool Augment { get; init; } = true;

    public TempBalanceOptions TempBalance { get; init; } = new();
}
