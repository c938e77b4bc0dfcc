using TempBalance.Core.Optimizers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TempBalance.Core.Tests.Optimizers;

/// <summary>
/// SGDP, LARS and LAMB stepping through <see cref="ScriptedSteps"/> against their C# loops: the same parameters and
/// gradients must give bit-identical parameters and state after several steps, in two groups at different rates.
/// </summary>
public sealed class ScriptedStepsTests
{
    const int Steps = 6;

    // A conv weight, a linear weight whose gradient is orthogonal to it per row (SGDP projects it per channel), one
    // orthogonal to it only as a whole layer, a vector, and a zero bias (LARS's and LAMB's trust ratio falls back to 1).
    static readonly long[][] Shapes = [[6, 3, 3, 3], [10, 24], [7, 5], [10], [6]];

    [Fact]
    public void This_libtorch_compiles_the_script()
    {
        // Without it the optimizers silently keep their C# loops and the comparisons below prove nothing.
        Assert.True(ScriptedSteps.Available);
    }

    [Theory]
    [InlineData("sgdp", ScalarType.Float64)]
    [InlineData("sgdp", ScalarType.Float32)]
    [InlineData("sgdp_nesterov", ScalarType.Float32)]
    [InlineData("lars", ScalarType.Float64)]
    [InlineData("lars", ScalarType.Float32)]
    [InlineData("lars_no_momentum", ScalarType.Float32)]
    [InlineData("lamb", ScalarType.Float64)]
    [InlineData("lamb", ScalarType.Float32)]
    [InlineData("lamb_bias_correction", ScalarType.Float32)]
    public void Scripted_steps_are_bit_identical_to_the_per_parameter_loop(string name, ScalarType dtype)
    {
        var loop = Parameters(dtype);
        var scripted = Parameters(dtype);
        using var loopOptimizer = Build(name, loop, perParameterLoop: true);
        using var scriptedOptimizer = Build(name, scripted, perParameterLoop: false);

        for (int step = 1; step <= Steps; step++)
        {
            SetGradients(loop, step);
            SetGradients(scripted, step);
            loopOptimizer.step();
            scriptedOptimizer.step();
        }

        for (int i = 0; i < loop.Length; i++)
        {
            Assert.False(loop[i].eq(Parameters(dtype)[i]).all().item<bool>(), $"parameter {i} did not move");
            Assert.True(loop[i].eq(scripted[i]).all().item<bool>(),
                $"parameter {i}: max difference {(loop[i] - scripted[i]).abs().max().to(float64).item<double>():E3}");
        }
        Assert.Equal(StateBytes(loopOptimizer), StateBytes(scriptedOptimizer));
    }

    static Parameter[] Parameters(ScalarType dtype)
    {
        var generator = new Generator(7);
        return Shapes.Select((shape, i) => new Parameter(i == Shapes.Length - 1
            ? zeros(shape, dtype)
            : randn(shape, generator: generator).to(dtype))).ToArray();
    }

    static void SetGradients(Parameter[] parameters, int step)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new Generator((ulong)(100 + step));
        for (int i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i].detach();
            var r = randn(p.shape, generator: generator).to(p.dtype);
            Tensor grad = i switch
            {
                1 => r - (r * p).sum(1, keepdim: true) / (p * p).sum(1, keepdim: true) * p,
                2 => r - (r * p).sum() / (p * p).sum() * p,
                _ => r,
            };
            parameters[i].grad = grad.DetachFromDisposeScope();
        }
    }

    static OptimizerHelper Build(string name, Parameter[] parameters, bool perParameterLoop)
    {
        IReadOnlyList<(IReadOnlyList<Parameter> Parameters, double LearningRate)> groups =
            [(parameters[..3], 0.05), (parameters[3..], 0.02)];
        OptimizerHelper optimizer = name switch
        {
            "sgdp" => OptimizerFactory.Sgdp(groups, momentum: 0.9, weightDecay: 5e-4),
            "sgdp_nesterov" => OptimizerFactory.Sgdp(groups, momentum: 0.9, weightDecay: 5e-4, nesterov: true),
            "lars" => OptimizerFactory.Lars(groups, momentum: 0.9, weightDecay: 5e-4, eeta: 0.02),
            "lars_no_momentum" => OptimizerFactory.Lars(groups, weightDecay: 5e-4),
            "lamb" => OptimizerFactory.Lamb(groups, weightDecay: 0.01),
            "lamb_bias_correction" => OptimizerFactory.Lamb(groups, weightDecay: 0.01, biasCorrection: true),
            _ => throw new ArgumentException(name),
        };
        switch (optimizer)
        {
            case Sgdp sgdp: sgdp.PerParameterLoop = perParameterLoop; break;
            case Lars lars: lars.PerParameterLoop = perParameterLoop; break;
            case Lamb lamb: lamb.PerParameterLoop = perParameterLoop; break;
        }
        return optimizer;
    }

    static byte[] StateBytes(OptimizerHelper optimizer)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            optimizer.save_state_dict(writer);
        return stream.ToArray();
    }
}
