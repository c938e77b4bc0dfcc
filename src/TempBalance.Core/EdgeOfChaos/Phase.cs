namespace TempBalance.Core.EdgeOfChaos;

/// <summary>The phases of a tanh layer in the (J0/J, 1/J) diagram (docs/edge-of-chaos-method.md §2).</summary>
public enum Phase
{
    /// <summary>Ordered, u = q = 0: every input decays to the same quiet state (1/J &gt; 1 and |J0/J| &lt; 1/J).</summary>
    Paramagnetic,

    /// <summary>Ordered with a non-zero mean activation u (J0/J &gt; 0, right of the edge of chaos).</summary>
    Ferromagnetic,

    /// <summary>
    /// Ordered with a mean activation that alternates in sign each step: the mirror image of
    /// <see cref="Ferromagnetic"/> for J0/J &lt; 0 (outside the seed's window J0/J &gt;= -1).
    /// </summary>
    Antiferromagnetic,

    /// <summary>
    /// Chaotic (chi &gt; 1): nearby inputs separate. It includes the narrow mixed region where u != 0 (between
    /// the magnetization-onset curve and the edge of chaos for 1/J &lt; 1).
    /// </summary>
    SpinGlass,
}

/// <summary>One point of the phase diagram.</summary>
public readonly record struct PhasePoint(double J0OverJ, double InverseJ);

public enum BoundaryKind
{
    /// <summary>chi = 1: the order/chaos boundary, 1/J = 1 for |J0/J| &lt;= 1 and a curve to larger |J0/J| below.</summary>
    EdgeOfChaos,

    /// <summary>
    /// Where the stable state acquires u != 0: the paramagnetic/ferromagnetic boundary |J0/J| = 1/J above
    /// 1/J = 1, continued below 1/J = 1 inside the chaotic phase (spin glass vs mixed, both chaotic).
    /// </summary>
    MagnetizationOnset,
}

/// <summary>A boundary curve (one connected piece inside the diagram's window), ordered along the curve.</summary>
public sealed record PhaseBoundary(BoundaryKind Kind, IReadOnlyList<PhasePoint> Points);

public static class PhaseExtensions
{
    public static bool IsChaotic(this Phase phase) => phase == Phase.SpinGlass;
}
