using TorchSharp;

namespace TempBalance.Core;

/// <summary>Torch's CPU threads: a run's share of the cores, and the count for the calling OS thread.</summary>
public static class TorchThreads
{
    /// <summary>Each of <paramref name="workers"/> runs' share of this machine's cores as torch threads, at least one.</summary>
    public static int ShareOfCores(int workers) => Math.Max(1, Environment.ProcessorCount / Math.Max(1, workers));

    /// <summary>
    /// Sets how many CPU threads torch uses for work started on this OS thread; other threads keep theirs, so runs
    /// side by side can each have their own share of the cores. libtorch (OpenMP) keeps the count per thread, but a
    /// thread's first torch call copies the last count set anywhere in the process over its own: asking for the
    /// count first makes that copy happen before the set instead of after it.
    /// </summary>
    public static void SetForThisThread(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _ = torch.get_num_threads();
        torch.set_num_threads(threads);
    }
}
