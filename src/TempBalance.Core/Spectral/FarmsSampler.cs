using static TorchSharp.torch;

namespace TempBalance.Core.Spectral;

/// <summary>One FARMS window: rows [Row, Row + Rows) and columns [Column, Column + Columns) of a matrix whose rows are its short side.</summary>
public readonly record struct FarmsWindow(long Row, long Column, long Rows, long Columns);

/// <summary>
/// FARMS (Fixed-Aspect-Ratio Matrix Subsampling; Hu, Goel, Killiakov, Yang, "Eigenspectrum Analysis of Neural
/// Networks without Aspect Ratio Bias", ICML 2025, arXiv 2506.06280): a matrix's ESD depends on its aspect
/// ratio even when its entries are i.i.d., so alphas of differently shaped layers are not comparable. FARMS
/// instead pools the eigenvalues of overlapping submatrices that all have one fixed aspect ratio and fits
/// the power law to that pooled ("averaged") ESD.
/// </summary>
/// <remarks>
/// Defaults are the authors' (their sliding-window sampler with a fixed number of windows per dimension):
/// windows of <see cref="WindowRows"/> x <see cref="AspectRatio"/> * <see cref="WindowRows"/> (100 x 200),
/// <see cref="WindowsPerSide"/> (10) evenly spaced start positions along each side, so up to 100 windows.
/// Two deliberate differences from their code, both so the aspect ratio really stays fixed: the matrix is
/// first oriented so its short side is the rows (their code slices [out, in] as is, and a window taller or
/// wider than the matrix was silently clipped), and a matrix too small for 100 x 200 windows gets the
/// largest m x 2m windows that fit (m = min(100, short side, long side / 2)). A matrix with a long side
/// below the aspect ratio (m &lt; 1) is used whole. Conv layers: every kernel-position matrix is windowed
/// the same way and all windows' eigenvalues are pooled (their code averages the alphas of row blocks).
/// </remarks>
public static class FarmsSampler
{
    public const int WindowRows = 100;
    public const double AspectRatio = 2.0;
    public const int WindowsPerSide = 10;

    /// <summary>The windows of a rows x cols matrix, in the frame where the short side is the rows (transpose first when rows &gt; cols).</summary>
    public static IReadOnlyList<FarmsWindow> Windows(long rows, long cols)
    {
        long shortSide = Math.Min(rows, cols), longSide = Math.Max(rows, cols);
        long m = Math.Min(Math.Min(WindowRows, shortSide), (long)Math.Floor(longSide / AspectRatio));
        if (m < 1) return [new FarmsWindow(0, 0, shortSide, longSide)];
        long n = (long)Math.Floor(AspectRatio * m);
        var windows = new List<FarmsWindow>();
        foreach (var r in Starts(shortSide, m))
            foreach (var c in Starts(longSide, n))
                windows.Add(new FarmsWindow(r, c, m, n));
        return windows;
    }

    /// <summary>Evenly spaced start positions of windows of <paramref name="width"/> along a side of <paramref name="length"/>.</summary>
    static IEnumerable<long> Starts(long length, long width)
    {
        long slack = length - width;
        long step = Math.Max(1, slack / (WindowsPerSide - 1));
        long count = Math.Min(WindowsPerSide, slack / step + 1);
        for (long i = 0; i < count; i++) yield return Math.Min(i * step, slack);
    }

    /// <summary>Every window of every matrix of a [B, rows, cols] stack, as one [B * windows, m, n] stack (a copy).</summary>
    public static Tensor Sample(Tensor stack)
    {
        var oriented = stack.shape[1] > stack.shape[2] ? stack.mT : stack;
        var windows = Windows(stack.shape[1], stack.shape[2]);
        var parts = windows.Select(w => oriented.narrow(1, w.Row, w.Rows).narrow(2, w.Column, w.Columns)).ToArray();
        return parts.Length == 1 ? parts[0].contiguous() : cat(parts, 0);
    }
}
