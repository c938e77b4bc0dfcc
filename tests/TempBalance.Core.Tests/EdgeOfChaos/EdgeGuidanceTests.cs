using TempBalance.Core.EdgeOfChaos;

namespace TempBalance.Core.Tests.EdgeOfChaos;

public class EdgeGuidanceTests
{
    static readonly SgdSetting Seed = new(0.02, 0.5, 32);

    // J^2 = 0.25 + 0.015 t, the seed's Fig. 2 run (c = 12); test loss lowest at epoch 45.
    static List<JPoint> Trajectory(int epochs) =>
        [.. Enumerable.Range(0, epochs + 1).Select(e => new JPoint(e, Math.Sqrt(0.25 + 0.015 * e), e == 0 ? 2.3 : 0.3 + Math.Abs(e - 45) / 200.0))];

    [Fact]
    public void A_run_in_the_ordered_phase_gets_its_edge_epoch_best_epoch_and_weight_decay_in_words()
    {
        var guidance = EdgeGuidance.From(Trajectory(40), Seed, "SGD", 60_000, weightDecay: 0);
        Assert.Equal(0.015, guidance.Fit!.Slope, 12);
        Assert.Equal(50, guidance.PredictedEdgeEpoch!.Value, 9);
        Assert.Null(guidance.FirstEpochAtEdge);
        Assert.Equal(40, guidance.BestEpoch);
        // lambda* = A (1 - alpha) / (2 eta S) with S = 1875 steps.
        Assert.Equal(0.015 * 0.5 / (2 * 0.02 * 1875), guidance.WeightDecay!.WeightDecay, 15);
        Assert.Equal(
            "J² grows by 0.015 per epoch (epochs 1–40, c = 12.0): at this slope the model reaches the edge at epoch ≈ 50. " +
            "Weight decay 0.0001 would hold it at the edge (settling in about 67 epochs). Lowest test (validation) loss so far at epoch 40, J = 0.92.",
            guidance.Text);
    }

    [Fact]
    public void Past_the_edge_it_says_when_J_reached_1_and_where_the_best_epoch_was()
    {
        var guidance = EdgeGuidance.From(Trajectory(80), Seed, "SGD", 60_000, weightDecay: 0);
        Assert.Equal(50, guidance.FirstEpochAtEdge);
        Assert.Equal(45, guidance.BestEpoch);
        Assert.Equal(Math.Sqrt(0.25 + 0.015 * 45), guidance.JAtBestEpoch!.Value, 12);
        Assert.Contains("reaches the edge at epoch ≈ 50; J reached 1 at epoch 50.", guidance.Text);
        Assert.EndsWith("Lowest test (validation) loss so far at epoch 45, J = 0.96.", guidance.Text);
    }

    [Fact]
    public void Without_SGD_or_enough_ordered_epochs_it_says_why_there_is_no_prediction()
    {
        var adam = EdgeGuidance.From(Trajectory(10), null, "Adam", 60_000, 0);
        Assert.Null(adam.Fit);
        Assert.StartsWith("The slope rule A = c·η/((1 − α)B) is for SGD with momentum; this run trains with Adam.", adam.Text);

        var young = EdgeGuidance.From(Trajectory(1), Seed, "SGD", 60_000, 0);
        Assert.False(young.Fit!.Succeeded);
        Assert.Contains("needs 3 epochs in the ordered phase (J < 0.95); 2 so far", young.Text);

        var decayed = EdgeGuidance.From(Trajectory(10), Seed, "SGD", 60_000, weightDecay: 1e-4);
        Assert.Null(decayed.WeightDecay);
        Assert.Contains("With weight decay 0.0001 the growth measured is net of the decay.", decayed.Text);

        Assert.Equal("J is recorded with each epoch; the guideline starts once a few epochs are in.", EdgeGuidance.From([], Seed, "SGD", null, 0).Text);
    }
}
