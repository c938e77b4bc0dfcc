using TempBalance.Core.Scheduling;

namespace TempBalance.Core.Spectral;

/// <summary>
/// Fits a power law p(x) ~ x^-alpha to the upper tail of sorted eigenvalues (method doc §2): Hill estimator
/// for alpha, Kolmogorov-Smirnov distance D against the empirical CDF j/n, and one of three xmin rules.
/// </summary>
/// <remarks>
/// The `ks` and `peak` scans get every alpha(i) in O(1) from suffix sums of ln(lambda). D(i) is the maximum
/// of |F(k) - E(k)| over the tail, where the model CDF F and the empirical CDF E both increase with k; so on
/// an index range [a, b] neither F - E nor E - F can exceed F(b) - E(a) or E(b) - F(a). The scan bisects the
/// tail depth-first and skips any range whose bound cannot beat the best value seen, and it stops a
/// candidate as soon as one point reaches the best D of the earlier candidates (that candidate cannot be
/// the first minimum). Both cuts are exact: the result is the maximum over every tail point of the same
/// computed terms, because rounding is monotone and the bounds are built from those computed values. In practice each
/// candidate costs O(log n) evaluations plus the points near its maximum: for the 4608 eigenvalues of a
/// ResNet18 layer4 conv the whole scan evaluated the model CDF 157 thousand times (34 per candidate)
/// where the brute-force scan needs 10.6 million (docs/benchmarks.md).
/// </remarks>
public static class PowerLawFitter
{
    const int PeakBins = 100;

    public static PowerLawFit Fit(ReadOnlySpan<double> sortedAscending, XminRule rule, int xminPos = 2, bool referencePeakLowerBound = false)
    {
        int count = sortedAscending.Length;
        if (count < 2) return PowerLawFit.Failed($"only {count} eigenvalue(s); a power-law fit needs at least 2");
        for (int k = 0; k < count; k++)
        {
            if (!double.IsFinite(sortedAscending[k])) return PowerLawFit.Failed($"eigenvalue {k} is {sortedAscending[k]}");
            if (k > 0 && sortedAscending[k] < sortedAscending[k - 1]) throw new ArgumentException("Eigenvalues must be sorted ascending.", nameof(sortedAscending));
        }
        return rule switch
        {
            XminRule.Median => FitMedian(sortedAscending, xminPos),
            XminRule.Ks => FitScan(sortedAscending, 0, count - 2),
            XminRule.Peak => FitPeak(sortedAscending, referencePeakLowerBound),
            _ => throw new ArgumentOutOfRangeException(nameof(rule), rule, "Unknown xmin rule."),
        };
    }

    /// <summary>Fits the tail that starts at index <paramref name="xminIndex"/> (no search).</summary>
    public static PowerLawFit FitAt(ReadOnlySpan<double> s, int xminIndex)
    {
        int n = s.Length - xminIndex;
        if (xminIndex < 0 || n < 2) return PowerLawFit.Failed($"the tail from index {xminIndex} has {Math.Max(n, 0)} eigenvalue(s); at least 2 are needed");
        double xmin = s[xminIndex];
        if (!(xmin > 0)) return PowerLawFit.Failed($"xmin = {xmin:G6} is not positive (zero eigenvalues in the tail)");
        double sumLog = 0;
        for (int k = xminIndex; k < s.Length; k++) sumLog += Math.Log(s[k] / xmin);
        if (!(sumLog > 0)) return PowerLawFit.Failed($"the {n} tail eigenvalues are all equal ({xmin:G6}); alpha is undefined");
        double alpha = 1 + n / sumLog;
        if (!double.IsFinite(alpha)) return PowerLawFit.Failed($"alpha is not finite (tail sum of logs {sumLog:G6})");
        double d = KsDistance(s, xminIndex, alpha);
        return new PowerLawFit(true, alpha, d, xmin, xminIndex, n, (alpha - 1) / Math.Sqrt(n), null);
    }

    static PowerLawFit FitMedian(ReadOnlySpan<double> s, int xminPos)
    {
        if (xminPos < 1) throw new ArgumentOutOfRangeException(nameof(xminPos), xminPos, "xmin_pos must be at least 1.");
        return FitAt(s, s.Length / xminPos);
    }

    static PowerLawFit FitPeak(ReadOnlySpan<double> s, bool referenceLowerBound)
    {
        int firstPositive = FirstPositive(s);
        if (firstPositive >= s.Length) return PowerLawFit.Failed("no positive eigenvalues");
        double lo = Math.Log10(s[firstPositive]), hi = Math.Log10(s[^1]);
        var counts = new int[PeakBins];
        double width = (hi - lo) / PeakBins;
        for (int k = firstPositive; k < s.Length; k++)
        {
            int bin = width > 0 ? (int)((Math.Log10(s[k]) - lo) / width) : 0;
            counts[Math.Clamp(bin, 0, PeakBins - 1)]++;
        }
        int peak = 0;
        for (int b = 1; b < PeakBins; b++) if (counts[b] > counts[peak]) peak = b;
        double peakValue = Math.Pow(10, lo + peak * width);
        double upper = 1.5 * peakValue;
        // The reference compares linear eigenvalues with a log10 value here (inherited from WeightWatcher).
        double lower = referenceLowerBound ? Math.Log10(0.95 * peakValue) : double.NegativeInfinity;
        int first = firstPositive;
        while (first < s.Length - 1 && s[first] < lower) first++;
        int last = first - 1;
        while (last + 1 < s.Length - 1 && s[last + 1] <= upper) last++;
        if (last < first) return PowerLawFit.Failed($"no xmin candidate between {lower:G6} and {upper:G6} (peak rule)");
        return FitScan(s, first, last);
    }

    /// <summary>Tries every xmin index in [first, last] and keeps the first one with the smallest D.</summary>
    static PowerLawFit FitScan(ReadOnlySpan<double> s, int first, int last)
    {
        int count = s.Length;
        first = Math.Max(first, FirstPositive(s));
        if (first > last || first > count - 2) return PowerLawFit.Failed("fewer than 2 positive eigenvalues; no tail to fit");

        var logs = new double[count];
        for (int k = first; k < count; k++) logs[k] = Math.Log(s[k]);
        // suffix[k] = sum of logs[k..count-1]
        var suffix = new double[count + 1];
        for (int k = count - 1; k >= first; k--) suffix[k] = suffix[k + 1] + logs[k];

        double bestD = double.PositiveInfinity, bestAlpha = 0;
        int bestIndex = -1, hint = -1;
        for (int i = first; i <= last; i++)
        {
            int n = count - i;
            double sumLog = suffix[i] - n * logs[i];
            if (!(sumLog > 0)) continue;
            double alpha = 1 + n / sumLog;
            if (!double.IsFinite(alpha)) continue;
            double d = KsDistanceBelow(logs, i, alpha, bestD, ref hint);
            if (d < bestD) { bestD = d; bestAlpha = alpha; bestIndex = i; }
        }
        if (bestIndex < 0) return PowerLawFit.Failed("every candidate tail has equal eigenvalues; alpha is undefined");
        int tail = count - bestIndex;
        return new PowerLawFit(true, bestAlpha, bestD, s[bestIndex], bestIndex, tail, (bestAlpha - 1) / Math.Sqrt(tail), null);
    }

    static int FirstPositive(ReadOnlySpan<double> s)
    {
        int k = 0;
        while (k < s.Length && !(s[k] > 0)) k++;
        return k;
    }

    /// <summary>D(i) by direct evaluation of every tail point.</summary>
    static double KsDistance(ReadOnlySpan<double> s, int i, double alpha)
    {
        int n = s.Length - i;
        double xmin = s[i], d = 0;
        for (int j = 0; j < n; j++)
            d = Math.Max(d, Math.Abs(1 - Math.Pow(s[i + j] / xmin, 1 - alpha) - (double)j / n));
        return d;
    }

    /// <summary>
    /// D(i) for the scans: exact when it is below <paramref name="cutoff"/>; otherwise some value &gt;= cutoff.
    /// Uses exp((1 - alpha)(ln lambda_k - ln xmin)) for (lambda_k / xmin)^(1 - alpha).
    /// </summary>
    /// <param name="hint">Where the previous candidate's maximum was (it moves little between neighbours, so it
    /// usually rejects a candidate at once); updated to this candidate's.</param>
    static double KsDistanceBelow(double[] logs, int i, double alpha, double cutoff, ref int hint)
    {
        var search = new TailSearch(logs, i, alpha, cutoff);
        int lastIndex = logs.Length - 1;
        if (hint > i && hint < lastIndex) search.Consider(hint, search.Cdf(hint));
        double fFirst = search.Cdf(i), fLast = search.Cdf(lastIndex);
        search.Consider(i, fFirst);
        search.Consider(lastIndex, fLast);
        if (search.Best < cutoff) search.Explore(i, fFirst, lastIndex, fLast);
        hint = search.BestIndex;
        return search.Best;
    }

    struct TailSearch(double[] logs, int start, double alpha, double cutoff)
    {
        readonly double beta = 1 - alpha, logXmin = logs[start], invN = 1.0 / (logs.Length - start);
        public double Best;
        public int BestIndex;

        public readonly double Cdf(int k) => 1 - Math.Exp(beta * (logs[k] - logXmin));

        readonly double Empirical(int k) => (k - start) * invN;

        public void Consider(int k, double f)
        {
            double d = Math.Abs(f - Empirical(k));
            if (d > Best) (Best, BestIndex) = (d, k);
        }

        /// <summary>Both endpoints are already considered; looks at the points strictly between them.</summary>
        public void Explore(int a, double fa, int b, double fb)
        {
            if (b - a < 2 || Best >= cutoff) return;
            double bound = Math.Max(fb - Empirical(a), Empirical(b) - fa);
            if (bound <= Best) return;
            int m = a + (b - a) / 2;
            double fm = Cdf(m);
            Consider(m, fm);
            // The half with the larger bound first, so the other is more likely to be cut.
            double left = Math.Max(fm - Empirical(a), Empirical(m) - fa);
            double right = Math.Max(fb - Empirical(m), Empirical(b) - fm);
            if (left >= right)
            {
                Explore(a, fa, m, fm);
                Explore(m, fm, b, fb);
            }
            else
            {
                Explore(m, fm, b, fb);
                Explore(a, fa, m, fm);
            }
        }
    }
}
