using System.Globalization;
using TempBalance.Core.Training;

namespace TempBalance.Core.Sweeps;

/// <summary>One axis of a sweep: a field (JSON path or CLI name, see <see cref="SweepFields"/>) and its values.</summary>
public sealed record SweepAxis(string Field, IReadOnlyList<double> Values);

/// <summary>
/// A base recipe and the axes to vary in it: the sweep trains every combination of the axes' values (a grid), each
/// as its own run. The first axis varies slowest.
/// </summary>
public sealed record SweepSpec(TrainingConfig Base, IReadOnlyList<SweepAxis> Axes)
{
    /// <summary>The most runs one sweep may hold unless the caller sets another limit.</summary>
    public const int DefaultMaxRuns = 1000;

    /// <summary>The number of runs of the grid (the product of the axes' sizes), saturating at long.MaxValue.</summary>
    public long RunCount
    {
        get
        {
            long count = 1;
            foreach (var axis in Axes)
            {
                int size = axis.Values?.Count ?? 0;
                if (size == 0) return 0;
                count = count > long.MaxValue / size ? long.MaxValue : count * size;
            }
            return count;
        }
    }
}

/// <summary>One run of a sweep: its position in the grid, the axes' values (in axis order) and its config.</summary>
public sealed record SweepPoint(int Index, IReadOnlyList<double> Values, TrainingConfig Config)
{
    /// <summary>"lr=0.01, batch-size=16", with the fields as the CLI spells them.</summary>
    public string Label(IReadOnlyList<SweepField> fields) =>
        string.Join(", ", fields.Select((f, i) => $"{f.CliName}={SweepText.Value(Values[i])}"));
}

public static class SweepText
{
    /// <summary>A value as a person would type it back: invariant culture, shortest round-trip form.</summary>
    public static string Value(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>Checks a sweep and expands it into its runs' configs.</summary>
public static class SweepExpansion
{
    /// <summary>
    /// Every problem with the sweep, before anything is queued: keys are "config.X" for the base recipe,
    /// "axes" for the sweep as a whole (no axes, more than <paramref name="maxRuns"/> runs), "axes[i].field" for an
    /// unknown, non-numeric or repeated field, "axes[i].values" for an empty axis, values that are not finite,
    /// repeat, or are not whole numbers where the field takes them, and values that make a run's config invalid.
    /// </summary>
    public static IReadOnlyList<ConfigError> Validate(SweepSpec spec, string dataRoot, int maxRuns = SweepSpec.DefaultMaxRuns)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var errors = new List<ConfigError>();
        if (spec.Base is null) errors.Add(new ConfigError("config", "A base training config is required."));
        if (spec.Axes is null || spec.Axes.Count == 0)
        {
            errors.Add(new ConfigError("axes", "A sweep needs at least one axis: a numeric field and its values, such as lr = 0.01, 0.02."));
            return errors;
        }

        var fields = new SweepField?[spec.Axes.Count];
        for (int i = 0; i < spec.Axes.Count; i++)
        {
            var axis = spec.Axes[i];
            if (axis is null || string.IsNullOrWhiteSpace(axis.Field))
            {
                errors.Add(new ConfigError($"axes[{i}].field", "Name the field to vary, such as lr or batch-size."));
                continue;
            }
            var field = SweepFields.Find(axis.Field);
            if (field is null)
            {
                errors.Add(new ConfigError($"axes[{i}].field", SweepFields.Unsweepable(axis.Field)));
                continue;
            }
            int first = Array.IndexOf(fields, field);
            if (first >= 0)
                errors.Add(new ConfigError($"axes[{i}].field", $"{field.CliName} is already axis {first + 1}; give each field one axis with all its values."));
            fields[i] = field;
            errors.AddRange(ValueErrors(i, field, axis.Values));
        }
        if (errors.Count > 0) return errors;

        long count = spec.RunCount;
        if (count > maxRuns)
        {
            var sizes = string.Join(" x ", spec.Axes.Select(a => a.Values.Count.ToString(CultureInfo.InvariantCulture)));
            errors.Add(new ConfigError("axes",
                $"This sweep has {count.ToString("N0", CultureInfo.InvariantCulture)} runs ({sizes}); the limit is {maxRuns.ToString("N0", CultureInfo.InvariantCulture)}. Use fewer values or split it into several sweeps."));
            return errors;
        }
        if (spec.Base is null) return errors;

        var baseErrors = TrainingConfigValidator.Validate(spec.Base, dataRoot);
        // Fields an axis sets are judged on the axis's values, not on the base's value they replace.
        var axisPaths = fields.Select(f => f!.Path).ToHashSet(StringComparer.OrdinalIgnoreCase);
        errors.AddRange(baseErrors.Where(e => !axisPaths.Contains(e.Field)).Select(e => new ConfigError("config." + e.Field, e.Message)));
        if (errors.Count > 0) return errors;

        var seen = new HashSet<string>();
        foreach (var point in Expand(spec))
        {
            foreach (var error in TrainingConfigValidator.Validate(point.Config, dataRoot))
            {
                int axis = Array.FindIndex(fields, f => f!.Path.Equals(error.Field, StringComparison.OrdinalIgnoreCase));
                var key = axis >= 0 ? $"axes[{axis}].values" : "axes";
                var message = axis >= 0
                    ? $"{fields[axis]!.CliName} = {SweepText.Value(point.Values[axis])}: {error.Message}"
                    : $"At {point.Label(fields!)}: {error.Message}";
                if (seen.Add(key + "\n" + message)) errors.Add(new ConfigError(key, message));
            }
        }
        return errors;
    }

    static IEnumerable<ConfigError> ValueErrors(int index, SweepField field, IReadOnlyList<double>? values)
    {
        var key = $"axes[{index}].values";
        if (values is null || values.Count == 0)
        {
            yield return new ConfigError(key, $"The axis {field.CliName} has no values; give at least one, such as {field.CliName}=1,2.");
            yield break;
        }
        foreach (var v in values)
        {
            if (!double.IsFinite(v))
                yield return new ConfigError(key, $"{field.CliName}: {v} is not a finite number.");
            else if (field.Kind == SweepValueKind.Integer && (v != Math.Floor(v) || v < int.MinValue || v > int.MaxValue))
                yield return new ConfigError(key, $"{field.CliName} takes whole numbers; {SweepText.Value(v)} is not one.");
        }
        var repeated = values.GroupBy(v => v).Where(g => g.Count() > 1).Select(g => SweepText.Value(g.Key)).ToList();
        if (repeated.Count > 0)
            yield return new ConfigError(key, $"{field.CliName} lists {string.Join(", ", repeated)} more than once; each value makes one set of runs.");
    }

    /// <summary>The fields of the axes, in axis order. Throws for a field that <see cref="Validate"/> refuses.</summary>
    public static IReadOnlyList<SweepField> Fields(SweepSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Axes.Select(a => SweepFields.Find(a.Field) ?? throw new ArgumentException(SweepFields.Unsweepable(a.Field))).ToList();
    }

    /// <summary>
    /// The grid's runs, first axis slowest: each the base config with the axes' values set, named after the
    /// recipe it makes (SNR's sg of 0 turns SNR off, so a point can be another preset than the base).
    /// </summary>
    public static IReadOnlyList<SweepPoint> Expand(SweepSpec spec)
    {
        var fields = Fields(spec);
        long count = spec.RunCount;
        if (count > int.MaxValue) throw new ArgumentException($"A sweep of {count} runs cannot be expanded.");
        var points = new List<SweepPoint>((int)count);
        var indices = new int[fields.Count];
        for (int n = 0; n < count; n++)
        {
            var values = new double[fields.Count];
            var config = spec.Base;
            for (int a = 0; a < fields.Count; a++)
            {
                values[a] = spec.Axes[a].Values[indices[a]];
                config = fields[a].Set(config, values[a]);
            }
            points.Add(new SweepPoint(n, values, RecipePresets.Named(config)));
            for (int a = fields.Count - 1; a >= 0; a--)
            {
                if (++indices[a] < spec.Axes[a].Values.Count) break;
                indices[a] = 0;
            }
        }
        return points;
    }

    /// <summary>Training images assumed for a run on a whole dataset (the MNIST family's 60,000; CIFAR has 50,000).</summary>
    public const int WholeDatasetImages = 60_000;

    /// <summary>
    /// The order to start the runs in when several train at once: the longest first (longest-processing-time
    /// scheduling), so that the short ones fill the gaps at the end instead of one long run finishing alone while
    /// the other workers idle. A run's length is estimated from its optimizer steps (epochs × batches per epoch)
    /// times its width factor squared (the layers' sizes scale with it); ties keep grid order.
    /// </summary>
    public static IReadOnlyList<SweepPoint> LongestFirst(IReadOnlyList<SweepPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        return points.OrderByDescending(p => EstimatedWork(p.Config)).ThenBy(p => p.Index).ToList();
    }

    /// <summary>
    /// Relative training work of a run: its optimizer steps × width factor². A run without a subset counts
    /// <see cref="WholeDatasetImages"/> images: the dataset is not read yet, and only the order matters.
    /// </summary>
    public static double EstimatedWork(TrainingConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        long images = Math.Min(config.Subset ?? WholeDatasetImages, WholeDatasetImages);
        long batches = (images + config.BatchSize - 1) / config.BatchSize;
        return (double)config.Epochs * batches * config.WidthFactor * config.WidthFactor;
    }
}
