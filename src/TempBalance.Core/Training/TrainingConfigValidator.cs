using TempBalance.Core.Data;
using TempBalance.Core.Models;
using TempBalance.Core.Scheduling;

namespace TempBalance.Core.Training;

/// <summary>One problem with a configuration: the camelCase JSON path of the field and what to change.</summary>
public sealed record ConfigError(string Field, string Message);

/// <summary>Checks a configuration before anything is loaded or trained.</summary>
public static class TrainingConfigValidator
{
    public static IReadOnlyList<ConfigError> Validate(TrainingConfig config, string dataRoot)
    {
        var errors = new List<ConfigError>();
        void Check(bool ok, string field, string message)
        {
            if (!ok) errors.Add(new ConfigError(field, message));
        }

        bool modelKnown = ModelFactory.Exists(config.Model);
        Check(modelKnown, "model", $"Unknown model '{config.Model}'. Choose one of: {string.Join(", ", ModelFactory.Names)}.");

        var dataset = DatasetCatalog.All.FirstOrDefault(d => string.Equals(d.Name, config.Dataset, StringComparison.OrdinalIgnoreCase));
        Check(dataset is not null, "dataset", $"Unknown dataset '{config.Dataset}'. Choose one of: {string.Join(", ", DatasetCatalog.All.Select(d => d.Name))}.");
        if (dataset is not null)
        {
            var location = DatasetCatalog.Locate(dataset.Name, dataRoot);
            Check(location.Found, "dataset", DatasetCatalog.MissingFilesMessage(location));
            if (modelKnown && ModelFactory.ShapeProblem(config.Model, dataset.Channels, dataset.ImageSize) is { } problem)
                errors.Add(new ConfigError("model", $"{problem} ({dataset.Name} has {dataset.Channels}-channel {dataset.ImageSize}x{dataset.ImageSize} images); pick another model or dataset."));
        }

        Check(TrainingMethods.Names.Contains(config.Method.ToLowerInvariant()), "method",
            $"Unknown method '{config.Method}'. Choose one of: {string.Join(", ", TrainingMethods.Names)}.");
        Check(config.Epochs >= 1, "epochs", $"Epochs must be at least 1 (got {config.Epochs}).");
        Check(config.BatchSize >= 1, "batchSize", $"Batch size must be at least 1 (got {config.BatchSize}).");
        Check(config.Lr > 0 && double.IsFinite(config.Lr), "lr", $"The learning rate must be a positive number such as 0.05 (got {config.Lr}).");
        Check(config.Momentum is >= 0 and < 1, "momentum", $"Momentum must be in [0, 1), e.g. 0.9 (got {config.Momentum}).");
        Check(config.WeightDecay >= 0 && double.IsFinite(config.WeightDecay), "weightDecay", $"Weight decay must be 0 or positive, e.g. 5e-4 (got {config.WeightDecay}).");
        Check(GlobalSchedule.Kinds.Contains(config.Schedule.ToLowerInvariant()), "schedule",
            $"Unknown schedule '{config.Schedule}'. Choose one of: {string.Join(", ", GlobalSchedule.Kinds)}.");
        Check(config.WarmupEpochs >= 0 && config.WarmupEpochs < Math.Max(1, config.Epochs), "warmupEpochs",
            $"Warm-up epochs must be between 0 and epochs - 1 (got {config.WarmupEpochs} with {config.Epochs} epochs).");
        Check(config.Subset is null or >= 1, "subset", $"A subset must keep at least 1 image (got {config.Subset}); leave it empty to use all.");
        Check(config.WidthFactor > 0 && double.IsFinite(config.WidthFactor), "widthFactor", $"The width factor must be positive, e.g. 1 (got {config.WidthFactor}).");
        try
        {
            TorchDevices.Resolve(config.Device);
        }
        catch (ArgumentException e)
        {
            errors.Add(new ConfigError("device", e.Message));
        }

        if (string.Equals(config.Method, "tempbalance", StringComparison.OrdinalIgnoreCase))
        {
            var tb = config.TempBalance;
            if (modelKnown && ModelFactory.AnalysedLayerCount(config.Model) < 3)
                errors.Add(new ConfigError("method", $"TempBalance tunes all layers but the first and the last, and {config.Model} has only {ModelFactory.AnalysedLayerCount(config.Model)}; use the baseline or a deeper model."));
            Check(tb.MinRatio > 0, "tempBalance.minRatio", $"The smallest LR factor must be positive, e.g. 0.5 (got {tb.MinRatio}).");
            Check(tb.MaxRatio >= tb.MinRatio, "tempBalance.maxRatio", $"The largest LR factor must be at least the smallest ({tb.MinRatio}), e.g. 1.5 (got {tb.MaxRatio}).");
            Check(tb.XminPos >= 1, "tempBalance.xminPos", $"xmin position must be at least 1; 2 takes the median eigenvalue (got {tb.XminPos}).");
            Check(tb.ConvNorm > 0, "tempBalance.convNorm", $"The conv normalisation must be positive, e.g. 0.5 (got {tb.ConvNorm}).");
            Check(tb.EigsThresh >= 0, "tempBalance.eigsThresh", $"The eigenvalue threshold must be 0 (tune every layer) or positive (got {tb.EigsThresh}).");
            Check(tb.UpdateEverySteps >= 0, "tempBalance.updateEverySteps", $"Refit every K steps needs K >= 1, or 0 for once per epoch (got {tb.UpdateEverySteps}).");
        }
        return errors;
    }
}
