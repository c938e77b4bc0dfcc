namespace TempBalance.Web.Runs;

/// <summary>Checks a new-run request; keys are camelCase paths into the request ("seeds", "config.epochs").</summary>
public static class RunRequestValidation
{
    public static IReadOnlyDictionary<string, string[]> Validate(NewRunRequest request, string datasetRoot)
    {
        var errors = new Dictionary<string, List<string>>();
        void Add(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list)) errors[field] = list = [];
            list.Add(message);
        }

        if (request.Config is null)
        {
            Add("config", "A training config is required.");
        }
        if (request.Seeds is < 1 or > RunService.MaxSeeds)
            Add("seeds", $"Seeds must be between 1 and {RunService.MaxSeeds}; it was {request.Seeds}.");
        var tags = RunService.NormalizeTags(request.Tags);
        if (tags.Count > RunService.MaxTags)
            Add("tags", $"At most {RunService.MaxTags} tags; there were {tags.Count}.");
        if (tags.FirstOrDefault(t => t.Length > RunService.MaxTagLength) is { } longTag)
            Add("tags", $"Tags are at most {RunService.MaxTagLength} characters; '{longTag[..20]}…' is {longTag.Length}.");
        if (request.Notes is { Length: > RunService.MaxNotesLength })
            Add("notes", $"Notes are at most {RunService.MaxNotesLength} characters; they were {request.Notes.Length}.");
        if (request.GroupName is { Length: > 200 })
            Add("groupName", "The group name is at most 200 characters.");

        return errors.ToDictionary(e => e.Key, e => e.Value.ToArray());
    }
}
