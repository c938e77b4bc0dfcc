using System.Text;
using TempBalance.Core.Optimizers;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TempBalance.Core.Tests.Optimizers.OptimizerGoldens;
using static TorchSharp.torch;

namespace TempBalance.Core.Tests.Optimizers;

public sealed class LookaheadTests(ITestOutputHelper output)
{
    const double Tolerance = 1e-6;

    static Lookahead Build(string name, Parameter[] parameters)
    {
        var g = Case(name);
        var inner = OptimizerFactory.Sgd(Groups(parameters), g.Hyper("momentum"), g.Hyper("weight_decay"));
        var sync = name == "lookahead_paper" ? LookaheadSync.Paper : LookaheadSync.TorchOptimizer;
        return new Lookahead(inner, (int)g.Hyper("k"), g.Hyper("alpha"), sync);
    }

    [Theory]
    [InlineData("lookahead_paper")]
    [InlineData("lookahead_torch_optimizer")]
    public void Lookahead_around_sgd_matches_pytorch_after_five_steps(string name)
    {
        var parameters = FreshParameters();
        using var lookahead = Build(name, parameters);

        Run(parameters, lookahead.Inner.ParamGroups, lookahead.Step);

        var (errors, moves) = RelativeErrors(parameters, Case(name));
        output.WriteLine($"{name}: max relative error {errors:E2} (parameters), {moves:E2} (distance moved)");
        Assert.True(errors <= Tolerance, $"{name}: parameters differ by {errors:E2} relative");
        Assert.True(moves <= Tolerance, $"{name}: the distance moved differs by {moves:E2} relative");
    }

    [Fact]
    public void The_two_sync_schedules_end_in_different_places()
    {
        // k = 2: the paper syncs after steps 2 and 4, torch_optimizer after 1, 3 and 5.
        Assert.True(RelativeErrors(FreshParametersAfter("lookahead_paper"), Case("lookahead_torch_optimizer")).Displacements > 1e-2);
    }

    static Parameter[] FreshParametersAfter(string name)
    {
        var parameters = FreshParameters();
        using var lookahead = Build(name, parameters);
        Run(parameters, lookahead.Inner.ParamGroups, lookahead.Step);
        return parameters;
    }

    [Theory]
    [InlineData(LookaheadSync.Paper)]
    [InlineData(LookaheadSync.TorchOptimizer)]
    public void Alpha_1_follows_the_inner_optimizer(LookaheadSync sync)
    {
        var plain = FreshParameters();
        using (var sgd = OptimizerFactory.Sgd(Groups(plain), momentum: 0.9))
            Run(plain, sgd.ParamGroups, () => sgd.step());

        var wrapped = FreshParameters();
        using var lookahead = new Lookahead(OptimizerFactory.Sgd(Groups(wrapped), momentum: 0.9), k: 2, alpha: 1.0, sync);
        Run(wrapped, lookahead.Inner.ParamGroups, lookahead.Step);

        // torch_optimizer's α·θ + (1 − α)·φ is exactly θ at α = 1; the paper's φ + α·(θ − φ) only up to rounding.
        for (int i = 0; i < plain.Length; i++)
            Assert.True(sync == LookaheadSync.TorchOptimizer
                ? Identical(plain[i], wrapped[i])
                : plain[i].allclose(wrapped[i], rtol: 1e-14, atol: 0), Setup.Params[i].Name);
    }

    [Theory]
    [InlineData("lookahead_paper", 1)]
    [InlineData("lookahead_paper", 3)]
    [InlineData("lookahead_torch_optimizer", 1)]
    [InlineData("lookahead_torch_optimizer", 2)]
    public void Saved_slow_weights_and_counter_continue_bit_identically(string name, int stopAfter)
    {
        // k = 2: every stop point is followed by at least one sync that reads the restored slow weights.
        var uninterrupted = FreshParameters();
        using (var lookahead = Build(name, uninterrupted))
            Run(uninterrupted, lookahead.Inner.ParamGroups, lookahead.Step);

        var first = FreshParameters();
        using var stream = new MemoryStream();
        using (var lookahead = Build(name, first))
        {
            Run(first, lookahead.Inner.ParamGroups, lookahead.Step, last: stopAfter);
            using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            lookahead.Inner.save_state_dict(writer);
            lookahead.Save(writer);
        }

        var resumed = CopiesOf(first);
        using var fresh = Build(name, resumed);
        stream.Position = 0;
        using (var reader = new BinaryReader(stream))
        {
            fresh.Inner.load_state_dict(reader);
            fresh.Load(reader);
        }
        Run(resumed, fresh.Inner.ParamGroups, fresh.Step, first: stopAfter + 1);

        for (int i = 0; i < resumed.Length; i++)
            Assert.True(Identical(resumed[i], uninterrupted[i]), $"{name}: {Setup.Params[i].Name} differs after the resume");
    }

    [Fact]
    public void Loading_a_state_saved_with_another_schedule_is_refused()
    {
        using var stream = new MemoryStream();
        var p = FreshParameters();
        using (var paper = new Lookahead(OptimizerFactory.Sgd(Groups(p)), k: 2, alpha: 0.8, LookaheadSync.Paper))
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
            paper.Save(writer);

        using var other = new Lookahead(OptimizerFactory.Sgd(Groups(p)), k: 2, alpha: 0.8, LookaheadSync.TorchOptimizer);
        stream.Position = 0;
        using var reader = new BinaryReader(stream);
        Assert.Throws<InvalidDataException>(() => other.Load(reader));
    }

    [Fact]
    public void Invalid_k_or_alpha_is_rejected()
    {
        var groups = Groups(FreshParameters());
        Assert.Throws<ArgumentOutOfRangeException>(() => new Lookahead(OptimizerFactory.Sgd(groups), k: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Lookahead(OptimizerFactory.Sgd(groups), alpha: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Lookahead(OptimizerFactory.Sgd(groups), alpha: 1.5));
    }
}
