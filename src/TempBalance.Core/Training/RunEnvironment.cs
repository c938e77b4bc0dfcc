using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;

namespace TempBalance.Core.Training;

/// <summary>
/// Where and with what a run trained, recorded when it starts: the device it actually used (never "auto"), the
/// CPU model and torch threads or the GPU's name, the library and app versions, and how many images it trained
/// and tested on (a subset shrinks the test set too unless the full test set is kept).
/// </summary>
public sealed record RunEnvironment(
    string Device,
    string DeviceName,
    int Threads,
    string TorchSharpVersion,
    string LibTorchVersion,
    string AppVersion,
    string OperatingSystem,
    string HostName,
    long TrainImages,
    long TestImages)
{
    public static RunEnvironment Describe(torch.Device device, long trainImages, long testImages) => new(
        device.type == DeviceType.CUDA ? $"cuda:{device.index}" : "cpu",
        device.type == DeviceType.CUDA ? GpuName(device.index) : CpuModel(),
        torch.get_num_threads(),
        TorchDevices.TorchSharpVersion,
        TorchDevices.LibTorchVersion,
        CurrentAppVersion(),
        RuntimeInformation.OSDescription,
        System.Environment.MachineName,
        trainImages,
        testImages);

    /// <summary>The version of this build (the assembly's informational version, without a source hash).</summary>
    public static string CurrentAppVersion()
    {
        var version = typeof(RunEnvironment).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(RunEnvironment).Assembly.GetName().Version?.ToString() ?? "unknown";
        int plus = version.IndexOf('+');
        return plus > 0 ? version[..plus] : version;
    }

    /// <summary>The CPU's model name from /proc/cpuinfo, or the architecture where there is none.</summary>
    public static string CpuModel()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is int colon and > 0)
                    return $"{line[(colon + 1)..].Trim()} ({System.Environment.ProcessorCount} logical CPUs)";
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return $"{RuntimeInformation.ProcessArchitecture} ({System.Environment.ProcessorCount} logical CPUs)";
    }

    /// <summary>The GPU's name as nvidia-smi reports it, or "CUDA device N" where nvidia-smi does not answer.</summary>
    public static string GpuName(int index) =>
        NvidiaSmi.Query(index, "name") is [var name, ..] && name.Length > 0 ? name : $"CUDA device {index}";
}

/// <summary>Asks nvidia-smi for per-GPU values; an empty answer where it is missing or fails.</summary>
public static class NvidiaSmi
{
    public static IReadOnlyList<string> Query(int index, string fields)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("nvidia-smi", $"--query-gpu={fields} --format=csv,noheader,nounits -i {index}")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null) return [];
            var output = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(5000) || process.ExitCode != 0) return [];
            return output.Trim().Split(',', StringSplitOptions.TrimEntries);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return [];
        }
    }
}
