using TempBalance.Web.Data;

namespace TempBalance.Web.Runs;

/// <summary>Why a run changes state; each cause has its own edges in <see cref="RunTransitions"/>.</summary>
public enum RunCause
{
    /// <summary>A training job takes the run (queued, or running/interrupted with a stale heartbeat).</summary>
    Claim,

    /// <summary>A person cancels: a queued run at once, a running one at its next batch.</summary>
    Cancel,

    /// <summary>A person queues a stopped run again; it continues from its checkpoint.</summary>
    Resume,

    /// <summary>The training job ends: completed, diverged, failed, or stopped by a cancel.</summary>
    Finish,

    /// <summary>The stale-run sweeper: the job's heartbeat stopped.</summary>
    Sweep,

    /// <summary>Start-up: no job of this process runs yet, so running runs are queued again.</summary>
    Recover,
}

/// <summary>
/// The run state machine: every (from, to, cause) edge a run may take. <see cref="RunLifecycle"/> refuses any
/// other, so a state change that is not listed here cannot happen anywhere in the app.
/// </summary>
public static class RunTransitions
{
    public sealed record Edge(RunStatus From, RunStatus To, RunCause Cause);

    public static readonly IReadOnlyList<Edge> All =
    [
        new(RunStatus.Queued, RunStatus.Running, RunCause.Claim),
        new(RunStatus.Running, RunStatus.Running, RunCause.Claim),
        new(RunStatus.Interrupted, RunStatus.Running, RunCause.Claim),

        new(RunStatus.Queued, RunStatus.Cancelled, RunCause.Cancel),
        new(RunStatus.Running, RunStatus.CancelRequested, RunCause.Cancel),

        new(RunStatus.Cancelled, RunStatus.Queued, RunCause.Resume),
        new(RunStatus.Failed, RunStatus.Queued, RunCause.Resume),
        new(RunStatus.Interrupted, RunStatus.Queued, RunCause.Resume),

        new(RunStatus.Running, RunStatus.Completed, RunCause.Finish),
        new(RunStatus.Running, RunStatus.Diverged, RunCause.Finish),
        new(RunStatus.Running, RunStatus.Failed, RunCause.Finish),
        new(RunStatus.Running, RunStatus.Cancelled, RunCause.Finish),
        // A cancel that arrives during the last batch finds the run already done.
        new(RunStatus.CancelRequested, RunStatus.Completed, RunCause.Finish),
        new(RunStatus.CancelRequested, RunStatus.Diverged, RunCause.Finish),
        new(RunStatus.CancelRequested, RunStatus.Failed, RunCause.Finish),
        new(RunStatus.CancelRequested, RunStatus.Cancelled, RunCause.Finish),

        new(RunStatus.Running, RunStatus.Interrupted, RunCause.Sweep),
        new(RunStatus.CancelRequested, RunStatus.Cancelled, RunCause.Sweep),

        new(RunStatus.Running, RunStatus.Queued, RunCause.Recover),
        new(RunStatus.CancelRequested, RunStatus.Cancelled, RunCause.Recover),
    ];

    static readonly HashSet<Edge> Allowed = [.. All];

    public static bool IsAllowed(RunStatus from, RunStatus to, RunCause cause) => Allowed.Contains(new Edge(from, to, cause));

    /// <summary>Whether a run in this state can take an edge of this cause at all.</summary>
    public static bool Allows(RunStatus from, RunCause cause) => All.Any(e => e.From == from && e.Cause == cause);

    /// <summary>Where a cause takes a run from this state; null when it cannot.</summary>
    public static RunStatus? Target(RunStatus from, RunCause cause) =>
        All.FirstOrDefault(e => e.From == from && e.Cause == cause)?.To;

    /// <summary>A run is deleted with its files only when no job can be writing them.</summary>
    public static bool CanDelete(RunStatus status) => status.IsFinished();
}
