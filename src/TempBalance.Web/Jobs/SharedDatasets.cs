using TempBalance.Core.Data;

namespace TempBalance.Web.Jobs;

/// <summary>
/// The datasets this node's training jobs share: a run reads its dataset's files only when no run has read them in
/// the last <see cref="IdleRelease"/>, so the runs of a sweep, which follow one another within seconds, read them once
/// (each read of Fashion-MNIST cost a run a fraction of a second and hundreds of MB of allocations). A node with no
/// run starting for that long gives the memory back (Fashion-MNIST holds about 55 MB, CIFAR-10 about 180 MB).
/// </summary>
public sealed class SharedDatasets : IDatasetSource, IDisposable
{
    /// <summary>How long datasets stay in memory after the last run read them.</summary>
    public static readonly TimeSpan DefaultIdleRelease = TimeSpan.FromMinutes(10);

    readonly Lock _gate = new();
    readonly TimeProvider _time;
    DatasetCache? _cache;
    int _loading;
    ITimer? _release;
    bool _disposed;

    public SharedDatasets(TimeProvider time) : this(time, DefaultIdleRelease)
    {
    }

    public SharedDatasets(TimeProvider time, TimeSpan idleRelease)
    {
        _time = time;
        IdleRelease = idleRelease;
    }

    public TimeSpan IdleRelease { get; }

    /// <summary>Whether datasets are held now (for tests and diagnostics).</summary>
    public bool Holding
    {
        get
        {
            lock (_gate) return _cache is not null;
        }
    }

    public DatasetSplits Load(string name, string dataRoot, int? subset = null, bool keepFullTestSet = false)
    {
        DatasetCache cache;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            cache = _cache ??= new DatasetCache();
            _loading++;
            _release?.Dispose();
            _release = null;
        }
        try
        {
            return cache.Load(name, dataRoot, subset, keepFullTestSet);
        }
        finally
        {
            lock (_gate)
            {
                if (--_loading == 0 && !_disposed)
                    _release = _time.CreateTimer(_ => ReleaseIfIdle(), null, IdleRelease, Timeout.InfiniteTimeSpan);
            }
        }
    }

    void ReleaseIfIdle()
    {
        DatasetCache? idle;
        lock (_gate)
        {
            // A run began reading since the timer was set: it sets a new one when it is done.
            if (_loading > 0) return;
            idle = _cache;
            _cache = null;
        }
        // Runs hold copies of their own, so the originals go whatever the runs are doing.
        idle?.Dispose();
    }

    public void Dispose()
    {
        DatasetCache? cache;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _release?.Dispose();
            cache = _cache;
            _cache = null;
        }
        cache?.Dispose();
    }
}
