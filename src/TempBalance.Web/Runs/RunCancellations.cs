using System.Collections.Concurrent;

namespace TempBalance.Web.Runs;

/// <summary>
/// The cancellation sources of the runs training in this process, so a cancel request stops its run at the
/// next batch instead of at the job's next heartbeat (which still catches requests made on another instance).
/// </summary>
public sealed class RunCancellations
{
    readonly ConcurrentDictionary<long, CancellationTokenSource> _running = new();

    public IDisposable Register(long runId, CancellationTokenSource source)
    {
        _running[runId] = source;
        return new Registration(() => _running.TryRemove(new KeyValuePair<long, CancellationTokenSource>(runId, source)));
    }

    /// <summary>Runs training in this process now.</summary>
    internal int Count => _running.Count;

    /// <summary>Returns whether the run was training in this process.</summary>
    public bool RequestCancel(long runId)
    {
        if (!_running.TryGetValue(runId, out var source)) return false;
        try { source.Cancel(); }
        catch (ObjectDisposedException) { return false; }
        return true;
    }

    sealed class Registration(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}
