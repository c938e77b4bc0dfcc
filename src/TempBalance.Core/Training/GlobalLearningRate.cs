namespace TempBalance.Core.Training;

static class GlobalLearningRate
{
    /// <summary>The learning rate used during epoch e (1-based): cosine from lr0 towards 0, step, or constant.</summary>
    public static Func<int, double> For(TrainingConfig config) => config.Schedule.ToLowerInvariant() switch
    {
        "constant" => _ => config.Lr,
        "step" => e => config.Lr * Math.Pow(0.1, (e - 1) / Math.Max(1, config.Epochs / 3)),
        _ => e => config.Lr * 0.5 * (1 + Math.Cos(Math.PI * (e - 1) / config.Epochs)),
    };
}
