using TempBalance.Core.Optimizers;
using TempBalance.Core.Scheduling;
using TempBalance.Core.Training;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Components.Runs;

/// <summary>
/// The New run form's editable copy of a <see cref="NewRunRequest"/> (the request and config are immutable records).
/// A recipe part switched off (SNR, Lookahead, LAWN) keeps its values here, so switching it on again brings them back.
/// </summary>
public sealed class RunFormModel
{
    public string Model { get; set; } = "";
    public string Dataset { get; set; } = "";
    public string Device { get; set; } = "auto";
    public int? Subset { get; set; }
    public bool KeepFullTestSet { get; set; }
    public double WidthFactor { get; set; }
    public bool Augment { get; set; }

    public int Epochs { get; set; }
    public int BatchSize { get; set; }
    public double Lr { get; set; }
    public double Momentum { get; set; }
    public double WeightDecay { get; set; }
    public int Seed { get; set; }

    public OptimizerKind Optimizer { get; set; }
    public double Beta1 { get; set; }
    public double Beta2 { get; set; }
    public double? Eps { get; set; }
    public double TrustCoefficient { get; set; }

    public ScheduleKind Schedule { get; set; } = ScheduleKind.Cosine;
    public int WarmupEpochs { get; set; }
    public int? SgdrT0 { get; set; }
    public int SgdrTMult { get; set; } = 1;

    public bool TempBalance { get; set; }
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
    public bool Farms { get; set; }

    public bool Snr { get; set; }
    public double SnrCoefficient { get; set; } = new SnrOptions().Coefficient;
    public int SnrPowerIterations { get; set; } = new SnrOptions().PowerIterations;

    public bool Lookahead { get; set; }
    public int LookaheadK { get; set; } = new LookaheadOptions().K;
    public double LookaheadAlpha { get; set; } = new LookaheadOptions().Alpha;
    public LookaheadSync LookaheadSync { get; set; } = new LookaheadOptions().Sync;

    public bool Lawn { get; set; }
    public int LawnFreeEpochs { get; set; } = new LawnOptions().FreeEpochs;

    /// <summary>Empty: the default name (<see cref="TempBalance.Web.Data.Run.DefaultName"/>).</summary>
    public string? Name { get; set; }

    /// <summary>Also queue the recipe with TempBalance switched the other way.</summary>
    public bool CompareWithBaseline { get; set; }

    public int Seeds { get; set; } = 1;

    /// <summary>Comma-separated.</summary>
    public string Tags { get; set; } = "";

    public string? Notes { get; set; }
    public string? GroupName { get; set; }

    /// <summary>The recipe's name as the parts make it: a preset's, or "custom" (<see cref="RecipePresets.NameOf"/>).</summary>
    public string Method => RecipePresets.NameOf(ToConfig());

    public static RunFormModel From(NewRunRequest request)
    {
        var model = new RunFormModel
        {
            Name = request.Name,
            CompareWithBaseline = request.CompareWithBaseline,
            Seeds = request.Seeds,
            Tags = string.Join(", ", request.Tags ?? []),
            Notes = request.Notes,
            GroupName = request.GroupName,
        };
        model.SetConfig(request.Config);
        return model;
    }

    /// <summary>Takes every field of the config; the values of parts it has off stay as they were.</summary>
    public void SetConfig(TrainingConfig c)
    {
        Model = c.Model;
        Dataset = c.Dataset;
        Device = c.Device;
        Subset = c.Subset;
        KeepFullTestSet = c.KeepFullTestSet;
        WidthFactor = c.WidthFactor;
        Augment = c.Augment;
        Epochs = c.Epochs;
        BatchSize = c.BatchSize;
        Lr = c.Lr;
        Momentum = c.Momentum;
        WeightDecay = c.WeightDecay;
        Seed = c.Seed;

        Optimizer = c.Optimizer.Kind;
        Beta1 = c.Optimizer.Beta1;
        Beta2 = c.Optimizer.Beta2;
        Eps = c.Optimizer.Eps;
        TrustCoefficient = c.Optimizer.TrustCoefficient;

        Schedule = c.Schedule;
        WarmupEpochs = c.WarmupEpochs;
        SgdrT0 = c.Sgdr.T0;
        SgdrTMult = c.Sgdr.TMult;

        var tb = c.TempBalance;
        TempBalance = tb.Enabled;
        Fit = tb.Fit;
        XminPos = tb.XminPos;
        ConvNorm = tb.ConvNorm;
        Assign = tb.Assign;
        Metric = tb.Metric;
        MinRatio = tb.MinRatio;
        MaxRatio = tb.MaxRatio;
        EigsThresh = tb.EigsThresh;
        FilterNearZero = tb.FilterNearZero;
        Float32Eigenvalues = tb.Float32Eigenvalues;
        UpdateEverySteps = tb.UpdateEverySteps;
        ReferenceTieBehaviour = tb.ReferenceTieBehaviour;
        ReferencePeakLowerBound = tb.ReferencePeakLowerBound;
        Farms = tb.Farms;

        Snr = c.Snr is not null;
        if (c.Snr is { } snr) (SnrCoefficient, SnrPowerIterations) = (snr.Coefficient, snr.PowerIterations);
        Lookahead = c.Lookahead is not null;
        if (c.Lookahead is { } lookahead) (LookaheadK, LookaheadAlpha, LookaheadSync) = (lookahead.K, lookahead.Alpha, lookahead.Sync);
        Lawn = c.Lawn is not null;
        if (c.Lawn is { } lawn) LawnFreeEpochs = lawn.FreeEpochs;
    }

    public TrainingConfig ToConfig()
    {
        var config = new TrainingConfig
        {
            Model = Model,
            Dataset = Dataset,
            Device = Device,
            Subset = Subset,
            KeepFullTestSet = KeepFullTestSet,
            WidthFactor = WidthFactor,
            Augment = Augment,
            Epochs = Epochs,
            BatchSize = BatchSize,
            Lr = Lr,
            Momentum = Momentum,
            WeightDecay = WeightDecay,
            Seed = Seed,
            Optimizer = new OptimizerOptions { Kind = Optimizer, Beta1 = Beta1, Beta2 = Beta2, Eps = Eps, TrustCoefficient = TrustCoefficient },
            Schedule = Schedule,
            WarmupEpochs = WarmupEpochs,
            Sgdr = new SgdrOptions { T0 = SgdrT0, TMult = SgdrTMult },
            TempBalance = new TempBalanceOptions
            {
                Enabled = TempBalance,
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
                Farms = Farms,
            },
            Snr = Snr ? new SnrOptions { Coefficient = SnrCoefficient, PowerIterations = SnrPowerIterations } : null,
            Lookahead = Lookahead ? new LookaheadOptions { K = LookaheadK, Alpha = LookaheadAlpha, Sync = LookaheadSync } : null,
            Lawn = Lawn ? new LawnOptions { FreeEpochs = LawnFreeEpochs } : null,
        };
        return RecipePresets.Named(config);
    }

    /// <summary>Applies a method preset to the current values (<see cref="RecipePreset.Apply"/>).</summary>
    public void ApplyMethod(RecipePreset preset) => SetConfig(preset.Apply(ToConfig()));

    public NewRunRequest ToRequest() => new()
    {
        Config = ToConfig(),
        CompareWithBaseline = CompareWithBaseline,
        Seeds = Seeds,
        Tags = Tags.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
        Notes = string.IsNullOrWhiteSpace(Notes) ? null : Notes,
        GroupName = string.IsNullOrWhiteSpace(GroupName) ? null : GroupName,
        Name = string.IsNullOrWhiteSpace(Name) ? null : Name.Trim(),
    };
}
