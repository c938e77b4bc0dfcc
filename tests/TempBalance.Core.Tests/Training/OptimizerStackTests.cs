using TempBalance.Core.Models;
using TempBalance.Core.Optimizers;
using TempBalance.Core.Training;
using static TorchSharp.torch;

namespace TempBalance.Core.Tests.Training;

/// <summary>The recipe's parts wired together: TempBalance on any optimizer, LAWN's switch, the state a checkpoint keeps.</summary>
public sealed class OptimizerStackTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("tb-stack-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    static TrainingConfig Preset(string name, TrainingConfig? basis = null) =>
        RecipePresets.Find(name)!.Apply(basis ?? new TrainingConfig { Model = "resnet18", WidthFactor = 0.25, Dataset = "synthetic", Device = "cpu" });

    [Theory]
    [InlineData("tb", OptimizerKind.Sgd, false)]
    [InlineData("tb+sgdp", OptimizerKind.Sgdp, false)]
    [InlineData("tb", OptimizerKind.Adam, false)]
    [InlineData("tb", OptimizerKind.Lars, false)]
    [InlineData("tb", OptimizerKind.Sgd, true)]
    public void TempBalance_rates_reach_the_base_optimizers_groups(string preset, OptimizerKind kind, bool lookahead)
    {
        var config = Preset(preset) with
        {
            Optimizer = new OptimizerOptions { Kind = kind },
            Lookahead = lookahead ? new LookaheadOptions { K = 3 } : null,
        };
        using var model = ModelFactory.Create(config.Model, 10, 1, 28, config.WidthFactor);
        using var method = Assert.IsType<TempBalanceMethod>(TrainingMethods.Create(config, model));
        var analysis = method.Prepare(0.02);

        var rates = method.Optimizer.Base.ParamGroups.Select(g => g.LearningRate).ToArray();
        Assert.Equal(1 + 19 + 16, rates.Length);
        var byLayer = analysis.Layers.ToDictionary(l => l.Name, l => l.NextLearningRate);
        foreach (var group in method.Groups)
            Assert.Equal(group.LayerName is null ? 0.02 : byLayer[group.LayerName], rates[group.GroupIndex], 15);
        Assert.True(rates.Distinct().Count() >= 10, string.Join(", ", rates));
        Assert.Equal(0.02 * config.TempBalance.MinRatio, rates.Min(), 12);
        Assert.Equal(0.02 * config.TempBalance.MaxRatio, rates.Max(), 12);
    }

    [Fact]
    public void The_baseline_has_one_group_at_the_global_rate_on_every_optimizer()
    {
        foreach (var kind in Enum.GetValues<OptimizerKind>())
        {
            var config = Preset("baseline") with { Optimizer = new OptimizerOptions { Kind = kind } };
            using var model = ModelFactory.Create(config.Model, 10, 1, 28, config.WidthFactor);
            using var method = TrainingMethods.Create(config, model);
            method.Prepare(0.3);
            Assert.Equal([0.3], method.Optimizer.Groups.Select(g => g.LearningRate));
            Assert.Equal(model.parameters().Count(), method.Optimizer.Base.parameters().Count());
        }
    }

    [Fact]
    public void Lawn_holds_the_final_layers_norms_from_its_switch_while_the_loss_still_falls()
    {
        var config = Preset("lawn-sgd", new TrainingConfig { Model = "smallcnn", Dataset = "synthetic", Device = "cpu", Subset = 512, BatchSize = 64, Epochs = 5, Lr = 0.05 });
        Assert.Equal(1, config.Lawn!.FreeEpochs);
        var dir = Path.Combine(root, "lawn");
        var result = new Trainer(config, dir, root).Run(CancellationToken.None);
        Assert.True(result.Outcome == RunOutcome.Completed, result.Message);
        Assert.True(result.Epochs[^1].TrainLoss < 0.8 * result.Epochs[2].TrainLoss,
            $"train loss {result.Epochs[2].TrainLoss} after epoch 2, {result.Epochs[^1].TrainLoss} at the end");

        using var model = ModelFactory.Create(config.Model, 10, 1, 28, config.WidthFactor);
        using var method = TrainingMethods.Create(config, model);
        using var generator = new Generator(0);
        Checkpoint.Load(dir, model, method.Optimizer, generator, config);
        var lawn = method.Optimizer.Lawn!;
        Assert.True(lawn.IsActive);
        Assert.Equal(["fc1", "fc2"], lawn.LayerNames);
        foreach (var (captured, now) in lawn.CapturedNorms.Zip(lawn.CurrentNorms()))
            Assert.True(Math.Abs(now - captured) <= 1e-6 * captured, $"norm {now} drifted from {captured}");
    }

    [Fact]
    public void Lawn_captures_at_the_first_constrained_epoch_and_not_before()
    {
        var config = Preset("lawn-adam", new TrainingConfig { Model = "mlp", Dataset = "synthetic", Device = "cpu", Epochs = 10 });
        using var model = ModelFactory.Create(config.Model, 10, 1, 28, config.WidthFactor);
        using var stack = new OptimizerStack(config, model, [(model.parameters().ToArray(), 0.001)]);
        stack.BeginEpoch(1);
        Assert.False(stack.LawnActive);
        stack.BeginEpoch(2);
        Assert.True(stack.LawnActive);
        Assert.Equal(3, stack.Lawn!.CapturedNorms.Count);
    }

    [Fact]
    public void A_checkpoint_of_the_old_format_refuses_a_recipe_that_needs_more_state()
    {
        var config = Preset("lookahead");
        using var model = ModelFactory.Create(config.Model, 10, 1, 28, config.WidthFactor);
        using var stack = new OptimizerStack(config, model, [(model.parameters().ToArray(), 0.1)]);
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) stack.Base.save_state_dict(writer);
        buffer.Position = 0;
        var error = Assert.Throws<InvalidDataException>(() => stack.Load(new BinaryReader(buffer), withParts: false));
        Assert.Contains("Lookahead", error.Message);
        Assert.Equal(LookaheadSync.TorchOptimizer, config.Lookahead!.Sync);
    }
}
