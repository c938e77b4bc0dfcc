using TempBalance.Core.Scheduling;

namespace TempBalance.Core.Tests.Scheduling;

public class LrAssignmentTests
{
    static readonly double[] Scores = [2, 3, 4, 6];

    static void AssertRates(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int k = 0; k < expected.Length; k++) Assert.Equal(expected[k], actual[k], 1e-9);
    }

    [Fact]
    public void Linear_assignment_matches_the_golden_values()
    {
        AssertRates([0.05, 0.075, 0.10, 0.15], LrAssignment.Assign(Scores, 0.1, new TempBalanceOptions()));
        AssertRates([0.06, 0.08, 0.10, 0.14], LrAssignment.Assign(Scores, 0.1, new TempBalanceOptions { MinRatio = 0.6, MaxRatio = 1.4 }));
    }

    [Fact]
    public void Sqrt_log2_and_step_match_the_golden_values()
    {
        AssertRates([0.0744738990, 0.0912115259, 0.1053219981, 0.1289925770],
            LrAssignment.Assign(Scores, 0.1, new TempBalanceOptions { Assign = AssignmentFunction.Sqrt }));
        AssertRates([0.0557885891, 0.0884228217, 0.1115771783, 0.1442114109],
            LrAssignment.Assign(Scores, 0.1, new TempBalanceOptions { Assign = AssignmentFunction.Log2 }));
        AssertRates([0.05, 0.075, 0.10, 0.125],
            LrAssignment.Assign(Scores, 0.1, new TempBalanceOptions { Assign = AssignmentFunction.Step }));
    }

    [Fact]
    public void Step_follows_rank_not_position()
    {
        AssertRates([0.10, 0.05, 0.125, 0.075],
            LrAssignment.Assign([4, 2, 6, 3], 0.1, new TempBalanceOptions { Assign = AssignmentFunction.Step }));
    }

    [Fact]
    public void Equal_scores_give_the_midpoint_or_with_the_switch_the_reference_s2()
    {
        AssertRates([0.1, 0.1, 0.1], LrAssignment.Assign([3, 3, 3], 0.1, new TempBalanceOptions()));
        AssertRates([0.15, 0.15, 0.15], LrAssignment.Assign([3, 3, 3], 0.1, new TempBalanceOptions { ReferenceTieBehaviour = true }));
    }

    [Fact]
    public void Log2_rejects_scores_at_or_below_one_with_a_clear_message()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            LrAssignment.Assign([2, 1, 3], 0.1, new TempBalanceOptions { Assign = AssignmentFunction.Log2 }));
        Assert.Contains("score 1 is 1", error.Message);
        Assert.Contains("> 1", error.Message);
    }

    [Fact]
    public void Non_finite_scores_are_rejected_and_no_scores_give_no_rates()
    {
        Assert.Throws<ArgumentException>(() => LrAssignment.Assign([2, double.NaN], 0.1, new TempBalanceOptions()));
        Assert.Empty(LrAssignment.Assign([], 0.1, new TempBalanceOptions()));
    }
}
