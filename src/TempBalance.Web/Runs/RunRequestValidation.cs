using TempBalance.Core.Training;
using TempBalance.Web.Data;

namespace TempBalance.Web.Runs;

/// <summary>Checks a new-run request; keys are camelCase paths into the request ("seeds", "config.epochs").</summary>
public static class RunRequestValidation
{
    public static IReadOnlyDictionary<string, string[]> Validate(NewRunRequest request, string datasetRoot)
    {
        var errors = new Errors();
        if (request.Config is null)
        {
            errors.Add("config", "A training config is required.");
        }
        else
        {
            // A comparison also trains with TempBalance, so its options are checked even when the config has it off.
            var config = request.CompareWithBaseline ? RecipePresets.WithTempBalance(request.Config, true) : request.Config;
            foreach (var error in TrainingConfigValidator.Validate(config, datasetRoot))
                errors.Add("config." + error.Field, error.Message);
        }
        if (request.Seeds is < 1 or > RunService.MaxSeeds)
            errors.Add("seeds", $"Seeds must be between 1 and {RunService.MaxSeeds}; it was {request.Seeds}.");
        if (request.GroupName is { Length: > 200 })
            errors.Add("groupName", "The group name is at most 200 characters.");
        AddAnnotationErrors(errors, request.Tags, request.Notes);
        AddNameError(errors, request.Name?.Trim());
        return errors.ToDictionary();
    }

    public static IReadOnlyDictionary<string, string[]> ValidateAnnotations(IReadOnlyList<string>? tags, string? notes, string? name = null)
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

    static void AddAnnotationErrors(Errors errors, IReadOnlyList<string>? tags, string? notes)
    {
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
