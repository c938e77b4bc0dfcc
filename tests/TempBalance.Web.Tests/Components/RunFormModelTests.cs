using TempBalance.Core.Optimizers;
using TempBalance.Core.Scheduling;
using TempBalance.Core.Training;
using TempBalance.Web.Components.Runs;
using TempBalance.Web.Data;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Components;

public class RunFormModelTests
{
    static readonly TrainingConfig EveryPart = new()
    {
        Model = "resnet18",
        Dataset = "cifar100",
        Epochs = 20,
        Lr = 0.01,
        Momentum = 0.8,
        Subset = 500,
        KeepFullTestSet = true,
        Optimizer = new OptimizerOptions { Kind = OptimizerKind.Lamb, Beta1 = 0.85, Beta2 = 0.98, Eps = 1e-7, TrustCoefficient = 0.002 },
        Schedule = ScheduleKind.Sgdr,
        WarmupEpochs = 2,
        Sgdr = new SgdrOptions { T0 = 5, TMult = 2 },
        TempBalance = new TempBalanceOptions
        {
            Fit = XminRule.Peak,
            XminPos = 3,
            ConvNorm = 0.4,
            Assign = AssignmentFunction.Step,
            Metric = Core.Scheduling.LayerMetric.AlphaWeighted,
            MinRatio = 0.6,
            MaxRatio = 1.4,
            EigsThresh = 50,
            FilterNearZero = true,
            Float32Eigenvalues = true,
            UpdateEverySteps = 7,
            ReferenceTieBehaviour = true,
            ReferencePeakLowerBound = true,
            Farms = true,
        },
        Snr = new SnrOptions { Coefficient = 0.003, PowerIterations = 2 },
        Lookahead = new LookaheadOptions { K = 6, Alpha = 0.5, Sync = LookaheadSync.TorchOptimizer },
        Lawn = new LawnOptions { FreeEpochs = 4 },
        Method = RecipePresets.Custom,
    };

    [Fact]
    public void A_request_survives_the_form_unchanged_with_every_part_and_option()
    {
        var request = new NewRunRequest
        {
            Config = EveryPart,
            Name = "every part",
            Tags = ["a", "b"],
            Notes = "from the form",
            GroupName = "g",
            Seeds = 2,
            CompareWithBaseline = true,
        };

        var back = RunFormModel.From(request).ToRequest();

        Assert.Equal(request.Config, back.Config);
        Assert.Equal(request.Tags, back.Tags);
        Assert.Equal((request.Notes, request.GroupName, request.Name, request.Seeds, request.CompareWithBaseline),
            (back.Notes, back.GroupName, back.Name, back.Seeds, back.CompareWithBaseline));
    }

    [Fact]
    public void A_part_switched_off_and_on_again_gets_its_values_back()
    {
        var model = RunFormModel.From(new NewRunRequest { Config = EveryPart });

        model.Snr = model.Lookahead = model.Lawn = false;
        Assert.Equal((null, null, null), (model.ToConfig().Snr, model.ToConfig().Lookahead, model.ToConfig().Lawn));
        model.Snr = model.Lookahead = model.Lawn = true;

        Assert.Equal(EveryPart, model.ToConfig());
    }

    [Fact]
    public void The_method_is_the_preset_the_parts_match()
    {
        var model = RunFormModel.From(RunPresets.QuickStart);
        Assert.Equal("tb", model.Method);
        model.TempBalance = false;
        Assert.Equal("baseline", model.Method);
        model.Optimizer = OptimizerKind.Sgdp;
        Assert.Equal("sgdp", model.Method);
        model.Lookahead = true;
        Assert.Equal(RecipePresets.Custom, model.Method);
        Assert.Equal(RecipePresets.Custom, model.ToRequest().Config.Method);

        model.ApplyMethod(RecipePresets.Find("lookahead")!);
        Assert.Equal(("lookahead", OptimizerKind.Sgd, 0.05), (model.Method, model.Optimizer, model.Lr));
    }

    [Fact]
    public void A_setup_takes_a_preset_method_and_a_custom_recipes_parts()
    {
        var cifar = RunSetups.Find("ResNet18 · CIFAR-100 (paper)")!;

        var lamb = RunSetups.WithRecipe(cifar, RecipePresets.ConfigOf(RecipePresets.Find("lamb")!)).Config;
        Assert.Equal(("lamb", OptimizerKind.Lamb, 0.01, 200, "resnet18"), (lamb.Method, lamb.Optimizer.Kind, lamb.Lr, lamb.Epochs, lamb.Model));

        // Custom on the quick setup's 6 epochs: the parts come along, LAWN's free phase is shortened to fit,
        // and the optimizer brings its own rate, momentum and weight decay.
        var quick = RunSetups.All[0];
        var custom = RunSetups.WithRecipe(quick, EveryPart with { Epochs = 200, Lawn = new LawnOptions { FreeEpochs = 20 } }).Config;
        Assert.Equal(RecipePresets.Custom, custom.Method);
        Assert.Equal((6, "smallcnn", 2000), (custom.Epochs, custom.Model, custom.Subset));
        Assert.Equal((EveryPart.Optimizer, EveryPart.Lr, EveryPart.Momentum), (custom.Optimizer, custom.Lr, custom.Momentum));
        Assert.Equal((EveryPart.Snr, EveryPart.Lookahead, EveryPart.TempBalance, EveryPart.Sgdr), (custom.Snr, custom.Lookahead, custom.TempBalance, custom.Sgdr));
        Assert.Equal(5, custom.Lawn!.FreeEpochs);
        Assert.DoesNotContain(TrainingConfigValidator.Validate(custom, Path.GetTempPath()), e => e.Field.StartsWith("lawn", StringComparison.Ordinal));
    }

    [Fact]
    public void A_copy_keeps_config_seed_and_tags_and_marks_the_name()
    {
        var config = RecipePresets.Find("snr")!.Apply(new TrainingConfig { Seed = 9 });
        var summary = new RunSummary(5, new string('n', Run.MaxNameLength), RunStatus.Completed, "snr", "smallcnn", "fashion-mnist", 9, 3, 3,
            null, null, ["x"], Guid.NewGuid(), "group", DateTime.UtcNow, null, null, null, null);

        var copy = RunPresets.CopyOf(new RunDetails(summary, config, "old notes", null, 0, true));

        Assert.Equal(config, copy.Config);
        Assert.Equal(9, copy.Config.Seed);
        Assert.Equal(["x"], copy.Tags);
        Assert.Equal(Run.MaxNameLength, copy.Name!.Length);
        Assert.EndsWith("n (copy)", copy.Name);
        Assert.Equal("Copy of run #5.", copy.Notes);
        Assert.Equal((1, false, null), (copy.Seeds, copy.CompareWithBaseline, copy.GroupName));
        Assert.Equal("/runs/new?from=5", RunPresets.CopyUrl(5));
    }
}
