using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using TempBalance.Core.Training;
using TempBalance.Web.Data;
using TempBalance.Web.Jobs;
using TempBalance.Web.Live;

namespace TempBalance.Web.Runs;

/// <summary>How a training job ended: the trainer's outcome (null when it threw), its message, and whether the app was stopping.</summary>
public sealed record JobEnd(RunOutcome? Outcome, string? Message, bool StoppedByShutdown);

/// <summary>
/// The one home of run state changes. Each change checks <see cref="RunTransitions"/>, is a compare-and-set
/// update (it applies only if the run is still in the state it was read in), takes the run's next live
/// sequence number, stores the message people see (cleaned of server paths and native stack frames), and is
/// published only after it is stored. Creating, cancelling, resuming, deleting, claiming by a job, finishing,
/// sweeping stale runs and start-up recovery all go through here, with the actor who asked.
/// </summary>
public sealed class RunLifecycle(
    IDbContextFactory<TempBalanceDbContext> dbFactory,
    IBackgroundJobClient jobs,
    TrainingUpdates updates,
    RunCancellations cancellations,
    UserMessageCleaner messages,
    IOptions<TempBalanceWebOptions> options,
    TimeProvider time,
    ILogger<RunLifecycle> logger)
{
    // A compare-and-set that loses to a concurrent change reads the run again; more losses than this in a row
    // mean someone keeps changing it, and the caller is told to try again.
    const int Attempts = 5;

    DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>
    /// Stores new queued runs, announces them and puts them on the training queue. <paramref name="storeFirst"/>
    /// stores what the runs belong to (a sweep) in the same transaction, so either all of it is kept or none.
    /// </summary>
    public async Task QueueNewAsync(IReadOnlyList<Run> runs, RunActor actor, CancellationToken cancellationToken = default,
        Func<TempBalanceDbContext, CancellationToken, Task>? storeFirst = null)
    {
        if (runs.Any(r => r.Status != RunStatus.Queued)) throw new ArgumentException("New runs start queued.", nameof(runs));
        // The Queued message is the first of each run: sequence 1, stored so a restart continues above it.
        foreach (var run in runs)
        {
            run.LastSequence = 1;
            run.CreatedBy = actor.Name;
            run.CreatedByUserId = actor.UserId;
        }
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            if (storeFirst is not null) await storeFirst(db, cancellationToken);
            db.Runs.AddRange(runs);
            await db.SaveChangesAsync(cancellationToken);
            var now = Now;
            foreach (var run in runs)
                RunAudit.Add(db, run.Id, actor, "created", runs.Count > 1 ? $"queued, one of {runs.Count} runs of group {run.GroupName}" : "queued", now);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        foreach (var run in runs)
        {
            updates.Forget(run.Id); // an id SQLite reuses after a delete starts afresh
            updates.Publish(new StatusChangedUpdate(run.Id, updates.NextSequence(run.Id, 0), RunStatus.Queued, null));
            Enqueue(run.Id);
        }
        logger.LogInformation("Runs {RunIds} queued by {Actor}", runs.Select(r => r.Id), actor);
    }

    /// <summary>
    /// A queued run is cancelled at once; a running one becomes CancelRequested and its job stops at the next
    /// batch and finishes it as Cancelled. Cancelling twice is fine; cancelling a finished run is a conflict.
    /// </summary>
    public async Task<RunTransition> CancelAsync(long id, RunActor actor, CancellationToken cancellationToken = default)
    {
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var run = await ReadAsync(db, id, cancellationToken);
            if (run is null) return RunTransition.NotFound;
            if (run.Status == RunStatus.CancelRequested)
            {
                cancellations.RequestCancel(id);
                return new RunTransition(RunTransitionOutcome.Done, run.Status, "Cancel was already requested; the run stops after its current batch.");
            }
            if (RunTransitions.Target(run.Status, RunCause.Cancel) is not { } target)
                return new RunTransition(RunTransitionOutcome.Conflict, run.Status,
                    $"Run {id} is already {run.Status}; only queued or running runs can be cancelled.");

            if (!await MoveAsync(db, run, target, RunCause.Cancel, actor, null, cancellationToken)) continue;
            if (target == RunStatus.CancelRequested) cancellations.RequestCancel(id);
            return new RunTransition(RunTransitionOutcome.Done, target, null);
        }
        return new RunTransition(RunTransitionOutcome.Conflict, null, $"Run {id} kept changing state; try again.");
    }

    /// <summary>Queues a cancelled, failed or interrupted run again; it continues from its last checkpoint.</summary>
    public async Task<RunTransition> ResumeAsync(long id, RunActor actor, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var run = await ReadAsync(db, id, cancellationToken);
        if (run is null) return RunTransition.NotFound;
        if (!RunTransitions.Allows(run.Status, RunCause.Resume))
        {
            return new RunTransition(RunTransitionOutcome.Conflict, run.Status, run.Status switch
            {
                RunStatus.Completed => $"Run {id} already completed; create a new run to train longer.",
                RunStatus.Diverged => $"Run {id} diverged; resuming would repeat the divergence. Create a new run with a smaller lr.",
                _ => $"Run {id} is {run.Status}; only cancelled, failed or interrupted runs can be resumed.",
            });
        }
        if (!await MoveAsync(db, run, RunStatus.Queued, RunCause.Resume, actor, null, cancellationToken, announce: "Resumed"))
            return new RunTransition(RunTransitionOutcome.Conflict, null, $"Run {id} changed state meanwhile; try again.");
        Enqueue(id);
        return new RunTransition(RunTransitionOutcome.Done, RunStatus.Queued, null);
    }

    /// <summary>
    /// Deletes a finished run: its rows (epochs, layers, spectra, system metrics) and its folder (checkpoint,
    /// results). A queued or running run must be cancelled first.
    /// </summary>
    public async Task<RunTransition> DeleteAsync(long id, RunActor actor, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var run = await ReadAsync(db, id, cancellationToken);
        if (run is null) return RunTransition.NotFound;
        if (!RunTransitions.CanDelete(run.Status))
            return new RunTransition(RunTransitionOutcome.Conflict, run.Status, $"Run {id} is {run.Status}; cancel it before deleting it.");
        // Only from the state read: a resume in between must not lose a queued run.
        int deleted = await db.Runs.Where(r => r.Id == id && r.Status == run.Status).ExecuteDeleteAsync(cancellationToken);
        if (deleted == 0) return new RunTransition(RunTransitionOutcome.Conflict, null, $"Run {id} changed state meanwhile; try again.");
        updates.Forget(id);
        var folder = options.Value.RunDirectory(id);
        try
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(e, "Run {RunId} was deleted, but its folder {Folder} could not be removed", id, folder);
        }
        logger.LogInformation("Run {RunId} ({Status}) deleted by {Actor}", id, run.Status, actor);
        return new RunTransition(RunTransitionOutcome.Done, null, null);
    }

    /// <summary>
    /// Moves the run to Running for a training job unless another job has it: a queued run, or a running or
    /// interrupted one whose heartbeat is stale (its job died and the queue delivered the run again).
    /// Returns the run as it was before, or null when this job must not train it.
    /// </summary>
    public async Task<Run?> ClaimAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (run is null)
        {
            logger.LogWarning("Run {RunId} does not exist; nothing to train", id);
            return null;
        }
        var now = Now;
        bool stale = run.HeartbeatAt is null || run.HeartbeatAt < now - options.Value.StaleRunTimeout;
        if (!RunTransitions.IsAllowed(run.Status, RunStatus.Running, RunCause.Claim) || (run.Status != RunStatus.Queued && !stale))
        {
            logger.LogInformation("Run {RunId} is {Status}; this job does not start it", id, run.Status);
            return null;
        }
        var state = new RunState(run.Id, run.Status, run.LastSequence, run.HeartbeatAt);
        bool claimed = await MoveAsync(db, state, RunStatus.Running, RunCause.Claim, RunActor.TrainingJob, null, cancellationToken,
            also: s => s.SetProperty(r => r.StartedAt, r => r.StartedAt ?? now).SetProperty(r => r.HeartbeatAt, now),
            sameHeartbeat: true);
        if (!claimed)
        {
            logger.LogInformation("Run {RunId} was claimed by another job", id);
            return null;
        }
        return run;
    }

    /// <summary>
    /// Stores how a training job ended. A run stopped by the app shutting down (not by a cancel) stays Running,
    /// so the next start resumes it. Returns the final status, or null when the run stays as it is (also when
    /// the sweeper or a person moved it on meanwhile: then the job's end is not this run's any more).
    /// </summary>
    public async Task<RunStatus?> FinishAsync(long id, JobEnd end, CancellationToken cancellationToken = default)
    {
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var run = await ReadAsync(db, id, cancellationToken);
            if (run is null || run.Status is not (RunStatus.Running or RunStatus.CancelRequested))
            {
                logger.LogWarning("Run {RunId} is {Status} now; its job's end ({Outcome}) is not stored", id, run?.Status, end.Outcome?.ToString() ?? "failed");
                return null;
            }
            var target = end.Outcome switch
            {
                null => RunStatus.Failed,
                RunOutcome.Completed => RunStatus.Completed,
                RunOutcome.Diverged => RunStatus.Diverged,
                _ when run.Status == RunStatus.CancelRequested || !end.StoppedByShutdown => RunStatus.Cancelled,
                _ => RunStatus.Running,
            };
            if (target == RunStatus.Running)
            {
                logger.LogInformation("Run {RunId} stopped because the app is shutting down; it resumes from its checkpoint on the next start", id);
                return null;
            }
            if (await MoveAsync(db, run, target, RunCause.Finish, RunActor.TrainingJob, end.Message, cancellationToken,
                    also: s => s.SetProperty(r => r.ProgressBatch, (int?)null).SetProperty(r => r.EtaSeconds, (double?)null)))
                return target;
        }
        logger.LogWarning("Run {RunId} kept changing state while its job ended; its end is not stored", id);
        return null;
    }

    /// <summary>
    /// A job stopped by its worker's shutdown gives its run up: the heartbeat is cleared, so the next job the
    /// queue delivers claims the run at once instead of after StaleRunTimeout. Not a state change (the run stays
    /// Running until then); false when the run is no longer Running.
    /// </summary>
    public async Task<bool> ReleaseAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Runs.Where(r => r.Id == id && r.Status == RunStatus.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.HeartbeatAt, (DateTime?)null), cancellationToken) > 0;
    }

    /// <summary>
    /// Marks runs whose job stopped sending heartbeats as Interrupted (Cancelled when a cancel was pending), so
    /// no run shows "running" forever after a crash. Returns how many it marked.
    /// </summary>
    public async Task<int> SweepStaleAsync(CancellationToken cancellationToken = default)
    {
        var timeout = options.Value.StaleRunTimeout;
        var staleBefore = Now - timeout;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var stale = await db.Runs.AsNoTracking()
            .Where(r => (r.Status == RunStatus.Running || r.Status == RunStatus.CancelRequested)
                        && (r.HeartbeatAt == null || r.HeartbeatAt < staleBefore))
            .Select(r => new RunState(r.Id, r.Status, r.LastSequence, r.HeartbeatAt))
            .ToListAsync(cancellationToken);
        int marked = 0;
        foreach (var run in stale)
        {
            var target = RunTransitions.Target(run.Status, RunCause.Sweep)!.Value;
            var message = target == RunStatus.Interrupted
                ? $"No heartbeat since {run.HeartbeatAt:u} (timeout {timeout}): the training job stopped. " + (QueueOutlivesProcesses
                    ? $"The queue hands the run to another worker within {options.Value.Queue.InvisibilityTimeout}, which continues from its last checkpoint; or resume it now."
                    : "Resume the run to continue from its last checkpoint.")
                : null;
            // Only if no heartbeat arrived since it was read: a slow job that just checked in keeps its run.
            if (await MoveAsync(db, run, target, RunCause.Sweep, RunActor.Sweeper, message, cancellationToken, sameHeartbeat: true)) marked++;
        }
        return marked;
    }

    /// <summary>
    /// At start-up, before any job of this process runs: completes requested cancels, queues running runs
    /// again (they continue from their checkpoints) and puts every queued run on the training queue, whose
    /// embedded storage may have forgotten them. Returns the queued run ids.
    /// </summary>
    public async Task<IReadOnlyList<long>> RecoverAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var unfinished = await db.Runs.AsNoTracking()
            .Where(r => r.Status == RunStatus.Running || r.Status == RunStatus.CancelRequested)
            .Select(r => new RunState(r.Id, r.Status, r.LastSequence, r.HeartbeatAt))
            .ToListAsync(cancellationToken);
        foreach (var run in unfinished)
            await MoveAsync(db, run, RunTransitions.Target(run.Status, RunCause.Recover)!.Value, RunCause.Recover, RunActor.Startup, null, cancellationToken);

        var queued = await db.Runs.Where(r => r.Status == RunStatus.Queued).OrderBy(r => r.Id).Select(r => r.Id).ToListAsync(cancellationToken);
        foreach (var id in queued) Enqueue(id);
        if (queued.Count > 0 || unfinished.Count > 0)
            logger.LogInformation("Start-up: runs {RunIds} queued again; {Unfinished} were running or stopping", queued, unfinished.Count);
        return queued;
    }

    /// <summary>The PostgreSQL queue keeps a dead process's job and delivers it again; the in-memory one dies with it.</summary>
    bool QueueOutlivesProcesses => options.Value.UsesPostgres;

    sealed record RunState(long Id, RunStatus Status, long LastSequence, DateTime? HeartbeatAt);

    static Task<RunState?> ReadAsync(TempBalanceDbContext db, long id, CancellationToken cancellationToken) =>
        db.Runs.AsNoTracking().Where(r => r.Id == id)
            .Select(r => new RunState(r.Id, r.Status, r.LastSequence, r.HeartbeatAt))
            .FirstOrDefaultAsync(cancellationToken);

    /// <summary>
    /// The compare-and-set every state change goes through: applies only while the run is still in the state
    /// read (and, with <paramref name="sameHeartbeat"/>, has the heartbeat read), stores the cleaned message,
    /// the finish time and the sequence number, then publishes. False when the run changed meanwhile.
    /// </summary>
    async Task<bool> MoveAsync(TempBalanceDbContext db, RunState run, RunStatus to, RunCause cause, RunActor actor, string? message,
        CancellationToken cancellationToken, string? announce = null, Action<UpdateSettersBuilder<Run>>? also = null, bool sameHeartbeat = false)
    {
        if (!RunTransitions.IsAllowed(run.Status, to, cause))
            throw new InvalidOperationException($"Run {run.Id}: {run.Status} -> {to} is not a {cause} transition.");
        var stored = message is null ? null : messages.Clean(message);
        var sequence = updates.NextSequence(run.Id, run.LastSequence);
        var now = Now;
        // The sequence check also catches a run that left the state read and came back to it (A-B-A) meanwhile:
        // its stored number is then higher than the one taken here, and numbers must never go down.
        var query = db.Runs.Where(r => r.Id == run.Id && r.Status == run.Status && r.LastSequence < sequence);
        if (sameHeartbeat) query = query.Where(r => r.HeartbeatAt == run.HeartbeatAt);
        int changed = await query.ExecuteUpdateAsync(s =>
        {
            s.SetProperty(r => r.Status, to)
                .SetProperty(r => r.ErrorMessage, stored)
                .SetProperty(r => r.LastSequence, sequence);
            if (to.IsFinished()) s.SetProperty(r => r.FinishedAt, now);
            else if (to == RunStatus.Queued) s.SetProperty(r => r.FinishedAt, (DateTime?)null);
            also?.Invoke(s);
        }, cancellationToken);
        if (changed == 0) return false;
        RunAudit.Add(db, run.Id, actor, cause.ToString().ToLowerInvariant(), $"{run.Status} -> {to}" + (stored is null ? "" : $": {stored}"), now);
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Run {RunId}: {From} -> {To} ({Cause} by {Actor})", run.Id, run.Status, to, cause, actor);
        updates.Publish(new StatusChangedUpdate(run.Id, sequence, to, announce ?? stored));
        return true;
    }

    void Enqueue(long id) => jobs.Enqueue<TrainingJob>(job => job.RunAsync(id, CancellationToken.None));
}

public static class RunLifecycleRegistration
{
    /// <summary>The run lifecycle and what it needs, in every role: web nodes create, cancel and resume runs, workers claim and finish them.</summary>
    public static void AddRunLifecycle(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<RunCancellations>();
        services.AddSingleton<UserMessageCleaner>();
        services.AddSingleton<RunLifecycle>();
    }
}
