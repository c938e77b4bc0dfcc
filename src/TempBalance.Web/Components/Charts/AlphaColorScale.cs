using System.Globalization;

namespace TempBalance.Web.Components.Charts;

/// <summary>
/// The colours of the alpha heatmap. The limits are robust (the 2nd and 98th percentile of the alphas drawn), so one
/// outlier (a layer whose fit gave alpha 40) cannot squeeze every other layer into one colour; cells beyond them take
/// the end colours and the colour bar's end labels say so (≤, ≥). The HT-SR band is marked by hue, with sharp edges
/// at 2 and 6: heavy-tailed (alpha &lt; 2) orange, well-trained (2 to 6) green, under-trained (&gt; 6) blue, the
/// hues of the layer table's HT-SR chips. Inside the band the greens have fixed values (alpha 4 is the same green in
/// every run); outside, each ramp spans from its edge to the limit.
/// </summary>
public sealed record AlphaColorScale(double Min, double Max, bool ClippedBelow, bool ClippedAbove, IReadOnlyList<object[]> Colors,
    IReadOnlyList<double> TickValues, IReadOnlyList<string> TickTexts)
{
    public const double HeavyTailedBelow = 2, UnderTrainedAbove = 6;

    // Dark to light orange up to 2; dark green at 2 through light green at 6 (fixed); light to dark blue above 6.
    const string HeavyFar = "#7f2704", HeavyNear = "#fdae6b";
    static readonly (double Alpha, string Color)[] Band = [(2, "#00552e"), (4, "#41ab5d"), (6, "#d9f0a3")];
    const string UnderNear = "#c6dbef", UnderFar = "#08306b";

    /// <summary>The limits (the range of the alphas when no percentile is set) and colours for these alphas.</summary>
    public static AlphaColorScale For(IReadOnlyCollection<double> alphas)
    {
        var sorted = alphas.Where(double.IsFinite).Order().ToArray();
        double min, max;
        if (sorted.Length == 0) (min, max) = (1.5, 6.5);
        else
        {
            min = Percentile(sorted, 0.02);
            max = Percentile(sorted, 0.98);
        }
        // A flat run (every alpha about equal) still gets a readable range around it.
        if (max - min < 0.5) (min, max) = ((min + max) / 2 - 0.25, (min + max) / 2 + 0.25);
        min = Math.Floor(min * 10) / 10;
        max = Math.Ceiling(max * 10) / 10;
        bool below = sorted.Length > 0 && sorted[0] < min, above = sorted.Length > 0 && sorted[^1] > max;
        var (tickValues, tickTexts) = Ticks(min, max, below, above);
        return new AlphaColorScale(min, max, below, above, Stops(min, max), tickValues, tickTexts);
    }

    /// <summary>True when these alphas would move a limit by more than a tenth of the range: worth redrawing for.</summary>
    public bool Differs(AlphaColorScale other) =>
        Math.Abs(other.Min - Min) > 0.1 * (Max - Min) || Math.Abs(other.Max - Max) > 0.1 * (Max - Min);

    // Nearest rank: a value that occurs, so the limit is an alpha some layer really had.
    static double Percentile(double[] sorted, double q) => sorted[(int)Math.Round(q * (sorted.Length - 1))];

    static List<object[]> Stops(double min, double max)
    {
        double At(double alpha) => (alpha - min) / (max - min);
        var stops = new List<object[]>();
        void Add(double alpha, string color) => stops.Add([Math.Clamp(At(alpha), 0, 1), color]);
        if (min < HeavyTailedBelow)
        {
            var end = Math.Min(max, HeavyTailedBelow);
            Add(min, HeavyFar);
            Add(end, Mix(HeavyFar, HeavyNear, (end - min) / (HeavyTailedBelow - min)));
        }
        double from = Math.Max(min, HeavyTailedBelow), to = Math.Min(max, UnderTrainedAbove);
        if (from < to)
        {
            // Two stops at 2 (and at 6): plotly then changes colour there at once, which marks the band's edges.
            Add(from, BandColor(from));
            foreach (var (alpha, color) in Band.Where(b => b.Alpha > from && b.Alpha < to)) Add(alpha, color);
            Add(to, BandColor(to));
        }
        if (max > UnderTrainedAbove)
        {
            var start = Math.Max(min, UnderTrainedAbove);
            Add(start, Mix(UnderNear, UnderFar, (start - UnderTrainedAbove) / (max - UnderTrainedAbove)));
            Add(max, UnderFar);
        }
        return stops;
    }

    static string BandColor(double alpha)
    {
        for (var i = 1; i < Band.Length; i++)
            if (alpha <= Band[i].Alpha)
                return Mix(Band[i - 1].Color, Band[i].Color, (alpha - Band[i - 1].Alpha) / (Band[i].Alpha - Band[i - 1].Alpha));
        return Band[^1].Color;
    }

    static (double[], string[]) Ticks(double min, double max, bool below, bool above)
    {
        var values = new List<double> { min };
        // A band edge right next to a limit would print over it: the edge's colour change shows it anyway.
        foreach (var edge in new[] { HeavyTailedBelow, UnderTrainedAbove })
            if (edge > min + 0.08 * (max - min) && edge < max - 0.08 * (max - min)) values.Add(edge);
        values.Add(max);
        var texts = values.Select(v => (v == min && below ? "≤ " : v == max && above ? "≥ " : "") + v.ToString("0.#", CultureInfo.InvariantCulture)).ToArray();
        return ([.. values], texts);
    }

    static string Mix(string a, string b, double t)
    {
        t = Math.Clamp(t, 0, 1);
        int Channel(string hex, int i) => Convert.ToInt32(hex.Substring(1 + 2 * i, 2), 16);
        var rgb = Enumerable.Range(0, 3).Select(i => (int)Math.Round(Channel(a, i) + (Channel(b, i) - Channel(a, i)) * t));
        return "#" + string.Concat(rgb.Select(c => c.ToString("x2", CultureInfo.InvariantCulture)));
    }
}
