using TempBalance.Core.Scheduling;
using TempBalance.Core.Training;
using TempBalance.Web.Data;

namespace TempBalance.Web.Runs;

/// <summary>Ready-made requests: the first-start comparison, and a copy of a run to edit.</summary>
public static class RunPresets
{
    /// <summary>One line that says what <see cref="QuickStart"/> trains, for the UI.</summary>
    public static string QuickStartSummary =>
        $"Small CNN on {QuickStart.Config.Subset:N0} Fashion-MNIST images, {QuickStart.Config.Epochs} epochs, baseline SGD against TempBalance";

    /// <summary>
    /// Baseline vs TempBalance on a Fashion-MNIST subset with the small CNN: the first epoch ends within a
    /// minute on two CPU cores, so a new user sees live charts right away.
    /// </summary>
    public static NewRunRequest QuickStart => new()
    {
        Config = new TrainingConfig
        {
            Model = "smallcnn",
            Dataset = "fashion-mnist",
            Method = "tb",
            Epochs = 6,
            BatchSize = 64,
            Lr = 0.05,
            Subset = 2000,
            Schedule = ScheduleKind.Cosine,
            Augment = false,
            Seed = 42,
        },
        CompareWithBaseline = true,
        Seeds = 1,
        Tags = ["quickstart"],
        GroupName = "Quick start: Fashion-MNIST, baseline vs TempBalance",
    };

    /// <summary>
    /// A request that trains this run's config again, to be edited before it is queued ("new run from this one"):
    /// the same seed and tags, one run, the name marked as a copy and the notes saying of which run.
    /// </summary>
    public static NewRunRequest CopyOf(RunDetails run)
    {
        const string mark = " (copy)";
        var name = run.Summary.Name is { Length: > 0 } own ? own : Run.DefaultName(run.Config);
        return new NewRunRequest
        {
            Config = RecipePresets.Named(run.Config),
            Name = name[..Math.Min(name.Length, Run.MaxNameLength - mark.Length)] + mark,
            Tags = run.Summary.Tags,
            Notes = $"Copy of run #{run.Summary.Id}.",
            Seeds = 1,
        };
    }

    /// <summary>The New run form's address that opens a copy of run <paramref name="runId"/>.</summary>
    public static string CopyUrl(long runId) => $"/runs/new?from={runId}";
}

/// <summary>A model, data and training length to start the New run form from; the recipe is picked apart.</summary>
public sealed record RunSetup(string Name, string Description, NewRunRequest Request);

public static class RunSetups
{
    // The paper's reproduction setup (docs/tempbalance-method.md §5): SGD 0.9, wd 5e-4, batch 128, 200 epochs,
    // cosine to 0, crop + flip, 5 seeds, each with and without TempBalance.
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

    public static readonly IReadOnlyList<RunSetup> All =
    [
        new("Quick Fashion-MNIST", RunPresets.QuickStartSummary + ": minutes on a CPU.", RunPresets.QuickStart),
        new("ResNet18 · CIFAR-10 (paper)", "lr 0.1, s1/s2 0.5/1.5, 200 epochs, 5 seeds with and without TB.", Paper("resnet18", "cifar10", 0.1)),
        new("ResNet18 · CIFAR-100 (paper)", "lr 0.1, s1/s2 0.5/1.5, 200 epochs, 5 seeds with and without TB.", Paper("resnet18", "cifar100", 0.1)),
        new("VGG16 · CIFAR-100 (paper)", "lr 0.05, s1/s2 0.5/1.5, 200 epochs, 5 seeds with and without TB.", Paper("vgg16", "cifar100", 0.05)),
        new("ResNet18 · TinyImageNet (paper)", "lr 0.1, s1/s2 0.6/1.4, 200 epochs, 5 seeds with and without TB.", Paper("resnet18", "tinyimagenet", 0.1, 0.6, 1.4)),
        new("ResNet18 · SVHN (paper)", "lr 0.1, s1/s2 0.5/1.5, 200 epochs, 5 seeds with and without TB.", Paper("resnet18", "svhn", 0.1)),
    ];

    public static RunSetup? Find(string? name) => All.FirstOrDefault(s => s.Name == name);

    /// <summary>
    /// The setup's request, trained with <paramref name="recipe"/>'s method. A preset is applied to the setup's
    /// config, unless the setup already is that preset: then the setup's own values stay (TinyImageNet's s1/s2
    /// 0.6/1.4 are TempBalance's too). A custom recipe brings its parts (optimizer, TempBalance, SNR, Lookahead,
    /// LAWN, schedule) and, when its optimizer is not the setup's, its learning rate, momentum and weight decay,
    /// which belong to the optimizer; LAWN's free phase is shortened when the setup has fewer epochs.
    /// </summary>
    public static NewRunRequest WithRecipe(RunSetup setup, TrainingConfig recipe)
    {
        var config = setup.Request.Config;
        var method = RecipePresets.NameOf(recipe);
        if (method != RecipePresets.NameOf(config))
            config = RecipePresets.Find(method) is { } preset ? preset.Apply(config) : RecipePresets.Named(WithPartsOf(config, recipe));
        return setup.Request with { Config = config };
    }

    static TrainingConfig WithPartsOf(TrainingConfig setup, TrainingConfig recipe)
    {
        bool sameOptimizer = setup.Optimizer.Kind == recipe.Optimizer.Kind;
        return setup with
        {
            Optimizer = recipe.Optimizer,
            Lr = sameOptimizer ? setup.Lr : recipe.Lr,
            Momentum = sameOptimizer ? setup.Momentum : recipe.Momentum,
            WeightDecay = sameOptimizer ? setup.WeightDecay : recipe.WeightDecay,
            Schedule = recipe.Schedule,
            Sgdr = recipe.Sgdr,
            TempBalance = recipe.TempBalance,
            Snr = recipe.Snr,
            Lookahead = recipe.Lookahead,
            Lawn = recipe.Lawn is { } lawn ? lawn with { FreeEpochs = Math.Min(lawn.FreeEpochs, Math.Max(0, setup.Epochs - 1)) } : null,
        };
    }
}
