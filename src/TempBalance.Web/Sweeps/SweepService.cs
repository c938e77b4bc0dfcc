using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TempBalance.Core.EdgeOfChaos;
using TempBalance.Core.Sweeps;
using TempBalance.Core.Training;
using TempBalance.Web.Data;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Sweeps;

/// <summary>
/// Sweeps for pages and the HTTP API: create (validated by Core's SweepExpansion, then every run queued in one
/// group), list, read with each run's metrics (Core's RunMetrics, the same as the CLI's sweep.csv), cancel.
/// A singleton that opens one short-lived DbContext per call.
/// </summary>
public sealed class SweepService(
    IDbContextFactory<TempBalanceDbContext> dbFactory,
    RunLifecycle lifecycle,
    RunService runs,
    IOptions<TempBalanceWebOptions> options,
    ILogger<SweepService> logger)
{
    /// <summary>Every problem with the request, keyed by its path ("name", "config.lr", "axes", "axes[0].values").</summary>
    public IReadOnlyDictionary<string, string[]> Validate(NewSweepRequest request)
    {
        var errors = new List<ConfigError>();
        if (request.Config is null) errors.Add(new ConfigError("config", "A base training config is required."));
        else errors.AddRange(SweepExpansion.Validate(new SweepSpec(request.Config, request.Axes ?? []), options.Value.DatasetRootPath, options.Value.MaxSweepRuns));
        if (request.Name is { Length: > Sweep.MaxNameLength })
            errors.Add(new ConfigError("name", $"A sweep name is at most {Sweep.MaxNameLength} characters; it was {request.Name.Length}."));
        foreach (var (field, message) in RunRequestValidation.ValidateAnnotations(request.Tags, null).SelectMany(e => e.Value.Select(m => (e.Key, m))))
            errors.Add(new ConfigError(field, message));
        return errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray());
    }

    /// <summary>Validates, then stores the sweep and all its runs in one transaction and queues the runs; nothing is stored or queued on an error.</summary>
    public async Task<CreateSweepResult> CreateAsync(NewSweepRequest request, CancellationToken cancellationToken = default, RunActor? actor = null)
    {
        var errors = Validate(request);
        if (errors.Count > 0) return new CreateSweepResult(errors, null, []);

        var spec = new SweepSpec(request.Config, request.Axes);
        var fields = SweepExpansion.Fields(spec);
        var points = SweepExpansion.Expand(spec);
        var name = string.IsNullOrWhiteSpace(request.Name) ? DefaultName(spec.Base, fields) : request.Name.Trim();
        var tags = RunService.NormalizeTags(request.Tags);
        var now = DateTime.UtcNow;
        var sweep = new Sweep
        {
            Name = name,
            BaseConfigJson = RunJson.SerializeConfig(spec.Base),
            // Fields by their JSON path, so the stored axes read the same whatever spelling the request used.
            AxesJson = JsonSerializer.Serialize(fields.Select((f, i) => new SweepAxis(f.Path, spec.Axes[i].Values)).ToList(), RunJson.Options),
            RunCount = points.Count,
            GroupId = Guid.NewGuid(),
            CreatedAt = now,
        };

        var created = points.Select(point =>
        {
            var run = Run.For(point.Config, RunStatus.Queued, now);
            var label = $"{name} · {point.Label(fields)}";
            run.Name = label.Length <= Run.MaxNameLength ? label : label[..Run.MaxNameLength];
            run.Tags = [.. tags];
            run.GroupId = sweep.GroupId;
            run.GroupName = name;
            return run;
        }).ToList();
        await lifecycle.QueueNewAsync(created, actor ?? RunActor.Anonymous, cancellationToken, async (db, ct) =>
        {
            // The sweep row first: its id is what the runs point at.
            db.Sweeps.Add(sweep);
            await db.SaveChangesAsync(ct);
            foreach (var run in created) run.SweepId = sweep.Id;
        });
        logger.LogInformation("Sweep {SweepId} queued {Count} runs ({Axes})", sweep.Id, created.Count, string.Join(" x ", fields.Select(f => f.CliName)));
        return new CreateSweepResult(new Dictionary<string, string[]>(), sweep.Id, created.Select(r => r.Id).ToList());
    }

    static string DefaultName(TrainingConfig config, IReadOnlyList<SweepField> fields) =>
        $"{config.Model.Trim().ToLowerInvariant()} on {config.Dataset.Trim().ToLowerInvariant()}: {RecipePresets.NameOf(config)} over {string.Join(" × ", fields.Select(f => f.CliName))}";

    /// <summary>All sweeps, newest first.</summary>
    public async Task<IReadOnlyList<SweepSummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var sweeps = await db.Sweeps.AsNoTracking().OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id).ToListAsync(cancellationToken);
        var counts = await db.Runs.AsNoTracking().Where(r => r.SweepId != null)
            .GroupBy(r => new { r.SweepId, r.Status })
            .Select(g => new RunCount(g.Key.SweepId!.Value, g.Key.Status, g.Count(), g.Max(r => r.BestTestAccuracy)))
            .ToListAsync(cancellationToken);
        var bySweep = counts.ToLookup(c => c.SweepId);
        return sweeps.Select(s => Summarise(s, bySweep[s.Id])).ToList();
    }

    sealed record RunCount(long SweepId, RunStatus Status, int Count, double? BestTestAccuracy);

    static SweepSummary Summarise(Sweep sweep, IEnumerable<RunCount> counts)
    {
        var byStatus = counts.GroupBy(c => c.Status).ToDictionary(g => g.Key, g => g.Sum(c => c.Count));
        int Count(params RunStatus[] statuses) => statuses.Sum(s => byStatus.GetValueOrDefault(s));
        var config = RunJson.DeserializeConfig(sweep.BaseConfigJson);
        return new SweepSummary(sweep.Id, sweep.Name, SweepStatuses.Derive(byStatus), sweep.RunCount,
            byStatus.Where(kv => kv.Key.IsFinished()).Sum(kv => kv.Value),
            Count(RunStatus.Running, RunStatus.CancelRequested), Count(RunStatus.Queued), Count(RunStatus.Failed, RunStatus.Interrupted),
            Count(RunStatus.Cancelled), sweep.CreatedAt, AxesOf(sweep), config.Model, config.Dataset, RecipeText.Describe(config),
            counts.Max(c => c.BestTestAccuracy), sweep.GroupId);
    }

    static IReadOnlyList<SweepAxisView> AxesOf(Sweep sweep) =>
        (JsonSerializer.Deserialize<List<SweepAxis>>(sweep.AxesJson, RunJson.Options) ?? [])
        .Select(a => SweepFields.Find(a.Field) is { } f ? new SweepAxisView(f.CliName, f.Path, f.Title, a.Values) : new SweepAxisView(a.Field, a.Field, a.Field, a.Values))
        .ToList();

    /// <summary>The sweep with every run's axis values, status and metrics, in the grid's order; null when there is none.</summary>
    public async Task<SweepDetails?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var sweep = await db.Sweeps.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, cancellationToken);
        if (sweep is null) return null;
        var runRows = await db.Runs.AsNoTracking().Where(r => r.SweepId == id).OrderBy(r => r.Id)
            .Select(r => new { r.Id, r.Name, r.ConfigJson, r.Status, r.CompletedEpochs, r.Epochs, r.BestTestAccuracy })
            .ToListAsync(cancellationToken);
        var baseConfig = RunJson.DeserializeConfig(sweep.BaseConfigJson);
        int? watched = WatchedLayers.Primary(baseConfig.Model);
        var epochs = await db.EpochMetrics.AsNoTracking()
            .Where(e => db.Runs.Any(r => r.Id == e.RunId && r.SweepId == id))
            .Select(e => new { e.RunId, e.Epoch, e.TestLoss, e.TestAccuracy })
            .ToListAsync(cancellationToken);
        var js = watched is int layer
            ? await db.LayerMetrics.AsNoTracking()
                .Where(l => l.LayerIndex == layer && db.Runs.Any(r => r.Id == l.RunId && r.SweepId == id))
                .Select(l => new { l.RunId, l.Epoch, l.J })
                .ToListAsync(cancellationToken)
            : [];
        var epochsByRun = epochs.ToLookup(e => e.RunId);
        var jByRun = js.ToLookup(j => j.RunId);

        var axes = AxesOf(sweep);
        var fields = axes.Select(a => SweepFields.Find(a.Path)).ToList();
        var rows = new List<SweepRunRow>();
        var guidelineRuns = new List<GuidelineRun>();
        foreach (var run in runRows)
        {
            var config = RunJson.DeserializeConfig(run.ConfigJson);
            var jAt = jByRun[run.Id].ToDictionary(j => j.Epoch, j => j.J);
            var measurements = epochsByRun[run.Id]
                .Select(e => new EpochMeasurement(e.Epoch, e.TestLoss, e.TestAccuracy, jAt.GetValueOrDefault(e.Epoch)))
                .ToList();
            var setting = RunMetrics.SgdSettingOf(config);
            var metrics = RunMetrics.From(measurements, setting);
            rows.Add(new SweepRunRow(run.Id, run.Name, fields.Select(f => f?.Get(config)).ToList(), run.Status, run.CompletedEpochs, run.Epochs, metrics));
            if (RunMetrics.ScalingSettingOf(config) is { } scaling) guidelineRuns.Add(new GuidelineRun(run.Id, scaling, metrics));
        }
        var counts = runRows.GroupBy(r => r.Status).Select(g => new RunCount(id, g.Key, g.Count(), g.Max(r => r.BestTestAccuracy)));
        return new SweepDetails(Summarise(sweep, counts), baseConfig, rows, watched, SweepGuidelineCheck.From(guidelineRuns));
    }

    /// <summary>The ids of a sweep's runs (for live pages to pick their messages out of all runs').</summary>
    public async Task<IReadOnlySet<long>> RunIdsAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return (await db.Runs.AsNoTracking().Where(r => r.SweepId == id).Select(r => r.Id).ToListAsync(cancellationToken)).ToHashSet();
    }

    /// <summary>Who started the sweep (its runs carry the creator); null when there is no such sweep.</summary>
    public async Task<SweepCreator?> CreatorAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (!await db.Sweeps.AnyAsync(s => s.Id == id, cancellationToken)) return null;
        var first = await db.Runs.AsNoTracking().Where(r => r.SweepId == id).OrderBy(r => r.Id)
            .Select(r => new SweepCreator(r.CreatedByUserId, r.CreatedBy)).FirstOrDefaultAsync(cancellationToken);
        return first ?? new SweepCreator(null, null);
    }

    /// <summary>Cancels every queued or running run of the sweep (RunService's cancel each); null when there is no such sweep.</summary>
    public async Task<SweepCancelResult?> CancelAsync(long id, CancellationToken cancellationToken = default, RunActor? actor = null)
    {
        List<(long Id, RunStatus Status)> members;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            if (!await db.Sweeps.AnyAsync(s => s.Id == id, cancellationToken)) return null;
            members = (await db.Runs.AsNoTracking().Where(r => r.SweepId == id).Select(r => new { r.Id, r.Status }).ToListAsync(cancellationToken))
                .Select(r => (r.Id, r.Status)).ToList();
        }
        int cancelled = 0, finished = 0;
        foreach (var (runId, status) in members)
        {
            if (!status.CanCancel())
            {
                if (status.IsFinished()) finished++;
                continue;
            }
            var transition = await runs.CancelAsync(runId, cancellationToken, actor);
            if (transition.Outcome == RunTransitionOutcome.Done) cancelled++;
            else finished++; // it finished between the read and the cancel
        }
        logger.LogInformation("Sweep {SweepId}: {Cancelled} runs cancelled, {Finished} already finished", id, cancelled, finished);
        return new SweepCancelResult(cancelled, finished);
    }
}

/// <summary>The account that started a sweep (null id: before accounts, or auth mode none).</summary>
public sealed record SweepCreator(string? UserId, string? Name);
