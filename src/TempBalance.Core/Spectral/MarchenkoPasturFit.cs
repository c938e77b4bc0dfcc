namespace TempBalance.Core.Spectral;

/// <summary>
/// WeightWatcher's Marchenko-Pastur (MP) fit of an ESD (weightwatcher.py mp_fit, RMT_Util.fit_density_with_range
/// and resid_mp) and the spikes above the fitted bulk.
/// </summary>
/// <param name="Q">Aspect ratio N / M of each matrix (N the long side, M the short side).</param>
/// <param name="Sigma">The fitted MP scale, in WeightWatcher's units (the ESD rescaled to mean 1).</param>
/// <param name="BulkMax">lambda_+ = sigma^2 (1 + 1/sqrt(Q))^2, in the units of the eigenvalues given.</param>
/// <param name="BulkMin">lambda_- = sigma^2 (1 - 1/sqrt(Q))^2, in the units of the eigenvalues given.</param>
/// <param name="NumSpikes">Eigenvalues above lambda_+ plus WeightWatcher's Tracy-Widom margin.</param>
/// <param name="SoftRank">WeightWatcher's mp_softrank: lambda_+ / lambda_max.</param>
public sealed record MarchenkoPasturFit(double Q, double Sigma, double BulkMax, double BulkMin, int NumSpikes, double SoftRank)
{
    const double Bandwidth = 0.1;
    const int DensityPoints = 1000;
    const double DensityFloor = 0.01;
    const double Penalty = 1000;

    /// <summary>
    /// Fits the MP law to the eigenvalues of matrices with long side <paramref name="n"/> and short side
    /// <paramref name="m"/>; null when there is nothing to fit (no positive eigenvalue).
    /// </summary>
    /// <remarks>
    /// As WeightWatcher does: the ESD is rescaled to mean 1 (its Wscale); the empirical density is a
    /// linear-kernel KDE (bandwidth 0.1) on 1000 points over [0, max + 0.5], points where it is below 0.01
    /// dropped; sigma minimises the squared difference between the MP density and that KDE, first on the grid
    /// sigma = (0.05, 0.06, ..., 1.99) * s0 with s0 = sqrt(lambda_max) / (1 + 1/sqrt(Q)) (scipy's brute), then
    /// polished by Nelder-Mead (scipy's fmin, which brute calls by default). For Q = 1 the quarter-circle law is
    /// fitted to the singular values instead. Spikes are the rescaled eigenvalues above lambda_+ + sqrt(TW),
    /// TW = Q^-1/2 lambda_+^(2/3) M^(-2/3).
    /// </remarks>
    public static MarchenkoPasturFit? Fit(ReadOnlySpan<double> eigenvalues, long n, long m)
    {
        if (eigenvalues.Length == 0 || n < 1 || m < 1) return null;
        double q = (double)Math.Max(n, m) / Math.Min(n, m);
        long shortSide = Math.Min(n, m);
        double sum = 0;
        foreach (var e in eigenvalues) sum += e;
        if (!(sum > 0) || !double.IsFinite(sum)) return null;

        double wscale = Math.Sqrt(eigenvalues.Length) / Math.Sqrt(sum);
        double scale2 = wscale * wscale;
        var rescaled = new double[eigenvalues.Length];
        double lambdaMax = double.NegativeInfinity;
        for (int k = 0; k < rescaled.Length; k++)
        {
            rescaled[k] = scale2 * eigenvalues[k];
            lambdaMax = Math.Max(lambdaMax, rescaled[k]);
        }

        var toFit = q == 1 ? rescaled.Select(x => Math.Sqrt(x)).ToArray() : rescaled;
        var density = new EmpiricalDensity(toFit);
        if (density.IsEmpty) return null;
        double invSqrtQ = 1.0 / Math.Sqrt(q);
        double s0 = Math.Sqrt(lambdaMax / ((1 + invSqrtQ) * (1 + invSqrtQ)));
        double Residual(double sigma) => density.SquaredResidual(sigma, q);

        double sigmaFit = NelderMead(Residual, GridMinimum(Residual, 0.05 * s0, 2.0 * s0, 0.01 * s0));

        // mp_fit writes 1/sqrt(Q) here where resid_mp writes sqrt(1/Q); kept apart so the last bits agree with it.
        double upper = sigmaFit * (1 + invSqrtQ), lower = sigmaFit * (1 - invSqrtQ);
        double bulkMax = upper * upper, bulkMin = lower * lower;
        double tracyWidom = 1 / Math.Sqrt(q) * Math.Pow(bulkMax, 2.0 / 3) * Math.Pow(shortSide, -2.0 / 3);
        double cutoff = bulkMax + Math.Sqrt(tracyWidom);
        int spikes = 0;
        foreach (var x in rescaled) if (x > cutoff) spikes++;
        return new MarchenkoPasturFit(q, sigmaFit, bulkMax / scale2, bulkMin / scale2, spikes, bulkMax / lambdaMax);
    }

    /// <summary>The first grid point with the smallest residual, the grid built as numpy.arange builds it.</summary>
    static double GridMinimum(Func<double, double> residual, double start, double stop, double step)
    {
        long count = (long)Math.Ceiling((stop - start) / step);
        double delta = (start + step) - start;
        double best = double.PositiveInfinity, bestX = start;
        for (long k = 0; k < count; k++)
        {
            double x = k switch { 0 => start, 1 => start + step, _ => start + k * delta };
            double r = residual(x);
            if (r < best) (best, bestX) = (r, x);
        }
        return bestX;
    }

    /// <summary>scipy.optimize.fmin in one dimension with its defaults (xtol = ftol = 1e-4, at most 200 evaluations).</summary>
    static double NelderMead(Func<double, double> f, double x0)
    {
        const double Tolerance = 1e-4;
        const int MaxCalls = 200;
        int calls = 0;
        bool Evaluate(double x, out double value)
        {
            value = double.NaN;
            if (calls >= MaxCalls) return false;
            calls++;
            value = f(x);
            return true;
        }

        double x1 = x0 != 0 ? 1.05 * x0 : 0.00025;
        if (!Evaluate(x0, out var f0) || !Evaluate(x1, out var f1)) return x0;
        double best = x0, worst = x1, fBest = f0, fWorst = f1;
        void Order()
        {
            if (fWorst < fBest) (best, worst, fBest, fWorst) = (worst, best, fWorst, fBest);
        }
        Order();
        for (int iteration = 1; calls < MaxCalls && iteration < MaxCalls; iteration++)
        {
            if (Math.Abs(worst - best) <= Tolerance && Math.Abs(fBest - fWorst) <= Tolerance) break;
            double centre = best;
            double reflected = 2 * centre - worst;
            if (!Evaluate(reflected, out var fReflected)) break;
            if (fReflected < fBest)
            {
                double expanded = 3 * centre - 2 * worst;
                if (!Evaluate(expanded, out var fExpanded)) break;
                (worst, fWorst) = fExpanded < fReflected ? (expanded, fExpanded) : (reflected, fReflected);
            }
            else
            {
                // In one dimension scipy's "fxr < fsim[-2]" test compares with the best point, so it never holds here.
                bool shrink;
                if (fReflected < fWorst)
                {
                    double outside = 1.5 * centre - 0.5 * worst;
                    if (!Evaluate(outside, out var fOutside)) break;
                    shrink = !(fOutside <= fReflected);
                    if (!shrink) (worst, fWorst) = (outside, fOutside);
                }
                else
                {
                    double inside = 0.5 * centre + 0.5 * worst;
                    if (!Evaluate(inside, out var fInside)) break;
                    shrink = !(fInside < fWorst);
                    if (!shrink) (worst, fWorst) = (inside, fInside);
                }
                if (shrink)
                {
                    worst = best + 0.5 * (worst - best);
                    if (!Evaluate(worst, out fWorst)) break;
                }
            }
            Order();
        }
        return best;
    }

    /// <summary>A linear-kernel KDE of the values on WeightWatcher's grid, and the MP residual against it.</summary>
    sealed class EmpiricalDensity
    {
        readonly double[] xs, ys;
        readonly double peakX, maxX;

        public bool IsEmpty => xs.Length == 0;

        public EmpiricalDensity(double[] values)
        {
            var sorted = values.Order().ToArray();
            double top = sorted[^1] + 0.5;
            var good = new List<(double X, double Y)>();
            for (int i = 0; i < DensityPoints; i++)
            {
                double x = Linspace(top, i);
                double y = Math.Exp(Math.Log(Kde(sorted, x)));
                // Points below the floor only add zeros to WeightWatcher's residual; they are left out here.
                if (y > DensityFloor) good.Add((x, y));
            }
            xs = good.Select(p => p.X).ToArray();
            ys = good.Select(p => p.Y).ToArray();
            if (xs.Length > 0)
            {
                int peak = 0;
                for (int i = 1; i < ys.Length; i++) if (ys[i] > ys[peak]) peak = i;
                peakX = xs[peak];
                maxX = xs.Max();
            }
        }

        /// <summary>numpy.linspace(0, top, 1000)[i].</summary>
        static double Linspace(double top, int i)
        {
            if (i == DensityPoints - 1) return top;
            double step = top / (DensityPoints - 1);
            return i * step;
        }

        /// <summary>sklearn's KernelDensity(kernel='linear', bandwidth=h) at x: (1 / (n h)) sum over |x - v| &lt; h of (1 - |x - v| / h).</summary>
        static double Kde(double[] sorted, double x)
        {
            int start = LowerBound(sorted, x - Bandwidth);
            double sum = 0;
            for (int k = start; k < sorted.Length && sorted[k] < x + Bandwidth; k++)
            {
                double distance = Math.Abs(x - sorted[k]);
                if (distance < Bandwidth) sum += 1 - distance / Bandwidth;
            }
            return sum / (sorted.Length * Bandwidth);
        }

        static int LowerBound(double[] sorted, double value)
        {
            int lo = 0, hi = sorted.Length;
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (sorted[mid] < value) lo = mid + 1;
                else hi = mid;
            }
            return lo;
        }

        /// <summary>resid_mp(sigma, allresid=False): the sum of squared differences; points of the penalty case count 1000 each.</summary>
        public double SquaredResidual(double sigma, double q)
        {
            double total = 0;
            if (q == 1)
            {
                for (int i = 0; i < xs.Length; i++)
                {
                    double model = NanToNum(1 / (Math.PI * sigma * sigma) * Math.Sqrt(4 - xs[i] * xs[i]));
                    double r = model - ys[i];
                    total += r * r;
                }
                return total;
            }
            double y = 1 / q;
            double upper = sigma * (1 + Math.Sqrt(1 / q)), lower = sigma * (1 - Math.Sqrt(1 / q));
            double b = upper * upper, a = lower * lower;
            if (b < peakX || b > maxX || a > peakX) return xs.Length * Penalty * Penalty;
            for (int i = 0; i < xs.Length; i++)
            {
                double x = xs[i];
                double model = NanToNum(1 / (2 * Math.PI * sigma * sigma * x * y) * Math.Sqrt((b - x) * (x - a)));
                double r = model - ys[i];
                total += r * r;
            }
            return total;
        }

        static double NanToNum(double value) =>
            double.IsNaN(value) ? 0 : double.IsPositiveInfinity(value) ? double.MaxValue : double.IsNegativeInfinity(value) ? double.MinValue : value;
    }
}
