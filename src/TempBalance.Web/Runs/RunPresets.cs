using TempBalance.Core.Scheduling;
using TempBalance.Core.Training;

namespace TempBalance.Web.Runs;

/// <summary>Ready-made requests: the first-start comparison and the New run form's presets.</summary>
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
}
