namespace TempBalance.Core.EdgeOfChaos;

/// <summary>Brent's root finder (bisection safeguarded by secant and inverse quadratic steps).</summary>
static class Brent
{
    const double MachineEpsilon = 2.220446049250313e-16;

    /// <summary>
    /// A root of <paramref name="f"/> in [a, b], where f(a) and f(b) differ in sign (or one is zero), to an
    /// absolute tolerance of <paramref name="tolerance"/> plus a few ulp of the root.
    /// </summary>
    public static double Root(Func<double, double> f, double a, double b, double tolerance, int maxIterations = 200)
    {
        double fa = f(a), fb = f(b);
        if (fa == 0) return a;
        if (fb == 0) return b;
        if (!(Math.Sign(fa) != Math.Sign(fb)))
            throw new ArgumentException($"The root is not bracketed: f({a:G6}) = {fa:G6}, f({b:G6}) = {fb:G6}.");
        double c = a, fc = fa, d = b - a, e = d;
        for (int iteration = 0; iteration < maxIterations; iteration++)
        {
            if (Math.Sign(fb) == Math.Sign(fc))
            {
                c = a; fc = fa; d = b - a; e = d;
            }
            if (Math.Abs(fc) < Math.Abs(fb))
            {
                a = b; b = c; c = a;
                fa = fb; fb = fc; fc = fa;
            }
            double tol = 2 * MachineEpsilon * Math.Abs(b) + tolerance / 2;
            double mid = (c - b) / 2;
            if (Math.Abs(mid) <= tol || fb == 0) return b;
            if (Math.Abs(e) >= tol && Math.Abs(fa) > Math.Abs(fb))
            {
                double s = fb / fa, p, q;
                if (a == c)
                {
                    p = 2 * mid * s;
                    q = 1 - s;
                }
                else
                {
                    double r = fb / fc, t = fa / fc;
                    p = s * (2 * mid * t * (t - r) - (b - a) * (r - 1));
                    q = (t - 1) * (r - 1) * (s - 1);
                }
                if (p > 0) q = -q; else p = -p;
                if (2 * p < Math.Min(3 * mid * q - Math.Abs(tol * q), Math.Abs(e * q)))
                {
                    e = d;
                    d = p / q;
                }
                else
                {
                    d = mid; e = d;
                }
            }
            else
            {
                d = mid; e = d;
            }
            a = b; fa = fb;
            b += Math.Abs(d) > tol ? d : (mid > 0 ? tol : -tol);
            fb = f(b);
        }
        return b;
    }
}
