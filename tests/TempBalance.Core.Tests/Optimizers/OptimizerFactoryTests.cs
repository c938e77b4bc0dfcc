using System.Text;
using TempBalance.Core.Optimizers;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TempBalance.Core.Tests.Optimizers.OptimizerGoldens;
using static TorchSharp.torch;

namespace TempBalance.Core.Tests.Optimizers;

/// <summary>The six base optimizers against PyTorch 1.13 (make_optimizer_goldens.py), and their resume.</summary>
public sealed class OptimizerFactoryTests(ITestOutputHelper output)
{
    const double Tolerance = 1e-6;

    /// <summary>The fixture's case, built through the factory. Hyperparameters the case does not list are left at
    /// the factory's defaults, so the defaults are checked against the reference's too.</summary>
    internal static OptimizerHelper Build(string name, IReadOnlyList<(IReadOnlyList<Parameter> Parameters, double LearningRate)> groups)
    {
        var g = Case(name);
        return name switch
        {
            "sgd" => OptimizerFactory.Sgd(groups, g.Hyper("momentum"), g.Hyper("weight_decay")),
            "adam" => OptimizerFactory.Adam(groups, g.Hyper("beta1"), g.Hyper("beta2"), g.Hyper("eps"), g.Hyper("weight_decay")),
            "adamw" => OptimizerFactory.AdamW(groups, g.Hyper("beta1"), g.Hyper("beta2"), g.Hyper("eps"), g.Hyper("weight_decay")),
            "sgdp" or "sgdp_nesterov" => OptimizerFactory.Sgdp(groups, g.Hyper("momentum"), g.Hyper("weight_decay"), nesterov: g.Flag("nesterov")),
            "lars" => OptimizerFactory.Lars(groups, g.Hyper("momentum"), g.Hyper("weight_decay")),
            "lars_trust_clamp" => OptimizerFactory.Lars(groups, g.Hyper("momentum"), g.Hyper("weight_decay"), eeta: g.Hyper("eeta")),
            "lamb" => OptimizerFactory.Lamb(groups, weightDecay: g.Hyper("weight_decay")),
            "lamb_bias_correction" => OptimizerFactory.Lamb(groups, weightDecay: g.Hyper("weight_decay"), biasCorrection: g.Flag("bias_correction")),
            _ => throw new ArgumentException(name),
        };
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    [InlineData("adamw")]
    [InlineData("sgdp")]
    [InlineData("sgdp_nesterov")]
    [InlineData("lars")]
    [InlineData("lars_trust_clamp")]
    [InlineData("lamb")]
    [InlineData("lamb_bias_correction")]
    public void Five_steps_with_a_rate_change_match_pytorch(string name)
    {
        var parameters = FreshParameters();
        using var optimizer = Build(name, Groups(parameters));

        Run(parameters, optimizer.ParamGroups, () => optimizer.step());

        var (errors, moves) = RelativeErrors(parameters, Case(name));
        output.WriteLine($"{name}: max relative error {errors:E2} (parameters), {moves:E2} (distance moved)");
        Assert.True(errors <= Tolerance, $"{name}: parameters differ by {errors:E2} relative");
        Assert.True(moves <= Tolerance, $"{name}: the distance moved differs by {moves:E2} relative");
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    [InlineData("adamw")]
    [InlineData("sgdp")]
    [InlineData("lars")]
    [InlineData("lars_trust_clamp")]
    [InlineData("lamb")]
    [InlineData("lamb_bias_correction")]
    public void Float32_parameters_stay_close_to_the_float64_goldens(string name)
    {
        // Training runs in float32: every tensor the update creates must follow the parameter's dtype.
        var parameters = FreshParameters(ScalarType.Float32);
        using var optimizer = Build(name, Groups(parameters));

        Run(parameters, optimizer.ParamGroups, () => optimizer.step());

        Assert.All(parameters, p => Assert.Equal(ScalarType.Float32, p.dtype));
        var errors = RelativeErrors(parameters, Case(name)).Parameters;
        output.WriteLine($"{name} in float32: max relative error {errors:E2}");
        Assert.True(errors <= 1e-5, $"{name}: float32 parameters differ by {errors:E2} relative");
    }

    [Fact]
    public void The_goldens_tell_sgdp_from_sgd()
    {
        // Guards the comparison itself: plain SGD must miss the SGDP fixture by far more than the tolerance.
        var parameters = FreshParameters();
        using var optimizer = Build("sgd", Groups(parameters));
        Run(parameters, optimizer.ParamGroups, () => optimizer.step());

        Assert.True(RelativeErrors(parameters, Case("sgdp")).Displacements > 1e-2);
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    [InlineData("adamw")]
    [InlineData("sgdp")]
    [InlineData("lars")]
    [InlineData("lamb")]
    [InlineData("lamb_bias_correction")]
    public void State_saved_after_step_4_continues_bit_identically_in_a_fresh_optimizer(string name)
    {
        var uninterrupted = FreshParameters();
        using (var optimizer = Build(name, Groups(uninterrupted)))
            Run(uninterrupted, optimizer.ParamGroups, () => optimizer.step());

        var (resumed, fresh) = Resume(name, stopAfter: 4);
        using (fresh)
        {
            // The rate set before step 4 comes back with the state: the fresh one was built with 0.05.
            Assert.Equal(Setup.LrChange.Lr, fresh.ParamGroups.ElementAt(Setup.LrChange.Group).LearningRate);
            Run(resumed, fresh.ParamGroups, () => fresh.step(), first: 5);
        }

        for (int i = 0; i < resumed.Length; i++)
            Assert.True(Identical(resumed[i], uninterrupted[i]), $"{name}: {Setup.Params[i].Name} differs after the resume");
    }

    [Fact]
    public void Without_the_saved_state_the_continuation_differs()
    {
        // The resume test could pass vacuously if step 5 ignored the state; with a fresh momentum buffer it must not match.
        var uninterrupted = FreshParameters();
        using (var optimizer = Build("sgd", Groups(uninterrupted)))
            Run(uninterrupted, optimizer.ParamGroups, () => optimizer.step());

        var first = FreshParameters();
        using (var optimizer = Build("sgd", Groups(first)))
            Run(first, optimizer.ParamGroups, () => optimizer.step(), last: 4);
        var restarted = CopiesOf(first);
        using var fresh = Build("sgd", Groups(restarted));
        fresh.ParamGroups.ElementAt(Setup.LrChange.Group).LearningRate = Setup.LrChange.Lr;
        Run(restarted, fresh.ParamGroups, () => fresh.step(), first: 5);

        Assert.Contains(Enumerable.Range(0, first.Length), i => !Identical(restarted[i], uninterrupted[i]));
    }

    /// <summary>Runs <paramref name="stopAfter"/> steps, saves the optimizer, and loads it into a fresh optimizer
    /// (built with the initial rates) over fresh parameters holding the same values.</summary>
    static (Parameter[] Parameters, OptimizerHelper Optimizer) Resume(string name, int stopAfter)
    {
        var first = FreshParameters();
        using var stream = new MemoryStream();
        using (var optimizer = Build(name, Groups(first)))
        {
            Run(first, optimizer.ParamGroups, () => optimizer.step(), last: stopAfter);
            using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            optimizer.save_state_dict(writer);
        }

        var resumed = CopiesOf(first);
        var fresh = Build(name, Groups(resumed));
        stream.Position = 0;
        using (var reader = new BinaryReader(stream))
            fresh.load_state_dict(reader);
        return (resumed, fresh);
    }

    [Fact]
    public void Invalid_hyperparameters_are_rejected_with_the_reference_s_checks()
    {
        var groups = Groups(FreshParameters());
        Assert.Throws<ArgumentException>(() => OptimizerFactory.Lars(groups, eeta: 0));
        Assert.Throws<ArgumentException>(() => OptimizerFactory.Lars(groups, eeta: 1.5));
        Assert.Throws<ArgumentException>(() => OptimizerFactory.Lars(groups, epsilon: 0));
        Assert.Throws<ArgumentException>(() => OptimizerFactory.Lamb(groups, beta1: 1));
        Assert.Throws<ArgumentException>(() => OptimizerFactory.Sgdp(groups, momentum: 1));
        Assert.Throws<ArgumentException>(() => OptimizerFactory.Sgd([(groups[0].Parameters, -0.1)]));
        Assert.Throws<ArgumentException>(() => OptimizerFactory.Lamb([(groups[0].Parameters, -0.1)]));
    }

    [Fact]
    public void A_parameter_in_two_groups_is_rejected()
    {
        var p = FreshParameters();
        Assert.Throws<ArgumentException>(() => OptimizerFactory.Lars([([p[0]], 0.1), ([p[0], p[1]], 0.1)]));
    }

    [Theory]
    [InlineData("sgdp")]
    [InlineData("lars")]
    [InlineData("lamb")]
    public void Only_parameters_with_a_gradient_move(string name)
    {
        using var scope = NewDisposeScope();
        var p = FreshParameters();
        var before = p.Select(x => x.detach().clone()).ToArray();
        p[2].grad = ones_like(p[2]);
        using var optimizer = Build(name, Groups(p));

        optimizer.step();

        Assert.False(Identical(p[2], before[2]));
        foreach (var i in new[] { 0, 1, 3, 4 }) Assert.True(Identical(p[i], before[i]), $"{name} moved {Setup.Params[i].Name}");
    }
}
