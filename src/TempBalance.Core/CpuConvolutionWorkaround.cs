using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace TempBalance.Core;

/// <summary>
/// Works around a oneDNN bug in libtorch 2.10 (oneDNN 3.7.1): on CPUs with AVX-512 its backward-data kernel
/// (<c>jit:avx512_core</c>) returns wrong input gradients, 30 to 80 % off and sometimes NaN, for a convolution whose
/// output channels are not a multiple of 16 (8, 12, 15, 17, 20, 24 measured; 16, 32, 48 and 64 are right). Forward
/// passes and weight gradients are right. A model with such a convolution (a ResNet at width 0.125 or 0.375) would
/// train on silently wrong gradients or diverge, so while it trains on the CPU, its backward passes use PyTorch's
/// own convolution kernels instead of oneDNN's: slower, and right.
/// </summary>
public static class CpuConvolutionWorkaround
{
    /// <summary>oneDNN blocks channels by 16 on AVX-512; other counts take the faulty padded path.</summary>
    public const int ChannelBlock = 16;

    static readonly Lock Gate = new();
    static int _users;

    /// <summary>
    /// The convolutions of <paramref name="model"/> that take the faulty path, by name. The first convolution is left
    /// out: its input is the images, which need no gradient, so its backward-data kernel never runs.
    /// </summary>
    public static IReadOnlyList<string> AffectedConvolutions(nn.Module model) =>
        [.. model.named_modules()
            .Where(m => m.module is TorchSharp.Modules.Conv2d)
            .Skip(1)
            .Where(m => ((TorchSharp.Modules.Conv2d)m.module).out_channels % ChannelBlock != 0)
            .Select(m => m.name)];

    /// <summary>Tells the user of a run that needs the workaround which convolutions it affects, and what trains faster.</summary>
    public static string Notice(nn.Module model) =>
        $"Convolutions {string.Join(", ", AffectedConvolutions(model))} have output channels that are not a multiple of {ChannelBlock}: " +
        "libtorch's oneDNN computes wrong gradients for them on this CPU, so backward passes use PyTorch's own, slower convolution kernels. " +
        WidthAdvice + " train faster.";

    const string WidthAdvice = "Width factors that give multiples of 16 channels (0.25, 0.5, 1)";

    /// <summary>Whether <paramref name="model"/>, trained on <paramref name="device"/>, needs <see cref="OneDnnOff"/> for its backward passes.</summary>
    public static bool Needed(nn.Module model, Device device) =>
        device.type == DeviceType.CPU && AffectedConvolutions(model).Count > 0;

    /// <summary>
    /// Turns oneDNN off for the process while the returned scope lives. Scopes nest: oneDNN is on again when the last
    /// one ends (the web app's tests train several runs at once). PyTorch picks a convolution's backward kernels when
    /// the backward pass runs, so a scope around <c>backward()</c> alone is enough, and forward passes keep oneDNN's
    /// faster kernels.
    /// </summary>
    public static IDisposable OneDnnOff()
    {
        lock (Gate)
        {
            try
            {
                if (_users == 0) SetOneDnnEnabled(false);
            }
            catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
            {
                // Another libtorch build (or Windows' C++ names): training on would use the faulty kernels.
                throw new NotSupportedException(
                    $"This model has convolutions whose output channels are not a multiple of {ChannelBlock}; " +
                    "libtorch's oneDNN computes wrong gradients for them on the CPU, and it cannot be turned off here. " +
                    WidthAdvice + " train right; so does a GPU.", e);
            }
            _users++;
        }
        return new Scope();
    }

    /// <summary>Whether PyTorch uses oneDNN (mkldnn) kernels where it can: the process-wide switch.</summary>
    public static bool OneDnnEnabled
    {
        get
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            return UserEnabledMkldnn(GlobalContext());
        }
    }

    static void SetOneDnnEnabled(bool enabled)
    {
        torch.InitializeDeviceType(DeviceType.CPU);
        var context = GlobalContext();
        SetUserEnabledMkldnn(context, enabled);
        // Without oneDNN, PyTorch asks NNPACK next, and where NNPACK cannot start (CPUs it does not support) it
        // logs "Could not initialize NNPACK!" on every convolution; it is off with oneDNN and back on with it.
        SetUserEnabledNnpack(context, enabled);
    }

    sealed class Scope : IDisposable
    {
        bool _disposed;

        public void Dispose()
        {
            lock (Gate)
            {
                if (_disposed) return;
                _disposed = true;
                if (--_users == 0) SetOneDnnEnabled(true);
            }
        }
    }

    // TorchSharp has no binding for PyTorch's torch.backends.mkldnn.enabled; these are the C++ functions behind it
    // (at::globalContext().setUserEnabledMkldnn), exported by the libtorch_cpu that TorchSharp loads.
    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    static extern IntPtr GlobalContext();

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    static extern void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    static extern void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport("libtorch_cpu", EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    static extern bool UserEnabledMkldnn(IntPtr context);
}
