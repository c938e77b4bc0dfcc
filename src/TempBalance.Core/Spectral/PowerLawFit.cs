namespace TempBalance.Core.Spectral;

/// <summary>
/// A power-law fit of an eigenvalue tail (method doc §2). A failed fit has <see cref="Succeeded"/> false, a
/// reason in <see cref="Error"/>, zeros for Alpha, D, Xmin, Sigma and TailSize, and XminIndex -1, so no NaN
/// can leak into learning rates; always check <see cref="Succeeded"/> before using the numbers.
/// </summary>
public sealed record PowerLawFit(
    bool Succeeded, double Alpha, double D, double Xmin, int XminIndex, int TailSize, double Sigma, string? Error)
{
    public static PowerLawFit Failed(string reason) => new(false, 0, 0, 0, -1, 0, 0, reason);
}
