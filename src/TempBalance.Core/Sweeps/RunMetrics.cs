using TempBalance.Core.EdgeOfChaos;
using TempBalance.Core.Training;

namespace TempBalance.Core.Sweeps;

/// <summary>
/// One epoch of a run as the sweep summaries read it: the test metrics (null when not finite or not recorded) and J
/// of the run's watched layer (<see cref="WatchedLayers.Primary"/>; null for models without one). Epoch 0 is the
/// untrained network.
/// </summary>
public sealed record EpochMeasurement(int Epoch, double? TestLoss, double? TestAccuracy, double? J);

/// <summary>A number a sweep can compare its runs by.</summary>
public enum SweepMetric { FinalTestAccuracy, BestTestAccuracy, FinalTestLoss, BestTestLoss, JAtBestEpoch, EpochsToEdge }

public static class SweepMetrics
{
    public static IReadOnlyList<SweepMetric> All { get; } = Enum.GetValues<SweepMetric>();

    public static string Title(SweepMetric metric) => metric switch
    {
        SweepMetric.FinalTestAccuracy => "final test accuracy",
        SweepMetric.BestTestAccuracy => "best test accuracy",
        SweepMetric.FinalTestLoss => "final test loss",
        SweepMetric.BestTestLoss => "lowest test loss",
        SweepMetric.JAtBestEpoch => "J at the best epoch",
        _ => "epochs to reach J = 1",
    };

    /// <summary>Which way is better when a sweep picks its best run; null when neither is (J says where, not how well).</summary>
    public static bool? HigherIsBetter(SweepMetric metric) => metric switch
    {
        SweepMetric.FinalTestAccuracy or SweepMetric.BestTestAccuracy => true,
        SweepMetric.FinalTestLoss or SweepMetric.BestTestLoss => false,
        _ => null,
    };

    /// <summary>The metric's column in sweep.csv.</summary>
    public static string Column(SweepMetric metric) => metric switch
    {
        SweepMetric.FinalTestAccuracy => "final_test_accuracy",
        SweepMetric.BestTestAccuracy => "best_test_accuracy",
        SweepMetric.FinalTestLoss => "final_test_loss",
        SweepMetric.BestTestLoss => "best_test_loss",
        SweepMetric.JAtBestEpoch => "j_at_best_epoch",
        _ => "epochs_to_edge",
    };
}

/// <summary>
/// What a sweep reports of each run, computed in one place for the CLI's sweep.csv and the web's sweep page.
/// "Best epoch" is the epoch of lowest test loss (the paper's lowest validation loss), from epoch 1 on; accuracies
/// and losses leave epoch 0 out. <see cref="EpochsToEdge"/> is the first epoch with J &gt;= 1 and
/// <see cref="EdgeEpoch"/> the epoch where J^2 crosses 1 between two epochs (linear in J^2); both null while J
/// stays below 1. <see cref="Slope"/> is the J^2 growth of the ordered phase (<see cref="EdgeGuidance.FitSlope"/>)
/// when the run trains with SGD and has J; null otherwise.
/// </summary>
public sealed record RunMetrics(
    int? LastEpoch,
    double? FinalTestAccuracy,
    double? BestTestAccuracy,
    double? FinalTestLoss,
    double? BestTestLoss,
    int? BestEpoch,
    double? JAtBestEpoch,
    double? InitialJSquared,
    double? FinalJ,
    int? EpochsToEdge,
    double? EdgeEpoch,
    JSquaredSlope? Slope)
{
    public static readonly RunMetrics Empty = new(null, null, null, null, null, null, null, null, null, null, null, null);

    public double? Value(SweepMetric metric) => metric switch
    {
        SweepMetric.FinalTestAccuracy => FinalTestAccuracy,
        SweepMetric.BestTestAccuracy => BestTestAccuracy,
        SweepMetric.FinalTestLoss => FinalTestLoss,
        SweepMetric.BestTestLoss => BestTestLoss,
        SweepMetric.JAtBestEpoch => JAtBestEpoch,
        _ => EpochsToEdge,
    };

    /// <param name="epochs">The run's epochs in any order (each at most once).</param>
    /// <param name="setting">The run's SGD setting, for the J^2 slope; null for other optimizers.</param>
    public static RunMetrics From(IReadOnlyList<EpochMeasurement> epochs, SgdSetting? setting = null)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        if (epochs.Count == 0) return Empty;
        var ordered = epochs.OrderBy(e => e.Epoch).ToList();
        var trained = ordered.Where(e => e.Epoch >= 1).ToList();
        var last = trained.Count > 0 ? trained[^1] : null;
        var withLoss = trained.Where(e => Finite(e.TestLoss)).ToList();
        var best = withLoss.Count > 0 ? withLoss.MinBy(e => e.TestLoss!.Value) : null;
        var accuracies = trained.Where(e => Finite(e.TestAccuracy)).Select(e => e.TestAccuracy!.Value).ToList();

        var withJ = ordered.Where(e => Finite(e.J)).ToList();
        double? initialJ2 = withJ.Count > 0 && withJ[0].Epoch == 0 ? withJ[0].J!.Value * withJ[0].J!.Value : null;
        int? toEdge = null;
        double? edgeEpoch = null;
        for (int k = 0; k < withJ.Count; k++)
        {
            if (withJ[k].J!.Value < 1) continue;
            toEdge = withJ[k].Epoch;
            if (k == 0) edgeEpoch = withJ[k].Epoch;
            else
            {
                double before = Square(withJ[k - 1].J!.Value), after = Square(withJ[k].J!.Value);
                edgeEpoch = withJ[k - 1].Epoch + (1 - before) / (after - before) * (withJ[k].Epoch - withJ[k - 1].Epoch);
            }
            break;
        }
        var slope = setting is not null && withJ.Count > 0
            ? EdgeGuidance.FitSlope(withJ.Select(e => new JPoint(e.Epoch, e.J!.Value)).ToList(), setting)
            : null;

        return new RunMetrics(
            last?.Epoch,
            last?.TestAccuracy is { } fa && double.IsFinite(fa) ? fa : null,
            accuracies.Count > 0 ? accuracies.Max() : null,
            last?.TestLoss is { } fl && double.IsFinite(fl) ? fl : null,
            best?.TestLoss,
            best?.Epoch,
            best?.J is { } jb && double.IsFinite(jb) ? jb : null,
            initialJ2,
            withJ.Count > 0 ? withJ[^1].J : null,
            toEdge,
            edgeEpoch,
            slope);
    }

    /// <summary>The epochs of a run's results.json, with J of its watched layer (<see cref="WatchedLayers.Primary"/>).</summary>
    public static IReadOnlyList<EpochMeasurement> MeasurementsOf(ResultsWriter.RunResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var watched = WatchedLayers.Primary(results.Config.Model) is { } index ? results.Layers.FirstOrDefault(l => l.Index == index) : null;
        var jByEpoch = new Dictionary<int, double?>();
        if (watched is not null)
            for (int k = 0; k < watched.Epochs.Count && k < watched.J.Count; k++) jByEpoch[watched.Epochs[k]] = watched.J[k];
        return results.Epochs.Select(e => new EpochMeasurement(e.Epoch, e.TestLoss, e.TestAccuracy, jByEpoch.GetValueOrDefault(e.Epoch))).ToList();
    }

    /// <summary>
    /// The setting a run contributes to the guideline check of a sweep: its SGD setting when it trains without weight
    /// decay, else null. Weight decay pulls J^2 back (the paper's Fig. 6), so its slope says nothing about the scaling
    /// relation's constant c and would corrupt the fit over the other runs.
    /// </summary>
    public static SgdSetting? ScalingSettingOf(TrainingConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.WeightDecay == 0 ? SgdSettingOf(config) : null;
    }

    /// <summary>The SGD setting of a config for the scaling relation; null when it does not train with SGD or its numbers cannot be one.</summary>
    public static SgdSetting? SgdSettingOf(TrainingConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        bool plainSgd = config.Optimizer?.Kind == OptimizerKind.Sgd && config.Lookahead is null && config.Lawn is null;
        return plainSgd && config.Lr > 0 && double.IsFinite(config.Lr) && config.Momentum is >= 0 and < 1 && config.BatchSize >= 1
            ? new SgdSetting(config.Lr, config.Momentum, config.BatchSize)
            : null;
    }

    static bool Finite(double? value) => value is { } v && double.IsFinite(v);

    static double Square(double x) => x * x;
}
