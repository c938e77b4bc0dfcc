using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TempBalance.Core.Models;

/// <summary>
/// Redraws a model's conv and linear weights and biases with PyTorch's default initialisation
/// (uniform in ±1/sqrt(fan_in), what kaiming_uniform with a = sqrt(5) gives) from a private generator.
/// Torch's global generator is shared by every thread of the process (the web app trains several runs at
/// once), so a seed alone would not fix the initial weights; this does. A model with an initialisation of its
/// own (<see cref="IOwnInitialization"/>) draws it from the same private generator.
/// </summary>
public static class SeededInitialization
{
    public static void Apply(nn.Module model, long seed)
    {
        using var generator = new Generator((ulong)seed);
        if (model is IOwnInitialization own)
        {
            own.Initialize(generator);
            return;
        }
        using var noGrad = no_grad();
        foreach (var (_, module) in model.named_modules())
        {
            if (module is not (Conv2d or Linear)) continue;
            var parameters = module.named_parameters(recurse: false).ToDictionary(p => p.name, p => p.parameter);
            var weight = parameters["weight"];
            double bound = 1 / Math.Sqrt(weight[0].numel());
            Redraw(weight, bound, generator);
            if (parameters.TryGetValue("bias", out var bias)) Redraw(bias, bound, generator);
        }
    }

    static void Redraw(Tensor parameter, double bound, Generator generator)
    {
        using var scope = NewDisposeScope();
        var values = rand(parameter.shape, ScalarType.Float64, generator: generator).mul_(2 * bound).sub_(bound);
        parameter.copy_(values.to(parameter.dtype).to(parameter.device));
    }
}

/// <summary>
/// A model whose published initialisation is not PyTorch's default: <see cref="SeededInitialization"/> lets it draw
/// its weights itself, from the run's private generator.
/// </summary>
public interface IOwnInitialization
{
    void Initialize(Generator generator);
}
