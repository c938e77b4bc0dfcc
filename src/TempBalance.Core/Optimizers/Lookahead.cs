using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TempBalance.Core.Optimizers;

/// <summary>
/// Lookahead (Zhang, Lucas, Hinton, Ba, "Lookahead Optimizer: k steps forward, 1 step back", NeurIPS 2019):
/// an inner optimizer moves the fast weights θ; every k steps the slow weights φ move towards them and the fast
/// weights restart from there.
/// </summary>
/// <remarks>
/// <see cref="LookaheadSync.Paper"/> (default), the paper's Algorithm 1: φ ← θ when the wrapper is built; after
/// inner steps k, 2k, 3k, …
/// <code>
/// φ ← φ + α·(θ − φ);   θ ← φ
/// </code>
/// <see cref="LookaheadSync.TorchOptimizer"/> reproduces torch_optimizer.Lookahead (jettify/pytorch-optimizer),
/// which the TempBalance reference's main_tb.py wraps around SGD: it syncs when its counter is 0, that is after
/// inner steps 1, k + 1, 2k + 1, …, and creates φ as a copy of θ at the first sync, after the first inner step (so
/// that sync changes nothing); its update is written θ ← α·θ + (1 − α)·φ; φ ← θ, the same mixture rounded
/// differently, and it is reproduced as written. Both modes sync every parameter of the inner optimizer, with
/// or without a gradient.
/// <para>
/// The inner optimizer's own state (momentum, moments, group learning rates) is saved with its
/// <c>save_state_dict</c>; <see cref="Save"/> writes only the slow weights and the step counter.
/// </para>
/// </remarks>
public sealed class Lookahead : IDisposable
{
    readonly IReadOnlyList<Parameter> _parameters;
    readonly Tensor?[] _slow;

    /// <param name="inner">The optimizer that moves the fast weights, owned (disposed) by the wrapper from now on;
    /// the layer-wise learning rates live in its <c>ParamGroups</c>.</param>
    /// <param name="k">Inner steps per sync (the paper's and torch_optimizer's default 5; main_tb.py's --look-k 5).</param>
    /// <param name="alpha">Slow-weight step size in (0, 1] (default 0.5 as both; main_tb.py's --look-alpha is 0.8).</param>
    /// <param name="sync">Which schedule and initialisation to follow.</param>
    public Lookahead(OptimizerHelper inner, int k = 5, double alpha = 0.5, LookaheadSync sync = LookaheadSync.Paper)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "Lookahead needs k >= 1 inner steps per sync.");
        if (!(alpha > 0 && alpha <= 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "Lookahead's alpha must be in (0, 1].");
        Inner = inner;
        K = k;
        Alpha = alpha;
        Sync = sync;
        _parameters = inner.parameters().ToList();
        _slow = new Tensor?[_parameters.Count];
        if (sync == LookaheadSync.Paper) CopyFastToSlow();
    }

    public OptimizerHelper Inner { get; }
    public int K { get; }
    public double Alpha { get; }
    public LookaheadSync Sync { get; }

    /// <summary>Inner steps since the last sync (Paper), or torch_optimizer's counter: inner steps taken, mod k.</summary>
    public int Counter { get; private set; }

    /// <summary>One inner step, then the slow-weight sync when the schedule says so.</summary>
    public void Step()
    {
        Inner.step();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        if (Sync == LookaheadSync.Paper)
        {
            Counter += 1;
            if (Counter < K) return;
            Counter = 0;
            for (int i = 0; i < _parameters.Count; i++)
            {
                var slow = _slow[i]!;
                slow.add_(_parameters[i] - slow, alpha: Alpha);
                _parameters[i].copy_(slow);
            }
        }
        else
        {
            if (Counter == 0)
            {
                for (int i = 0; i < _parameters.Count; i++)
                {
                    _slow[i] ??= _parameters[i].detach().clone().DetachFromDisposeScope();
                    _parameters[i].mul_(Alpha).add_(_slow[i]!, alpha: 1.0 - Alpha);
                    _slow[i]!.copy_(_parameters[i]);
                }
            }
            Counter = (Counter + 1) % K;
        }
    }

    public void ZeroGrad() => Inner.zero_grad();

    /// <summary>Writes the mode, k, α, the counter and the slow weights (absent before torch_optimizer's first sync).</summary>
    public void Save(BinaryWriter writer)
    {
        writer.Write(nameof(Lookahead));
        writer.Write((int)Sync);
        writer.Write(K);
        writer.Write(Alpha);
        writer.Write(Counter);
        writer.Write(_slow.Length);
        foreach (var slow in _slow)
        {
            writer.Write(slow is not null);
            slow?.Save(writer);
        }
    }

    /// <summary>Restores what <see cref="Save"/> wrote into a wrapper built with the same mode, k, α and
    /// parameter shapes; the resumed run then matches one that never stopped bit for bit.</summary>
    public void Load(BinaryReader reader)
    {
        if (reader.ReadString() != nameof(Lookahead)) throw new InvalidDataException("Not a Lookahead state.");
        var sync = (LookaheadSync)reader.ReadInt32();
        var k = reader.ReadInt32();
        var alpha = reader.ReadDouble();
        if (sync != Sync || k != K || alpha != Alpha)
            throw new InvalidDataException($"The saved Lookahead ran {sync} with k {k}, alpha {alpha}; this one is {Sync}, k {K}, alpha {Alpha}.");
        var counter = reader.ReadInt32();
        if (reader.ReadInt32() != _slow.Length)
            throw new InvalidDataException("The saved Lookahead state has a different number of parameters.");

        for (int i = 0; i < _slow.Length; i++)
        {
            Tensor? loaded = null;
            if (reader.ReadBoolean())
            {
                loaded = zeros_like(_parameters[i]).DetachFromDisposeScope();
                loaded.Load(reader);
            }
            _slow[i]?.Dispose();
            _slow[i] = loaded;
        }
        Counter = counter;
    }

    void CopyFastToSlow()
    {
        for (int i = 0; i < _parameters.Count; i++)
            _slow[i] = _parameters[i].detach().clone().DetachFromDisposeScope();
    }

    /// <summary>Disposes the slow weights and the inner optimizer, which the wrapper owns.</summary>
    public void Dispose()
    {
        foreach (var slow in _slow) slow?.Dispose();
        Inner.Dispose();
    }
}
