using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TempBalance.Core.Optimizers;

/// <summary>
/// Spectral norm regularisation (SNR; Yoshida and Miyato 2017) as the TempBalance reference applies it in its
/// SGDSNR optimizer (YefanZhou/TempBalance, sgdsnr.py), turned into a gradient transform that works with any
/// optimizer: it adds sg·∇(σ(W)²/2) = sg·σ·u₁v₁ᵀ to the gradient of every weight matrix.
/// </summary>
/// <remarks>
/// For every parameter with more than one dimension and a gradient, in the order given, with W the parameter
/// viewed as (shape[0], −1) of size m × n:
/// <code>
/// u ← randn(1, m)                  float32, from torch's global CPU generator, then to W's device and dtype
/// repeat n_power_iterations (5):   v ← u·W / ‖u·W‖;   u ← v·Wᵀ / ‖v·Wᵀ‖
/// σ ← u·W·vᵀ
/// g ← g + sg·reshape(σ·uᵀv, shape of W)
/// </code>
/// Like the reference, each call draws a fresh u (no power-iteration state is kept between steps), so with the
/// same <c>torch.random.manual_seed</c> it draws the reference's numbers; TorchSharp's generator gives PyTorch
/// 1.13's draws bit for bit (checked by the golden tests). With sg = 0 nothing is drawn, as in the reference.
/// <para>
/// Order of terms: SGDSNR adds the term after weight decay inside its SGD step (d = g + wd·w + sg·σuᵀv); here
/// it is added to g before the optimizer adds its weight decay (d = (g + sg·σuᵀv) + wd·w). The sum is the same up
/// to floating-point rounding, so <see cref="OptimizerFactory.Sgd"/> with this transform reproduces SGDSNR; with
/// another optimizer the term is simply part of the gradient that optimizer sees.
/// </para>
/// Call <see cref="AddToGradients"/> after <c>backward()</c> and before the optimizer's <c>step()</c>.
/// </remarks>
public sealed class SpectralNormRegularizer
{
    /// <param name="coefficient">sg, the reference's <c>--sg</c> (default there 0.01).</param>
    /// <param name="powerIterations">Power iterations per step (the reference's 5).</param>
    public SpectralNormRegularizer(double coefficient, int powerIterations = 5)
    {
        if (double.IsNaN(coefficient) || double.IsInfinity(coefficient))
            throw new ArgumentOutOfRangeException(nameof(coefficient), coefficient, "The SNR coefficient must be finite.");
        if (powerIterations < 1)
            throw new ArgumentOutOfRangeException(nameof(powerIterations), powerIterations, "At least one power iteration is needed.");
        Coefficient = coefficient;
        PowerIterations = powerIterations;
    }

    public double Coefficient { get; }
    public int PowerIterations { get; }

    /// <summary>Adds the spectral-norm term to the gradient, in place, of each parameter that has more than one
    /// dimension and a gradient.</summary>
    public void AddToGradients(IEnumerable<Parameter> parameters)
    {
        if (Coefficient == 0) return;
        using var noGrad = no_grad();
        foreach (var param in parameters)
        {
            using var scope = NewDisposeScope();
            var grad = param.grad;
            if (grad is null || param.dim() <= 1) continue;
            grad.add_(SpectralTerm(param).reshape(param.shape), alpha: Coefficient);
        }
    }

    /// <summary>σ·uᵀv for the weight viewed as (shape[0], −1), with u and v from the reference's power iteration.</summary>
    Tensor SpectralTerm(Tensor weight)
    {
        var w = weight.view(weight.shape[0], -1);
        var u = randn(1, w.shape[0], dtype: float32).to(w.dtype, w.device);
        Tensor v;
        int iteration = 0;
        do
        {
            v = u.mm(w);
            v = v / v.norm();
            u = v.mm(w.T);
            u = u / u.norm();
        } while (++iteration < PowerIterations);
        var sigma = u.mm(w).mm(v.T).sum();
        return (ones(1, w.shape[0], dtype: w.dtype, device: w.device) * sigma).T * u.T.mm(v);
    }
}
