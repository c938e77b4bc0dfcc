using Microsoft.Extensions.Options;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Jobs;

/// <summary>
/// Every SweepInterval, lets <see cref="RunLifecycle.SweepStaleAsync"/> mark runs whose job stopped sending
/// heartbeats as Interrupted (or Cancelled, when a cancel was pending), so no run shows "running" forever
/// after a crash. Interrupted runs can be resumed from their checkpoint.
/// </summary>
public sealed class StaleRunSweeper(RunLifecycle lifecycle, IOptions<TempBalanceWebOptions> options, ILogger<StaleRunSweeper> logger) : BackgroundService
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

    public Task<int> SweepAsync(CancellationToken cancellationToken = default) => lifecycle.SweepStaleAsync(cancellationToken);
}
