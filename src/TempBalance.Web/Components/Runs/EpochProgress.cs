using TempBalance.Web.Runs;

namespace TempBalance.Web.Components.Runs;

/// <summary>How far a run is: finished epochs plus the fraction of the current one.</summary>
public static class EpochProgress
{
    public static double Fraction(int epochs, int? completedEpochs, RunProgress? progress)
    {
        if (epochs <= 0) return 0;
        double done = Math.Max(0, completedEpochs ?? 0);
        // Progress of the epoch after the last stored one (epoch numbers start at 1).
        if (progress is { BatchesPerEpoch: > 0 } p && p.Epoch == (int)done + 1)
            done += (double)p.Batch / p.BatchesPerEpoch;
        return Math.Clamp(done / epochs, 0, 1);
    }

    public static string Describe(int epochs, int? completedEpochs, RunProgress? progress)
    {
        var text = $"{completedEpochs ?? 0} of {epochs} epochs";
        if (progress is { BatchesPerEpoch: > 0 } p && p.Epoch == (completedEpochs ?? 0) + 1)
            text += $" · epoch {p.Epoch}: batch {p.Batch}/{p.BatchesPerEpoch}";
        if (progress?.EtaSeconds is { } eta) text += $" · ETA {RunFormat.Duration(eta)}";
        return text;
    }
}
