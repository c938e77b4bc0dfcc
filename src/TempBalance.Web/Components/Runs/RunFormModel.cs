using TempBalance.Core.Scheduling;
using TempBalance.Core.Training;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Components.Runs;

/// <summary>The New run form's editable copy of a <see cref="NewRunRequest"/> (the request and config are immutable records).</summary>
public sealed class RunFormModel
{
    public string Model { get; set; } = "";
    public string Dataset { get; set; } = "";
    public string Method { get; set; } = RecipePresets.Default;
    public int Epochs { get; set; }
    public int BatchSize { get; set; }
    public double Lr { get; set; }
    public double Momentum { get; set; }
    public double WeightDecay { get; set; }
    public int Seed { get; set; }
    public ScheduleKind Schedule { get; set; } = ScheduleKind.Cosine;
    public int WarmupEpochs { get; set; }
    public string Device { get; set; } = "auto";
    public int? Subset { get; set; }
    public double WidthFactor { get; set; }
    public bool Augment { get; set; }

    public XminRule Fit { get; set; }
    public int XminPos { get; set; }
    public double ConvNorm { get; set; }
    public AssignmentFunction Assign { get; set; }
    public LayerMetric Metric { get; set; }
    public double MinRatio { get; set; }
    public double MaxRatio { get; set; }
    public int EigsThresh { get; set; }
    public bool FilterNearZero { get; set; }
    public bool Float32Eigenvalues { get; set; }
    public int UpdateEverySteps { get; set; }
    public bool ReferenceTieBehaviour { get; set; }
    public bool ReferencePeakLowerBound { get; set; }

    public bool CompareWithBaseline { get; set; }
    public int Seeds { get; set; } = 1;

    /// <summary>Comma-separated.</summary>
    public string Tags { get; set; } = "";

    public string? Notes { get; set; }
    public string? GroupName { get; set; }

    public static RunFormModel From(NewRunRequest request)
    {
        var c = request.Config;
        var tb = c.TempBalance;
        return new RunFormModel
        {
            Model = c.Model,
            Dataset = c.Dataset,
            Method = c.Method,
            Epochs = c.Epochs,
            BatchSize = c.BatchSize,
            Lr = c.Lr,
            Momentum = c.Momentum,
            WeightDecay = c.WeightDecay,
            Seed = c.Seed,
            Schedule = c.Schedule,
            WarmupEpochs = c.WarmupEpochs,
            Device = c.Device,
            Subset = c.Subset,
            WidthFactor = c.WidthFactor,
            Augment = c.Augment,
            Fit = tb.Fit,
            XminPos = tb.XminPos,
            ConvNorm = tb.ConvNorm,
            Assign = tb.Assign,
            Metric = tb.Metric,
            MinRatio = tb.MinRatio,
            MaxRatio = tb.MaxRatio,
            EigsThresh = tb.EigsThresh,
            FilterNearZero = tb.FilterNearZero,
            Float32Eigenvalues = tb.Float32Eigenvalues,
            UpdateEverySteps = tb.UpdateEverySteps,
            ReferenceTieBehaviour = tb.ReferenceTieBehaviour,
            ReferencePeakLowerBound = tb.ReferencePeakLowerBound,
            CompareWithBaseline = request.CompareWithBaseline,
            Seeds = request.Seeds,
            Tags = string.Join(", ", request.Tags ?? []),
            Notes = request.Notes,
            GroupName = request.GroupName,
        };
    }

    public NewRunRequest ToRequest() => new()
    {
        Config = new TrainingConfig
        {
            Model = Model,
            Dataset = Dataset,
            Method = Method,
            Epochs = Epochs,
            BatchSize = BatchSize,
            Lr = Lr,
            Momentum = Momentum,
            WeightDecay = WeightDecay,
            Seed = Seed,
            Schedule = Schedule,
            WarmupEpochs = WarmupEpochs,
            Device = Device,
            Subset = Subset,
            WidthFactor = WidthFactor,
            Augment = Augment,
            TempBalance = new TempBalanceOptions
            {
                Enabled = Method != "baseline",
                Fit = Fit,
                XminPos = XminPos,
                ConvNorm = ConvNorm,
                Assign = Assign,
                Metric = Metric,
                MinRatio = MinRatio,
                MaxRatio = MaxRatio,
                EigsThresh = EigsThresh,
                FilterNearZero = FilterNearZero,
                Float32Eigenvalues = Float32Eigenvalues,
                UpdateEverySteps = UpdateEverySteps,
                ReferenceTieBehaviour = ReferenceTieBehaviour,
                ReferencePeakLowerBound = ReferencePeakLowerBound,
            },
        },
        CompareWithBaseline = CompareWithBaseline,
        Seeds = Seeds,
        Tags = Tags.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
        Notes = string.IsNullOrWhiteSpace(Notes) ? null : Notes,
        GroupName = string.IsNullOrWhiteSpace(GroupName) ? null : GroupName,
    };
}

/// <summary>A named starting point for the New run form.</summary>
public sealed record RunFormPreset(string Name, string Description, NewRunRequest Request);

public static class RunFormPresets
{
    // The paper's reproduction setup (docs/tempbalance-method.md §5): SGD 0.9, wd 5e-4, batch 128, 200 epochs,
    // cosine to 0, crop + flip, 5 seeds, each against the baseline.
    static NewRunRequest Paper(string model, string dataset, double lr, double s1 = 0.5, double s2 = 1.5) => new()
    {
        Config = new TrainingConfig
        {
            Model = model,
            Dataset = dataset,
            Method = "tb",
            Epochs = 200,
            BatchSize = 128,
            Lr = lr,
            Momentum = 0.9,
            WeightDecay = 5e-4,
            Schedule = ScheduleKind.Cosine,
            Augment = true,
            Seed = 42,
            TempBalance = new TempBalanceOptions { MinRatio = s1, MaxRatio = s2 },
        },
        CompareWithBaseline = true,
        Seeds = 5,
        Tags = ["paper"],
    };

    public static readonly IReadOnlyList<RunFormPreset> All =
    [
        new("Quick Fashion-MNIST", RunPresets.QuickStartSummary + ": minutes on a CPU.",
            RunPresets.QuickStart),
        new("ResNet18 · CIFAR-10 (paper)", "lr 0.1, s1/s2 0.5/1.5, 200 epochs, 5 seeds vs baseline.", Paper("resnet18", "cifar10", 0.1)),
        new("ResNet18 · CIFAR-100 (paper)", "lr 0.1, s1/s2 0.5/1.5, 200 epochs, 5 seeds vs baseline.", Paper("resnet18", "cifar100", 0.1)),
        new("VGG16 · CIFAR-100 (paper)", "lr 0.05, s1/s2 0.5/1.5, 200 epochs, 5 seeds vs baseline.", Paper("vgg16", "cifar100", 0.05)),
        new("ResNet18 · TinyImageNet (paper)", "lr 0.1, s1/s2 0.6/1.4, 200 epochs, 5 seeds vs baseline.", Paper("resnet18", "tinyimagenet", 0.1, 0.6, 1.4)),
        new("ResNet18 · SVHN (paper)", "lr 0.1, s1/s2 0.5/1.5, 200 epochs, 5 seeds vs baseline.", Paper("resnet18", "svhn", 0.1)),
    ];
}
