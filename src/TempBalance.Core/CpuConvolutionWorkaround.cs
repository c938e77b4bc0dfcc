using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace TempBalance.Core;

/// <summary>
/// Works around oneDNN bugs in libtorch 2.10 (oneDNN 3.7.1) on CPUs with AVX-512, for convolutions whose channels
/// are not a multiple of 16. Its backward-data kernel (<c>jit:avx512_core</c>) returns input gradients 30 to 80 % off,
/// sometimes NaN, when the output channels are not (8, 12, 15, 17, 20, 24 measured; 16, 32, 48 and 64 are right).
/// Its forward kernel is wrong when the input channels are above 16 and not a multiple of it (20, 24, 40, 56, 72
/// measured; relative error about 0.23 in every try, sometimes NaN: a WRN-28-6 at width 0.25 gave NaN logits in 12
/// of 30 forward passes), while 4, 8, 12 and 48 input channels were right.
/// A model with such convolutions (a ResNet at width 0.125 or 0.375, a WRN at width 0.25) would train and be
/// evaluated on silently wrong numbers, so while it runs on the CPU oneDNN is off for its backward passes, and for
/// the whole run where a forward kernel is affected too: PyTorch's own convolution kernels, slower, and right.
/// </summary>
public static class CpuConvolutionWorkaround
{
    /// <summary>oneDNN blocks channels by 16 on AVX-512; other counts take the faulty padded path.</summary>
    public const int ChannelBlock = 16;

    static readonly Lock Gate = new();
    static int _users;

    /// <summary>
    /// The convolutions of <paramref name="model"/> that take a faulty path, by name: those whose output channels are
    /// off the 16 block (backward), and those whose input channels are above 16 and off the block (forward). The
    /// first convolution's backward-data kernel never runs (its input is the images, which need no gradient), and its
    /// input channels are the images' 1 or 3.
    /// </summary>
    public static IReadOnlyList<string> AffectedConvolutions(nn.Module model) =>
        [.. Convolutions(model).Where(c => WrongBackward(c.Conv, c.First) || WrongForward(c.Conv)).Select(c => c.Name)];

    static IEnumerable<(string Name, TorchSharp.Modules.Conv2d Conv, bool First)> Convolutions(nn.Module model) =>
        model.named_modules().Where(m => m.module is TorchSharp.Modules.Conv2d)
            .Select((m, i) => (m.name, (TorchSharp.Modules.Conv2d)m.module, i == 0));

    static bool WrongBackward(TorchSharp.Modules.Conv2d conv, bool first) => !first && conv.out_channels % ChannelBlock != 0;

    // Measured: 20, 24, 40, 56 and 72 input channels wrong in every try; 4, 8, 12, 16 and 48 right.
    static bool WrongForward(TorchSharp.Modules.Conv2d conv) => conv.in_channels > ChannelBlock && conv.in_channels % ChannelBlock != 0;

    /// <summary>Tells the user of a run that needs the workaround which convolutions it affects, and what trains faster.</summary>
    public static string Notice(nn.Module model) =>
        $"Convolutions {string.Join(", ", AffectedConvolutions(model))} have channel counts that are not a multiple of {ChannelBlock}: " +
        "libtorch's oneDNN computes wrong results for them on this CPU, so this run uses PyTorch's own, slower convolution kernels " +
        (NeededForForward(model, CPU) ? "for every pass. " : "for its backward passes. ") +
        WidthAdvice + " train faster.";

    const string WidthAdvice = "Width factors that give multiples of 16 channels (0.25, 0.5, 1)";

    /// <summary>Whether <paramref name="model"/>, trained on <paramref name="device"/>, needs <see cref="OneDnnOff"/> at all.</summary>
    public static bool Needed(nn.Module model, Device device) =>
        device.type == DeviceType.CPU && AffectedConvolutions(model).Count > 0;

    /// <summary>
    /// Whether it needs <see cref="OneDnnOff"/> for its forward passes too (training and evaluation), and so for the
    /// whole run; otherwise a scope around each backward pass is enough.
    /// </summary>
    public static bool NeededForForward(nn.Module model, Device device) =>
        device.type == DeviceType.CPU && Convolutions(model).Any(c => WrongForward(c.Conv));

    /// <summary>
    /// Where a model on a device needs <see cref="OneDnnOff"/>: the whole run where a forward kernel is wrong (the
    /// backward passes are then covered too), around each backward pass where only those are, or nowhere.
    /// </summary>
    public static OneDnnOffScope ScopeFor(nn.Module model, Device device) =>
        NeededForForward(model, device) ? OneDnnOffScope.WholeRun
        : Needed(model, device) ? OneDnnOffScope.BackwardPasses
        : OneDnnOffScope.None;

    /// <summary>
    /// Turns oneDNN off for the process while the returned scope lives. Scopes nest: oneDNN is on again when the last
    /// one ends (the web app's tests train several runs at once). PyTorch picks a convolution's backward kernels when
    /// the backward pass runs, so a scope around <c>backward()</c> alone is enough where only the backward pass is
    /// wrong, and forward passes keep oneDNN's faster kernels.
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

/// <summary>Where a run turns oneDNN off (<see cref="CpuConvolutionWorkaround.ScopeFor"/>).</summary>
public enum OneDnnOffScope
{
    None,
    BackwardPasses,
    WholeRun,
}
