using System.Globalization;
using TempBalance.Core.Scheduling;

namespace TempBalance.Core.Training;

/// <summary>A recipe in words, as the run page, the CLI and the runs table name it: "TB + SNR (sg 0.001) on SGD, cosine".</summary>
public static class RecipeText
{
    public static string Describe(TrainingConfig config)
    {
        var parts = new List<string>();
        if (config.TempBalance.Enabled)
            parts.Add($"TB (×{Number(config.TempBalance.MinRatio)}–×{Number(config.TempBalance.MaxRatio)})");
        if (config.Snr is { } snr) parts.Add($"SNR (sg {Number(snr.Coefficient)})");
        if (config.Lookahead is { } lookahead) parts.Add($"Lookahead (k {lookahead.K}, α {Number(lookahead.Alpha)})");
        if (config.Lawn is { } lawn) parts.Add($"LAWN ({lawn.FreeEpochs} free {(lawn.FreeEpochs == 1 ? "epoch" : "epochs")})");
        var optimizer = OptimizerName(config.Optimizer.Kind);
        var recipe = parts.Count == 0 ? optimizer : $"{string.Join(" + ", parts)} on {optimizer}";
        return $"{recipe}, {Schedule(config)}";
    }

    public static string OptimizerName(OptimizerKind kind) => kind switch
    {
        OptimizerKind.Sgd => "SGD",
        OptimizerKind.Adam => "Adam",
        OptimizerKind.AdamW => "AdamW",
        OptimizerKind.Sgdp => "SGDP",
        OptimizerKind.Lars => "LARS",
        OptimizerKind.Lamb => "LAMB",
        _ => kind.ToString(),
    };

    static string Schedule(TrainingConfig config)
    {
        var schedule = config.Schedule == ScheduleKind.Sgdr
            ? $"SGDR (T0 {config.Sgdr.T0 ?? GlobalSchedule.DefaultRestartPeriod(config.Epochs, config.WarmupEpochs)}, T_mult {config.Sgdr.TMult})"
            : config.Schedule.ToString().ToLowerInvariant();
        return config.WarmupEpochs > 0 ? $"{schedule} after {config.WarmupEpochs} warm-up epochs" : schedule;
    }

    static string Number(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
