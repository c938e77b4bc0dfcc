using System.Text.Json;
using System.Text.Json.Nodes;
using TempBalance.Core.Training;
using TempBalance.Web.Data;

namespace TempBalance.Web.Runs;

/// <summary>One setting that differs between runs: its dotted JSON path and each run's value (null: the run has none).</summary>
public sealed record ConfigDifference(string Path, IReadOnlyList<string?> Values);

/// <summary>
/// Configs as flat lists of settings, so runs can be told apart: each leaf of the config's JSON (as the database
/// and the API write it) under its dotted camelCase path ("lr", "tempBalance.minRatio", "snr.coefficient").
/// </summary>
public static class ConfigDiff
{
    /// <summary>
    /// Every leaf of the config by path, ordinal-sorted. A part that is off (SNR, Lookahead, LAWN: null) has no
    /// leaves, the same as a field the config does not have.
    /// </summary>
    public static SortedDictionary<string, string> Flatten(TrainingConfig config)
    {
        var leaves = new SortedDictionary<string, string>(StringComparer.Ordinal);
        Walk(JsonSerializer.SerializeToNode(config, RunJson.Options), "", leaves);
        return leaves;
    }

    static void Walk(JsonNode? node, string path, SortedDictionary<string, string> leaves)
    {
        switch (node)
        {
            case null:
                break;
            case JsonObject obj:
                foreach (var (name, child) in obj) Walk(child, path.Length == 0 ? name : $"{path}.{name}", leaves);
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                leaves[path] = value.GetValue<string>();
                break;
            default:
                leaves[path] = node.ToJsonString();
                break;
        }
    }

    /// <summary>The settings whose values are not the same in every config, in path order; empty for fewer than two configs.</summary>
    public static IReadOnlyList<ConfigDifference> Between(IReadOnlyList<TrainingConfig> configs, IReadOnlySet<string>? ignore = null)
    {
        if (configs.Count < 2) return [];
        var flat = configs.Select(Flatten).ToList();
        return flat.SelectMany(f => f.Keys).Distinct().Order(StringComparer.Ordinal)
            .Where(path => ignore?.Contains(path) != true)
            .Select(path => new ConfigDifference(path, flat.Select(f => f.GetValueOrDefault(path)).ToList()))
            .Where(d => d.Values.Distinct().Skip(1).Any())
            .ToList();
    }
}
