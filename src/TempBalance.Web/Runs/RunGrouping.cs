using System.Globalization;
using System.Text;
using TempBalance.Core.Training;

namespace TempBalance.Web.Runs;

/// <summary>How Compare puts runs together before it averages them.</summary>
public enum GroupingMode
{
    /// <summary>Runs whose configs are the same in everything but the seed (and the device): the seeds of one setup.</summary>
    Configuration,

    /// <summary>Runs created together under one group name; runs without one are grouped by configuration.</summary>
    NamedGroup,
}

/// <summary>
/// Runs that Compare averages. <see cref="Label"/> says what they trained (the recipe in words, model and
/// dataset, and the settings that set this group apart from the others shown); <see cref="Warnings"/> say where
/// its spread is not what it seems (shared seeds, mixed settings).
/// </summary>
public sealed record RunGroup(string Key, string Label, IReadOnlyList<RunSummary> Runs, IReadOnlyList<string> Warnings);

/// <summary>The one rule for which runs Compare averages together (issue #15).</summary>
public static class RunGrouping
{
    /// <summary>
    /// Settings that do not make another experiment: the seed (what a group's spread is over), the device it ran
    /// on, and the recipe's name (its parts are compared themselves).
    /// </summary>
    public static readonly IReadOnlySet<string> NotPartOfTheSetup = new HashSet<string>(StringComparer.Ordinal) { "seed", "device", "method" };

    /// <summary>
    /// Settings the recipe's words already show (<see cref="RecipeText.Describe"/>), so a label does not repeat them.
    /// </summary>
    static readonly string[] InRecipeWords =
    [
        "tempBalance.enabled", "tempBalance.minRatio", "tempBalance.maxRatio", "snr.coefficient", "lookahead.k",
        "lookahead.alpha", "lawn.freeEpochs", "optimizer.kind", "schedule", "sgdr.t0", "sgdr.tMult", "warmupEpochs",
        "model", "dataset",
    ];

    /// <summary>How many differing settings a label names before it stops ("…").</summary>
    const int LabelSettings = 4;

    /// <summary>The config with the seed, device and recipe name left out, written canonically (sorted dotted paths).</summary>
    public static string ConfigurationKey(TrainingConfig config)
    {
        var key = new StringBuilder();
        foreach (var (path, value) in ConfigDiff.Flatten(config))
            if (!NotPartOfTheSetup.Contains(path)) key.Append(path).Append('=').Append(value).Append(';');
        return key.ToString();
    }

    /// <summary>
    /// The runs in groups, in the order of each group's first run. Runs without a config (none in practice) stand
    /// alone. In <see cref="GroupingMode.NamedGroup"/>, a named group whose configs differ beyond the seed says so.
    /// </summary>
    public static IReadOnlyList<RunGroup> Group(IReadOnlyList<RunSummary> runs, GroupingMode mode = GroupingMode.Configuration)
    {
        var groups = runs.GroupBy(run => KeyOf(run, mode)).ToList();
        var representatives = groups.Select(g => g.First().Config ?? new TrainingConfig()).ToList();
        var setsApart = ConfigDiff.Between(representatives, NotPartOfTheSetup)
            .Where(d => !InRecipeWords.Contains(d.Path))
            .ToList();
        return groups.Select((group, index) =>
        {
            var members = group.ToList();
            var label = mode == GroupingMode.NamedGroup && members[0].GroupId is not null && members[0].GroupName is { } name
                ? name
                : ConfigurationLabel(members[0], setsApart.Select(d => (d.Path, d.Values[index])));
            return new RunGroup(group.Key, label, members, Warnings(members, mode));
        }).ToList();
    }

    static string KeyOf(RunSummary run, GroupingMode mode) =>
        mode == GroupingMode.NamedGroup && run.GroupId is { } groupId ? $"group:{groupId}"
        : run.Config is { } config ? ConfigurationKey(config)
        : $"run:{run.Id}";

    static string ConfigurationLabel(RunSummary run, IEnumerable<(string Path, string? Value)> setApart)
    {
        var settings = setApart.Select(s => $"{s.Path} {s.Value ?? "none"}").ToList();
        var label = $"{run.Recipe ?? run.Method} · {run.Model} · {run.Dataset}";
        if (settings.Count == 0) return label;
        var shown = string.Join(", ", settings.Take(LabelSettings));
        return settings.Count > LabelSettings ? $"{label} · {shown}, …" : $"{label} · {shown}";
    }

    static List<string> Warnings(List<RunSummary> runs, GroupingMode mode)
    {
        var warnings = new List<string>();
        foreach (var seed in runs.GroupBy(r => r.Seed).Where(s => s.Count() > 1))
        {
            var ids = seed.Select(r => $"#{r.Id}").ToList();
            warnings.Add($"Runs {string.Join(", ", ids[..^1])} and {ids[^1]} share seed {seed.Key}: they repeat one training, so their spread is not a spread over seeds.");
        }
        if (mode == GroupingMode.NamedGroup && runs.Count > 1)
        {
            var differing = ConfigDiff.Between([.. runs.Select(r => r.Config ?? new TrainingConfig())], NotPartOfTheSetup);
            if (differing.Count > 0)
                warnings.Add($"The runs of this group differ in {string.Join(", ", differing.Select(d => d.Path))}: its spread mixes settings, not only seeds.");
        }
        return warnings;
    }
}

/// <summary>Mean and sample standard deviation (n - 1) of finite values; one value has no spread.</summary>
public readonly record struct MeanStd(double Mean, double Std, int Count)
{
    public static MeanStd? Of(IEnumerable<double?> values)
    {
        var xs = values.Where(v => v is { } d && double.IsFinite(d)).Select(v => v!.Value).ToArray();
        if (xs.Length == 0) return null;
        var mean = xs.Average();
        var std = xs.Length > 1 ? Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / (xs.Length - 1)) : 0;
        return new MeanStd(mean, std, xs.Length);
    }

    /// <summary>"92.00 ± 2.00 %", or "50.00 % (n = 1, no spread)": one run measures no variance, so no "± 0.00".</summary>
    public string AsPercent() => Count == 1
        ? string.Create(CultureInfo.InvariantCulture, $"{Mean * 100:0.00} % (n = 1, no spread)")
        : string.Create(CultureInfo.InvariantCulture, $"{Mean * 100:0.00} ± {Std * 100:0.00} %");
}
