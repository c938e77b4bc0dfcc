using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TempBalance.Core.Optimizers;

/// <summary>
/// libtorch's fused multi-tensor kernels for SGD, Adam and AdamW (what torch.optim runs with <c>fused=True</c>),
/// reached through a small TorchScript unit because TorchSharp does not bind them. One kernel call updates a whole
/// parameter group in a single pass over each tensor, where the per-parameter loop makes four to seven operations,
/// each a pass over memory and a native call (docs/benchmarks.md, optimizer step time).
/// </summary>
static class FusedKernels
{
    const string Script = """
        def sgd(params: List[Tensor], grads: List[Tensor], buffers: List[Tensor], lr: float, momentum: float,
                dampening: float, weight_decay: float, nesterov: bool, maximize: bool, first_step: bool):
            torch._fused_sgd_(params, grads, buffers, weight_decay=weight_decay, momentum=momentum, lr=lr,
                              dampening=dampening, nesterov=nesterov, maximize=maximize, is_first_step=first_step)

        def adam(params: List[Tensor], grads: List[Tensor], exp_avgs: List[Tensor], exp_avg_sqs: List[Tensor],
                 no_max: List[Tensor], steps: List[Tensor], lr: float, beta1: float, beta2: float, weight_decay: float,
                 eps: float, decoupled: bool):
            if decoupled:
                torch._fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, no_max, steps, lr=lr, beta1=beta1,
                                    beta2=beta2, weight_decay=weight_decay, eps=eps, amsgrad=False, maximize=False)
            else:
                torch._fused_adam_(params, grads, exp_avgs, exp_avg_sqs, no_max, steps, lr=lr, beta1=beta1,
                                   beta2=beta2, weight_decay=weight_decay, eps=eps, amsgrad=False, maximize=False)
        """;

    // Unit null where this libtorch lacks the kernels or cannot compile the unit: the optimizers then take TorchSharp's
    // per-parameter path. The version comes first because TorchSharp turns a parse error into an exception but lets
    // an unknown operator's error end the process; libtorch has had CPU kernels for all three since 2.4.
    static readonly Lazy<(jit.CompilationUnit? Unit, string? Failure)> Compiled = new(() =>
    {
        if (!HasCpuKernels(torch.__version__)) return (null, $"libtorch {torch.__version__} has no fused CPU kernels (2.4 or later has them)");
        try
        {
            // TorchScript's parser fails (an internal assert) on a last statement without its newline.
            return (jit.compile(Script + "\n"), null);
        }
        catch (Exception e) when (e is ExternalException or InvalidOperationException or ArgumentException)
        {
            return (null, e.Message);
        }
    });

    static jit.CompilationUnit? Unit => Compiled.Value.Unit;

    static bool HasCpuKernels(string version)
    {
        var parts = version.Split('.', '+');
        return parts.Length >= 2 && int.TryParse(parts[0], out int major) && int.TryParse(parts[1], out int minor)
            && (major, minor).CompareTo((2, 4)) >= 0;
    }

    public static bool Available => Unit is not null;

    /// <summary>Why the kernels are not available (libtorch's compile error), or null when they are.</summary>
    public static string? Unavailable => Compiled.Value.Failure;

    /// <summary>Whether one kernel call can take all these parameters: the fused kernels want one device and one dtype.</summary>
    static bool Uniform(IReadOnlyList<Tensor> parameters)
    {
        var (device, dtype) = (parameters[0].device, parameters[0].dtype);
        for (int i = 1; i < parameters.Count; i++)
            if (parameters[i].dtype != dtype || parameters[i].device != device) return false;
        return true;
    }

    /// <summary>The groups of indices one kernel call each: all at once, or one by one when devices or dtypes differ.</summary>
    static IEnumerable<int[]> Calls(IReadOnlyList<Tensor> parameters) =>
        Uniform(parameters) ? [Enumerable.Range(0, parameters.Count).ToArray()] : Enumerable.Range(0, parameters.Count).Select(i => new[] { i });

    static Tensor[] Pick(IReadOnlyList<Tensor> tensors, int[] indices) => indices.Select(i => tensors[i]).ToArray();

    /// <summary>Calls <paramref name="function"/> with its tensor lists, then its numbers, then its flags.</summary>
    /// <remarks>CompilationUnit.invoke makes a temporary Scalar for each double and passes on only its native handle:
    /// a garbage collection before the call can free it (a crash in IValue(Scalar) under load, in the benchmark).
    /// Scalars made and held here live through the call.</remarks>
    static void Invoke(string function, Tensor[][] lists, double[] numbers, bool[] flags) => Invoke(Unit!, function, lists, numbers, flags);

    /// <inheritdoc cref="Invoke(string, Tensor[][], double[], bool[])"/>
    internal static void Invoke(jit.CompilationUnit unit, string function, Tensor[][] lists, double[] numbers, bool[] flags)
    {
        var scalars = numbers.Select(n => n.ToScalar()).ToArray();
        try
        {
            unit.invoke(function, [.. lists, .. scalars, .. flags.Cast<object>()]);
        }
        finally
        {
            foreach (var scalar in scalars) scalar.Dispose();
        }
    }

    /// <param name="buffers">The momentum buffers (empty without momentum); on the first step the kernel fills them.</param>
    public static void Sgd(IReadOnlyList<Tensor> parameters, IReadOnlyList<Tensor> grads, IReadOnlyList<Tensor> buffers, double lr,
        double momentum, double dampening, double weightDecay, bool nesterov, bool maximize, bool firstStep)
    {
        if (parameters.Count == 0) return;
        foreach (var call in Calls(parameters))
            Invoke("sgd", [Pick(parameters, call), Pick(grads, call), buffers.Count == 0 ? [] : Pick(buffers, call)],
                [lr, momentum, dampening, weightDecay], [nesterov, maximize, firstStep]);
    }

    /// <param name="steps">Each parameter's step count, this step included.</param>
    public static void Adam(IReadOnlyList<Tensor> parameters, IReadOnlyList<Tensor> grads, IReadOnlyList<Tensor> expAvgs,
        IReadOnlyList<Tensor> expAvgSqs, IReadOnlyList<long> steps, double lr, double beta1, double beta2, double weightDecay, double eps,
        bool decoupled)
    {
        if (parameters.Count == 0) return;
        foreach (var call in Calls(parameters))
        {
            // The kernels read each step count from a float32 tensor on the parameter's device, as torch.optim keeps it.
            using var stepValues = tensor(call.Select(i => (float)steps[i]).ToArray(), device: parameters[call[0]].device);
            var stepTensors = stepValues.unbind(0);
            try
            {
                Invoke("adam", [Pick(parameters, call), Pick(grads, call), Pick(expAvgs, call), Pick(expAvgSqs, call), [], stepTensors],
                    [lr, beta1, beta2, weightDecay, eps], [decoupled]);
            }
            finally
            {
                foreach (var t in stepTensors) t.Dispose();
            }
        }
    }
}

/// <summary>
/// SGD, Adam and AdamW stepping through <see cref="FusedKernels"/>. Each keeps its TorchSharp base class's simple name,
/// because <c>save_state_dict</c> writes that name and <c>load_state_dict</c> refuses any other: checkpoints written
/// before these existed, or by the plain optimizers, load into them and theirs into the plain ones.
/// </summary>
public static class Fused
{
    /// <summary>
    /// torch.optim.SGD's update with libtorch's fused kernel, one call per parameter group (<see cref="FusedKernels"/>).
    /// A TorchSharp <see cref="TorchSharp.Modules.SGD"/> in everything else (options, per-parameter momentum buffers, checkpoint format),
    /// so runs checkpointed with either load into the other. The update is the same rule: d = g + wd·w, the buffer b
    /// starts as d and then b = momentum·b + (1 − dampening)·d, w = w − lr·b (Nesterov: w = w − lr·(d + momentum·b));
    /// its rounding can differ from the per-parameter path in the last bit.
    /// </summary>
    public sealed class SGD : TorchSharp.Modules.SGD
    {
        public SGD(IEnumerable<ParamGroup> groups, double lr, double momentum, double dampening, double weightDecay, bool nesterov)
            : base(groups, lr, momentum, dampening, weightDecay, nesterov)
        {
        }

        public override Tensor step(Func<Tensor>? closure = null)
        {
            if (!FusedKernels.Available) return base.step(closure);
            return _step<ParamGroup>(group =>
            {
                var o = group.Options;
                double momentum = o.momentum ?? 0, dampening = o.dampening ?? 0, weightDecay = o.weight_decay ?? 0;
                double lr = o.LearningRate ?? 0;
                bool nesterov = o.nesterov ?? false, maximize = o.maximize ?? false;
                var running = new List<(Tensor Parameter, Tensor Grad, Tensor? Buffer)>();
                var first = new List<(Tensor Parameter, Tensor Grad, Tensor? Buffer)>();
                foreach (var parameter in group.Parameters)
                {
                    var grad = parameter.grad;
                    if (grad is null) continue;
                    var state = (State)_state[parameter.Handle];
                    if (momentum != 0 && state.momentum_buffer is null)
                    {
                        // The kernel fills a new buffer with the first step's direction, as torch.optim does.
                        state.momentum_buffer = empty_like(parameter).DetachFromDisposeScope();
                        first.Add((parameter, grad, state.momentum_buffer));
                    }
                    else running.Add((parameter, grad, momentum != 0 ? state.momentum_buffer : null));
                }
                foreach (var (batch, isFirst) in new[] { (running, false), (first, true) })
                    FusedKernels.Sgd(batch.Select(b => b.Parameter).ToList(), batch.Select(b => b.Grad).ToList(),
                        momentum != 0 ? batch.Select(b => b.Buffer!).ToList() : [], lr, momentum, dampening, weightDecay, nesterov, maximize, isFirst);
            }, closure);
        }
    }

    /// <summary>
    /// One Adam or AdamW step of a parameter group's parameters that have gradients: each one's state (its moments and
    /// its step count, counted up here) goes to the fused kernel in one call. Adam's and AdamW's states are different
    /// TorchSharp types with the same fields, hence the accessors.
    /// </summary>
    static void StepGroup<TState>(IEnumerable<Tensor> parameters, Func<Tensor, TState> stateOf,
        Func<TState, (Tensor ExpAvg, Tensor ExpAvgSq, long Step)> advance,
        double lr, double beta1, double beta2, double weightDecay, double eps, bool decoupled)
    {
        var batch = new List<(Tensor Parameter, Tensor Grad, Tensor ExpAvg, Tensor ExpAvgSq, long Step)>();
        foreach (var parameter in parameters)
        {
            if (parameter.grad is not { } grad) continue;
            var (expAvg, expAvgSq, step) = advance(stateOf(parameter));
            batch.Add((parameter, grad, expAvg, expAvgSq, step));
        }
        if (batch.Count == 0) return;
        FusedKernels.Adam(batch.Select(b => b.Parameter).ToList(), batch.Select(b => b.Grad).ToList(),
            batch.Select(b => b.ExpAvg).ToList(), batch.Select(b => b.ExpAvgSq).ToList(), batch.Select(b => b.Step).ToList(),
            lr, beta1, beta2, weightDecay, eps, decoupled);
    }

    /// <summary>
    /// torch.optim.Adam (coupled L2 weight decay, amsgrad off) with libtorch's fused kernel, one call per parameter group;
    /// a TorchSharp <see cref="TorchSharp.Modules.Adam"/> in options, state and checkpoint format. With amsgrad or maximize it takes
    /// TorchSharp's per-parameter path.
    /// </summary>
    public sealed class Adam : TorchSharp.Modules.Adam
    {
        public Adam(IEnumerable<ParamGroup> groups, double lr, double beta1, double beta2, double eps, double weightDecay)
            : base(groups, lr, beta1, beta2, eps, weightDecay, amsgrad: false)
        {
        }

        public override Tensor step(Func<Tensor>? closure = null)
        {
            bool fusable = FusedKernels.Available && ParamGroups.Cast<ParamGroup>().All(g => g.Options.amsgrad != true && g.Options.maximize != true);
            if (!fusable) return base.step(closure);
            return _step<ParamGroup>(group =>
            {
                var o = group.Options;
                StepGroup(group.Parameters, p => (State)_state[p.Handle], s => (s.exp_avg, s.exp_avg_sq, ++s.step),
                    o.LearningRate ?? 0, o.beta1 ?? 0.9, o.beta2 ?? 0.999, o.weight_decay ?? 0, o.eps ?? 1e-8, decoupled: false);
            }, closure);
        }
    }

    /// <summary>
    /// torch.optim.AdamW (decoupled weight decay w ← w·(1 − lr·wd), amsgrad off) with libtorch's fused kernel, one call per
    /// parameter group; a TorchSharp <see cref="TorchSharp.Modules.AdamW"/> in options, state and checkpoint format.
    /// </summary>
    public sealed class AdamW : TorchSharp.Modules.AdamW
    {
        public AdamW(IEnumerable<ParamGroup> groups, double lr, double beta1, double beta2, double eps, double weightDecay)
            : base(groups, lr, beta1, beta2, eps, weightDecay, amsgrad: false)
        {
        }

        public override Tensor step(Func<Tensor>? closure = null)
        {
            bool fusable = FusedKernels.Available && ParamGroups.Cast<ParamGroup>().All(g => g.Options.amsgrad != true && g.Options.maximize != true);
            if (!fusable) return base.step(closure);
            return _step<ParamGroup>(group =>
            {
                var o = group.Options;
                StepGroup(group.Parameters, p => (State)_state[p.Handle], s => (s.exp_avg, s.exp_avg_sq, ++s.step),
                    o.LearningRate ?? 0, o.beta1 ?? 0.9, o.beta2 ?? 0.999, o.weight_decay ?? 0, o.eps ?? 1e-8, decoupled: true);
            }, closure);
        }
    }
}
