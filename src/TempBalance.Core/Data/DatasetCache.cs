namespace TempBalance.Core.Data;

/// <summary>Where a trainer gets its dataset when it does not read the files itself (<see cref="DatasetLoader.Load"/>).</summary>
public interface IDatasetSource
{
    /// <summary>The same as <see cref="DatasetLoader.Load"/>: the caller owns the splits it gets.</summary>
    DatasetSplits Load(string name, string dataRoot, int? subset = null, bool keepFullTestSet = false);
}

/// <summary>
/// Datasets read once and handed out as copies, for a process that trains many runs on the same data (a sweep).
/// Reading and decompressing Fashion-MNIST for every run cost each run a fraction of a second and large
/// allocations whose garbage collections paused every other run's thread as well. Each caller gets its own copy
/// (with its subset taken), which it may move and dispose as if it had loaded it; the cache keeps the originals
/// on the CPU until it is disposed. Safe to use from several threads.
/// </summary>
public sealed class DatasetCache : IDatasetSource, IDisposable
{
    readonly Dictionary<(string Name, string Root), Lazy<(DatasetInfo Info, ImageData Train, ImageData Test)>> _loaded = [];
    bool _disposed;

    /// <summary>The same as <see cref="DatasetLoader.Load"/>, reading the dataset's files only the first time.</summary>
    public DatasetSplits Load(string name, string dataRoot, int? subset = null, bool keepFullTestSet = false)
    {
        Lazy<(DatasetInfo Info, ImageData Train, ImageData Test)> entry;
        lock (_loaded)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var key = (name.Trim().ToLowerInvariant(), Path.GetFullPath(dataRoot));
            if (!_loaded.TryGetValue(key, out entry!))
                _loaded[key] = entry = new(() => DatasetLoader.LoadAll(name, dataRoot), LazyThreadSafetyMode.ExecutionAndPublication);
        }
        // A failed read is not kept: the next caller reads again (the files may have been put in place meanwhile).
        (DatasetInfo Info, ImageData Train, ImageData Test) all;
        try
        {
            all = entry.Value;
        }
        catch
        {
            lock (_loaded)
            {
                foreach (var stale in _loaded.Where(kv => ReferenceEquals(kv.Value, entry)).Select(kv => kv.Key).ToList()) _loaded.Remove(stale);
            }
            throw;
        }
        var train = all.Train.CopyOfFirst(subset);
        var test = all.Test.CopyOfFirst(keepFullTestSet ? null : subset);
        return DatasetLoader.Splits(all.Info, train, test);
    }

    public void Dispose()
    {
        lock (_loaded)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var entry in _loaded.Values.Where(e => e.IsValueCreated))
            {
                entry.Value.Train.Dispose();
                entry.Value.Test.Dispose();
            }
            _loaded.Clear();
        }
    }
}
