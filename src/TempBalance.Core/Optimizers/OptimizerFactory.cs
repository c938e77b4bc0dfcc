using TorchSharp.Modules;

namespace TempBalance.Core.Optimizers;

/// <summary>
/// Builds every optimizer the TempBalance paper compares from the same parameter-group list, one learning rate
/// per group (TempBalance gives each layer its own), so a layer-wise scheduler can set
/// <c>ParamGroups</c>' <c>LearningRate</c> between steps whichever optimizer runs. Hyperparameters other than the
/// learning rate apply to every group; each optimizer's typed group options can still be changed afterwards.
/// </summary>
public static class OptimizerFactory
{
    /// <summary>torch.optim.SGD: d ← g + weight_decay·w; b ← momentum·b + d (b starts as d); w ← w − lr·b. Dampening 0,
    /// no Nesterov. A TorchSharp SGD that steps with libtorch's fused kernel (<see cref="Fused.SGD"/>).</summary>
    public static OptimizerHelper Sgd(IReadOnlyList<(IReadOnlyList<Parameter> Parameters, double LearningRate)> groups,
        double momentum = 0, double weightDecay = 0)
    {
        CheckRates(groups);
        return new Fused.SGD(
            groups.Select(g => new SGD.ParamGroup(g.Parameters, g.LearningRate, momentum, dampening: 0, weightDecay, nesterov: false)).ToList(),
            DefaultRate(groups), momentum, dampening: 0, weightDecay, nesterov: false);
    }

    /// <summary>torch.optim.Adam, L2 weight decay added to the gradient, amsgrad off; fused kernel (<see cref="Fused.Adam"/>).</summary>
    public static OptimizerHelper Adam(IReadOnlyList<(IReadOnlyList<Parameter> Parameters, double LearningRate)> groups,
        double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
    {
        CheckRates(groups);
        return new Fused.Adam(
            groups.Select(g => new Adam.ParamGroup(g.Parameters, g.LearningRate, beta1, beta2, eps, weightDecay, amsgrad: false)).ToList(),
            DefaultRate(groups), beta1, beta2, eps, weightDecay);
    }

    /// <summary>torch.optim.AdamW, decoupled weight decay w ← w·(1 − lr·weight_decay) before the Adam step, amsgrad off;
    /// fused kernel (<see cref="Fused.AdamW"/>). The weight decay default is PyTorch's 0.01.</summary>
    public static OptimizerHelper AdamW(IReadOnlyList<(IReadOnlyList<Parameter> Parameters, double LearningRate)> groups,
        double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01)
    {
        CheckRates(groups);
        return new Fused.AdamW(
            groups.Select(g => new AdamW.ParamGroup(g.Parameters, g.LearningRate, beta1, beta2, eps, weightDecay, amsgrad: false)).ToList(),
            DefaultRate(groups), beta1, beta2, eps, weightDecay);
    }

    /// <summary><see cref="Optimizers.Sgdp"/>, defaults as the adamp package (main_tb.py passes momentum 0.9).</summary>
    public static OptimizerHelper Sgdp(IReadOnlyList<(IReadOnlyList<Parameter> Parameters, double LearningRate)> groups,
        double momentum = 0, double weightDecay = 0, double dampening = 0, bool nesterov = false,
        double eps = 1e-8, double delta = 0.1, double wdRatio = 0.1) =>
        new Sgdp(groups.Select(g => new ParamGroup<Sgdp.Options>(g.Parameters, new Sgdp.Options
        {
            LearningRate = g.LearningRate,
            Momentum = momentum,
            Dampening = dampening,
            WeightDecay = weightDecay,
            Nesterov = nesterov,
            Eps = eps,
            Delta = delta,
            WdRatio = wdRatio,
        })).ToList());

    /// <summary><see cref="Optimizers.Lars"/>, defaults as the reference's lars.py.</summary>
    public static OptimizerHelper Lars(IReadOnlyList<(IReadOnlyList<Parameter> Parameters, double LearningRate)> groups,
        double momentum = 0, double weightDecay = 0, double eeta = 0.001, double epsilon = 1e-5) =>
        new Lars(groups.Select(g => new ParamGroup<Lars.Options>(g.Parameters, new Lars.Options
        {
            LearningRate = g.LearningRate,
            Momentum = momentum,
            WeightDecay = weightDecay,
            Eeta = eeta,
            Epsilon = epsilon,
        })).ToList());

    /// <summary><see cref="Optimizers.Lamb"/>, defaults as the reference's lamb.py.</summary>
    public static OptimizerHelper Lamb(IReadOnlyList<(IReadOnlyList<Parameter> Parameters, double LearningRate)> groups,
        double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-6, double weightDecay = 0, bool biasCorrection = false) =>
        new Lamb(groups.Select(g => new ParamGroup<Lamb.Options>(g.Parameters, new Lamb.Options
        {
            LearningRate = g.LearningRate,
            Beta1 = beta1,
            Beta2 = beta2,
            Eps = eps,
            WeightDecay = weightDecay,
            BiasCorrection = biasCorrection,
        })).ToList());

    // TorchSharp's built-ins check only their constructor's rate, not each group's.
    static void CheckRates(IReadOnlyList<(IReadOnlyList<Parameter> Parameters, double LearningRate)> groups)
    {
        foreach (var (_, lr) in groups)
            if (lr < 0 || double.IsNaN(lr)) throw new ArgumentException($"Invalid learning rate: {lr}", nameof(groups));
    }

    static double DefaultRate(IReadOnlyList<(IReadOnlyList<Parameter> Parameters, double LearningRate)> groups) =>
        groups.Count > 0 ? groups[0].LearningRate : 0;
}
