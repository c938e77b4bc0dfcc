using System.Diagnostics;
using System.Globalization;

namespace TempBalance.Core.Training;

/// <summary>One reading of what this process costs the machine while it trains.</summary>
public sealed record SystemSample(DateTime At, double CpuPercent, double MemoryMegabytes, double? GpuUtilizationPercent, double? GpuMemoryMegabytes);

/// <summary>
/// Reads this process's CPU use since the previous reading (100 % = one core busy), its resident memory, and, for
/// a CUDA device, the GPU's utilisation and memory in use (nvidia-smi). One sampler per run; not thread-safe.
/// </summary>
public sealed class SystemSampler(string device)
{
    readonly Process process = Process.GetCurrentProcess();
    TimeSpan lastCpu;
    DateTime lastAt;

    public SystemSample Sample()
    {
        process.Refresh();
        var now = DateTime.UtcNow;
        var cpu = process.TotalProcessorTime;
        double percent = lastAt == default ? 0 : 100 * (cpu - lastCpu).TotalSeconds / Math.Max(1e-3, (now - lastAt).TotalSeconds);
        (lastCpu, lastAt) = (cpu, now);
        double? gpuUtilization = null, gpuMemory = null;
        if (device.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(device[5..], out int index)
            && NvidiaSmi.Query(index, "utilization.gpu,memory.used") is [var utilization, var memory])
        {
            gpuUtilization = double.TryParse(utilization, NumberStyles.Float, CultureInfo.InvariantCulture, out var u) ? u : null;
            gpuMemory = double.TryParse(memory, NumberStyles.Float, CultureInfo.InvariantCulture, out var m) ? m : null;
        }
        return new SystemSample(now, percent, process.WorkingSet64 / (1024.0 * 1024.0), gpuUtilization, gpuMemory);
    }
}
