using TempBalance.Core.Training;
using TempBalance.Web.Data;

namespace TempBalance.Web.Runs;

/// <summary>Checks a new-run request; keys are camelCase paths into the request ("seeds", "config.epochs").</summary>
public static class RunRequestValidation
{
    /// <param name="limits">This server's caps ("TempBalance:Limits"); the defaults when null.</param>
    public static IReadOnlyDictionary<string, string[]> Validate(NewRunRequest request, string datasetRoot, RunLimits? limits = null)
    {
        limits ??= new RunLimits();
        var errors = new Errors();
        if (request.Config is null)
        {
            errors.Add("config", "A training config is required.");
        }
        else
        {
            // A comparison also trains with TempBalance, so its options are checked even when the config has it off.
            // (A config with a null part gets its null reported instead: naming the recipe needs every part.)
            var config = request.CompareWithBaseline && HasEveryPart(request.Config) ? RecipePresets.WithTempBalance(request.Config, true) : request.Config;
            // Dataset messages name the folders they looked in; users see them relative to the dataset root.
            string[] roots = [datasetRoot, TempBalance.Core.Data.DatasetCatalog.SystemDatasetsRoot];
            foreach (var error in TrainingConfigValidator.Validate(config, datasetRoot))
                errors.Add("config." + error.Field, UserMessages.Clean(error.Message, roots));
            AddCapErrors(errors, config, limits);
            if ((long)config.Seed + request.Seeds - 1 > int.MaxValue)
                errors.Add("seeds", $"Seeds {config.Seed} to {(long)config.Seed + request.Seeds - 1} go past the largest seed, {int.MaxValue}; choose a smaller first seed.");
        }
        if (request.Seeds < 1 || request.Seeds > limits.MaxSeeds)
            errors.Add("seeds", $"Seeds must be between 1 and {limits.MaxSeeds}; it was {request.Seeds}.");
        if (request.GroupName is { Length: > 200 })
            errors.Add("groupName", "The group name is at most 200 characters.");
        AddAnnotationErrors(errors, request.Tags, request.Notes);
        AddNameError(errors, request.Name?.Trim());
        return errors.ToDictionary();
    }

    public static IReadOnlyDictionary<string, string[]> ValidateAnnotations(IReadOnlyList<string?>? tags, string? notes, string? name = null)
    {
        var errors = new Errors();
        AddAnnotationErrors(errors, tags, notes);
        AddNameError(errors, name);
        return errors.ToDictionary();
    }

    static void AddNameError(Errors errors, string? name)
    {
        if (name is { Length: > Run.MaxNameLength })
            errors.Add("name", $"A run name is at most {Run.MaxNameLength} characters; it was {name.Length}.");
    }

    // JSON can send null for parts the C# types call non-nullable.
    static bool HasEveryPart(TrainingConfig config) =>
        new object?[] { config.Model, config.Dataset, config.Method, config.Device, config.Optimizer, config.TempBalance, config.Sgdr }.All(p => p is not null);

    /// <summary>What this server is willing to train: the settings are named so an operator knows what to raise.</summary>
    static void AddCapErrors(Errors errors, TrainingConfig config, RunLimits limits)
    {
        const string setting = TempBalanceWebOptions.Section + ":Limits:";
        if (config.Epochs > limits.MaxEpochs)
            errors.Add("config.epochs", $"Epochs are at most {limits.MaxEpochs} on this server ({setting}MaxEpochs); it was {config.Epochs}.");
        if (config.WidthFactor > limits.MaxWidthFactor)
            errors.Add("config.widthFactor", $"The width factor is at most {limits.MaxWidthFactor} on this server ({setting}MaxWidthFactor); it was {config.WidthFactor}.");
        if (config.BatchSize > limits.MaxBatchSize)
            errors.Add("config.batchSize", $"The batch size is at most {limits.MaxBatchSize} on this server ({setting}MaxBatchSize); it was {config.BatchSize}.");
        if (config.Subset > limits.MaxSubset)
            errors.Add("config.subset", $"A subset is at most {limits.MaxSubset} images on this server ({setting}MaxSubset); it was {config.Subset}. Leave it empty to train on the whole dataset.");
    }

    static void AddAnnotationErrors(Errors errors, IReadOnlyList<string?>? tags, string? notes)
    {
        if (tags is not null && tags.Any(t => t is null))
        {
            errors.Add("tags", "A tag cannot be null; send tags as strings, e.g. [\"baseline\", \"cifar\"].");
            tags = [.. tags.Where(t => t is not null)];
        }
        var normalized = RunService.NormalizeTags(tags);
        if (normalized.Count > RunService.MaxTags)
            errors.Add("tags", $"At most {RunService.MaxTags} tags; there were {normalized.Count}.");
        if (normalized.FirstOrDefault(t => t.Length > RunService.MaxTagLength) is { } longTag)
            errors.Add("tags", $"Tags are at most {RunService.MaxTagLength} characters; '{longTag[..20]}…' has {longTag.Length}.");
        if (notes is { Length: > RunService.MaxNotesLength })
            errors.Add("notes", $"Notes are at most {RunService.MaxNotesLength} characters; they were {notes.Length}.");
    }

    sealed class Errors
    {
        readonly Dictionary<string, List<string>> _byField = new();

        public void Add(string field, string message)
        {
            if (!_byField.TryGetValue(field, out var list)) _byField[field] = list = [];
            list.Add(message);
        }

        public IReadOnlyDictionary<string, string[]> ToDictionary() => _byField.ToDictionary(e => e.Key, e => e.Value.ToArray());
    }
}
