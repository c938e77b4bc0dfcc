using TempBalance.Core.Training;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Components.Runs;

/// <summary>How far a run is: finished epochs plus the fraction of the current one, and what it is doing there.</summary>
public static class EpochProgress
{
    public static double Fraction(int epochs, int? completedEpochs, RunProgress? progress)
    {
        if (epochs <= 0) return 0;
        double done = Math.Max(0, completedEpochs ?? 0);
        // Progress of the epoch after the last stored one (epoch numbers start at 1).
        if (progress is { BatchesPerEpoch: > 0 } p && p.Epoch == (int)done + 1)
            done += p.Phase is TrainingPhase.Evaluating or TrainingPhase.SpectralAnalysis ? 1 : (double)p.Batch / p.BatchesPerEpoch;
        return Math.Clamp(done / epochs, 0, 1);
    }

    public static string Describe(int epochs, int? completedEpochs, RunProgress? progress)
    {
        var text = $"{completedEpochs ?? 0} of {epochs} epochs";
        // The epoch in progress: 0 (the initial weights' evaluation and analysis) until it is stored, then the next.
        int current = completedEpochs is { } done ? done + 1 : 0;
        if (progress is { } p && p.Epoch == current)
        {
            var epoch = p.Epoch == 0 ? "initial weights" : $"epoch {p.Epoch}";
            // After an epoch's last batch the test pass and the spectral analysis run for a while with no batch to
            // count: say so rather than show a frozen "batch 32/32".
            var doing = p.Phase switch
            {
                TrainingPhase.Evaluating => "evaluating on the test set",
                TrainingPhase.SpectralAnalysis => "spectral analysis of the layers",
                _ when p.BatchesPerEpoch > 0 && p.Epoch > 0 => $"batch {p.Batch}/{p.BatchesPerEpoch}",
                _ => null,
            };
            if (doing is not null) text += $" · {epoch}: {doing}";
        }
        if (progress?.EtaSeconds is { } eta) text += $" · ETA {RunFormat.Duration(eta)}";
        return text;
    }
}
