using System.Text;
using TempBalance.Core.Optimizers;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace TempBalance.Core.Tests.Optimizers;

/// <summary>
/// The fused SGD, Adam and AdamW against TorchSharp's per-parameter ones: same parameters, gradients and rates, with
/// momentum and weight decay, across a rate change and a save/load of the state.
/// </summary>
public sealed class FusedOptimizersTests(ITestOutputHelper output)
{
    const int Steps = 8, SaveAfter = 4;

    static readonly long[][] Shapes = [[6, 3, 3, 3], [6], [10, 24], [10], [7, 5]];

    [Fact]
    public void This_libtorch_compiles_the_fused_kernels()
    {
        // Without them every fused optimizer silently takes the per-parameter path and the comparisons below prove nothing.
        Assert.True(FusedKernels.Available, FusedKernels.Unavailable);
    }

    [Theory]
    [InlineData("sgd", ScalarType.Float64)]
    [InlineData("sgd", ScalarType.Float32)]
    [InlineData("sgd_nesterov", ScalarType.Float64)]
    [InlineData("sgd_dampening", ScalarType.Float64)]
    [InlineData("sgd_no_momentum", ScalarType.Float64)]
    [InlineData("adam", ScalarType.Float64)]
    [InlineData("adam", ScalarType.Float32)]
    [InlineData("adamw", ScalarType.Float64)]
    [InlineData("adamw", ScalarType.Float32)]
    public void Fused_steps_match_the_per_parameter_optimizer(string name, ScalarType dtype)
    {
        var plain = Parameters(dtype);
        var fused = Copies(plain);
        using var plainOptimizer = Build(name, plain, fused: false);
        using var fusedOptimizer = Build(name, fused, fused: true);
        Assert.False(plainOptimizer is Fused.SGD or Fused.Adam or Fused.AdamW);
        Assert.Equal(plainOptimizer.GetType().Name, fusedOptimizer.GetType().Name);

        Train(plain, plainOptimizer, 1, Steps);
        Train(fused, fusedOptimizer, 1, Steps);

        double error = MaxRelativeError(fused, plain), moved = MaxRelativeError(plain, Parameters(dtype));
        output.WriteLine($"{name} {dtype}: max relative difference {error:E2} after {Steps} steps (the parameters moved {moved:E2} relative)");
        Assert.True(moved > 1e-2, "the steps must move the parameters for the comparison to mean anything");
        Assert.True(error <= (dtype == ScalarType.Float64 ? 1e-12 : 1e-5), $"{name}: fused and per-parameter differ by {error:E2}");
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    [InlineData("adamw")]
    public void State_saved_by_either_continues_in_the_other_and_the_fused_one_resumes_bit_identically(string name)
    {
        var uninterrupted = Parameters(ScalarType.Float32);
        using (var optimizer = Build(name, uninterrupted, fused: true))
            Train(uninterrupted, optimizer, 1, Steps);

        foreach (var (savedBy, loadedBy) in new[] { (true, true), (false, true), (true, false) })
        {
            var first = Parameters(ScalarType.Float32);
            using var stream = new MemoryStream();
            using (var optimizer = Build(name, first, savedBy))
            {
                Train(first, optimizer, 1, SaveAfter);
                using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
                optimizer.save_state_dict(writer);
            }
            var resumed = Copies(first);
            using var fresh = Build(name, resumed, loadedBy);
            stream.Position = 0;
            using (var reader = new BinaryReader(stream))
                fresh.load_state_dict(reader);
            Assert.Equal(0.05, fresh.ParamGroups.ElementAt(1).LearningRate);
            Train(resumed, fresh, SaveAfter + 1, Steps);

            double error = MaxRelativeError(resumed, uninterrupted);
            output.WriteLine($"{name}: saved by {(savedBy ? "fused" : "plain")}, loaded by {(loadedBy ? "fused" : "plain")}: {error:E2}");
            if (savedBy && loadedBy)
                Assert.Equal(0, error);
            else
                Assert.True(error <= 1e-5, $"{name}: the continuation differs by {error:E2}");
        }
    }

    [Fact]
    public void Without_its_momentum_buffers_the_fused_sgd_continues_differently()
    {
        // Guards the resume test: a restart with fresh state must not reproduce the uninterrupted run.
        var uninterrupted = Parameters(ScalarType.Float32);
        using (var optimizer = Build("sgd", uninterrupted, fused: true))
            Train(uninterrupted, optimizer, 1, Steps);
        var restarted = Parameters(ScalarType.Float32);
        using (var optimizer = Build("sgd", restarted, fused: true))
            Train(restarted, optimizer, 1, SaveAfter);
        using var fresh = Build("sgd", restarted, fused: true);
        fresh.ParamGroups.ElementAt(1).LearningRate = 0.05;
        Train(restarted, fresh, SaveAfter + 1, Steps);

        Assert.True(MaxRelativeError(restarted, uninterrupted) > 1e-4);
    }

    [Fact]
    public void Parameters_without_gradients_are_left_alone()
    {
        var parameters = Parameters(ScalarType.Float32);
        var frozen = parameters[2].detach().clone();
        parameters[2].requires_grad = false;
        using var optimizer = Build("adam", parameters, fused: true);

        Train(parameters, optimizer, 1, 3);

        Assert.True(parameters[2].Equals(frozen));
        Assert.False(parameters[0].Equals(Parameters(ScalarType.Float32)[0]));
    }

    /// <summary>Two groups (0.1 and 0.2), momentum 0.9, weight decay 5e-4 (AdamW 0.05 to make the decay count).</summary>
    static OptimizerHelper Build(string name, Parameter[] parameters, bool fused)
    {
        IReadOnlyList<Parameter> a = [parameters[0], parameters[1], parameters[4]], b = [parameters[2], parameters[3]];
        return (name, fused) switch
        {
            ("sgd", true) => OptimizerFactory.Sgd([(a, 0.1), (b, 0.2)], momentum: 0.9, weightDecay: 5e-4),
            ("sgd", false) => new SGD([new SGD.ParamGroup(a, 0.1, 0.9, 0, 5e-4), new SGD.ParamGroup(b, 0.2, 0.9, 0, 5e-4)], 0.1, 0.9, 0, 5e-4),
            ("sgd_nesterov", _) => SgdOf(fused, a, b, momentum: 0.9, dampening: 0, nesterov: true),
            ("sgd_dampening", _) => SgdOf(fused, a, b, momentum: 0.9, dampening: 0.1, nesterov: false),
            ("sgd_no_momentum", _) => SgdOf(fused, a, b, momentum: 0, dampening: 0, nesterov: false),
            ("adam", true) => OptimizerFactory.Adam([(a, 0.01), (b, 0.02)], weightDecay: 5e-4),
            ("adam", false) => new Adam([new Adam.ParamGroup(a, 0.01, 0.9, 0.999, 1e-8, 5e-4), new Adam.ParamGroup(b, 0.02, 0.9, 0.999, 1e-8, 5e-4)], 0.01, weight_decay: 5e-4),
            ("adamw", true) => OptimizerFactory.AdamW([(a, 0.01), (b, 0.02)], weightDecay: 0.05),
            ("adamw", false) => new AdamW([new AdamW.ParamGroup(a, 0.01, 0.9, 0.999, 1e-8, 0.05), new AdamW.ParamGroup(b, 0.02, 0.9, 0.999, 1e-8, 0.05)], 0.01, weight_decay: 0.05),
            _ => throw new ArgumentException(name),
        };
    }

    static OptimizerHelper SgdOf(bool fused, IReadOnlyList<Parameter> a, IReadOnlyList<Parameter> b, double momentum, double dampening, bool nesterov)
    {
        var groups = new[] { new SGD.ParamGroup(a, 0.1, momentum, dampening, 5e-4, nesterov), new SGD.ParamGroup(b, 0.2, momentum, dampening, 5e-4, nesterov) };
        return fused ? new Fused.SGD(groups, 0.1, momentum, dampening, 5e-4, nesterov) : new SGD(groups, 0.1, momentum, dampening, 5e-4, nesterov);
    }

    /// <summary>Steps <paramref name="first"/>..<paramref name="last"/>: the second group's rate drops to 0.05 before
    /// step 3; gradients of a fixed quadratic plus a per-step draw, so they depend on the parameters.</summary>
    static void Train(Parameter[] parameters, OptimizerHelper optimizer, int first, int last)
    {
        for (int t = first; t <= last; t++)
        {
            if (t == 3) optimizer.ParamGroups.ElementAt(1).LearningRate = 0.05;
            using (var scope = NewDisposeScope())
            using (no_grad())
            {
                var generator = new TorchSharp.torch.Generator((ulong)(100 + t));
                foreach (var p in parameters.Where(p => p.requires_grad))
                    p.grad = (0.5 * p.detach() + randn(p.shape, generator: generator).to(p.dtype)).DetachFromDisposeScope();
            }
            optimizer.step();
        }
    }

    static Parameter[] Parameters(ScalarType dtype)
    {
        var generator = new TorchSharp.torch.Generator(7);
        return Shapes.Select(s => new Parameter(randn(s, float64, generator: generator).to(dtype).DetachFromDisposeScope())).ToArray();
    }

    static Parameter[] Copies(Parameter[] source)
    {
        using var noGrad = no_grad();
        return source.Select(p => new Parameter(p.detach().clone().DetachFromDisposeScope())).ToArray();
    }

    /// <summary>The largest |a − b| / |b| over parameters, norms of each whole tensor.</summary>
    static double MaxRelativeError(Parameter[] a, Parameter[] b)
    {
        using var scope = NewDisposeScope();
        return a.Zip(b).Max(x => (x.First.detach().to(float64) - x.Second.detach().to(float64)).norm().item<double>() / x.Second.detach().to(float64).norm().item<double>());
    }
}
