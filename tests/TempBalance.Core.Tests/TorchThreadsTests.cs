using TorchSharp;

namespace TempBalance.Core.Tests;

/// <summary>
/// What parallel sweeps and web jobs rely on: torch's CPU thread count belongs to the OS thread that sets it (OpenMP's
/// per-thread setting), so two runs side by side can each train with their own number of threads.
/// </summary>
public class TorchThreadsTests
{
    [Fact]
    public void Each_os_thread_keeps_the_torch_thread_count_it_set()
    {
        int seenByFirst = 0, seenBySecond = 0;
        using var step = new Barrier(2);
        var first = new Thread(() =>
        {
            TorchThreads.SetForThisThread(1);
            step.SignalAndWait(); // the second thread sets its own count now
            step.SignalAndWait();
            seenByFirst = torch.get_num_threads();
        });
        var second = new Thread(() =>
        {
            step.SignalAndWait();
            TorchThreads.SetForThisThread(3);
            step.SignalAndWait();
            seenBySecond = torch.get_num_threads();
        });
        first.Start();
        second.Start();
        first.Join();
        second.Join();
        Assert.Equal((1, 3), (seenByFirst, seenBySecond));
    }
}
