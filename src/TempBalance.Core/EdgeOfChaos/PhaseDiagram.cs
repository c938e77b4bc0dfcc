namespace TempBalance.Core.EdgeOfChaos;

/// <summary>The window and resolution of a computed phase diagram; the defaults are the seed's Fig. 1(b) window.</summary>
public sealed record PhaseDiagramSettings
{
    public double J0OverJMin { get; init; } = -1;
    public double J0OverJMax { get; init; } = 2;

    /// <summary>The lowest 1/J traced; the cost grows like 1 / InverseJMin (the sech terms narrow as J grows).</summary>
    public double InverseJMin { get; init; } = 0.02;

    public double InverseJMax { get; init; } = 2;

    /// <summary>Points computed on each curve below 1/J = 1, spaced evenly in log(1/J).</summary>
    public int PointsPerCurve { get; init; } = 200;

    internal void Validate()
    {
        if (!(double.IsFinite(J0OverJMin) && double.IsFinite(J0OverJMax) && J0OverJMin < J0OverJMax))
            throw new ArgumentException($"The J0/J window [{J0OverJMin}, {J0OverJMax}] must be finite and non-empty.");
        if (!(InverseJMin >= 1e-3 && InverseJMin < 1 && double.IsFinite(InverseJMax) && InverseJMax > InverseJMin))
            throw new ArgumentException($"The 1/J window [{InverseJMin}, {InverseJMax}] must start in [0.001, 1) and be non-empty.");
        if (PointsPerCurve < 8) throw new ArgumentException($"PointsPerCurve must be at least 8 (got {PointsPerCurve}).");
    }
}

/// <summary>
/// The theoretical phase diagram of a tanh layer in the (J0/J, 1/J) plane (the seed's Fig. 1(b)), from the
/// mean-field equations of <see cref="MeanField"/>: its boundary curves and a classifier.
/// </summary>
/// <remarks>
/// The edge of chaos below 1/J = 1 is traced at <see cref="PhaseDiagramSettings.PointsPerCurve"/> values of 1/J
/// evenly spaced in log(1/J) down to <see cref="PhaseDiagramSettings.InverseJMin"/>, each solved to 1e-14 by
/// continuation (Newton's method from the previous point, a bracketing search when that fails). Between them
/// <see cref="EdgeOfChaosJ0OverJ"/> interpolates linearly (error below 1e-4 at the default resolution, see the
/// tests); below the traced range it solves from scratch. Everything above 1/J = 1 is closed-form.
/// </remarks>
public sealed class PhaseDiagram
{
    static readonly Lazy<PhaseDiagram> DefaultDiagram = new(() => Compute(new PhaseDiagramSettings()), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The diagram with the default settings, computed on first use and shared (thread-safe).</summary>
    public static PhaseDiagram Default => DefaultDiagram.Value;

    // The edge of chaos for J0/J >= 1, from (1, 1) down to InverseJMin (1/J descending).
    readonly double[] edgeInverseJ, edgeJ0OverJ;

    public PhaseDiagramSettings Settings { get; }

    /// <summary>The boundary curves clipped to the window, each piece ordered along its curve.</summary>
    public IReadOnlyList<PhaseBoundary> Boundaries { get; }

    /// <summary>The traced edge of chaos for J0/J &gt;= 1 (starting at (1, 1)), not clipped to the window.</summary>
    public IReadOnlyList<PhasePoint> EdgeOfChaosCurve { get; }

    /// <summary>The magnetization onset below 1/J = 1 (starting at (1, 1)), not clipped to the window.</summary>
    public IReadOnlyList<PhasePoint> MagnetizationOnsetCurve { get; }

    PhaseDiagram(PhaseDiagramSettings settings, PhasePoint[] edge, PhasePoint[] onset)
    {
        Settings = settings;
        EdgeOfChaosCurve = edge;
        MagnetizationOnsetCurve = onset;
        edgeInverseJ = edge.Select(p => p.InverseJ).ToArray();
        edgeJ0OverJ = edge.Select(p => p.J0OverJ).ToArray();
        Boundaries = ClippedBoundaries(settings, edge, onset);
    }

    public static PhaseDiagram Compute(PhaseDiagramSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        int n = settings.PointsPerCurve;
        double logMin = Math.Log(settings.InverseJMin);
        var edge = new PhasePoint[n];
        edge[0] = new PhasePoint(1, 1);
        double mu = 0, sigma = 0;
        for (int k = 1; k < n; k++)
        {
            double inverseJ = k == n - 1 ? settings.InverseJMin : Math.Exp(logMin * k / (n - 1));
            (edge[k], mu, sigma) = MeanField.EdgePointAt(inverseJ, mu, sigma);
        }
        return new PhaseDiagram(settings, edge, MagnetizationOnset(settings));
    }

    /// <summary>
    /// The phase at (J0/J, 1/J): for 1/J &gt;= 1 paramagnetic when |J0/J| &lt;= 1/J, else magnetized; below 1/J = 1
    /// chaotic when |J0/J| &lt; <see cref="EdgeOfChaosJ0OverJ"/>, else magnetized. Points on a boundary get the
    /// ordered side.
    /// </summary>
    public Phase Classify(double j0OverJ, double inverseJ)
    {
        MeanField.CheckPoint(j0OverJ, inverseJ);
        double magnitude = Math.Abs(j0OverJ);
        var magnetized = j0OverJ >= 0 ? Phase.Ferromagnetic : Phase.Antiferromagnetic;
        if (inverseJ >= 1) return magnitude > inverseJ ? magnetized : Phase.Paramagnetic;
        return magnitude < EdgeOfChaosJ0OverJ(inverseJ) ? Phase.SpinGlass : magnetized;
    }

    /// <summary>The phase of a point.</summary>
    public Phase Classify(PhasePoint point) => Classify(point.J0OverJ, point.InverseJ);

    /// <summary>
    /// The |J0/J| below which the model is chaotic at this 1/J; 0 for 1/J &gt;= 1. Interpolated on the traced curve,
    /// solved from scratch below <see cref="PhaseDiagramSettings.InverseJMin"/>.
    /// </summary>
    public double EdgeOfChaosJ0OverJ(double inverseJ)
    {
        MeanField.CheckPoint(0, inverseJ);
        if (inverseJ >= 1) return 0;
        if (inverseJ < edgeInverseJ[^1]) return MeanField.EdgeOfChaosJ0OverJ(inverseJ);
        // edgeInverseJ descends from 1: find k with edgeInverseJ[k] >= inverseJ > edgeInverseJ[k + 1].
        int lo = 0, hi = edgeInverseJ.Length - 1;
        while (hi - lo > 1)
        {
            int mid = (lo + hi) / 2;
            if (edgeInverseJ[mid] >= inverseJ) lo = mid; else hi = mid;
        }
        double t = (edgeInverseJ[lo] - inverseJ) / (edgeInverseJ[lo] - edgeInverseJ[hi]);
        return edgeJ0OverJ[lo] + t * (edgeJ0OverJ[hi] - edgeJ0OverJ[lo]);
    }

    /// <summary>The magnetization onset below 1/J = 1 at pre-activation spreads evenly spaced in log(sigma).</summary>
    static PhasePoint[] MagnetizationOnset(PhaseDiagramSettings settings)
    {
        int n = settings.PointsPerCurve;
        double first = 1e-3;
        double last = Brent.Root(s => MeanField.MagnetizationOnsetAtFieldStd(s).InverseJ - settings.InverseJMin,
            first, 2 / settings.InverseJMin + 1, 1e-14);
        var points = new PhasePoint[n];
        points[0] = new PhasePoint(1, 1);
        for (int k = 1; k < n; k++)
            points[k] = MeanField.MagnetizationOnsetAtFieldStd(first * Math.Pow(last / first, (k - 1.0) / (n - 2)));
        return points;
    }

    static IReadOnlyList<PhaseBoundary> ClippedBoundaries(PhaseDiagramSettings settings, PhasePoint[] edge, PhasePoint[] onset)
    {
        static PhasePoint Mirror(PhasePoint p) => new(-p.J0OverJ, p.InverseJ);
        // The edge runs along the mirrored curve up to (-1, 1), along 1/J = 1 to (1, 1), and down the curve.
        var edgeLine = edge.Reverse().Select(Mirror).Concat(edge).ToList();
        double far = 1 + Math.Max(settings.InverseJMax, Math.Max(Math.Abs(settings.J0OverJMin), Math.Abs(settings.J0OverJMax)));
        var onsetRight = new[] { new PhasePoint(far, far) }.Concat(onset).ToList();
        var onsetLeft = onsetRight.Select(Mirror).ToList();

        var boundaries = new List<PhaseBoundary>();
        foreach (var piece in Clip(edgeLine, settings)) boundaries.Add(new PhaseBoundary(BoundaryKind.EdgeOfChaos, piece));
        foreach (var line in new[] { onsetRight, onsetLeft })
            foreach (var piece in Clip(line, settings)) boundaries.Add(new PhaseBoundary(BoundaryKind.MagnetizationOnset, piece));
        return boundaries;
    }

    /// <summary>The pieces of a polyline inside the window (Liang-Barsky on each segment).</summary>
    static List<IReadOnlyList<PhasePoint>> Clip(IReadOnlyList<PhasePoint> line, PhaseDiagramSettings window)
    {
        var pieces = new List<IReadOnlyList<PhasePoint>>();
        List<PhasePoint>? current = null;
        for (int k = 0; k + 1 < line.Count; k++)
        {
            var (a, b) = (line[k], line[k + 1]);
            if (!ClipSegment(a, b, window, out double t0, out double t1))
            {
                Close();
                continue;
            }
            var start = Lerp(a, b, t0);
            if (current is null || t0 > 0)
            {
                Close();
                current = [start];
            }
            current.Add(Lerp(a, b, t1));
            if (t1 < 1) Close();
        }
        Close();
        return pieces;

        void Close()
        {
            if (current is { Count: >= 2 }) pieces.Add(current);
            current = null;
        }
    }

    static PhasePoint Lerp(PhasePoint a, PhasePoint b, double t) =>
        t == 0 ? a : t == 1 ? b : new(a.J0OverJ + t * (b.J0OverJ - a.J0OverJ), a.InverseJ + t * (b.InverseJ - a.InverseJ));

    static bool ClipSegment(PhasePoint a, PhasePoint b, PhaseDiagramSettings w, out double t0, out double t1)
    {
        t0 = 0;
        t1 = 1;
        double dx = b.J0OverJ - a.J0OverJ, dy = b.InverseJ - a.InverseJ;
        return Edge(-dx, a.J0OverJ - w.J0OverJMin, ref t0, ref t1)
            && Edge(dx, w.J0OverJMax - a.J0OverJ, ref t0, ref t1)
            && Edge(-dy, a.InverseJ - w.InverseJMin, ref t0, ref t1)
            && Edge(dy, w.InverseJMax - a.InverseJ, ref t0, ref t1)
            && t0 < t1;

        static bool Edge(double p, double q, ref double t0, ref double t1)
        {
            if (p == 0) return q >= 0;
            double r = q / p;
            if (p < 0) { if (r > t1) return false; if (r > t0) t0 = r; }
            else { if (r < t0) return false; if (r < t1) t1 = r; }
            return true;
        }
    }
}
