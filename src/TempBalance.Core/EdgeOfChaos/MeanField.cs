namespace TempBalance.Core.EdgeOfChaos;

/// <summary>
/// The mean-field fixed point of the tanh map x -> tanh(W x) at one point of the phase diagram
/// (docs/edge-of-chaos-method.md §2).
/// </summary>
/// <param name="MeanActivation">u = mean of x (the magnetization). For J0/J &lt; 0 it is the amplitude of a mean that
/// alternates in sign from one step to the next.</param>
/// <param name="MeanSquaredActivation">q = mean of x^2.</param>
/// <param name="PerturbationGain">chi = J^2 E[sech^4(h)]: the factor by which the squared length of a small
/// perturbation grows per step. Above 1 the dynamics is chaotic, below 1 ordered; 1 is the edge of chaos.</param>
public readonly record struct MeanFieldState(double MeanActivation, double MeanSquaredActivation, double PerturbationGain);

/// <summary>
/// Mean-field theory of x -> tanh(W x) for N x N weights with mean J0/N and standard deviation J/sqrt(N), the
/// equations of the seed's 1.Theoretical_boundary/run_tanh.m, in the coordinates (J0/J, 1/J) of its phase
/// diagram. The pre-activation of a unit is Gaussian, h = J0 u + J sqrt(q) z, and the fixed point solves
/// u = E[tanh h], q = E[tanh^2 h]; the order/chaos criterion is chi = J^2 E[sech^4 h] = 1.
/// </summary>
/// <remarks>
/// The equations are symmetric under J0 -> -J0 with u -> (-1)^t u (tanh is odd), so a negative J0/J has the
/// phases of |J0/J| with a mean activation that alternates in sign each step.
/// </remarks>
public static class MeanField
{
    const double Tolerance = 1e-14;

    /// <summary>The stable fixed point reached from the fully saturated state u = q = 1.</summary>
    public static MeanFieldState Solve(double j0OverJ, double inverseJ)
    {
        CheckPoint(j0OverJ, inverseJ);
        double j = 1 / inverseJ, j0 = Math.Abs(j0OverJ) / inverseJ;
        // With J <= 1 and |J0| <= 1 both maps contract to the quiet state (|tanh a| <= |a|).
        if (j <= 1 && j0 <= 1) return new MeanFieldState(0, 0, j * j);

        double u = 1, q = 1;
        // Plain iteration first: it follows the stable branch (Newton could converge to the unstable u = 0
        // branch from the wrong side); Newton then removes the critical slowing down near the boundaries.
        for (int step = 0; step < 200; step++)
        {
            var m = TanhGaussian.Average(j0 * u, j * Math.Sqrt(q));
            double du = m.Tanh - u, dq = m.Tanh2 - q;
            u = m.Tanh;
            q = m.Tanh2;
            if (Math.Max(Math.Abs(du), Math.Abs(dq)) < Tolerance) break;
        }
        for (int step = 0; step < 100; step++)
        {
            var m = TanhGaussian.Average(j0 * u, j * Math.Sqrt(q));
            double fu = m.Tanh - u, fq = m.Tanh2 - q;
            double residual = Math.Max(Math.Abs(fu), Math.Abs(fq));
            if (residual < Tolerance) break;
            // Jacobian of the map minus the identity; the q derivatives use Stein's lemma,
            // d/dq E[f(a + b sqrt(q) z)] = (b^2 / 2) E[f''(h)], which is finite at q = 0.
            double a11 = j0 * m.Sech2 - 1, a12 = -j * j * m.TanhSech2;
            double a21 = 2 * j0 * m.TanhSech2, a22 = j * j * (m.Sech4 - 2 * m.Tanh2Sech2) - 1;
            double det = a11 * a22 - a12 * a21;
            double du = -(a22 * fu - a12 * fq) / det, dq = -(a11 * fq - a21 * fu) / det;
            bool accepted = false;
            // Backtracking keeps q in [0, 1]; u may change sign (u and -u are mirror solutions for J0 >= 0).
            for (double scale = 1; scale > 1e-3 && double.IsFinite(du) && double.IsFinite(dq); scale /= 2)
            {
                double nu = u + scale * du, nq = q + scale * dq;
                if (!(nq >= 0 && nq <= 1)) continue;
                var check = TanhGaussian.Average(j0 * nu, j * Math.Sqrt(nq));
                if (Math.Max(Math.Abs(check.Tanh - nu), Math.Abs(check.Tanh2 - nq)) < residual)
                {
                    (u, q, accepted) = (nu, nq, true);
                    break;
                }
            }
            if (!accepted) (u, q) = (m.Tanh, m.Tanh2);
        }
        u = Math.Abs(u);
        var final = TanhGaussian.Average(j0 * u, j * Math.Sqrt(q));
        return new MeanFieldState(u, q, j * j * final.Sech4);
    }

    /// <summary>
    /// The |J0/J| below which the model at this 1/J is chaotic (chi &gt; 1): 1 as 1/J approaches 1 from below,
    /// growing as 1/J falls. Zero for 1/J &gt;= 1, where no chaotic phase exists. Computed from scratch
    /// (milliseconds); <see cref="PhaseDiagram.EdgeOfChaosJ0OverJ"/> interpolates a cached curve.
    /// </summary>
    public static double EdgeOfChaosJ0OverJ(double inverseJ)
    {
        CheckPoint(0, inverseJ);
        if (inverseJ >= 1) return 0;
        return EdgePointAt(inverseJ, 0, 0).Point.J0OverJ;
    }

    /// <summary>
    /// The |J0/J| beyond which the stable fixed point has u != 0: 1/J itself for 1/J &gt;= 1 (the paramagnetic /
    /// ferromagnetic boundary J0 = 1), a curve from 1 to sqrt(pi/2) below (inside the chaotic phase).
    /// </summary>
    public static double MagnetizationOnsetJ0OverJ(double inverseJ)
    {
        CheckPoint(0, inverseJ);
        if (inverseJ >= 1) return inverseJ;
        double sigma = Brent.Root(s => MagnetizationOnsetAtFieldStd(s).InverseJ - inverseJ,
            LowerFieldStd(inverseJ, s => MagnetizationOnsetAtFieldStd(s).InverseJ), UpperFieldStd(inverseJ), 1e-15);
        return MagnetizationOnsetAtFieldStd(sigma).J0OverJ;
    }

    /// <summary>
    /// The edge-of-chaos point (J0/J &gt;= 1, 1/J &lt; 1) on the magnetized branch whose pre-activation has standard
    /// deviation sigma = J sqrt(q). In the field variables mu = J0 u and sigma the equations are explicit:
    /// chi = 1 and q = sigma^2 / J^2 give sigma^2 E[sech^4] = E[tanh^2], one equation for mu (its left side
    /// falls and its right side grows with mu); then 1/J = sqrt(E[sech^4]) and J0/J = mu / (J u).
    /// </summary>
    internal static (PhasePoint Point, double Mu) EdgePointAtFieldStd(double sigma)
    {
        double mu = Brent.Root(m =>
        {
            var moments = TanhGaussian.Average(m, sigma);
            return sigma * sigma * moments.Sech4 - moments.Tanh2;
        }, 0, 10 * sigma + 10, 1e-15);
        var at = TanhGaussian.Average(mu, sigma);
        double inverseJ = Math.Sqrt(at.Sech4);
        return (new PhasePoint(J0OverJOnEdge(mu, at.Tanh, inverseJ), inverseJ), mu);
    }

    /// <summary>
    /// The edge-of-chaos point at 1/J (0 &lt; 1/J &lt; 1) with its field mean mu and spread sigma: Newton's method on
    /// E[sech^4] = 1/J^2, E[tanh^2] = sigma^2 / J^2 from (<paramref name="muStart"/>, <paramref name="sigmaStart"/>)
    /// (the previous point of a trace; sigmaStart 0 for none), else a bracketing search for sigma over
    /// <see cref="EdgePointAtFieldStd"/>, robust but about forty times as many averages.
    /// </summary>
    internal static (PhasePoint Point, double Mu, double Sigma) EdgePointAt(double inverseJ, double muStart, double sigmaStart)
    {
        if (sigmaStart > 0 && EdgeByNewton(inverseJ, muStart, sigmaStart) is { } solved) return solved;
        double sigma = Brent.Root(s => EdgePointAtFieldStd(s).Point.InverseJ - inverseJ,
            LowerFieldStd(inverseJ, s => EdgePointAtFieldStd(s).Point.InverseJ), UpperFieldStd(inverseJ), 1e-14);
        var (point, mu) = EdgePointAtFieldStd(sigma);
        return (point, mu, sigma);
    }

    static (PhasePoint Point, double Mu, double Sigma)? EdgeByNewton(double inverseJ, double mu, double sigma)
    {
        double y2 = inverseJ * inverseJ;
        for (int step = 0; step < 30; step++)
        {
            var m = TanhGaussian.Average(mu, sigma);
            double f1 = m.Sech4 - y2, f2 = m.Tanh2 - sigma * sigma * y2;
            // d/dmu E[f(h)] = E[f'(h)] and d/dsigma E[f(h)] = sigma E[f''(h)] (Stein's lemma), with
            // (sech^4)' = -4 tanh sech^4, (sech^4)'' = -4 sech^6 + 16 tanh^2 sech^4,
            // (tanh^2)' = 2 tanh sech^2, (tanh^2)'' = 2 sech^4 - 4 tanh^2 sech^2.
            double a11 = -4 * m.TanhSech4, a12 = sigma * (16 * m.Tanh2Sech4 - 4 * m.Sech6);
            double a21 = 2 * m.TanhSech2, a22 = sigma * (2 * m.Sech4 - 4 * m.Tanh2Sech2) - 2 * sigma * y2;
            double det = a11 * a22 - a12 * a21;
            double dMu = -(a22 * f1 - a12 * f2) / det, dSigma = -(a11 * f2 - a21 * f1) / det;
            mu += dMu;
            sigma += dSigma;
            if (!(double.IsFinite(mu) && double.IsFinite(sigma) && mu >= 0 && sigma > 0)) return null;
            if (Math.Abs(dMu) <= 1e-14 * (1 + mu) && Math.Abs(dSigma) <= 1e-14 * (1 + sigma))
            {
                var at = TanhGaussian.Average(mu, sigma);
                if (Math.Abs(at.Sech4 - y2) > 1e-12 * y2) return null;
                return (new PhasePoint(J0OverJOnEdge(mu, at.Tanh, inverseJ), inverseJ), mu, sigma);
            }
        }
        return null;
    }

    // As sigma -> 0, mu and u vanish together (mu ~ 1.15 sigma^3) and J0/J -> 1.
    static double J0OverJOnEdge(double mu, double u, double inverseJ) => u > 0 ? mu * inverseJ / u : 1;

    /// <summary>
    /// The magnetization-onset point below 1/J = 1 whose pre-activation std is sigma: on the u = 0 branch
    /// q = E[tanh^2(sigma z)] and J = sigma / sqrt(q); u = 0 turns unstable where J0 E[sech^2(sigma z)] = 1.
    /// </summary>
    internal static PhasePoint MagnetizationOnsetAtFieldStd(double sigma)
    {
        var m = TanhGaussian.Average(0, sigma);
        double inverseJ = Math.Sqrt(m.Tanh2) / sigma;
        return new PhasePoint(inverseJ / m.Sech2, inverseJ);
    }

    /// <summary>A sigma whose point lies above 1/J (near 1 both curves have 1/J ~ 1 - sigma^2).</summary>
    static double LowerFieldStd(double inverseJ, Func<double, double> inverseJOf)
    {
        double sigma = 0.5 * Math.Sqrt((1 - inverseJ * inverseJ) / 2);
        while (inverseJOf(sigma) <= inverseJ) sigma /= 2;
        return sigma;
    }

    /// <summary>A sigma whose point lies below 1/J: for large sigma both curves have 1/J ~ 1/sigma.</summary>
    static double UpperFieldStd(double inverseJ) => 2 / inverseJ + 1;

    internal static void CheckPoint(double j0OverJ, double inverseJ)
    {
        if (!double.IsFinite(j0OverJ)) throw new ArgumentOutOfRangeException(nameof(j0OverJ), j0OverJ, "J0/J must be finite.");
        if (!(inverseJ > 0 && double.IsFinite(inverseJ))) throw new ArgumentOutOfRangeException(nameof(inverseJ), inverseJ, "1/J must be positive and finite.");
    }
}
