using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TempBalance.Core.Training;
using TempBalance.Web.Data;
using TempBalance.Web.Live;

namespace TempBalance.Web.Runs;

/// <summary>
/// Everything pages and the HTTP API do with runs: create (validated), list, read metrics, cancel, resume.
/// A singleton that opens one short-lived DbContext per call, so Blazor components may call it concurrently.
/// </summary>
public sealed class RunService(
    IDbContextFactory<TempBalanceDbContext> dbFactory,
    RunLifecycle lifecycle,
    TrainingUpdates updates,
    IOptions<TempBalanceWebOptions> options)
{
    /// <summary>The default of TempBalance:Limits:MaxSeeds, and the most the New-run form offers.</summary>
    public const int MaxSeeds = 20;
    public const int MaxTags = 20;
    public const int MaxTagLength = 40;
    public const int MaxNotesLength = 20_000;

    /// <param name="actor">Who creates the runs; anonymous until the app has accounts.</param>
    public async Task<CreateRunsResult> CreateAsync(NewRunRequest request, CancellationToken cancellationToken = default, RunActor? actor = null)
    {
        actor ??= RunActor.Anonymous;
        var limits = options.Value.Limits;
        var errors = RunRequestValidation.Validate(request, options.Value.DatasetRootPath, limits);
        if (errors.Count > 0) return new CreateRunsResult(errors, [], null);

        var tags = NormalizeTags(request.Tags);
        // A comparison trains the recipe with and without TempBalance (TB + SNR against SNR, TB against the baseline).
        TrainingConfig[] recipes = request.CompareWithBaseline
            ? [RecipePresets.WithTempBalance(request.Config, false), RecipePresets.WithTempBalance(request.Config, true)]
            : [RecipePresets.Named(request.Config)];
        // Seed-major order: with one worker the methods alternate, so a half-finished group is already comparable.
        var configs = Enumerable.Range(0, request.Seeds)
            .SelectMany(offset => recipes.Select(recipe => recipe with { Seed = request.Config.Seed + offset }))
            .ToList();
        Guid? groupId = configs.Count > 1 ? Guid.NewGuid() : null;
        string? name = string.IsNullOrWhiteSpace(request.Name) ? null : request.Name.Trim();
        string? groupName = groupId is null ? null
            : !string.IsNullOrWhiteSpace(request.GroupName) ? request.GroupName.Trim() : name ?? DefaultGroupName(request);

        int active = await CountActiveRunsAsync(actor, cancellationToken);
        if (active + configs.Count > limits.MaxQueuedRunsPerUser)
        {
            var message = $"At most {limits.MaxQueuedRunsPerUser} runs can be queued or training at once ({TempBalanceWebOptions.Section}:Limits:MaxQueuedRunsPerUser); " +
                          $"{active} are, and this would add {configs.Count}. Wait for some to finish or cancel them.";
            return new CreateRunsResult(new Dictionary<string, string[]> { ["queue"] = [message] }, [], null, QueueFull: true);
        }

        var now = DateTime.UtcNow;
        var runs = configs.Select(config =>
        {
            var run = Run.For(config, RunStatus.Queued, now);
            if (name is not null) run.Name = configs.Count == 1 ? name : NameInGroup(name, config, request);
            run.Tags = [.. tags];
            run.Notes = string.IsNullOrWhiteSpace(request.Notes) ? null : request.Notes;
            run.GroupId = groupId;
            run.GroupName = groupName;
            return run;
        }).ToList();

        await lifecycle.QueueNewAsync(runs, actor, cancellationToken);
        return new CreateRunsResult(new Dictionary<string, string[]>(), runs.Select(r => r.Id).ToList(), groupId);
    }

    /// <summary>Runs queued or training for this person: the account's own runs, or every run without accounts.</summary>
    async Task<int> CountActiveRunsAsync(RunActor actor, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var active = db.Runs.Where(r => r.Status == RunStatus.Queued || r.Status == RunStatus.Running || r.Status == RunStatus.CancelRequested);
        if (actor.UserId is { } userId) active = active.Where(r => r.CreatedByUserId == userId);
        return await active.CountAsync(cancellationToken);
    }

    /// <summary>
    /// Whether this person may see the run (live messages, pages, API). Runs have no owner yet, so every run is
    /// visible to everyone; false only when the run does not exist.
    /// </summary>
    public async Task<bool> IsVisibleToAsync(long id, RunActor actor, CancellationToken cancellationToken = default)
    {
        _ = actor;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Runs.AnyAsync(r => r.Id == id, cancellationToken);
    }

    static string DefaultGroupName(NewRunRequest request)
    {
        var what = request.CompareWithBaseline
            ? $"{RecipePresets.WithTempBalance(request.Config, false).Method} vs {RecipePresets.WithTempBalance(request.Config, true).Method}"
            : RecipePresets.NameOf(request.Config);
        var seeds = request.Seeds > 1 ? $", {request.Seeds} seeds" : "";
        return $"{request.Config.Model} on {request.Config.Dataset}: {what}{seeds}";
    }

    // The runs of one request tell themselves apart by what differs between them: the recipe, the seed.
    static string NameInGroup(string name, TrainingConfig config, NewRunRequest request)
    {
        var suffix = (request.CompareWithBaseline ? $" · {config.Method}" : "") + (request.Seeds > 1 ? $" · seed {config.Seed}" : "");
        return name[..Math.Min(name.Length, Run.MaxNameLength - suffix.Length)] + suffix;
    }

    internal static List<string> NormalizeTags(IEnumerable<string?>? tags) =>
        (tags ?? []).OfType<string>().Select(t => t.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    public async Task<RunPage> ListAsync(RunQuery query, CancellationToken cancellationToken = default)
    {
        int pageSize = Math.Clamp(query.PageSize, 1, RunQuery.MaxPageSize);
        int page = Math.Max(1, query.Page);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var runs = Filter(db.Runs.AsNoTracking(), query);
        int total = await runs.CountAsync(cancellationToken);
        // A page past the end is empty; in long arithmetic, since (page - 1) * pageSize overflows an int.
        long skip = (long)(page - 1) * pageSize;
        if (skip >= total) return new RunPage([], total, page, pageSize);
        var rows = await Sort(runs, query.Sort, query.Descending)
            .Skip((int)skip)
            .Take(pageSize)
            .Select(SummaryProjection)
            .ToListAsync(cancellationToken);
        return new RunPage(await WithConfigsAsync(db, rows, cancellationToken), total, page, pageSize);
    }

    static IQueryable<Run> Filter(IQueryable<Run> runs, RunQuery query)
    {
        runs = query.Archived switch
        {
            ArchivedFilter.Exclude => runs.Where(r => r.ArchivedAt == null),
            ArchivedFilter.Only => runs.Where(r => r.ArchivedAt != null),
            _ => runs,
        };
        if (query.Statuses is { Count: > 0 } statuses) runs = runs.Where(r => statuses.Contains(r.Status));
        if (!string.IsNullOrWhiteSpace(query.Method))
        {
            var m = RecipePresets.Find(query.Method)?.Name ?? query.Method.Trim().ToLowerInvariant();
            runs = runs.Where(r => r.Method == m);
        }
        if (!string.IsNullOrWhiteSpace(query.Model)) { var m = query.Model.Trim().ToLowerInvariant(); runs = runs.Where(r => r.Model == m); }
        if (!string.IsNullOrWhiteSpace(query.Dataset)) { var d = query.Dataset.Trim().ToLowerInvariant(); runs = runs.Where(r => r.Dataset == d); }
        if (!string.IsNullOrWhiteSpace(query.Tag)) { var t = query.Tag.Trim(); runs = runs.Where(r => r.Tags.Contains(t)); }
        if (query.GroupId is { } groupId) runs = runs.Where(r => r.GroupId == groupId);
        foreach (var filter in query.Filters ?? [])
            runs = (Hyperparameters.Find(filter.Key) ?? throw new ArgumentException($"Unknown hyperparameter '{filter.Key}'.", nameof(query)))
                .Where(runs, filter);
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var s = query.Search.Trim().ToLowerInvariant();
            long? id = long.TryParse(s.TrimStart('#'), out var parsed) ? parsed : null;
            runs = runs.Where(r => r.Id == id
                || r.Model.Contains(s) || r.Dataset.Contains(s) || r.Method.Contains(s)
                || (r.Name != null && r.Name.ToLower().Contains(s))
                || (r.GroupName != null && r.GroupName.ToLower().Contains(s))
                || (r.Notes != null && r.Notes.ToLower().Contains(s))
                || r.Tags.Any(t => t.ToLower().Contains(s)));
        }
        return runs;
    }

    /// <summary>
    /// The values of one hyperparameter among the runs that pass the query's other filters (the filter menu of the
    /// runs table offers these); null for an unknown key.
    /// </summary>
    public async Task<IReadOnlyList<string>?> HyperparameterValuesAsync(string key, RunQuery query, CancellationToken cancellationToken = default)
    {
        if (Hyperparameters.Find(key) is not { } hyperparameter) return null;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var others = query with { Filters = query.Filters?.Where(f => !string.Equals(f.Key, hyperparameter.Key, StringComparison.OrdinalIgnoreCase)).ToList() };
        return await hyperparameter.DistinctValuesAsync(Filter(db.Runs.AsNoTracking(), others), cancellationToken);
    }

    static IQueryable<Run> Sort(IQueryable<Run> runs, RunSort sort, bool desc) => sort switch
    {
        RunSort.Status => desc ? runs.OrderByDescending(r => r.Status).ThenByDescending(r => r.Id) : runs.OrderBy(r => r.Status).ThenBy(r => r.Id),
        RunSort.Method => desc ? runs.OrderByDescending(r => r.Method).ThenByDescending(r => r.Id) : runs.OrderBy(r => r.Method).ThenBy(r => r.Id),
        RunSort.Model => desc ? runs.OrderByDescending(r => r.Model).ThenByDescending(r => r.Id) : runs.OrderBy(r => r.Model).ThenBy(r => r.Id),
        RunSort.Dataset => desc ? runs.OrderByDescending(r => r.Dataset).ThenByDescending(r => r.Id) : runs.OrderBy(r => r.Dataset).ThenBy(r => r.Id),
        RunSort.BestAccuracy => desc ? runs.OrderByDescending(r => r.BestTestAccuracy).ThenByDescending(r => r.Id) : runs.OrderBy(r => r.BestTestAccuracy).ThenBy(r => r.Id),
        RunSort.FinalAccuracy => desc ? runs.OrderByDescending(r => r.FinalTestAccuracy).ThenByDescending(r => r.Id) : runs.OrderBy(r => r.FinalTestAccuracy).ThenBy(r => r.Id),
        RunSort.Epochs => desc ? runs.OrderByDescending(r => r.Epochs).ThenByDescending(r => r.Id) : runs.OrderBy(r => r.Epochs).ThenBy(r => r.Id),
        RunSort.Id => desc ? runs.OrderByDescending(r => r.Id) : runs.OrderBy(r => r.Id),
        RunSort.Name => desc ? runs.OrderByDescending(r => r.Name).ThenByDescending(r => r.Id) : runs.OrderBy(r => r.Name).ThenBy(r => r.Id),
        _ when Hyperparameters.All.FirstOrDefault(h => h.Sort == sort) is { } hyperparameter => hyperparameter.OrderBy(runs, desc),
        _ => desc ? runs.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id) : runs.OrderBy(r => r.CreatedAt).ThenBy(r => r.Id),
    };

    /// <summary>
    /// The rows with their configs, read in a second query by id: a sort over every matching run then moves only
    /// the small summary columns, not each run's config JSON (measured: docs/benchmarks.md, runs page).
    /// </summary>
    static async Task<IReadOnlyList<RunSummary>> WithConfigsAsync(TempBalanceDbContext db, List<RunSummary> rows, CancellationToken cancellationToken)
    {
        var ids = rows.Select(r => r.Id).ToList();
        var configs = await db.Runs.AsNoTracking().Where(r => ids.Contains(r.Id))
            .Select(r => new { r.Id, r.ConfigJson }).ToDictionaryAsync(r => r.Id, r => r.ConfigJson, cancellationToken);
        return rows.Select(r => configs.TryGetValue(r.Id, out var json) ? r with { Config = RunJson.DeserializeConfig(json) } : r).ToList();
    }

    static readonly System.Linq.Expressions.Expression<Func<Run, RunSummary>> SummaryProjection = r => new RunSummary(
        r.Id, r.Name, r.Status, r.Method, r.Model, r.Dataset, r.Seed, r.Epochs, r.CompletedEpochs,
        r.BestTestAccuracy, r.FinalTestAccuracy, r.Tags, r.GroupId, r.GroupName,
        r.CreatedAt, r.StartedAt, r.FinishedAt,
        r.ProgressEpoch != null && r.ProgressBatch != null && r.BatchesPerEpoch != null
            ? new RunProgress(r.ProgressEpoch.Value, r.ProgressBatch.Value, r.BatchesPerEpoch.Value, r.EtaSeconds, r.Phase)
            : null,
        r.ErrorMessage,
        r.ArchivedAt,
        null);

    static RunSummary ToSummary(Run run) => SummaryOf(run) with { Config = run.Config };

    static readonly Func<Run, RunSummary> SummaryOf = SummaryProjection.Compile();

    public async Task<RunDetails?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (run is null) return null;
        var environment = run.EnvironmentJson is { } json ? System.Text.Json.JsonSerializer.Deserialize<RunEnvironment>(json, RunJson.Options) : null;
        return new RunDetails(ToSummary(run), run.Config, run.Notes, run.HeartbeatAt,
            Math.Max(run.LastSequence, updates.CurrentSequence(id)), File.Exists(options.Value.CheckpointPath(id)), environment,
            run.CreatedBy, run.CreatedByUserId);
    }

    /// <summary>Several runs for the Compare page, in the order asked; unknown ids are left out.</summary>
    public async Task<IReadOnlyList<RunSummary>> GetManyAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Runs.AsNoTracking().Where(r => ids.Contains(r.Id)).Select(SummaryProjection).ToListAsync(cancellationToken);
        var byId = (await WithConfigsAsync(db, rows, cancellationToken)).ToDictionary(r => r.Id);
        return ids.Where(byId.ContainsKey).Select(id => byId[id]).ToList();
    }

    /// <summary>Epoch metrics after <paramref name="sinceEpoch"/> (all when null), in epoch order; null when the run does not exist.</summary>
    public async Task<IReadOnlyList<EpochPoint>?> GetEpochsAsync(long id, int? sinceEpoch = null, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (!await db.Runs.AnyAsync(r => r.Id == id, cancellationToken)) return null;
        var since = sinceEpoch ?? -1;
        var rows = await db.EpochMetrics.AsNoTracking()
            .Where(e => e.RunId == id && e.Epoch > since)
            .OrderBy(e => e.Epoch)
            .ToListAsync(cancellationToken);
        return rows.Select(e => e.ToPoint()).ToList();
    }

    /// <summary>Epoch metrics of several runs (Compare page), keyed by run id.</summary>
    public async Task<IReadOnlyDictionary<long, IReadOnlyList<EpochPoint>>> GetEpochsAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.EpochMetrics.AsNoTracking()
            .Where(e => ids.Contains(e.RunId))
            .OrderBy(e => e.RunId).ThenBy(e => e.Epoch)
            .ToListAsync(cancellationToken);
        return ids.ToDictionary(id => id, id => (IReadOnlyList<EpochPoint>)rows.Where(e => e.RunId == id).Select(e => e.ToPoint()).ToList());
    }

    /// <summary>
    /// Layer metrics of one epoch (<paramref name="epoch"/>), or of every epoch after <paramref name="sinceEpoch"/>,
    /// or of all epochs; ordered by epoch then layer. Null when the run does not exist.
    /// </summary>
    public async Task<IReadOnlyList<LayerPoint>?> GetLayersAsync(long id, int? epoch = null, int? sinceEpoch = null, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (!await db.Runs.AnyAsync(r => r.Id == id, cancellationToken)) return null;
        var layers = db.LayerMetrics.AsNoTracking().Where(l => l.RunId == id);
        if (epoch is { } only) layers = layers.Where(l => l.Epoch == only);
        else if (sinceEpoch is { } since) layers = layers.Where(l => l.Epoch > since);
        var rows = await layers.OrderBy(l => l.Epoch).ThenBy(l => l.LayerIndex).ToListAsync(cancellationToken);
        return rows.Select(l => l.ToPoint()).ToList();
    }

    /// <summary>The ESD histogram and fit of one layer at one epoch; null when the run, epoch or layer has none.</summary>
    public async Task<SpectrumView?> GetSpectrumAsync(long id, int epoch, int layerIndex, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var layer = await db.LayerMetrics.AsNoTracking()
            .FirstOrDefaultAsync(l => l.RunId == id && l.Epoch == epoch && l.LayerIndex == layerIndex, cancellationToken);
        var spectrum = await db.LayerSpectra.AsNoTracking()
            .FirstOrDefaultAsync(s => s.RunId == id && s.Epoch == epoch && s.LayerIndex == layerIndex, cancellationToken);
        if (layer is null || spectrum is null) return null;
        var histogram = EsdHistogramBlob.Unpack(spectrum.Histogram);
        return new SpectrumView(layer.ToPoint(), histogram.Log10BinEdges, histogram.Counts);
    }

    /// <summary>
    /// Changes what is given (null leaves a field as it is); an empty name goes back to the default one. What
    /// changed goes into the audit trail as <paramref name="actor"/>'s edit.
    /// </summary>
    public async Task<bool> UpdateAnnotationsAsync(long id, IReadOnlyList<string?>? tags, string? notes, CancellationToken cancellationToken = default,
        string? name = null, bool? archived = null, RunActor? actor = null)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (run is null) return false;
        var changes = new List<string>();
        if (tags is not null && !NormalizeTags(tags).SequenceEqual(run.Tags))
        {
            run.Tags = NormalizeTags(tags);
            changes.Add(run.Tags.Count == 0 ? "tags removed" : $"tags: {string.Join(", ", run.Tags)}");
        }
        if (notes is not null && (notes.Length == 0 ? null : notes) != run.Notes)
        {
            run.Notes = notes.Length == 0 ? null : notes;
            changes.Add("notes changed");
        }
        if (name is not null && (name.Trim().Length == 0 ? Run.DefaultName(run.Config) : name.Trim()) is var newName && newName != run.Name)
        {
            run.Name = newName;
            changes.Add($"renamed to '{newName}'");
        }
        if (archived is { } archive && archive != run.ArchivedAt.HasValue)
        {
            run.ArchivedAt = archive ? DateTime.UtcNow : null;
            changes.Add(archive ? "archived" : "unarchived");
        }
        if (changes.Count > 0) RunAudit.Add(db, id, actor ?? RunActor.Anonymous, "edit", string.Join("; ", changes), DateTime.UtcNow);
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    /// <summary>Who changed the run, how and when, oldest first; null when the run does not exist.</summary>
    public async Task<IReadOnlyList<AuditEntryView>?> GetAuditAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await RunAudit.ReadAsync(db, id, cancellationToken);
    }

    /// <summary>Deletes a finished run with its metrics and files (<see cref="RunLifecycle.DeleteAsync"/>).</summary>
    public Task<RunTransition> DeleteAsync(long id, CancellationToken cancellationToken = default, RunActor? actor = null) =>
        lifecycle.DeleteAsync(id, actor ?? RunActor.Anonymous, cancellationToken);

    /// <summary>The run's system metrics (those after <paramref name="after"/> when given) in time order; null when the run does not exist.</summary>
    public async Task<IReadOnlyList<SystemSample>?> GetSystemMetricsAsync(long id, DateTime? after = null, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (!await db.Runs.AnyAsync(r => r.Id == id, cancellationToken)) return null;
        var since = after ?? DateTime.MinValue;
        return await db.SystemMetrics.AsNoTracking().Where(m => m.RunId == id && m.At > since).OrderBy(m => m.At)
            .Select(m => new SystemSample(m.At, m.CpuPercent, m.MemoryMegabytes, m.GpuUtilizationPercent, m.GpuMemoryMegabytes))
            .ToListAsync(cancellationToken);
    }

    /// <summary>Cancels a queued run at once, a running one at its next batch (<see cref="RunLifecycle.CancelAsync"/>).</summary>
    public Task<RunTransition> CancelAsync(long id, CancellationToken cancellationToken = default, RunActor? actor = null) =>
        lifecycle.CancelAsync(id, actor ?? RunActor.Anonymous, cancellationToken);

    /// <summary>Queues a cancelled, failed or interrupted run again (<see cref="RunLifecycle.ResumeAsync"/>).</summary>
    public Task<RunTransition> ResumeAsync(long id, CancellationToken cancellationToken = default, RunActor? actor = null) =>
        lifecycle.ResumeAsync(id, actor ?? RunActor.Anonymous, cancellationToken);

    /// <summary>The run's checkpoint file, or null when the run or its checkpoint does not exist.</summary>
    public string? CheckpointFile(long id)
    {
        var path = options.Value.CheckpointPath(id);
        return File.Exists(path) ? path : null;
    }
}
