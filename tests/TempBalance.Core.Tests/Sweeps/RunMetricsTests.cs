using TempBalance.Core.EdgeOfChaos;
using TempBalance.Core.Sweeps;
using TempBalance.Core.Training;

namespace TempBalance.Core.Tests.Sweeps;

public class RunMetricsTests
{
    static readonly SgdSetting Seed = new(0.02, 0.5, 32);

    // J^2 = 0.25 at epoch 0, a first-epoch jump to 0.28, then 0.0125 per epoch (the paper's network, measured).
    static double J(int epoch) => Math.Sqrt(epoch == 0 ? 0.25 : 0.28 + 0.0125 * (epoch - 1));

    static List<EpochMeasurement> Run(int epochs, Func<int, double?> testLoss) =>
        [.. Enumerable.Range(0, epochs + 1).Select(e => new EpochMeasurement(e, testLoss(e), 0.5 + e / 1000.0, J(e)))];

    [Fact]
    public void Best_epoch_is_the_lowest_test_loss_after_epoch_0_and_J_is_read_there()
    {
        // Epoch 0's loss would be lowest; it is the untrained network and does not count.
        var metrics = RunMetrics.From(Run(80, e => e == 0 ? 0.01 : Math.Abs(e - 50) / 100.0 + 0.3), Seed);
        Assert.Equal(80, metrics.LastEpoch);
        Assert.Equal(50, metrics.BestEpoch);
        Assert.Equal(0.3, metrics.BestTestLoss!.Value, 12);
        Assert.Equal(J(50), metrics.JAtBestEpoch!.Value, 12);
        Assert.Equal(0.6, metrics.FinalTestLoss!.Value, 12);
        Assert.Equal(0.58, metrics.FinalTestAccuracy!.Value, 12);
        Assert.Equal(0.58, metrics.BestTestAccuracy!.Value, 12);
        Assert.Equal(0.25, metrics.InitialJSquared!.Value, 12);
        Assert.Equal(J(80), metrics.FinalJ!.Value, 12);
    }

    [Fact]
    public void Epochs_to_the_edge_is_the_first_epoch_with_J_of_1_and_the_crossing_is_interpolated_in_J_squared()
    {
        var metrics = RunMetrics.From(Run(80, _ => 0.4), Seed);
        // J^2 = 0.28 + 0.0125 (e - 1) reaches 1 at e = 58.6.
        Assert.Equal(59, metrics.EpochsToEdge);
        Assert.Equal(58.6, metrics.EdgeEpoch!.Value, 9);
        Assert.Equal(59.0, metrics.Value(SweepMetric.EpochsToEdge));
        Assert.Null(RunMetrics.From(Run(30, _ => 0.4), Seed).EpochsToEdge);
    }

    [Fact]
    public void The_slope_is_fitted_from_epoch_1_so_the_first_epochs_jump_does_not_bias_a_short_run()
    {
        var slope = RunMetrics.From(Run(10, _ => 0.4), Seed).Slope!;
        Assert.True(slope.Succeeded);
        Assert.Equal(1, slope.FirstEpoch);
        Assert.Equal(0.0125, slope.Slope, 12);
        Assert.Equal(0.0125 / Seed.ScalingVariable, slope.Coefficient, 9);
        // Without SGD there is no scaling relation to fit.
        Assert.Null(RunMetrics.From(Run(10, _ => 0.4)).Slope);
    }

    [Fact]
    public void A_fast_run_with_too_few_points_after_epoch_1_falls_back_to_epoch_0()
    {
        // J^2 0.25, 0.5, 0.75, 1.0: only epochs 1 and 2 lie below J = 0.95 after epoch 0.
        var points = Enumerable.Range(0, 4).Select(e => new EpochMeasurement(e, 0.5, 0.8, Math.Sqrt(0.25 * (e + 1)))).ToList();
        var slope = RunMetrics.From(points, Seed).Slope!;
        Assert.True(slope.Succeeded);
        Assert.Equal(0, slope.FirstEpoch);
        Assert.Equal(0.25, slope.Slope, 12);
    }

    [Fact]
    public void Missing_and_non_finite_values_are_left_out_and_a_model_without_J_has_no_J_metrics()
    {
        var epochs = new List<EpochMeasurement>
        {
            new(2, double.NaN, double.NaN, null),
            new(0, 2.3, 0.1, null),
            new(1, 0.7, 0.75, null),
        };
        var metrics = RunMetrics.From(epochs, Seed);
        Assert.Equal(2, metrics.LastEpoch);
        Assert.Null(metrics.FinalTestAccuracy);
        Assert.Equal(0.75, metrics.BestTestAccuracy);
        Assert.Equal(1, metrics.BestEpoch);
        Assert.Null(metrics.JAtBestEpoch);
        Assert.Null(metrics.EpochsToEdge);
        Assert.Null(metrics.Slope);
        Assert.Same(RunMetrics.Empty, RunMetrics.From([]));
    }

    [Fact]
    public void Only_plain_SGD_configs_have_a_setting_for_the_scaling_relation()
    {
        var sgd = new TrainingConfig { Lr = 0.02, Momentum = 0.5, BatchSize = 32 };
        Assert.Equal(Seed, RunMetrics.SgdSettingOf(sgd));
        Assert.Null(RunMetrics.SgdSettingOf(sgd with { Optimizer = new OptimizerOptions { Kind = OptimizerKind.Adam } }));
        Assert.Null(RunMetrics.SgdSettingOf(sgd with { Lookahead = new LookaheadOptions() }));
        Assert.Equal(Seed, RunMetrics.ScalingSettingOf(sgd with { WeightDecay = 0 }));
        Assert.Null(RunMetrics.ScalingSettingOf(sgd with { WeightDecay = 1e-4 }));
    }

    [Fact]
    public void The_guideline_check_predicts_every_run_from_the_best_determined_slope()
    {
        // Three runs on the exact scaling relation with c = 10 from J^2(0) = 0.25, one shorter (fewer fitted points).
        static GuidelineRun Exact(long id, SgdSetting setting, int epochs) => new(id, setting, RunMetrics.From(
            [.. Enumerable.Range(0, epochs + 1).Select(e => new EpochMeasurement(e, 0.5, 0.8, Math.Sqrt(0.25 + 10 * setting.ScalingVariable * e)))], setting));
        var runs = new[]
        {
            Exact(7, new SgdSetting(0.04, 0.5, 32), 8),
            Exact(3, Seed, 12),
            Exact(9, new SgdSetting(0.02, 0.5, 64), 12),
        };
        var check = SweepGuidelineCheck.From(runs)!;
        Assert.Equal(3, check.ReferenceId); // 12 fitted epochs against 8 for run 7; run 9 ties at 12 but comes later
        Assert.Equal(10, check.PooledCoefficient, 9);
        Assert.True(check.PooledSpread < 1e-9);
        var fast = check.Predictions.Single(p => p.Id == 7);
        Assert.Equal(0.025, fast.PredictedSlope, 12);
        Assert.Equal(0, fast.SlopeError!.Value, 9);
        Assert.Equal(30, fast.PredictedEdgeEpoch!.Value, 9);
        Assert.Null(fast.MeasuredEdgeEpoch);
        Assert.Null(SweepGuidelineCheck.From([runs[0]]));
    }
}
