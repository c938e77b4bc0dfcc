using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TempBalance.Core.Optimizers;

/// <summary>
/// LAMB (You et al., "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes", 2019, v3 without
/// debiasing) exactly as the TempBalance reference implements it (YefanZhou/TempBalance, lars_optim/lamb.py),
/// quirks included.
/// </summary>
/// <remarks>
/// Every step first scales all gradients of all groups, in place, by min(1, 1 / (‖(‖g_1‖, …, ‖g_n‖)‖ + 1e-6))
/// (torch.nn.utils.clip_grad_norm_ with max norm 1). Then for each parameter w with gradient g:
/// <code>
/// t ← t + 1
/// m ← beta1·m + (1 − beta1)·g;   v ← beta2·v + (1 − beta2)·g²          m, v start at 0
/// if bias_correction: m ← m / (1 − beta1^t);  v ← v / (1 − beta2^t)       in place: the stored m, v change
/// u ← m / (√v + eps)
/// if weight_decay ≠ 0:
///     u ← u + weight_decay·w
///     lr ← lr·((‖w‖ > 0 and ‖u‖ > 0) ? ‖w‖ / ‖u‖ : 1)
/// w ← w − lr·u
/// </code>
/// Quirks kept from the reference: the trust ratio applies only where the group's weight decay is non-zero, the
/// bias correction (off by default) divides the stored moments themselves, and the trust ratio is a host number
/// (<c>.item()</c>) computed in the parameter's dtype. Defaults: betas (0.9, 0.999), eps 1e-6, weight decay 0,
/// bias correction off. The reference's create_lamb_optimizer (lars_optim/utils.py) would put BatchNorm,
/// LayerNorm and bias parameters in a group with weight decay 0, and so without the trust ratio, but main_tb.py
/// does not use it: it builds LAMB over all parameters with one weight decay. A caller who wants that split sets
/// <see cref="Options.WeightDecay"/> to 0 on such groups.
/// </remarks>
public sealed class Lamb : ParamGroupOptimizer<Lamb.Options>
{
    const double MaxGradientNorm = 1.0;
    const double ClipNormEpsilon = 1e-6;

    public Lamb(IEnumerable<ParamGroup<Options>> groups)
    {
        foreach (var group in groups) add_param_group(group);
    }

    /// <summary>Steps with the C# loop even where <see cref="ScriptedSteps"/> is available (tests compare the two).</summary>
    internal bool PerParameterLoop { get; set; }

    public override Tensor step(Func<Tensor>? closure = null)
    {
        // The reference evaluates the closure before it clips the gradients the closure produced.
        Tensor? loss = null;
        if (closure is not null)
            using (enable_grad())
                loss = closure();

        bool scripted = !PerParameterLoop && ScriptedSteps.Available;
        using (no_grad())
        using (NewDisposeScope())
        {
            if (scripted) ScriptedSteps.ClipGradNorm(parameters().Select(p => p.grad).OfType<Tensor>().ToArray(), MaxGradientNorm, ClipNormEpsilon);
            else ClipGradientNorm();
        }

        _step<ParamGroup<Options>>(group =>
        {
            var o = group.Options;
            if (scripted)
            {
                var stepping = group.Parameters.Where(p => p.grad is not null).ToArray();
                var states = stepping.Select(StateOf<State>).ToArray();
                foreach (var (state, param) in states.Zip(stepping))
                {
                    state.ExpAvg ??= zeros_like(param).DetachFromDisposeScope();
                    state.ExpAvgSq ??= zeros_like(param).DetachFromDisposeScope();
                    state.Step += 1;
                }
                ScriptedSteps.Lamb(stepping, stepping.Select(p => p.grad!).ToArray(), states.Select(s => s.ExpAvg!).ToArray(),
                    states.Select(s => s.ExpAvgSq!).ToArray(), states.Select(s => s.Step).ToArray(), group.LearningRate, o);
                return;
            }
            foreach (var param in group.Parameters)
            {
                var grad = param.grad;
                if (grad is null) continue;
                var state = StateOf<State>(param);
                state.ExpAvg ??= zeros_like(param).DetachFromDisposeScope();
                state.ExpAvgSq ??= zeros_like(param).DetachFromDisposeScope();

                state.Step += 1;
                state.ExpAvg.mul_(o.Beta1).add_(grad, alpha: 1 - o.Beta1);
                state.ExpAvgSq.mul_(o.Beta2).addcmul_(grad, grad, value: 1 - o.Beta2);

                var scaledLr = group.LearningRate;
                if (o.BiasCorrection)
                {
                    state.ExpAvg.div_(1 - Math.Pow(o.Beta1, state.Step));
                    state.ExpAvgSq.div_(1 - Math.Pow(o.Beta2, state.Step));
                }
                var update = state.ExpAvg / state.ExpAvgSq.sqrt().add(o.Eps);
                if (o.WeightDecay != 0)
                {
                    update.add_(param, alpha: o.WeightDecay);
                    var weightNorm = param.norm();
                    var updateNorm = update.norm();
                    if (weightNorm.ToDouble() > 0 && updateNorm.ToDouble() > 0)
                        scaledLr *= (weightNorm / updateNorm).ToDouble();
                }

                param.add_(update, alpha: -scaledLr);
            }
        });
        return loss!;
    }

    /// <summary>clip_grad_norm_(all parameters, max_norm 1, norm 2) as PyTorch 1.13 computes it: the norm of the
    /// per-gradient norms, and a multiplier clamped at 1 applied to every gradient.</summary>
    void ClipGradientNorm()
    {
        var grads = parameters().Select(p => p.grad).OfType<Tensor>().ToList();
        if (grads.Count == 0) return;
        var totalNorm = stack(grads.Select(g => g.norm()).ToList()).norm();
        var coefficient = (MaxGradientNorm / (totalNorm + ClipNormEpsilon)).clamp(max: 1.0);
        foreach (var g in grads) g.mul_(coefficient);
    }

    protected override void CheckOptions(Options options)
    {
        if (options.Eps < 0) throw new ArgumentException($"Invalid epsilon value: {options.Eps}");
        if (options.Beta1 < 0 || options.Beta1 >= 1) throw new ArgumentException($"Invalid beta parameter at index 0: {options.Beta1}");
        if (options.Beta2 < 0 || options.Beta2 >= 1) throw new ArgumentException($"Invalid beta parameter at index 1: {options.Beta2}");
    }

    protected override OptimizerState NewState(Parameter parameter) => new State(parameter);

    /// <summary>One group's hyperparameters; <see cref="OptimizerOptions.LearningRate"/> is the one a scheduler changes.</summary>
    public sealed class Options : OptimizerOptions
    {
        public double Beta1 { get; set; } = 0.9;
        public double Beta2 { get; set; } = 0.999;
        public double Eps { get; set; } = 1e-6;
        public double WeightDecay { get; set; }
        public bool BiasCorrection { get; set; }

        public override void SaveStateDict(BinaryWriter writer)
        {
            base.SaveStateDict(writer);
            writer.Write(Beta1);
            writer.Write(Beta2);
            writer.Write(Eps);
            writer.Write(WeightDecay);
            writer.Write(BiasCorrection);
        }

        public override void LoadStateDict(BinaryReader reader)
        {
            base.LoadStateDict(reader);
            Beta1 = reader.ReadDouble();
            Beta2 = reader.ReadDouble();
            Eps = reader.ReadDouble();
            WeightDecay = reader.ReadDouble();
            BiasCorrection = reader.ReadBoolean();
        }

        public override void LoadStateDict(OptimizerOptions source)
        {
            base.LoadStateDict(source);
            var s = (Options)source;
            (Beta1, Beta2, Eps, WeightDecay, BiasCorrection) = (s.Beta1, s.Beta2, s.Eps, s.WeightDecay, s.BiasCorrection);
        }
    }

    sealed class State(Parameter parameter) : OptimizerState(parameter), IDisposable
    {
        public long Step;
        public Tensor? ExpAvg;
        public Tensor? ExpAvgSq;

        public override void SaveStateDict(BinaryWriter writer)
        {
            writer.Write(Step);
            SaveConditionalStateTensor(writer, ExpAvg);
            SaveConditionalStateTensor(writer, ExpAvgSq);
        }

        public override void LoadStateDict(BinaryReader reader)
        {
            Step = reader.ReadInt64();
            LoadConditionalStateTensor(reader, ref ExpAvg, _parameter.device);
            LoadConditionalStateTensor(reader, ref ExpAvgSq, _parameter.device);
            ExpAvg?.DetachFromDisposeScope();
            ExpAvgSq?.DetachFromDisposeScope();
        }

        public override void LoadStateDict(OptimizerState source)
        {
            var s = (State)source;
            Dispose();
            Step = s.Step;
            ExpAvg = s.ExpAvg?.to(_parameter.device, copy: true).DetachFromDisposeScope();
            ExpAvgSq = s.ExpAvgSq?.to(_parameter.device, copy: true).DetachFromDisposeScope();
        }

        public override void Initialize(OptimizerOptions options)
        {
            Dispose();
            Step = 0;
            ExpAvg = ExpAvgSq = null;
        }

        public override void to(Device device)
        {
            ExpAvg = ExpAvg?.to(device, disposeAfter: true);
            ExpAvgSq = ExpAvgSq?.to(device, disposeAfter: true);
        }

        public void Dispose()
        {
            ExpAvg?.Dispose();
            ExpAvgSq?.Dispose();
        }
    }
}
