using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;
using Microsoft.EntityFrameworkCore;
using TempBalance.Core.Scheduling;
using TempBalance.Core.Training;
using TempBalance.Web.Data;

namespace TempBalance.Web.Runs;

/// <summary>
/// A setting of a run that the runs table can show as a column, sort by and filter on, and that the HTTP API takes
/// as a query parameter of the same <see cref="Key"/>. Its value is read from the run's config in one place
/// (<see cref="Read"/>) and stored in a column of its own, so sorting and filtering stay in the database.
/// </summary>
public abstract class Hyperparameter
{
    private protected Hyperparameter(string key, string label, string description, RunSort sort)
    {
        Key = key;
        Label = label;
        Description = description;
        Sort = sort;
    }

    /// <summary>The query parameter and column name ("lr", "batchSize").</summary>
    public string Key { get; }

    /// <summary>The table header ("lr", "batch").</summary>
    public string Label { get; }

    /// <summary>What it is, in a sentence (header tooltip, API description).</summary>
    public string Description { get; }

    public RunSort Sort { get; }

    /// <summary>The value a config has, or null where the setting does not apply (momentum of Adam, s1 without TempBalance).</summary>
    public abstract object? Read(TrainingConfig config);

    /// <summary>How the table and the filter menus write the value: numbers exactly (0.05, 0.0005), "–" where none.</summary>
    public string Format(TrainingConfig config) => FormatValue(Read(config));

    public static string FormatValue(object? value) => value switch
    {
        null => None,
        double d => d.ToString(CultureInfo.InvariantCulture).ToLowerInvariant(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? None,
    };

    public const string None = "–";

    /// <summary>The word a filter uses for "not set" (runs without SNR: snr=none).</summary>
    public const string NoneWord = "none";

    /// <summary>Reads a filter ("0.01,0.05", "0.01..0.1", "sgd,adam", "none"); null and an error when it is not one.</summary>
    public abstract HyperparameterFilter? Parse(string text, out string? error);

    /// <summary>What values a filter of this parameter may name, for error messages and the API description.</summary>
    public abstract string FilterSyntax { get; }

    internal abstract void CopyColumn(TrainingConfig config, Run run);

    internal abstract IQueryable<Run> Where(IQueryable<Run> runs, HyperparameterFilter filter);

    /// <summary>Sorted by this value, runs without one last in either direction, then by id.</summary>
    internal abstract IQueryable<Run> OrderBy(IQueryable<Run> runs, bool descending);

    /// <summary>The distinct values the matching runs have, sorted, as <see cref="FormatValue"/> writes them.</summary>
    internal abstract Task<IReadOnlyList<string>> DistinctValuesAsync(IQueryable<Run> runs, CancellationToken cancellationToken);
}

/// <summary>
/// A filter on one hyperparameter: any of <see cref="Values"/> (<see cref="IncludesNone"/>: or not set), or the
/// inclusive range <see cref="Min"/>..<see cref="Max"/> (either end open).
/// </summary>
public sealed record HyperparameterFilter(string Key, IReadOnlyList<string> Values, bool IncludesNone = false, double? Min = null, double? Max = null)
{
    public bool IsRange => Min is not null || Max is not null;

    /// <summary>As the API takes it back: "0.01,0.05", "0.01..0.1", "sgd,none".</summary>
    public override string ToString() => IsRange
        ? $"{Format(Min)}..{Format(Max)}"
        : string.Join(",", IncludesNone ? Values.Append(Hyperparameter.NoneWord) : Values);

    static string Format(double? value) => value is { } v ? v.ToString(CultureInfo.InvariantCulture) : "";
}

/// <summary>The catalogue of <see cref="Hyperparameter"/>s: the one list the table, the API and the database columns follow.</summary>
public static class Hyperparameters
{
    public static IReadOnlyList<Hyperparameter> All { get; } =
    [
        Real("lr", "lr", "The base learning rate (TempBalance scales it per layer).", RunSort.Lr, c => c.Lr, r => r.Lr),
        Integer("batchSize", "batch", "Images per training batch.", RunSort.BatchSize, c => c.BatchSize, r => r.BatchSize),
        Real("momentum", "momentum", "Momentum of SGD, SGDP and LARS (none for Adam-style optimizers).", RunSort.Momentum,
            c => c.Optimizer.Kind is OptimizerKind.Sgd or OptimizerKind.Sgdp or OptimizerKind.Lars ? c.Momentum : null, r => r.Momentum),
        Real("weightDecay", "wd", "Weight decay.", RunSort.WeightDecay, c => c.WeightDecay, r => r.WeightDecay),
        Integer("epochs", "epochs", "Planned training epochs.", RunSort.Epochs, c => c.Epochs, r => r.Epochs, copied: false),
        Choice("optimizer", "optimizer", "The base optimizer.", RunSort.Optimizer, Enum.GetValues<OptimizerKind>(),
            c => c.Optimizer.Kind, r => r.Optimizer),
        Choice("schedule", "schedule", "The global learning-rate schedule.", RunSort.Schedule, Enum.GetValues<ScheduleKind>(),
            c => c.Schedule, r => r.Schedule),
        Integer("warmupEpochs", "warm-up", "Epochs of linear warm-up before the schedule.", RunSort.WarmupEpochs, c => c.WarmupEpochs, r => r.WarmupEpochs),
        Real("s1", "s1", "TempBalance's smallest learning-rate factor (none without TempBalance).", RunSort.S1,
            c => c.TempBalance.Enabled ? c.TempBalance.MinRatio : null, r => r.TbMinRatio),
        Real("s2", "s2", "TempBalance's largest learning-rate factor (none without TempBalance).", RunSort.S2,
            c => c.TempBalance.Enabled ? c.TempBalance.MaxRatio : null, r => r.TbMaxRatio),
        Real("snr", "SNR sg", "The spectral-norm regulariser's coefficient sg (none without SNR).", RunSort.Snr,
            c => c.Snr?.Coefficient, r => r.SnrCoefficient),
        Real("widthFactor", "width", "Channel-width multiplier of the ResNets.", RunSort.WidthFactor, c => c.WidthFactor, r => r.WidthFactor),
        Integer("subset", "subset", "Training images used (none: the whole training set).", RunSort.Subset, c => c.Subset, r => r.Subset),
        Integer("seed", "seed", "The random seed.", RunSort.Seed, c => c.Seed, r => r.Seed, copied: false),
    ];

    /// <summary>What the runs table shows until someone picks other columns.</summary>
    public static IReadOnlyList<string> DefaultColumns { get; } = ["lr", "batchSize"];

    public static Hyperparameter? Find(string? key) =>
        All.FirstOrDefault(h => string.Equals(h.Key, key?.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>Fills a run's hyperparameter columns from its config (new runs, and old rows at start-up).</summary>
    public static void CopyColumns(TrainingConfig config, Run run)
    {
        foreach (var hyperparameter in All) hyperparameter.CopyColumn(config, run);
        run.HyperparametersCopied = true;
    }

    static Hyperparameter Real(string key, string label, string description, RunSort sort, Func<TrainingConfig, double?> read,
        Expression<Func<Run, double?>> column) => new NumberHyperparameter<double>(key, label, description, sort, read, column, copied: true);

    static Hyperparameter Integer(string key, string label, string description, RunSort sort, Func<TrainingConfig, int?> read,
        Expression<Func<Run, int?>> column, bool copied = true) => new NumberHyperparameter<int>(key, label, description, sort, read, column, copied);

    static Hyperparameter Choice<TEnum>(string key, string label, string description, RunSort sort, TEnum[] choices,
        Func<TrainingConfig, TEnum> read, Expression<Func<Run, string?>> column) where TEnum : struct, Enum =>
        new ChoiceHyperparameter(key, label, description, sort, [.. choices.Select(ChoiceName)], c => ChoiceName(read(c)), column);

    /// <summary>An enum value as the config's JSON writes it (camelCase: "sgd", "adamW", "cosine").</summary>
    static string ChoiceName<TEnum>(TEnum value) where TEnum : struct, Enum =>
        System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(value.ToString());

    /// <summary>Sorts nulls last in both directions (SQLite and PostgreSQL disagree otherwise), then by id.</summary>
    internal static IQueryable<Run> NullsLast<T>(IQueryable<Run> runs, Expression<Func<Run, T>> column, bool descending)
    {
        var isNull = Expression.Lambda<Func<Run, bool>>(Expression.Equal(column.Body, Expression.Constant(null, typeof(T))), column.Parameters);
        var ordered = runs.OrderBy(isNull);
        return descending
            ? ordered.ThenByDescending(column).ThenByDescending(r => r.Id)
            : ordered.ThenBy(column).ThenBy(r => r.Id);
    }

    /// <summary>The property a column expression (r => r.Lr) names, to copy a value into.</summary>
    internal static PropertyInfo? Property(LambdaExpression column) =>
        column.Body is MemberExpression { Member: PropertyInfo property } ? property : null;

    internal static Expression<Func<Run, bool>> AnyOf(LambdaExpression column, IEnumerable<Expression> tests)
    {
        var body = tests.Aggregate((Expression?)null, (all, test) => all is null ? test : Expression.OrElse(all, test))
            ?? Expression.Constant(false);
        return Expression.Lambda<Func<Run, bool>>(body, column.Parameters);
    }

    // EF turns a captured value into a query parameter; an Expression.Constant would be written into the SQL.
    internal static Expression Parameter<T>(T value) => ((Expression<Func<T>>)(() => value)).Body;
}

sealed class NumberHyperparameter<T> : Hyperparameter where T : struct, IParsable<T>, IComparable<T>
{
    readonly Func<TrainingConfig, T?> _read;
    readonly Expression<Func<Run, T?>> _column;
    readonly PropertyInfo? _property;

    public NumberHyperparameter(string key, string label, string description, RunSort sort, Func<TrainingConfig, T?> read,
        Expression<Func<Run, T?>> column, bool copied) : base(key, label, description, sort)
    {
        _read = read;
        _column = column;
        // Epochs and seed are the run's own columns, set with the run; the others are filled from the config.
        _property = copied ? Hyperparameters.Property(column) : null;
    }

    public override object? Read(TrainingConfig config) => _read(config);

    public override string FilterSyntax => typeof(T) == typeof(int)
        ? "whole numbers separated by commas (64,128), a range (64..256, 64.., ..256), or none"
        : "numbers separated by commas (0.01,0.05), a range (0.01..0.1, 0.01.., ..0.1), or none";

    public override HyperparameterFilter? Parse(string text, out string? error)
    {
        error = null;
        var trimmed = text.Trim();
        int dots = trimmed.IndexOf("..", StringComparison.Ordinal);
        if (dots >= 0)
        {
            var (low, high) = (trimmed[..dots].Trim(), trimmed[(dots + 2)..].Trim());
            double? min = null, max = null;
            if (low.Length > 0 && double.TryParse(low, NumberStyles.Float, CultureInfo.InvariantCulture, out var a)) min = a;
            if (high.Length > 0 && double.TryParse(high, NumberStyles.Float, CultureInfo.InvariantCulture, out var b)) max = b;
            if ((low.Length > 0 && min is null) || (high.Length > 0 && max is null) || (min is null && max is null) || min > max)
            {
                error = $"'{text}' is not a range. Use {FilterSyntax}.";
                return null;
            }
            return new HyperparameterFilter(Key, [], Min: min, Max: max);
        }
        var values = new List<string>();
        bool none = false;
        foreach (var part in trimmed.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (string.Equals(part, NoneWord, StringComparison.OrdinalIgnoreCase) || part == None) none = true;
            else if (T.TryParse(part, CultureInfo.InvariantCulture, out var value)) values.Add(FormatValue(value));
            else
            {
                error = $"'{part}' is not a {(typeof(T) == typeof(int) ? "whole number" : "number")}. Use {FilterSyntax}.";
                return null;
            }
        }
        if (values.Count == 0 && !none)
        {
            error = $"Give at least one value: {FilterSyntax}.";
            return null;
        }
        return new HyperparameterFilter(Key, values, none);
    }

    internal override void CopyColumn(TrainingConfig config, Run run) => _property?.SetValue(run, _read(config));

    internal override IQueryable<Run> Where(IQueryable<Run> runs, HyperparameterFilter filter)
    {
        var value = _column.Body;
        var tests = new List<Expression>();
        if (filter.IsRange)
        {
            // Lifted comparisons: a run without the value is outside every range.
            var asDouble = typeof(T) == typeof(double) ? value : Expression.Convert(value, typeof(double?));
            Expression? range = null;
            if (filter.Min is { } min) range = Expression.GreaterThanOrEqual(asDouble, Hyperparameters.Parameter<double?>(min));
            if (filter.Max is { } max)
            {
                var below = Expression.LessThanOrEqual(asDouble, Hyperparameters.Parameter<double?>(max));
                range = range is null ? below : Expression.AndAlso(range, below);
            }
            tests.Add(range!);
        }
        foreach (var text in filter.Values)
            tests.Add(Expression.Equal(value, Hyperparameters.Parameter<T?>(T.Parse(text, CultureInfo.InvariantCulture))));
        if (filter.IncludesNone) tests.Add(Expression.Equal(value, Expression.Constant(null, typeof(T?))));
        return runs.Where(Hyperparameters.AnyOf(_column, tests));
    }

    internal override IQueryable<Run> OrderBy(IQueryable<Run> runs, bool descending) => Hyperparameters.NullsLast(runs, _column, descending);

    internal override async Task<IReadOnlyList<string>> DistinctValuesAsync(IQueryable<Run> runs, CancellationToken cancellationToken)
    {
        var values = await runs.Select(_column).Distinct().ToListAsync(cancellationToken);
        return [.. values.OrderBy(v => v is null).ThenBy(v => v).Select(v => FormatValue(v))];
    }
}

sealed class ChoiceHyperparameter(string key, string label, string description, RunSort sort, IReadOnlyList<string> choices,
    Func<TrainingConfig, string> read, Expression<Func<Run, string?>> column) : Hyperparameter(key, label, description, sort)
{
    readonly PropertyInfo? _property = Hyperparameters.Property(column);

    public IReadOnlyList<string> Choices { get; } = choices;

    public override object? Read(TrainingConfig config) => read(config);

    public override string FilterSyntax => $"one or more of {string.Join(", ", Choices)}, separated by commas";

    public override HyperparameterFilter? Parse(string text, out string? error)
    {
        error = null;
        var values = new List<string>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var choice = Choices.FirstOrDefault(c => string.Equals(c, part, StringComparison.OrdinalIgnoreCase));
            if (choice is null)
            {
                error = $"Unknown {Key} '{part}'. Use {FilterSyntax}.";
                return null;
            }
            values.Add(choice);
        }
        if (values.Count == 0)
        {
            error = $"Give at least one value: {FilterSyntax}.";
            return null;
        }
        return new HyperparameterFilter(Key, values);
    }

    internal override void CopyColumn(TrainingConfig config, Run run) => _property?.SetValue(run, read(config));

    internal override IQueryable<Run> Where(IQueryable<Run> runs, HyperparameterFilter filter) =>
        runs.Where(Hyperparameters.AnyOf(column, filter.Values.Select(v => (Expression)Expression.Equal(column.Body, Hyperparameters.Parameter<string?>(v)))));

    internal override IQueryable<Run> OrderBy(IQueryable<Run> runs, bool descending) => Hyperparameters.NullsLast(runs, column, descending);

    internal override async Task<IReadOnlyList<string>> DistinctValuesAsync(IQueryable<Run> runs, CancellationToken cancellationToken)
    {
        var values = await runs.Select(column).Where(v => v != null).Distinct().ToListAsync(cancellationToken);
        return [.. values.Order(StringComparer.Ordinal).Select(v => v!)];
    }
}

/// <summary>
/// Fills the hyperparameter columns of runs stored by versions that did not have them, from their configs (read
/// the way every config is read, so an old config gets its preset's values for fields it lacks). Runs once at
/// start-up; a database without such rows costs one query.
/// </summary>
public static class HyperparameterBackfill
{
    const int Batch = 500;

    public static async Task<int> RunAsync(IDbContextFactory<TempBalanceDbContext> dbFactory, CancellationToken cancellationToken = default)
    {
        int filled = 0;
        while (true)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var runs = await db.Runs.Where(r => !r.HyperparametersCopied).OrderBy(r => r.Id).Take(Batch).ToListAsync(cancellationToken);
            if (runs.Count == 0) return filled;
            foreach (var run in runs) Hyperparameters.CopyColumns(run.Config, run);
            await db.SaveChangesAsync(cancellationToken);
            filled += runs.Count;
        }
    }
}
