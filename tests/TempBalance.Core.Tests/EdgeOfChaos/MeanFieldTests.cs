using TempBalance.Core.EdgeOfChaos;

namespace TempBalance.Core.Tests.EdgeOfChaos;

public class MeanFieldTests
{
    // golden/golden_edge.py: scipy adaptive quadrature and nested brentq.
    [Theory]
    [InlineData(0.05, 2.238590346313, 1.228865999912)]
    [InlineData(0.1, 1.952885328284, 1.205564576780)]
    [InlineData(0.3, 1.459276478369, 1.124786970510)]
    [InlineData(0.5, 1.220365172358, 1.064664284807)]
    [InlineData(0.8, 1.036050905522, 1.011297468207)]
    [InlineData(0.95, 1.002406899346, 1.000786693416)]
    public void Boundaries_match_an_independent_scipy_solution(double inverseJ, double edge, double onset)
    {
        Assert.Equal(edge, MeanField.EdgeOfChaosJ0OverJ(inverseJ), 1e-9);
        Assert.Equal(onset, MeanField.MagnetizationOnsetJ0OverJ(inverseJ), 1e-9);
    }

    [Fact]
    public void At_zero_mean_the_order_to_chaos_transition_is_at_J_equal_1()
    {
        Assert.Equal(1.0, MeanField.Solve(0, 1).PerturbationGain, 1e-15);
        Assert.True(MeanField.Solve(0, 1.001).PerturbationGain < 1);
        var chaotic = MeanField.Solve(0, 0.999);
        Assert.True(chaotic.PerturbationGain > 1);
        Assert.True(chaotic.MeanSquaredActivation > 0);
        Assert.Equal(0, chaotic.MeanActivation);
    }

    [Fact]
    public void The_quiet_state_has_chi_equal_J_squared()
    {
        var state = MeanField.Solve(0.5, 1.25);
        Assert.Equal(0, state.MeanActivation);
        Assert.Equal(0, state.MeanSquaredActivation);
        Assert.Equal(0.64, state.PerturbationGain, 1e-15);
    }

    [Theory]
    [InlineData(0, 0.5)]
    [InlineData(1.5, 0.5)]
    [InlineData(1.2, 0.5)]
    [InlineData(1.8, 1.5)]
    [InlineData(1.95, 0.1)]
    [InlineData(0.3, 0.05)]
    public void The_solution_is_a_fixed_point_of_the_mean_field_equations(double j0OverJ, double inverseJ)
    {
        var state = MeanField.Solve(j0OverJ, inverseJ);
        double j = 1 / inverseJ, j0 = j0OverJ / inverseJ;
        var m = TanhGaussian.Average(j0 * state.MeanActivation, j * Math.Sqrt(state.MeanSquaredActivation));
        Assert.Equal(state.MeanActivation, m.Tanh, 1e-13);
        Assert.Equal(state.MeanSquaredActivation, m.Tanh2, 1e-13);
        Assert.Equal(j * j * m.Sech4, state.PerturbationGain, 1e-13);
        Assert.True(state.MeanSquaredActivation > 0);
    }

    [Fact]
    public void The_ferromagnetic_state_is_the_stable_branch()
    {
        // Right of the magnetization onset u = 0 is also a fixed point but unstable: the solver must not return
        // it. Golden values: golden/golden_edge.py (scipy quadrature).
        var state = MeanField.Solve(1.5, 0.5);
        Assert.Equal(0.7325073276637, state.MeanActivation, 1e-11);
        Assert.Equal(0.7832206959590, state.MeanSquaredActivation, 1e-11);
        Assert.Equal(0.5686955628100, state.PerturbationGain, 1e-11);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.45)]
    [InlineData(0.9)]
    public void Chi_crosses_1_at_the_edge_and_u_turns_on_at_the_onset(double inverseJ)
    {
        double edge = MeanField.EdgeOfChaosJ0OverJ(inverseJ);
        Assert.Equal(1, MeanField.Solve(edge, inverseJ).PerturbationGain, 1e-9);
        Assert.True(MeanField.Solve(edge - 1e-3, inverseJ).PerturbationGain > 1);
        Assert.True(MeanField.Solve(edge + 1e-3, inverseJ).PerturbationGain < 1);

        double onset = MeanField.MagnetizationOnsetJ0OverJ(inverseJ);
        Assert.True(onset < edge);
        Assert.Equal(0, MeanField.Solve(onset - 1e-3, inverseJ).MeanActivation, 1e-6);
        Assert.True(MeanField.Solve(onset + 1e-3, inverseJ).MeanActivation > 1e-3);
    }

    [Fact]
    public void Above_1_over_J_equal_1_the_onset_is_the_diagonal()
    {
        Assert.Equal(1.4, MeanField.MagnetizationOnsetJ0OverJ(1.4));
        Assert.Equal(0, MeanField.Solve(1.39, 1.4).MeanActivation);
        Assert.True(MeanField.Solve(1.45, 1.4).MeanActivation > 0.05);
        Assert.Equal(0, MeanField.EdgeOfChaosJ0OverJ(1.4));
    }

    [Fact]
    public void As_J_grows_the_onset_approaches_the_zero_temperature_value_sqrt_pi_over_2()
    {
        // The replica-symmetric Sherrington-Kirkpatrick value at T = 0: J0/J = 1 / E|z| ... = sqrt(pi / 2).
        double limit = Math.Sqrt(Math.PI / 2);
        double at01 = MeanField.MagnetizationOnsetJ0OverJ(0.01), at002 = MeanField.MagnetizationOnsetJ0OverJ(0.002);
        Assert.InRange(limit - at01, 0, 0.006);
        Assert.InRange(limit - at002, 0, 0.0015);
    }

    [Fact]
    public void Negative_J0_mirrors_positive_J0()
    {
        Assert.Equal(MeanField.Solve(1.6, 0.4), MeanField.Solve(-1.6, 0.4));
        Assert.Equal(MeanField.Solve(0.3, 0.7), MeanField.Solve(-0.3, 0.7));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, -1)]
    [InlineData(double.NaN, 1)]
    public void Invalid_points_throw(double j0OverJ, double inverseJ) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => MeanField.Solve(j0OverJ, inverseJ));
}
