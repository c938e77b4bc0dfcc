using TempBalance.Core.Models;
using TempBalance.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TempBalance.Cli.Tests;

/// <summary>What `bench optimizers` hands its PyTorch peer: the recipe our side trains, hyperparameter for hyperparameter.</summary>
public sealed class BenchOptimizersCommandTests
{
    static readonly BenchOptimizersCommand.ParameterLayout OneGroup = new([[3, 4]], [([0], 0.5)]);

    [Fact]
    public void Each_variant_sends_the_hyperparameters_of_its_preset()
    {
        var sgd = BenchOptimizersCommand.PeerVariant("sgd", BenchOptimizersCommand.ConfigOf("sgd", 0.25, 128), 0, OneGroup);
        Assert.Equal("sgd", (string)sgd["optimizer"]!);
        Assert.Equal(0.9, (double)sgd["momentum"]!);
        Assert.Equal(5e-4, (double)sgd["weight_decay"]!);
        Assert.Equal(16, (int)sgd["model"]!["width"]!);
        Assert.Equal(128, (int)sgd["model"]!["batch"]!);
        Assert.Null(sgd["snr"]);
        Assert.Null(sgd["lookahead"]);

        var lars = BenchOptimizersCommand.PeerVariant("lars", BenchOptimizersCommand.ConfigOf("lars", 0.25, 128), 0, OneGroup);
        Assert.Equal(("lars", 28.0, 0.0, 1e-5), ((string)lars["optimizer"]!, (double)lars["lr"]!, (double)lars["momentum"]!, (double)lars["eps"]!));

        var snr = BenchOptimizersCommand.PeerVariant("snr", BenchOptimizersCommand.ConfigOf("snr", 0.25, 128), 0, OneGroup);
        Assert.Equal(0.01, (double)snr["snr"]!["coefficient"]!);

        var lookahead = BenchOptimizersCommand.PeerVariant("lookahead", BenchOptimizersCommand.ConfigOf("lookahead", 0.25, 128), 0, OneGroup);
        Assert.Equal((10, 0.8, "torch_optimizer"), ((int)lookahead["lookahead"]!["k"]!, (double)lookahead["lookahead"]!["alpha"]!, (string)lookahead["lookahead"]!["sync"]!));

        var lawn = BenchOptimizersCommand.PeerVariant("lawn", BenchOptimizersCommand.ConfigOf("lawn", 0.25, 128), 0, OneGroup);
        Assert.True((bool)lawn["lawn"]!);
        Assert.Equal(["linear"], lawn["lawn_modules"]!.AsArray().Select(m => (string)m!));

        Assert.True(BenchOptimizersCommand.ConfigOf("tb", 0.25, 128).TempBalance.Enabled);
        Assert.False(BenchOptimizersCommand.ConfigOf("sgd", 0.25, 128).TempBalance.Enabled);
        Assert.Equal(OptimizerKind.AdamW, BenchOptimizersCommand.ConfigOf("adamw", 0.25, 128).Optimizer.Kind);
        Assert.Throws<ArgumentException>(() => BenchOptimizersCommand.ConfigOf("rmsprop", 0.25, 128));
    }

    [Fact]
    public void The_tempbalance_layout_sends_every_parameter_once_in_per_layer_groups()
    {
        var config = BenchOptimizersCommand.ConfigOf("tb", 0.25, 8);
        using var model = ModelFactory.Create(config.Model, 10, 1, 28, config.WidthFactor);
        using var method = new TempBalanceMethod(model, config);

        var layout = BenchOptimizersCommand.ParameterLayout.Of(model, method.Optimizer.Base);
        var variant = BenchOptimizersCommand.PeerVariant("tb", config, 0, layout);

        var shapes = model.parameters().Select(p => p.shape).ToList();
        Assert.Equal(shapes, variant["shapes"]!.AsArray().Select(s => s!.AsArray().Select(d => (long)d!).ToArray()));
        var groups = variant["groups"]!.AsArray();
        Assert.True(groups.Count > 10, $"{groups.Count} groups: TempBalance gives each tuned layer its own");
        var indices = groups.SelectMany(g => g!["indices"]!.AsArray().Select(i => (int)i!)).Order().ToList();
        Assert.Equal(Enumerable.Range(0, shapes.Count), indices);
        // The groups' rates are TempBalance's, set from each layer's fit: not all the global one.
        Assert.Contains(groups, g => Math.Abs((double)g!["lr"]! - config.Lr) > 1e-6);
    }
}
