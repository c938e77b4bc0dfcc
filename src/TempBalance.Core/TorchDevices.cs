using TorchSharp;

namespace TempBalance.Core;

/// <summary>Versions and devices of the TorchSharp runtime in this process.</summary>
public static class TorchDevices
{
    public static string TorchSharpVersion =>
        typeof(torch).Assembly.GetName().Version?.ToString(3) ?? "unknown";

    public static string LibTorchVersion => torch.__version__;

    public static bool CudaAvailable => torch.cuda.is_available();

    public static int CudaDeviceCount => CudaAvailable ? torch.cuda.device_count() : 0;

    /// <summary>Parses "auto", "cpu", "cuda" or "cuda:N" into a device, failing with a message that says what to change.</summary>
    public static torch.Device Resolve(string device)
    {
        var spec = device.Trim().ToLowerInvariant();
        if (spec is "auto") return CudaAvailable ? torch.CUDA : torch.CPU;
        if (spec is "cpu") return torch.CPU;
        if (spec is "cuda" || spec.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!CudaAvailable)
                throw new ArgumentException($"Device '{device}' asked for CUDA, but no CUDA device is available; use --device cpu or auto.");
            int index = spec == "cuda" ? 0 : int.TryParse(spec[5..], out var n) ? n : -1;
            if (index < 0 || index >= CudaDeviceCount)
                throw new ArgumentException($"Device '{device}': CUDA devices are 0..{CudaDeviceCount - 1}.");
            return new torch.Device(DeviceType.CUDA, index);
        }
        throw new ArgumentException($"Unknown device '{device}'; use auto, cpu, cuda or cuda:N.");
    }
}
