using System.Diagnostics;
using TempBalance.Core.EdgeOfChaos;
using Xunit.Abstractions;

namespace TempBalance.Core.Tests.EdgeOfChaos;

public class PhaseDiagramTests(ITestOutputHelper output)
{
    // golden/seed_values.py: the rows of the seed's data_100bins_tanh_modified.mat (run_tanh.m's boundary, which
    // marks the cells with |chi - 1| / (|chi| + 1) < 0.019) below 1/J = 1: 1/J, the marked J0/J >= 1.
    static readonly (double InverseJ, double[] Marked)[] SeedTheoreticalBoundary =
    [
        (0.10, [1.94, 1.96]), (0.12, [1.86, 1.88]), (0.14, [1.80, 1.82]), (0.16, [1.74, 1.76]), (0.18, [1.68, 1.70]),
        (0.20, [1.64, 1.66]), (0.22, [1.60, 1.62]), (0.24, [1.56, 1.58]), (0.26, [1.52, 1.54]), (0.28, [1.48, 1.50]),
        (0.30, [1.46]), (0.32, [1.42, 1.44]), (0.34, [1.40]), (0.36, [1.36, 1.38]), (0.38, [1.34, 1.36]),
        (0.40, [1.32, 1.34]), (0.42, [1.30, 1.32]), (0.44, [1.26, 1.28]), (0.46, [1.24, 1.26]), (0.48, [1.22, 1.24]),
        (0.50, [1.22, 1.24]), (0.52, [1.20, 1.22]), (0.54, [1.18, 1.20]), (0.56, [1.16, 1.18]), (0.58, [1.14, 1.16]),
        (0.60, [1.12, 1.14, 1.16]), (0.62, [1.12, 1.14]), (0.64, [1.10, 1.12]), (0.66, [1.10, 1.12]), (0.68, [1.08, 1.10]),
        (0.70, [1.06, 1.08, 1.10]), (0.72, [1.06, 1.08]), (0.74, [1.04, 1.06, 1.08]), (0.76, [1.04, 1.06]), (0.78, [1.04, 1.06]),
        (0.80, [1.02, 1.04]), (0.82, [1.00, 1.02, 1.04]), (0.84, [1.00, 1.02, 1.04]), (0.86, [1.00, 1.02]), (0.88, [1.00, 1.02]),
        (0.90, [1.00, 1.02]), (0.92, [1.00, 1.02]), (0.94, [1.00, 1.02]), (0.96, [1.00, 1.02]), (0.98, [1.00]),
    ];

    // golden/seed_values.py: the seed's simulation (100_100_500_tanh: 500 steps of x -> tanh(x W), one random
    // 10000 x 10000 W per cell): 1/J, midway between the last chaotic cell (separation > 1) and the next.
    static readonly (double InverseJ, double J0OverJ)[] SeedSimulatedBoundary =
    [
        (0.08, 1.97), (0.10, 1.99), (0.12, 1.89), (0.14, 1.85), (0.16, 1.77), (0.18, 1.69), (0.20, 1.67), (0.22, 1.61),
        (0.24, 1.59), (0.26, 1.53), (0.28, 1.51), (0.30, 1.47), (0.32, 1.45), (0.34, 1.39), (0.36, 1.39), (0.38, 1.35),
        (0.40, 1.33), (0.42, 1.29), (0.44, 1.31), (0.46, 1.23), (0.48, 1.25), (0.50, 1.21), (0.52, 1.23), (0.54, 1.17),
        (0.56, 1.19), (0.58, 1.21), (0.60, 1.13), (0.62, 1.13), (0.64, 1.13), (0.66, 1.09), (0.68, 1.09), (0.70, 1.09),
        (0.72, 1.13), (0.74, 1.11), (0.76, 1.07), (0.78, 1.03), (0.80, 1.05),
    ];

    [Fact]
    public void The_edge_lies_inside_the_seeds_marked_cells_of_every_row()
    {
        // The seed marks the cells where chi is within about 4% of 1, one to three cells per row; the crossing
        // must lie among them, up to half a cell (0.01).
        var diagram = PhaseDiagram.Default;
        double worst = 0;
        foreach (var (inverseJ, marked) in SeedTheoreticalBoundary)
        {
            double edge = diagram.EdgeOfChaosJ0OverJ(inverseJ);
            double outside = Math.Max(0, Math.Max(marked.Min() - edge, edge - marked.Max()));
            worst = Math.Max(worst, outside);
            Assert.True(outside <= 0.01, $"1/J = {inverseJ}: edge at {edge:F4}, seed marks {string.Join(", ", marked)}");
        }
        output.WriteLine($"largest distance outside the seed's marked cells: {worst:F4}");
    }

    [Fact]
    public void Chi_on_the_seed_grid_reproduces_the_seeds_marks_near_the_edge()
    {
        // The seed's own criterion, |chi - 1| / (|chi| + 1) < 0.019, applied to our chi on its grid cells from
        // three cells left of its marks to three right of them.
        int agree = 0, total = 0;
        foreach (var (inverseJ, marked) in SeedTheoreticalBoundary)
        {
            for (int cell = -3; cell <= (int)Math.Round((marked.Max() - marked.Min()) / 0.02) + 3; cell++)
            {
                double j0OverJ = Math.Round(marked.Min() + 0.02 * cell, 2);
                if (j0OverJ < 1) continue;
                double chi = MeanField.Solve(j0OverJ, inverseJ).PerturbationGain;
                bool ours = Math.Abs(chi - 1) / (Math.Abs(chi) + 1) < 0.019;
                bool seeds = marked.Any(x => Math.Abs(x - j0OverJ) < 1e-9);
                total++;
                if (ours == seeds) agree++;
                else output.WriteLine($"1/J = {inverseJ}, J0/J = {j0OverJ}: chi = {chi:F5}, seed marked: {seeds}");
            }
        }
        output.WriteLine($"{agree} of {total} cells agree");
        Assert.True(agree >= 0.95 * total, $"{agree} of {total} cells agree");
    }

    [Fact]
    public void The_edge_follows_the_seeds_simulated_boundary_of_finite_networks()
    {
        // Finite N, 500 steps and one random W per cell scatter the simulated boundary by a cell or two.
        var diagram = PhaseDiagram.Default;
        var deviations = SeedSimulatedBoundary.Select(p => p.J0OverJ - diagram.EdgeOfChaosJ0OverJ(p.InverseJ)).ToArray();
        output.WriteLine($"mean |deviation| {deviations.Average(Math.Abs):F4}, max {deviations.Max(Math.Abs):F4}, mean {deviations.Average():F4}");
        Assert.True(deviations.Max(Math.Abs) <= 0.08);
        Assert.True(deviations.Average(Math.Abs) <= 0.03);
    }

    [Fact]
    public void The_edge_is_the_line_1_over_J_equal_1_between_J0_over_J_of_minus_1_and_1()
    {
        var edge = PhaseDiagram.Default.Boundaries.Single(b => b.Kind == BoundaryKind.EdgeOfChaos).Points;
        Assert.Equal(new PhasePoint(-1, 1), edge[0]);
        Assert.Equal(new PhasePoint(1, 1), edge[1]);
        Assert.All(edge.Skip(1), p => Assert.True(p.InverseJ <= 1 && p.J0OverJ >= 1));
        // It leaves the seed's window at J0/J = 2, where 1/J is about 0.0975.
        Assert.Equal(2, edge[^1].J0OverJ, 1e-12);
        Assert.Equal(2, MeanField.EdgeOfChaosJ0OverJ(edge[^1].InverseJ), 1e-4);
    }

    [Fact]
    public void The_magnetization_onset_is_the_diagonal_above_1_over_J_equal_1()
    {
        var onset = PhaseDiagram.Default.Boundaries.Where(b => b.Kind == BoundaryKind.MagnetizationOnset).ToList();
        // In the window J0/J >= -1 only the right-hand curve shows (the mirrored one starts at (-1, 1)).
        var right = Assert.Single(onset).Points;
        Assert.Equal(new PhasePoint(2, 2), right[0]);
        Assert.Equal(new PhasePoint(1, 1), right[1]);
        Assert.Equal(0.02, right[^1].InverseJ, 1e-12);
        Assert.InRange(right[^1].J0OverJ, 1.2, Math.Sqrt(Math.PI / 2));
    }

    [Theory]
    [InlineData(0, 1.5, Phase.Paramagnetic)]
    [InlineData(0.9, 1.0, Phase.Paramagnetic)]
    [InlineData(1.9, 1.8, Phase.Ferromagnetic)]
    [InlineData(1.7, 1.8, Phase.Paramagnetic)]
    [InlineData(0, 0.5, Phase.SpinGlass)]
    [InlineData(1.1, 0.5, Phase.SpinGlass)]
    [InlineData(1.3, 0.5, Phase.Ferromagnetic)]
    [InlineData(0.5, 0.999, Phase.SpinGlass)]
    [InlineData(-1.9, 1.8, Phase.Antiferromagnetic)]
    [InlineData(-1.3, 0.5, Phase.Antiferromagnetic)]
    [InlineData(-1.1, 0.5, Phase.SpinGlass)]
    [InlineData(2.5, 0.01, Phase.SpinGlass)]
    [InlineData(3.2, 0.01, Phase.Ferromagnetic)]
    public void Classify_known_points(double j0OverJ, double inverseJ, Phase expected) =>
        Assert.Equal(expected, PhaseDiagram.Default.Classify(j0OverJ, inverseJ));

    [Fact]
    public void Classify_agrees_with_the_mean_field_solution_on_a_grid()
    {
        // Chaos where chi > 1, magnetized where u > 0; cells within 0.005 of a boundary are skipped.
        var diagram = PhaseDiagram.Default;
        int checkedCells = 0;
        for (double inverseJ = 0.05; inverseJ < 2; inverseJ += 0.15)
        {
            for (double j0OverJ = -2; j0OverJ <= 2.5; j0OverJ += 0.15)
            {
                double edge = inverseJ < 1 ? diagram.EdgeOfChaosJ0OverJ(inverseJ) : inverseJ;
                if (Math.Abs(Math.Abs(j0OverJ) - edge) < 0.005 || Math.Abs(inverseJ - 1) < 0.005) continue;
                var state = MeanField.Solve(j0OverJ, inverseJ);
                var expected = state.PerturbationGain > 1 ? Phase.SpinGlass
                    : state.MeanActivation > 1e-6 ? (j0OverJ > 0 ? Phase.Ferromagnetic : Phase.Antiferromagnetic)
                    : Phase.Paramagnetic;
                Assert.True(expected == diagram.Classify(j0OverJ, inverseJ), $"({j0OverJ:F2}, {inverseJ:F2}): solution says {expected}, chi = {state.PerturbationGain:F4}, u = {state.MeanActivation:G4}");
                checkedCells++;
            }
        }
        Assert.True(checkedCells > 350);
    }

    [Fact]
    public void Interpolating_the_traced_edge_is_accurate_to_1e_4()
    {
        var diagram = PhaseDiagram.Default;
        var curve = diagram.EdgeOfChaosCurve;
        double worst = 0;
        for (int k = 0; k + 1 < curve.Count; k += 7)
        {
            double middle = (curve[k].InverseJ + curve[k + 1].InverseJ) / 2;
            worst = Math.Max(worst, Math.Abs(diagram.EdgeOfChaosJ0OverJ(middle) - MeanField.EdgeOfChaosJ0OverJ(middle)));
        }
        output.WriteLine($"largest interpolation error {worst:G3}");
        Assert.True(worst < 1e-4);
    }

    [Fact]
    public void Traced_points_are_exact_edge_points()
    {
        var curve = PhaseDiagram.Default.EdgeOfChaosCurve;
        foreach (var point in curve.Where((_, k) => k % 25 == 1))
            Assert.Equal(1, MeanField.Solve(point.J0OverJ, point.InverseJ).PerturbationGain, 1e-9);
    }

    [Fact]
    public void The_default_diagram_is_computed_once_and_shared_across_threads()
    {
        var seen = new PhaseDiagram[8];
        Parallel.For(0, seen.Length, k => seen[k] = PhaseDiagram.Default);
        Assert.All(seen, d => Assert.Same(PhaseDiagram.Default, d));
    }

    [Fact]
    public void Computing_the_default_diagram_takes_well_under_a_second()
    {
        PhaseDiagram.Compute(new PhaseDiagramSettings { PointsPerCurve = 16 });
        var clock = Stopwatch.StartNew();
        var diagram = PhaseDiagram.Compute(new PhaseDiagramSettings());
        clock.Stop();
        output.WriteLine($"default diagram ({diagram.Settings.PointsPerCurve} points per curve): {clock.Elapsed.TotalMilliseconds:F0} ms");
        // Generous for a loaded shared machine; about 0.1 s when idle (docs/edge-of-chaos-method.md).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"{clock.Elapsed.TotalSeconds:F2} s");
    }

    [Fact]
    public void A_window_below_1_over_J_equal_1_clips_the_edge_into_two_pieces()
    {
        var diagram = PhaseDiagram.Compute(new PhaseDiagramSettings
        {
            J0OverJMin = -3,
            J0OverJMax = 3,
            InverseJMin = 0.05,
            InverseJMax = 0.5,
            PointsPerCurve = 24,
        });
        var pieces = diagram.Boundaries.Where(b => b.Kind == BoundaryKind.EdgeOfChaos).ToList();
        Assert.Equal(2, pieces.Count);
        Assert.All(pieces.SelectMany(p => p.Points), p =>
        {
            Assert.InRange(p.J0OverJ, -3, 3);
            Assert.InRange(p.InverseJ, 0.05, 0.5);
        });
        // Each piece enters at 1/J = 0.5, at the mirrored crossings.
        Assert.Equal(-diagram.EdgeOfChaosJ0OverJ(0.5), pieces[0].Points[^1].J0OverJ, 1e-3);
        Assert.Equal(diagram.EdgeOfChaosJ0OverJ(0.5), pieces[1].Points[0].J0OverJ, 1e-3);
    }

    [Fact]
    public void Invalid_settings_throw()
    {
        Assert.Throws<ArgumentException>(() => PhaseDiagram.Compute(new PhaseDiagramSettings { PointsPerCurve = 4 }));
        Assert.Throws<ArgumentException>(() => PhaseDiagram.Compute(new PhaseDiagramSettings { InverseJMin = 0 }));
        Assert.Throws<ArgumentException>(() => PhaseDiagram.Compute(new PhaseDiagramSettings { J0OverJMin = 2, J0OverJMax = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => PhaseDiagram.Default.Classify(0, 0));
    }
}
