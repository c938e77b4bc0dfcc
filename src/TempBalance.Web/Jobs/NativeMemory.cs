using System.Runtime.InteropServices;

namespace TempBalance.Web.Jobs;

/// <summary>
/// After a run, hands the memory its tensors used back to the operating system. glibc keeps freed memory in its
/// arenas (one per training thread, up to 8 per core) for reuse, so an idle app that has trained many runs looked
/// like it leaked: 12 small Fashion-MNIST runs took the resident set from 643 MB to about 900 MB while the managed
/// heap stayed at 7.4 MB, and malloc_trim brought it back to 671 MB (Lifecycle/IdleMemoryBenchmark).
/// </summary>
static class NativeMemory
{
    [DllImport("libc", EntryPoint = "malloc_trim")]
    static extern int MallocTrim(nuint pad);

    public static void ReturnFreedMemory()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            MallocTrim(0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (musl has no malloc_trim): nothing to hand back this way.
        }
    }
}
