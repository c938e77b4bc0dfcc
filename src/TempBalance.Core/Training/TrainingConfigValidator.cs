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

        // JSON can send null for any field the C# types call non-nullable; each gets a message, not a crash.
        Check(Present(config.Model), "model", $"A model is required. Choose one of: {string.Join(", ", ModelFactory.Names)}.");
        Check(Present(config.Dataset), "dataset", $"A dataset is required. Choose one of: {string.Join(", ", DatasetCatalog.All.Select(d => d.Name))}.");
        Check(Present(config.Method), "method", $"A method is required: one of {string.Join(", ", RecipePresets.Names)} or {RecipePresets.Custom}.");
        Check(Present(config.Device), "device", "A device is required: auto, cpu, cuda or cuda:N.");
        Check(Present(config.Optimizer), "optimizer", "The optimizer settings are required, e.g. { \"kind\": \"sgd\" }.");
        Check(Present(config.TempBalance), "tempBalance", "The TempBalance settings are required, e.g. { \"enabled\": false }.");
        Check(Present(config.Sgdr), "sgdr", "The SGDR settings are required (they are read only with the sgdr schedule), e.g. { \"tMult\": 1 }.");
        if (errors.Count > 0) return errors;

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

        Check(RecipePresets.Find(config.Method) is not null || string.Equals(config.Method, RecipePresets.Custom, StringComparison.OrdinalIgnoreCase), "method",
            $"Unknown method '{config.Method}'. Choose a preset ({string.Join(", ", RecipePresets.Names)}) or {RecipePresets.Custom}.");
        if (RecipePresets.Find(config.Method) is { } named && RecipePresets.NameOf(config) is var actual && actual != named.Name)
            errors.Add(new ConfigError("method",
                $"'{config.Method}' is {named.Title}, but this recipe is {RecipeText.Describe(config)}; set the method to '{actual}' or change the parts to the preset's."));
        Check(config.Epochs >= 1, "epochs", $"Epochs must be at least 1 (got {config.Epochs}).");
        Check(config.BatchSize >= 1, "batchSize", $"Batch size must be at least 1 (got {config.BatchSize}).");
        Check(config.Lr > 0 && double.IsFinite(config.Lr), "lr", $"The learning rate must be a positive number such as 0.05 (got {config.Lr}).");
        Check(config.Momentum is >= 0 and < 1, "momentum", $"Momentum must be in [0, 1), e.g. 0.9 (got {config.Momentum}).");
        Check(config.WeightDecay >= 0 && double.IsFinite(config.WeightDecay), "weightDecay", $"Weight decay must be 0 or positive, e.g. 5e-4 (got {config.WeightDecay}).");
        Check(Enum.IsDefined(config.Schedule), "schedule", $"Unknown schedule '{config.Schedule}'. Choose one of: {string.Join(", ", GlobalSchedule.Kinds)}.");
        Check(config.WarmupEpochs >= 0 && config.WarmupEpochs < Math.Max(1, config.Epochs), "warmupEpochs",
            $"Warm-up epochs must be between 0 and epochs - 1 (got {config.WarmupEpochs} with {config.Epochs} epochs).");
        if (config.Schedule == ScheduleKind.Sgdr)
        {
            Check(config.Sgdr.T0 is null or >= 1, "sgdr.t0", $"SGDR's first period T0 must be at least 1 epoch, or empty for half the epochs (got {config.Sgdr.T0}).");
            Check(config.Sgdr.TMult >= 1, "sgdr.tMult", $"SGDR's T_mult must be a whole number of at least 1, e.g. 1 or 2 (got {config.Sgdr.TMult}).");
        }
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

        ValidateOptimizer(config, Check);
        ValidateTransforms(config, Check);

        var tb = config.TempBalance;
        Check(tb.XminPos >= 1, "tempBalance.xminPos", $"xmin position must be at least 1; 2 takes the median eigenvalue (got {tb.XminPos}).");
        Check(tb.ConvNorm > 0 && double.IsFinite(tb.ConvNorm), "tempBalance.convNorm", $"The conv normalisation must be positive, e.g. 0.5 (got {tb.ConvNorm}).");
        Check(Enum.IsDefined(tb.Fit), "tempBalance.fit", $"Unknown xmin rule '{tb.Fit}'. Choose one of: {Names<XminRule>()}.");
        if (tb.Enabled)
        {
            if (modelKnown && ModelFactory.AnalysedLayerCount(config.Model) < 3)
                errors.Add(new ConfigError("tempBalance.enabled", $"TempBalance tunes all layers but the first and the last, and {config.Model} has only {ModelFactory.AnalysedLayerCount(config.Model)}; turn it off (e.g. the baseline) or use a deeper model."));
            Check(tb.MinRatio > 0 && double.IsFinite(tb.MinRatio), "tempBalance.minRatio", $"The smallest LR factor must be a positive number, e.g. 0.5 (got {tb.MinRatio}).");
            Check(tb.MaxRatio >= tb.MinRatio && double.IsFinite(tb.MaxRatio), "tempBalance.maxRatio", $"The largest LR factor must be a number at least the smallest ({tb.MinRatio}), e.g. 1.5 (got {tb.MaxRatio}).");
            Check(tb.EigsThresh >= 0, "tempBalance.eigsThresh", $"The eigenvalue threshold must be 0 (tune every layer) or positive (got {tb.EigsThresh}).");
            Check(tb.UpdateEverySteps >= 0, "tempBalance.updateEverySteps", $"Refit every K steps needs K >= 1, or 0 for once per epoch (got {tb.UpdateEverySteps}).");
            Check(Enum.IsDefined(tb.Assign), "tempBalance.assign", $"Unknown assignment '{tb.Assign}'. Choose one of: {Names<AssignmentFunction>()}.");
            Check(Enum.IsDefined(tb.Metric), "tempBalance.metric", $"Unknown layer metric '{tb.Metric}'. Choose one of: {Names<Scheduling.LayerMetric>()}.");
        }
        return errors;
    }

    static void ValidateOptimizer(TrainingConfig config, Action<bool, string, string> check)
    {
        var o = config.Optimizer;
        check(Enum.IsDefined(o.Kind), "optimizer.kind", $"Unknown optimizer '{o.Kind}'. Choose one of: {Names<OptimizerKind>()}.");
        if (OptimizerOptions.UsesBetas(o.Kind))
        {
            check(o.Beta1 is >= 0 and < 1, "optimizer.beta1", $"beta1 must be in [0, 1), e.g. 0.9 (got {o.Beta1}).");
            check(o.Beta2 is >= 0 and < 1, "optimizer.beta2", $"beta2 must be in [0, 1), e.g. 0.999 (got {o.Beta2}).");
        }
        check(o.Eps is null || (o.Eps > 0 && double.IsFinite(o.Eps.Value)), "optimizer.eps", $"eps must be a small positive number such as 1e-8, or empty for the optimizer's default (got {o.Eps}).");
        if (OptimizerOptions.UsesTrustCoefficient(o.Kind))
            check(o.TrustCoefficient is > 0 and <= 1, "optimizer.trustCoefficient", $"The LARS trust coefficient must be in (0, 1], e.g. 0.001 (got {o.TrustCoefficient}).");
    }

    static void ValidateTransforms(TrainingConfig config, Action<bool, string, string> check)
    {
        if (config.Snr is { } snr)
        {
            check(snr.Coefficient > 0 && double.IsFinite(snr.Coefficient), "snr.coefficient", $"The SNR coefficient sg must be a positive number such as 0.01 (got {snr.Coefficient}); set snr to null to turn SNR off.");
            check(snr.PowerIterations is >= 1 and <= 100, "snr.powerIterations", $"SNR needs 1 to 100 power iterations, e.g. 5 (got {snr.PowerIterations}).");
        }
        if (config.Lookahead is { } lookahead)
        {
            check(lookahead.K >= 1, "lookahead.k", $"Lookahead's k (inner steps per sync) must be at least 1, e.g. 10 (got {lookahead.K}).");
            check(lookahead.Alpha is > 0 and <= 1, "lookahead.alpha", $"Lookahead's alpha must be in (0, 1], e.g. 0.8 (got {lookahead.Alpha}).");
        }
        if (config.Lawn is { } lawn)
            check(lawn.FreeEpochs >= 0 && lawn.FreeEpochs < config.Epochs, "lawn.freeEpochs",
                $"LAWN's free epochs must be fewer than the run's {config.Epochs} epochs (got {lawn.FreeEpochs}), so that some epochs train constrained; e.g. {Math.Max(1, config.Epochs / 4)}.");
    }

    // Tested through a call, so the compiler keeps treating the (non-nullable) fields as set afterwards.
    static bool Present(object? value) => value is not null;

    static string Names<T>() where T : struct, Enum => string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()));
}
