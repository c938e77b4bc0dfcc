using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace TempBalance.Core.Optimizers;

/// <summary>
/// SGDP's, LARS's and LAMB's per-parameter loops as TorchScript functions, one call per parameter group. The loops
/// make five to fifteen small tensor operations per parameter; from C# each is a native call with its marshalling
/// and dispose-scope bookkeeping, which made these optimizers slower than the same loop in Python
/// (docs/benchmarks.md, optimizer step time). In TorchScript's interpreter the same operations cost less each.
/// </summary>
/// <remarks>
/// Each function runs the very operations of the C# loop it replaces, in the same order and with the same operands
/// (TorchSharp's <c>norm()</c> is <c>aten::norm.Scalar</c>, its <c>Scalar / Tensor</c> is <c>reciprocal().mul</c>,
/// host numbers are doubles on both sides), so the results are bit-identical to the C# loops
/// (tests/…/Optimizers/ScriptedStepsTests.cs). Only ATen operations present in every libtorch TorchSharp ships
/// are used; the unit is still compiled lazily and the optimizers keep their C# loops for a libtorch that refuses it.
/// </remarks>
static class ScriptedSteps
{
    // The native resolver of jit.compile knows only `torch` (ATen): no `math`, no `torch.nn.functional`.
    const string Script = """
        def sgdp(params: List[Tensor], grads: List[Tensor], buffers: List[Tensor], lr: float, momentum: float,
                 dampening: float, weight_decay: float, eps: float, delta: float, wd_ratio: float, nesterov: bool):
            for i in range(len(params)):
                p = params[i]
                g = grads[i]
                b = buffers[i].mul_(momentum).add_(g, alpha=1.0 - dampening)
                d = b
                if nesterov:
                    d = g + b * momentum
                ratio = 1.0
                if p.dim() > 1:
                    expand: List[int] = [-1]
                    for _ in range(p.dim() - 1):
                        expand.append(1)
                    for rows in [p.size(0), 1]:
                        w = p.view(rows, -1)
                        cos = torch.cosine_similarity(g.view(rows, -1), w, 1, eps).abs_()
                        if bool(cos.max() < delta / torch.sqrt(w.size(1))):
                            unit = p / w.norm(2.0, [1]).view(expand).add_(eps)
                            d.sub_(unit * (unit * d).view(rows, -1).sum(1).view(expand))
                            ratio = wd_ratio
                            break
                if weight_decay > 0.0:
                    p.mul_(1.0 - lr * weight_decay * ratio / (1.0 - momentum))
                p.add_(d, alpha=-lr)

        def lars(params: List[Tensor], grads: List[Tensor], buffers: List[Tensor], lr: float, momentum: float,
                 weight_decay: float, eeta: float, epsilon: float, max_trust: float, clamp: float, first_step: bool):
            for i in range(len(params)):
                p = params[i]
                g = grads[i]
                w_norm = p.norm()
                g_norm = g.norm()
                trust = 1.0
                if float(w_norm) > 0.0 and float(g_norm) > 0.0:
                    trust = float((w_norm * eeta / (g_norm + w_norm * weight_decay + epsilon)).clamp(0.0, max_trust))
                scaled_lr = lr * trust
                d = g
                if weight_decay != 0.0:
                    d = g.add(p, alpha=weight_decay)
                d = d.clamp(-clamp, clamp)
                if momentum != 0.0:
                    b = buffers[i]
                    if first_step:
                        b.copy_(d)
                    else:
                        b.mul_(momentum).add_(d)
                    d = b
                p.add_(d, alpha=-scaled_lr)

        def clip_grad_norm(grads: List[Tensor], max_norm: float, eps: float):
            norms: List[Tensor] = []
            for g in grads:
                norms.append(g.norm())
            total = torch.stack(norms).norm()
            coefficient = (total + eps).reciprocal().mul(max_norm).clamp(max=1.0)
            for g in grads:
                g.mul_(coefficient)

        def lamb(params: List[Tensor], grads: List[Tensor], exp_avgs: List[Tensor], exp_avg_sqs: List[Tensor],
                 corrections: List[Tensor], lr: float, beta1: float, beta2: float, eps: float, weight_decay: float,
                 bias_correction: bool):
            for i in range(len(params)):
                p = params[i]
                g = grads[i]
                m = exp_avgs[i]
                v = exp_avg_sqs[i]
                m.mul_(beta1).add_(g, alpha=1.0 - beta1)
                v.mul_(beta2).addcmul_(g, g, value=1.0 - beta2)
                scaled_lr = lr
                if bias_correction:
                    m.div_(float(corrections[0][i, 0]))
                    v.div_(float(corrections[0][i, 1]))
                update = m / v.sqrt().add(eps)
                if weight_decay != 0.0:
                    update.add_(p, alpha=weight_decay)
                    w_norm = p.norm()
                    u_norm = update.norm()
                    if float(w_norm) > 0.0 and float(u_norm) > 0.0:
                        scaled_lr *= float(w_norm / u_norm)
                p.add_(update, alpha=-scaled_lr)
        """;

    static readonly Lazy<jit.CompilationUnit?> Compiled = new(() =>
    {
        try
        {
            // TorchScript's parser fails (an internal assert) on a last statement without its newline.
            return jit.compile(Script + "\n");
        }
        catch (Exception e) when (e is ExternalException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    });

    public static bool Available => Compiled.Value is not null;

    /// <param name="buffers">One momentum buffer per parameter, zeros before the first step.</param>
    public static void Sgdp(Tensor[] parameters, Tensor[] grads, Tensor[] buffers, double lr, Sgdp.Options o)
    {
        if (parameters.Length == 0) return;
        FusedKernels.Invoke(Compiled.Value!, "sgdp", [parameters, grads, buffers],
            [lr, o.Momentum, o.Dampening, o.WeightDecay, o.Eps, o.Delta, o.WdRatio], [o.Nesterov]);
    }

    /// <param name="buffers">The momentum buffers (empty without momentum); with <paramref name="firstStep"/> the
    /// step copies its direction into them.</param>
    public static void Lars(Tensor[] parameters, Tensor[] grads, Tensor[] buffers, double lr, Lars.Options o,
        double maxTrust, double clamp, bool firstStep)
    {
        if (parameters.Length == 0) return;
        FusedKernels.Invoke(Compiled.Value!, "lars", [parameters, grads, buffers],
            [lr, o.Momentum, o.WeightDecay, o.Eeta, o.Epsilon, maxTrust, clamp], [firstStep]);
    }

    public static void ClipGradNorm(Tensor[] grads, double maxNorm, double eps)
    {
        if (grads.Length == 0) return;
        FusedKernels.Invoke(Compiled.Value!, "clip_grad_norm", [grads], [maxNorm, eps], []);
    }

    /// <param name="steps">Each parameter's step count, this step included (for the bias correction).</param>
    public static void Lamb(Tensor[] parameters, Tensor[] grads, Tensor[] expAvgs, Tensor[] expAvgSqs, long[] steps,
        double lr, Lamb.Options o)
    {
        if (parameters.Length == 0) return;
        // The divisors are computed here with Math.Pow, as the C# loop does, and read back exactly from float64.
        using var corrections = o.BiasCorrection
            ? tensor(steps.SelectMany(t => new[] { 1 - Math.Pow(o.Beta1, t), 1 - Math.Pow(o.Beta2, t) }).ToArray(), float64).view(-1, 2)
            : null;
        FusedKernels.Invoke(Compiled.Value!, "lamb", [parameters, grads, expAvgs, expAvgSqs, corrections is null ? [] : [corrections]],
            [lr, o.Beta1, o.Beta2, o.Eps, o.WeightDecay], [o.BiasCorrection]);
    }
}
