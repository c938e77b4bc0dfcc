using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TempBalance.Core.Optimizers;

/// <summary>
/// SGDP: SGD whose update for scale-invariant weights (a weight followed by a normalisation layer) loses its
/// radial component, so momentum no longer inflates the weight norm (Heo et al., "AdamP: Slowing Down the
/// Slowdown for Momentum Optimizers on Scale-invariant Weights", ICLR 2021; the <c>adamp</c> package's
/// <c>SGDP</c>, which the TempBalance reference's main_tb.py runs with momentum 0.9).
/// </summary>
/// <remarks>
/// For each parameter p with gradient g, every step:
/// <code>
/// b ← momentum·b + (1 − dampening)·g                      b starts at 0
/// d ← nesterov ? g + momentum·b : b                       without nesterov, d is b itself
/// r ← 1
/// if p has 2 or more dimensions, for each view in (channel: rows p[i] of p as [shape[0], −1]; layer: p as one row):
///     cos_i ← |g_i·p_i| / (max(‖g_i‖, eps)·max(‖p_i‖, eps))      per row i of the view
///     if max_i cos_i &lt; delta / √(row length):                     the weight is scale-invariant in this view
///         p̂_i ← p_i / (‖p_i‖ + eps)
///         d_i ← d_i − p̂_i·(p̂_i·d_i)                               in place, so it also projects b
///         r ← wd_ratio; skip the remaining views
/// if weight_decay > 0: p ← p·(1 − lr·weight_decay·r / (1 − momentum))
/// p ← p − lr·d
/// </code>
/// Defaults as the package: dampening 0, nesterov false, eps 1e-8, delta 0.1, wd_ratio 0.1.
/// </remarks>
public sealed class Sgdp : ParamGroupOptimizer<Sgdp.Options>
{
    public Sgdp(IEnumerable<ParamGroup<Options>> groups)
    {
        foreach (var group in groups) add_param_group(group);
    }

    /// <summary>Steps with the C# loop even where <see cref="ScriptedSteps"/> is available (tests compare the two).</summary>
    internal bool PerParameterLoop { get; set; }

    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup<Options>>(group =>
    {
        var o = group.Options;
        var lr = group.LearningRate;
        if (!PerParameterLoop && ScriptedSteps.Available)
        {
            var stepping = group.Parameters.Where(p => p.grad is not null).ToArray();
            var buffers = stepping.Select(p => StateOf<State>(p).Momentum ??= zeros_like(p).DetachFromDisposeScope()).ToArray();
            ScriptedSteps.Sgdp(stepping, stepping.Select(p => p.grad!).ToArray(), buffers, lr, o);
            return;
        }
        foreach (var param in group.Parameters)
        {
            var grad = param.grad;
            if (grad is null) continue;
            var state = StateOf<State>(param);
            state.Momentum ??= zeros_like(param).DetachFromDisposeScope();

            var buffer = state.Momentum.mul_(o.Momentum).add_(grad, alpha: 1 - o.Dampening);
            var update = o.Nesterov ? grad + buffer * o.Momentum : buffer;

            var wdRatio = 1.0;
            if (param.dim() > 1 && ProjectIfScaleInvariant(param, grad, update, o)) wdRatio = o.WdRatio;

            if (o.WeightDecay > 0) param.mul_(1 - lr * o.WeightDecay * wdRatio / (1 - o.Momentum));
            param.add_(update, alpha: -lr);
        }
    }, closure);

    /// <summary>Removes from <paramref name="update"/>, in place, its component along the weight in the first view
    /// (channel, then layer) where the weight looks scale-invariant; says whether it did.</summary>
    static bool ProjectIfScaleInvariant(Tensor weight, Tensor grad, Tensor update, Options o)
    {
        var expanded = new long[weight.dim()];
        Array.Fill(expanded, 1L);
        expanded[0] = -1;
        foreach (var rows in new[] { weight.shape[0], 1L })
        {
            var weightRows = weight.view(rows, -1);
            var cosine = nn.functional.cosine_similarity(grad.view(rows, -1), weightRows, dim: 1, eps: o.Eps).abs_();
            // Compared as a tensor, like the package, so a float32 weight compares in float32.
            if (!(cosine.max() < o.Delta / Math.Sqrt(weightRows.shape[1])).item<bool>()) continue;

            var unit = weight / weightRows.norm(dim: 1).view(expanded).add_(o.Eps);
            update.sub_(unit * (unit * update).view(rows, -1).sum(1).view(expanded));
            return true;
        }
        return false;
    }

    protected override void CheckOptions(Options options)
    {
        if (options.Momentum < 0 || options.Momentum >= 1)
            throw new ArgumentException($"Invalid momentum value: {options.Momentum} (the weight decay divides by 1 - momentum)");
        if (options.WeightDecay < 0) throw new ArgumentException($"Invalid weight_decay value: {options.WeightDecay}");
        if (options.Eps < 0) throw new ArgumentException($"Invalid eps value: {options.Eps}");
    }

    protected override OptimizerState NewState(Parameter parameter) => new State(parameter);

    /// <summary>One group's hyperparameters; <see cref="OptimizerOptions.LearningRate"/> is the one a scheduler changes.</summary>
    public sealed class Options : OptimizerOptions
    {
        public double Momentum { get; set; }
        public double Dampening { get; set; }
        public double WeightDecay { get; set; }
        public bool Nesterov { get; set; }
        public double Eps { get; set; } = 1e-8;
        public double Delta { get; set; } = 0.1;
        public double WdRatio { get; set; } = 0.1;

        public override void SaveStateDict(BinaryWriter writer)
        {
            base.SaveStateDict(writer);
            writer.Write(Momentum);
            writer.Write(Dampening);
            writer.Write(WeightDecay);
            writer.Write(Nesterov);
            writer.Write(Eps);
            writer.Write(Delta);
            writer.Write(WdRatio);
        }

        public override void LoadStateDict(BinaryReader reader)
        {
            base.LoadStateDict(reader);
            Momentum = reader.ReadDouble();
            Dampening = reader.ReadDouble();
            WeightDecay = reader.ReadDouble();
            Nesterov = reader.ReadBoolean();
            Eps = reader.ReadDouble();
            Delta = reader.ReadDouble();
            WdRatio = reader.ReadDouble();
        }

        public override void LoadStateDict(OptimizerOptions source)
        {
            base.LoadStateDict(source);
            var s = (Options)source;
            (Momentum, Dampening, WeightDecay, Nesterov, Eps, Delta, WdRatio) =
                (s.Momentum, s.Dampening, s.WeightDecay, s.Nesterov, s.Eps, s.Delta, s.WdRatio);
        }
    }

    sealed class State(Parameter parameter) : OptimizerState(parameter), IDisposable
    {
        public Tensor? Momentum;

        public override void SaveStateDict(BinaryWriter writer) => SaveConditionalStateTensor(writer, Momentum);

        public override void LoadStateDict(BinaryReader reader)
        {
            LoadConditionalStateTensor(reader, ref Momentum, _parameter.device);
            Momentum?.DetachFromDisposeScope();
        }

        public override void LoadStateDict(OptimizerState source)
        {
            Momentum?.Dispose();
            Momentum = ((State)source).Momentum?.to(_parameter.device, copy: true).DetachFromDisposeScope();
        }

        public override void Initialize(OptimizerOptions options)
        {
            Momentum?.Dispose();
            Momentum = null;
        }

        public override void to(Device device) => Momentum = Momentum?.to(device, disposeAfter: true);

        public void Dispose() => Momentum?.Dispose();
    }
}
