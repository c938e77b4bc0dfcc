using TempBalance.Core.EdgeOfChaos;

namespace TempBalance.Core.Tests.EdgeOfChaos;

public class PhaseRegionsTests
{
    static double Area(IReadOnlyList<PhasePoint> outline)
    {
        double twice = 0;
        for (int k = 0; k < outline.Count; k++)
        {
            var (a, b) = (outline[k], outline[(k + 1) % outline.Count]);
            twice += a.J0OverJ * b.InverseJ - b.J0OverJ * a.InverseJ;
        }
        return Math.Abs(twice) / 2;
    }

    static bool Inside(IReadOnlyList<PhasePoint> outline, double x, double y)
    {
        bool inside = false;
        for (int k = 0, j = outline.Count - 1; k < outline.Count; j = k++)
        {
            var (a, b) = (outline[k], outline[j]);
            if ((a.InverseJ > y) != (b.InverseJ > y) && x < (b.J0OverJ - a.J0OverJ) * (y - a.InverseJ) / (b.InverseJ - a.InverseJ) + a.J0OverJ)
                inside = !inside;
        }
        return inside;
    }

    [Fact]
    public void The_regions_tile_the_window_and_each_point_lies_in_the_region_of_its_phase()
    {
        var diagram = PhaseDiagram.Default;
        var regions = PhaseRegions.Of(diagram);
        // The seed's window J0/J in [-1, 2]: no antiferromagnetic part (it lies left of J0/J = -1).
        Assert.Equal([Phase.Paramagnetic, Phase.SpinGlass, Phase.Ferromagnetic], regions.Select(r => r.Phase));
        var w = diagram.Settings;
        Assert.Equal((w.J0OverJMax - w.J0OverJMin) * (w.InverseJMax - w.InverseJMin), regions.Sum(r => Area(r.Outline)), 1e-9);
        // Paramagnetic: 1/J from 1 to 2 between J0/J = -1 (the window; -1/J lies outside) and J0/J = 1/J, a width
        // of 1/J + 1: the integral of y + 1 from 1 to 2 is 2.5.
        Assert.Equal(2.5, Area(regions[0].Outline), 1e-12);

        int checkedPoints = 0;
        for (double x = -0.99; x < 2; x += 0.0731)
            for (double y = 0.03; y < 2; y += 0.0437)
            {
                var phase = diagram.Classify(x, y);
                var containing = regions.Where(r => Inside(r.Outline, x, y)).Select(r => r.Phase).ToList();
                // Within 0.002 of the traced edge the linear pieces may put a point on the other side.
                if (y < 1 && Math.Abs(Math.Abs(x) - diagram.EdgeOfChaosJ0OverJ(y)) < 2e-3) continue;
                Assert.Equal([phase], containing);
                checkedPoints++;
            }
        Assert.True(checkedPoints > 1500);
    }

    [Fact]
    public void A_wider_window_has_the_antiferromagnetic_mirror_image()
    {
        var diagram = PhaseDiagram.Compute(new PhaseDiagramSettings { J0OverJMin = -2, J0OverJMax = 2, PointsPerCurve = 40 });
        var regions = PhaseRegions.Of(diagram);
        var ferro = regions.Single(r => r.Phase == Phase.Ferromagnetic);
        var anti = regions.Single(r => r.Phase == Phase.Antiferromagnetic);
        Assert.Equal(Area(ferro.Outline), Area(anti.Outline), 1e-9);
    }
}
