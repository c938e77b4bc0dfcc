using System.Collections.Concurrent;

namespace TempBalance.Web.Live;

/// <summary>
/// In-process publish/subscribe of live run updates. Training jobs and RunService publish (after persisting);
/// Blazor components subscribe directly, and <see cref="TrainingHubBroadcaster"/> forwards to SignalR. With
/// several nodes, <see cref="RedisUpdateRelay"/> sends what this process publishes to the others and hands
/// theirs to <see cref="Receive"/>, so a page on the web node sees a run that trains on a worker.
/// Handlers run on the publisher's thread (often the training thread): keep them short and marshal to the
/// component with InvokeAsync.
/// </summary>
public sealed class TrainingUpdates(ILogger<TrainingUpdates> logger)
{
    // Messages sent after the last persisted sequence (batch progress between heartbeats) are not stored;
    // a restarted app continues this far above the stored value so numbers never repeat.
    internal const long RestartGap = 1000;

    readonly ConcurrentDictionary<long, long> _sequences = new();
    readonly Lock _gate = new();
    Action<RunUpdate>[] _allHandlers = [];
    Action<RunUpdate>[] _publishedHereHandlers = [];
    readonly Dictionary<long, Action<RunUpdate>[]> _runHandlers = new();

    /// <summary>Allocates the next sequence number of a run; <paramref name="lastStored"/> is Run.LastSequence from the database.</summary>
    public long NextSequence(long runId, long lastStored) =>
        _sequences.AddOrUpdate(runId,
            _ => lastStored == 0 ? 1 : lastStored + RestartGap,
            (_, current) => Math.Max(current, lastStored) + 1);

    /// <summary>Drops a deleted run's counter (an id SQLite hands out again starts afresh).</summary>
    public void Forget(long runId) => _sequences.TryRemove(runId, out _);

    /// <summary>The last sequence number allocated for a run in this process, or 0.</summary>
    public long CurrentSequence(long runId) => _sequences.GetValueOrDefault(runId);

    /// <summary>Runs that have subscribers now.</summary>
    internal int SubscribedRunCount
    {
        get
        {
            lock (_gate) return _runHandlers.Count;
        }
    }

    /// <summary>Receives updates of one run until disposed.</summary>
    public IDisposable Subscribe(long runId, Action<RunUpdate> handler)
    {
        lock (_gate)
            _runHandlers[runId] = [.. _runHandlers.GetValueOrDefault(runId) ?? [], handler];
        return new Subscription(() =>
        {
            lock (_gate)
            {
                var remaining = (_runHandlers.GetValueOrDefault(runId) ?? []).Where(h => h != handler).ToArray();
                if (remaining.Length == 0) _runHandlers.Remove(runId);
                else _runHandlers[runId] = remaining;
            }
        });
    }

    /// <summary>Receives updates of every run until disposed (runs list, queue page, SignalR forwarding).</summary>
    public IDisposable SubscribeAll(Action<RunUpdate> handler)
    {
        lock (_gate) _allHandlers = [.. _allHandlers, handler];
        return new Subscription(() =>
        {
            lock (_gate) _allHandlers = _allHandlers.Where(h => h != handler).ToArray();
        });
    }

    /// <summary>
    /// Receives only the updates this process publishes, not those another node's relay delivered: for the
    /// SignalR hub (whose backplane carries a message to every node from where it was sent) and the relay itself.
    /// </summary>
    public IDisposable SubscribePublishedHere(Action<RunUpdate> handler)
    {
        lock (_gate) _publishedHereHandlers = [.. _publishedHereHandlers, handler];
        return new Subscription(() =>
        {
            lock (_gate) _publishedHereHandlers = _publishedHereHandlers.Where(h => h != handler).ToArray();
        });
    }

    public void Publish(RunUpdate update) => Dispatch(update, publishedHere: true);

    /// <summary>
    /// An update another node published: its sequence number is counted (numbers this process hands out for
    /// the run continue above it) and it goes to this process's subscribers.
    /// </summary>
    public void Receive(RunUpdate update)
    {
        _sequences.AddOrUpdate(update.RunId, update.Sequence, (_, current) => Math.Max(current, update.Sequence));
        Dispatch(update, publishedHere: false);
    }

    void Dispatch(RunUpdate update, bool publishedHere)
    {
        Action<RunUpdate>[] all, forRun, here;
        lock (_gate)
        {
            all = _allHandlers;
            forRun = _runHandlers.GetValueOrDefault(update.RunId) ?? [];
            here = publishedHere ? _publishedHereHandlers : [];
        }
        // Three plain loops: this runs for every batch message, and a concatenating enumerator would allocate each time.
        Deliver(all, update);
        Deliver(forRun, update);
        Deliver(here, update);
    }

    void Deliver(Action<RunUpdate>[] handlers, RunUpdate update)
    {
        foreach (var handler in handlers)
        {
            try { handler(update); }
            catch (Exception ex) { logger.LogWarning(ex, "A subscriber failed on {Update} of run {RunId}", update.GetType().Name, update.RunId); }
        }
    }

    sealed class Subscription(Action dispose) : IDisposable
    {
        int _disposed;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) dispose();
        }
    }
}
