using TempBalance.Core.Training;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Components.Runs;

/// <summary>
/// What the New run form checks while the user types: the request rules of <see cref="RunRequestValidation"/>
/// and the trainer's own <see cref="TrainingConfigValidator"/> (under "config.*" keys), each message once.
/// </summary>
public static class NewRunValidation
{
    public static IReadOnlyDictionary<string, string[]> Validate(NewRunRequest request, string datasetRoot)
    {
        var errors = RunRequestValidation.Validate(request, datasetRoot)
            .ToDictionary(e => e.Key, e => e.Value.ToList(), StringComparer.OrdinalIgnoreCase);
        // "Compare with baseline" trains both methods, so the TempBalance options are checked too.
        var config = request.CompareWithBaseline ? request.Config with { Method = "tempbalance" } : request.Config;
        foreach (var error in TrainingConfigValidator.Validate(config, datasetRoot))
        {
            var key = "config." + error.Field;
            if (!errors.TryGetValue(key, out var messages)) errors[key] = messages = [];
            if (!messages.Contains(error.Message)) messages.Add(error.Message);
        }
        return errors.ToDictionary(e => e.Key, e => e.Value.ToArray());
    }
}
