namespace TempBalance.Core.EdgeOfChaos;

/// <summary>One phase's region inside a diagram's window, as a closed outline (the last point joins the first).</summary>
public sealed record PhaseRegion(Phase Phase, IReadOnlyList<PhasePoint> Outline);

/// <summary>
/// The regions of <see cref="PhaseDiagram.Classify(double, double)"/> as polygons, for vector drawing (a browser
/// chart fills them): each region is the set of points between a left and a right boundary at every 1/J, so its
/// outline runs up the right boundary and back down the left one, both clipped to the window. Above 1/J = 1 the
/// boundaries are the lines J0/J = ±1/J; below, the edge of chaos at the traced curve's own points.
/// </summary>
public static class PhaseRegions
{
    public static IReadOnlyList<PhaseRegion> Of(PhaseDiagram diagram)
    {
        ArgumentNullException.ThrowIfNull(diagram);
        var w = diagram.Settings;
        // Rows where a boundary bends or meets the window's side, so linear pieces between rows are exact (above
        // 1/J = 1) or as good as the traced curve (below).
        var rows = new SortedSet<double> { w.InverseJMin, w.InverseJMax };
        foreach (var y in new[] { 1, w.J0OverJMax, -w.J0OverJMin })
            if (y > w.InverseJMin && y < w.InverseJMax) rows.Add(y);
        foreach (var p in diagram.EdgeOfChaosCurve)
            if (p.InverseJ > w.InverseJMin && p.InverseJ < Math.Min(1, w.InverseJMax)) rows.Add(p.InverseJ);
        // The edge at a row: where J0/J = +-edge(y) separates chaos from magnetization (the lines |J0/J| = 1/J above 1).
        double Edge(double y) => y >= 1 ? y : diagram.EdgeOfChaosJ0OverJ(y);
        // Where the edge leaves the window through its side, so the region ends in a point there, not a row early.
        foreach (var side in new[] { w.J0OverJMax, -w.J0OverJMin })
        {
            if (!(side > 1) || !(Edge(w.InverseJMin) > side)) continue;
            double low = w.InverseJMin, high = 1;
            for (int k = 0; k < 100 && high - low > 1e-15; k++)
            {
                double mid = (low + high) / 2;
                if (Edge(mid) > side) low = mid; else high = mid;
            }
            rows.Add(high);
        }

        var regions = new List<PhaseRegion>();
        void Add(Phase phase, Func<double, bool> exists, Func<double, double> left, Func<double, double> right)
        {
            var ys = rows.Where(exists).ToList();
            var rightSide = new List<PhasePoint>();
            var leftSide = new List<PhasePoint>();
            foreach (var y in ys)
            {
                double l = Math.Max(left(y), w.J0OverJMin), r = Math.Min(right(y), w.J0OverJMax);
                // A row where the region narrows to a point (a corner of the window, the edge leaving it) still counts.
                if (l > r) continue;
                rightSide.Add(new PhasePoint(r, y));
                leftSide.Add(new PhasePoint(l, y));
            }
            if (rightSide.Count < 2) return;
            leftSide.Reverse();
            regions.Add(new PhaseRegion(phase, [.. rightSide, .. leftSide]));
        }
        Add(Phase.Paramagnetic, y => y >= 1, y => -y, y => y);
        Add(Phase.SpinGlass, y => y <= 1, y => -Edge(y), Edge);
        Add(Phase.Ferromagnetic, _ => true, Edge, _ => double.PositiveInfinity);
        Add(Phase.Antiferromagnetic, _ => true, _ => double.NegativeInfinity, y => -Edge(y));
        return regions;
    }
}
