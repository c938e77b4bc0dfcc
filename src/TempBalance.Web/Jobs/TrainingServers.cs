using Hangfire;

namespace TempBalance.Web.Jobs;

/// <summary>The job servers that take training jobs now, on any node, and how many runs they train at once.</summary>
public sealed record TrainingCapacity(int Servers, int Workers)
{
    /// <summary>How the runs of a sweep will train, in words, with the setting that changes it.</summary>
    public string DescribeForSweep() => (Servers, Workers) switch
    {
        (0, _) => "No job server takes training jobs now: the runs wait in the queue until one starts.",
        (_, 1) => $"The sweep's runs train one at a time here (1 worker). {WorkersSetting} sets how many runs a node trains at once; " +
                  "for small models on a CPU, one per core finishes a sweep soonest.",
        (1, _) => $"The sweep's runs train {Workers} at a time here ({Workers} workers; {WorkersSetting}).",
        _ => $"The sweep's runs train {Workers} at a time here ({Workers} workers on {Servers} nodes; {WorkersSetting}).",
    };

    const string WorkersSetting = TempBalanceWebOptions.Section + ":Workers";
}

/// <summary>
/// Reads Hangfire's server list: a server counts while it serves the training queue and has sent a heartbeat within
/// the last minute. One rule for the readiness check and for the pages that say how runs will train.
/// </summary>
public sealed class TrainingServers(JobStorage storage, TimeProvider time)
{
    static readonly TimeSpan MaxSilence = TimeSpan.FromMinutes(1);

    public TrainingCapacity Alive()
    {
        var now = time.GetUtcNow().UtcDateTime;
        var alive = storage.GetMonitoringApi().Servers()
            .Where(s => s.Queues.Contains(TrainingJob.Queue) && s.Heartbeat is { } beat && now - beat < MaxSilence)
            .ToList();
        return new TrainingCapacity(alive.Count, alive.Sum(s => s.WorkersCount));
    }
}
