using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TempBalance.Core.Optimizers;

/// <summary>
/// LARS, layer-wise adaptive rate scaling (You et al. 2017), exactly as the TempBalance reference implements it
/// (YefanZhou/TempBalance, lars_optim/lars.py), quirks included.
/// </summary>
/// <remarks>
/// For each parameter w with gradient g, every step:
/// <code>
/// trust ← (‖w‖ > 0 and ‖g‖ > 0) ? eeta·‖w‖ / (‖g‖ + weight_decay·‖w‖ + epsilon) : 1,  clamped to [0, 50]
/// d ← clamp(g + weight_decay·w, −10, 10)          element-wise
/// if momentum ≠ 0:  b ← d on the first step, else b ← momentum·b + d;  d ← b
/// w ← w − (lr·trust)·d
/// </code>
/// Quirks kept from the reference: the trust ratio uses the raw gradient's norm (before weight decay and the
/// clamp), the clamp to [−10, 10] applies to every gradient, the momentum buffer has no dampening and starts as a
/// copy of the first clamped gradient, and the trust ratio is a host number (the reference's <c>.item()</c>)
/// computed with tensor arithmetic in the parameter's dtype. The reference's defaults: momentum 0, weight decay 0,
/// eeta 0.001, epsilon 1e-5; it rejects eeta outside (0, 1] and epsilon ≤ 0. main_tb.py builds it with only a
/// learning rate and a weight decay, so momentum stays 0 there.
/// </remarks>
public sealed class Lars : ParamGroupOptimizer<Lars.Options>
{
    const double MaxTrustRatio = 50;
    const double GradientClamp = 10;

    public Lars(IEnumerable<ParamGroup<Options>> groups)
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
            StepScripted(group.Parameters.Where(p => p.grad is not null).ToArray(), lr, o);
            return;
        }
        foreach (var param in group.Parameters)
        {
            var grad = param.grad;
            if (grad is null) continue;

            var weightNorm = param.norm();
            var gradNorm = grad.norm();
            var trust = 1.0;
            if (weightNorm.ToDouble() > 0 && gradNorm.ToDouble() > 0)
                trust = (weightNorm * o.Eeta / (gradNorm + weightNorm * o.WeightDecay + o.Epsilon)).clamp(0, MaxTrustRatio).ToDouble();
            var scaledLr = lr * trust;

            var update = o.WeightDecay != 0 ? grad.add(param, alpha: o.WeightDecay) : grad;
            update = update.clamp(-GradientClamp, GradientClamp);

            if (o.Momentum != 0)
            {
                var state = StateOf<State>(param);
                if (state.Momentum is null) state.Momentum = update.clone().DetachFromDisposeScope();
                else state.Momentum.mul_(o.Momentum).add_(update);
                update = state.Momentum;
            }

            param.add_(update, alpha: -scaledLr);
        }
    }, closure);

    /// <summary>One script call for the parameters with a momentum buffer, one for those on their first step
    /// (the script fills their new buffers with the step's direction).</summary>
    void StepScripted(Parameter[] stepping, double lr, Options o)
    {
        if (o.Momentum == 0)
        {
            ScriptedSteps.Lars(stepping, stepping.Select(p => p.grad!).ToArray(), [], lr, o, MaxTrustRatio, GradientClamp, firstStep: false);
            return;
        }
        var states = stepping.Select(StateOf<State>).ToArray();
        var first = stepping.Where((_, i) => states[i].Momentum is null).ToArray();
        var running = stepping.Where((_, i) => states[i].Momentum is not null).ToArray();
        foreach (var p in first) StateOf<State>(p).Momentum = empty_like(p).DetachFromDisposeScope();
        foreach (var (batch, isFirst) in new[] { (running, false), (first, true) })
            ScriptedSteps.Lars(batch, batch.Select(p => p.grad!).ToArray(), batch.Select(p => StateOf<State>(p).Momentum!).ToArray(),
                lr, o, MaxTrustRatio, GradientClamp, isFirst);
    }

    protected override void CheckOptions(Options options)
    {
        if (options.Momentum < 0) throw new ArgumentException($"Invalid momentum value: {options.Momentum}");
        if (options.WeightDecay < 0) throw new ArgumentException($"Invalid weight_decay value: {options.WeightDecay}");
        if (options.Eeta <= 0 || options.Eeta > 1) throw new ArgumentException($"Invalid eeta value: {options.Eeta}");
        if (options.Epsilon <= 0) throw new ArgumentException($"Invalid epsilon value: {options.Epsilon}");
    }

    protected override OptimizerState NewState(Parameter parameter) => new State(parameter);

    /// <summary>One group's hyperparameters; <see cref="OptimizerOptions.LearningRate"/> is the one a scheduler changes.</summary>
    public sealed class Options : OptimizerOptions
    {
        public double Momentum { get; set; }
        public double WeightDecay { get; set; }
        /// <summary>Trust coefficient.</summary>
        public double Eeta { get; set; } = 0.001;
        public double Epsilon { get; set; } = 1e-5;

        public override void SaveStateDict(BinaryWriter writer)
        {
            base.SaveStateDict(writer);
            writer.Write(Momentum);
            writer.Write(WeightDecay);
            writer.Write(Eeta);
            writer.Write(Epsilon);
        }

        public override void LoadStateDict(BinaryReader reader)
        {
            base.LoadStateDict(reader);
            Momentum = reader.ReadDouble();
            WeightDecay = reader.ReadDouble();
            Eeta = reader.ReadDouble();
            Epsilon = reader.ReadDouble();
        }

        public override void LoadStateDict(OptimizerOptions source)
        {
            base.LoadStateDict(source);
            var s = (Options)source;
            (Momentum, WeightDecay, Eeta, Epsilon) = (s.Momentum, s.WeightDecay, s.Eeta, s.Epsilon);
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
