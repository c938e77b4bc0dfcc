using Hangfire;
using Microsoft.EntityFrameworkCore;
using TempBalance.Web.Data;
using TempBalance.Web.Live;

namespace TempBalance.Web.Jobs;

/// <summary>
/// At start-up, puts every unfinished run back on the queue. The embedded Hangfire storage is in memory, so
/// after a restart the database is the only record of what was queued or running; a run that was Running
/// becomes Queued (its heartbeat is meaningless now) and its job continues from the checkpoint.
/// </summary>
public sealed class RunRecovery(
    IDbContextFactory<TempBalanceDbContext> dbFactory,
    IBackgroundJobClient jobs,
    ILogger<RunRecovery> logger)
{
    public async Task<IReadOnlyList<long>> RequeueUnfinishedRunsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = DateTime.UtcNow;

        // No job of this process is running yet, so a requested cancel can complete right away.
        int cancelled = await db.Runs.Where(r => r.Status == RunStatus.CancelRequested).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.Status, RunStatus.Cancelled)
            .SetProperty(r => r.FinishedAt, now), cancellationToken);
        int requeued = await db.Runs.Where(r => r.Status == RunStatus.Running).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.Status, RunStatus.Queued), cancellationToken);

        var queued = await db.Runs.Where(r => r.Status == RunStatus.Queued).OrderBy(r => r.Id)
            .Select(r => r.Id).ToListAsync(cancellationToken);
        foreach (var id in queued)
            jobs.Enqueue<TrainingJob>(job => job.RunAsync(id, CancellationToken.None));
        if (queued.Count > 0 || cancelled > 0)
            logger.LogInformation("Start-up: re-queued runs {RunIds} ({Requeued} were running, resuming from their checkpoints); {Cancelled} pending cancels completed",
                queued, requeued, cancelled);
        return queued;
    }
}

/// <summary>
/// Marks runs whose job stopped sending heartbeats as Interrupted (or Cancelled, when a cancel was pending),
/// so no run shows "running" forever after a crash. Interrupted runs can be resumed from their checkpoint.
/// </summary>
public sealed class StaleRunSweeper(
    IDbContextFactory<TempBalanceDbContext> dbFactory,
    TrainingUpdates updates,
    Microsoft.Extensions.Options.IOptions<TempBalanceWebOptions> options,
    ILogger<StaleRunSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try { await SweepAsync(stoppingToken); }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Sweeping stale runs failed; trying again in {Interval}", options.Value.SweepInterval);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public async Task<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        var timeout = options.Value.StaleRunTimeout;
        var staleBefore = DateTime.UtcNow - timeout;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var stale = await db.Runs.AsNoTracking()
            .Where(r => (r.Status == RunStatus.Running || r.Status == RunStatus.CancelRequested)
                        && (r.HeartbeatAt == null || r.HeartbeatAt < staleBefore))
            .Select(r => new { r.Id, r.Status, r.HeartbeatAt, r.LastSequence })
            .ToListAsync(cancellationToken);
        foreach (var run in stale)
        {
            var target = run.Status == RunStatus.CancelRequested ? RunStatus.Cancelled : RunStatus.Interrupted;
            var message = target == RunStatus.Interrupted
                ? $"No heartbeat since {run.HeartbeatAt:u} (timeout {timeout}): the training job stopped. Resume the run to continue from its last checkpoint."
                : null;
            var sequence = updates.NextSequence(run.Id, run.LastSequence);
            var now = DateTime.UtcNow;
            int changed = await db.Runs
                .Where(r => r.Id == run.Id && r.Status == run.Status && r.HeartbeatAt == run.HeartbeatAt)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(r => r.Status, target)
                    .SetProperty(r => r.ErrorMessage, message)
                    .SetProperty(r => r.FinishedAt, now)
                    .SetProperty(r => r.LastSequence, sequence), cancellationToken);
            if (changed == 0) continue;
            logger.LogWarning("Run {RunId}: no heartbeat since {Heartbeat}; marked {Status}", run.Id, run.HeartbeatAt, target);
            updates.Publish(new StatusChangedUpdate(run.Id, sequence, target, message));
        }
        return stale.Count;
    }
}
