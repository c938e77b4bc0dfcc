using TempBalance.Core.Scheduling;
using TempBalance.Core.Spectral;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TempBalance.Core.Tests.Scheduling;

public class TempBalanceSchedulerTests
{
    static void AssertEveryGroupHasTheSameMomentumAndDecay(SGD optimizer)
    {
        foreach (var group in optimizer.ParamGroups.Cast<SGD.ParamGroup>())
        {
            var options = group.Options;
            Assert.Equal(0.9, options.momentum);
            Assert.Equal(5e-4, options.weight_decay);
            Assert.Equal(0, options.dampening);
            Assert.False(options.nesterov);
        }
    }

    static void AssertEveryParameterIsInExactlyOneGroup(nn.Module model, TempBalanceScheduler scheduler)
    {
        var grouped = scheduler.Groups.SelectMany(g => g.ParameterNames).ToList();
        Assert.Equal(grouped.Count, grouped.Distinct().Count());
        Assert.Equal(model.named_parameters().Select(p => p.name).Order(), grouped.Order());
        Assert.Equal(model.parameters().Count(), scheduler.Optimizer.ParamGroups.Cast<SGD.ParamGroup>().Sum(g => g.Parameters.Count()));
    }

    [Fact]
    public void Cifar_resnet18_gets_21_analysed_19_tuned_layers_and_36_groups()
    {
        using var scope = NewDisposeScope();
        var model = ReferenceShapedModels.ResNet18(classes: 100);
        var scheduler = new TempBalanceScheduler(model, new TempBalanceOptions());

        var optimizer = scheduler.CreateOptimizer(0.1, momentum: 0.9, weightDecay: 5e-4);

        Assert.Equal(21, scheduler.Layers.Count);
        Assert.Equal(19, scheduler.TunedLayers.Count);
        Assert.DoesNotContain("conv1", scheduler.TunedLayers);
        Assert.DoesNotContain("linear", scheduler.TunedLayers);
        Assert.Contains("layer2.0.shortcut.0", scheduler.TunedLayers);
        Assert.Equal(17, scheduler.BatchNormToConv.Count); // bn1 (stem) + 16 block BatchNorms; shortcut BatchNorms stay unmapped
        Assert.Equal("layer3.1.conv2", scheduler.BatchNormToConv["layer3.1.bn2"]);
        Assert.False(scheduler.BatchNormToConv.ContainsKey("layer2.0.shortcut.1"));
        Assert.Equal(36, optimizer.ParamGroups.Count());
        Assert.Equal(36, scheduler.Groups.Count);
        Assert.Equal(["layer1.0.conv1.weight"], scheduler.Groups[0].ParameterNames);
        Assert.Equal(new ParamGroupInfo(1, "layer1.0.conv1", ["layer1.0.bn1.weight", "layer1.0.bn1.bias"]), scheduler.Groups[1] with { ParameterNames = scheduler.Groups[1].ParameterNames.ToArray() },
            new ParamGroupInfoComparer());
        Assert.Null(scheduler.Groups[^1].LayerName);
        Assert.Contains("layer2.0.shortcut.1.weight", scheduler.Groups[^1].ParameterNames);
        Assert.Contains("linear.bias", scheduler.Groups[^1].ParameterNames);
        AssertEveryGroupHasTheSameMomentumAndDecay(optimizer);
        AssertEveryParameterIsInExactlyOneGroup(model, scheduler);

        // Initial rates: tuned layers spread over [0.05, 0.15] by alpha, BatchNorms follow their conv, the rest at 0.1.
        var groups = optimizer.ParamGroups.ToList();
        var update = scheduler.LastUpdate!;
        Assert.Equal(21, update.Layers.Count);
        var tunedRates = update.Layers.Where(l => l.Tuned).Select(l => l.LearningRate).ToArray();
        Assert.Equal(0.05, tunedRates.Min(), 12);
        Assert.Equal(0.15, tunedRates.Max(), 12);
        foreach (var info in scheduler.Groups)
        {
            double expected = info.LayerName is null ? 0.1 : update.Layers.Single(l => l.Spectrum.Name == info.LayerName).LearningRate;
            Assert.Equal(expected, groups[info.GroupIndex].LearningRate, 15);
        }
        var highest = update.Layers.Where(l => l.Tuned).MaxBy(l => l.Spectrum.Fit.Alpha)!;
        Assert.Equal(0.15, highest.LearningRate, 12);
    }

    sealed class ParamGroupInfoComparer : IEqualityComparer<ParamGroupInfo>
    {
        public bool Equals(ParamGroupInfo? x, ParamGroupInfo? y) =>
            x!.GroupIndex == y!.GroupIndex && x.LayerName == y.LayerName && x.ParameterNames.SequenceEqual(y.ParameterNames);

        public int GetHashCode(ParamGroupInfo obj) => obj.GroupIndex;
    }

    [Fact]
    public void Vgg16_bn_maps_batchnorms_by_order_and_gets_25_groups()
    {
        using var scope = NewDisposeScope();
        var model = ReferenceShapedModels.Vgg16Bn(classes: 100);
        var scheduler = new TempBalanceScheduler(model, new TempBalanceOptions());

        var optimizer = scheduler.CreateOptimizer(0.05, momentum: 0.9, weightDecay: 5e-4);

        Assert.Equal(14, scheduler.Layers.Count);
        Assert.Equal(12, scheduler.TunedLayers.Count);
        Assert.Equal(13, scheduler.BatchNormToConv.Count);
        Assert.Equal("features.3", scheduler.BatchNormToConv["features.4"]);
        Assert.Equal(25, optimizer.ParamGroups.Count());
        Assert.Equal(["features.3.weight", "features.3.bias"], scheduler.Groups[0].ParameterNames);
        Assert.Equal("features.3", scheduler.Groups[1].LayerName);
        Assert.Equal(["features.4.weight", "features.4.bias"], scheduler.Groups[1].ParameterNames);
        AssertEveryGroupHasTheSameMomentumAndDecay(optimizer);
        AssertEveryParameterIsInExactlyOneGroup(model, scheduler);
    }

    static nn.Module<Tensor, Tensor> Mlp(int layers) =>
        nn.Sequential(Enumerable.Range(0, layers).Select(k => ((k * 2).ToString(), (nn.Module<Tensor, Tensor>)nn.Linear(32, 32)))
            .SelectMany(p => new[] { p, ((p.Item1 + "r"), (nn.Module<Tensor, Tensor>)nn.Tanh()) }).ToArray());

    [Fact]
    public void Update_overwrites_every_rate_and_keeps_momentum_buffers()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var model = Mlp(5);
        var scheduler = new TempBalanceScheduler(model, new TempBalanceOptions());
        var optimizer = scheduler.CreateOptimizer(0.1, 0.9, 5e-4);
        Assert.Equal(4, optimizer.ParamGroups.Count());

        var x = randn(16, 32);
        optimizer.zero_grad();
        model.forward(x).square().mean().backward();
        optimizer.step();
        var buffersBefore = optimizer.state_dict().State.Cast<SGD.State>().Select(s => s.momentum_buffer!.clone()).ToArray();

        var update = scheduler.Update(0.02);

        Assert.Equal(0.02, update.GlobalLr);
        Assert.True(update.EsdTime > TimeSpan.Zero);
        var rates = optimizer.ParamGroups.Select(g => g.LearningRate).ToArray();
        Assert.Equal(0.02, rates[^1], 15);
        Assert.Equal(0.01, rates[..^1].Min(), 12);
        Assert.Equal(0.03, rates[..^1].Max(), 12);
        var buffersAfter = optimizer.state_dict().State.Cast<SGD.State>().Select(s => s.momentum_buffer!).ToArray();
        Assert.Equal(buffersBefore.Length, buffersAfter.Length);
        for (int k = 0; k < buffersBefore.Length; k++) Assert.True(buffersBefore[k].allclose(buffersAfter[k], 0, 0));
    }

    [Fact]
    public void A_tuned_layer_whose_fit_fails_keeps_the_global_rate_and_is_flagged()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var model = Mlp(6);
        using (no_grad())
            foreach (var (name, parameter) in model.named_parameters())
                if (name.StartsWith("4.", StringComparison.Ordinal)) parameter.zero_();
        var scheduler = new TempBalanceScheduler(model, new TempBalanceOptions());

        var optimizer = scheduler.CreateOptimizer(0.1, 0.9, 5e-4);

        var failed = scheduler.LastUpdate!.Layers.Single(l => l.Spectrum.Name == "4");
        Assert.True(failed.Tuned);
        Assert.False(failed.Spectrum.Fit.Succeeded);
        Assert.Equal(0.1, failed.LearningRate);
        var others = scheduler.LastUpdate.Layers.Where(l => l.Tuned && l.Spectrum.Fit.Succeeded).Select(l => l.LearningRate).ToArray();
        Assert.Equal(3, others.Length);
        Assert.Equal(0.05, others.Min(), 12);
        Assert.Equal(0.15, others.Max(), 12);
        Assert.All(optimizer.ParamGroups, g => Assert.True(double.IsFinite(g.LearningRate)));
    }

    [Fact]
    public void Every_k_steps_mode_refits_on_the_kth_step_only()
    {
        using var scope = NewDisposeScope();
        var scheduler = new TempBalanceScheduler(Mlp(4), new TempBalanceOptions { UpdateEverySteps = 3 });
        scheduler.CreateOptimizer(0.1, 0.9, 5e-4);

        Assert.Null(scheduler.OnOptimizerStep(0.1));
        Assert.Null(scheduler.OnOptimizerStep(0.1));
        Assert.NotNull(scheduler.OnOptimizerStep(0.08));
        Assert.Null(scheduler.OnOptimizerStep(0.08));
    }

    [Fact]
    public void Eigs_thresh_and_an_explicit_batchnorm_map_are_honoured()
    {
        using var scope = NewDisposeScope();
        var model = ReferenceShapedModels.Vgg16Bn();
        var scheduler = new TempBalanceScheduler(model, new TempBalanceOptions { EigsThresh = 9 * 256 },
            new Dictionary<string, string> { ["features.11"] = "features.10" });

        scheduler.CreateOptimizer(0.05, 0.9, 5e-4);

        // Convs with at least 256 channels on both sides: features.10 (128->256) has 9*128 eigenvalues and is not tuned.
        Assert.Equal(8, scheduler.TunedLayers.Count);
        Assert.DoesNotContain("features.10", scheduler.TunedLayers);
        Assert.Equal(8 + 1, scheduler.Groups.Count);
        Assert.Throws<ArgumentException>(() => new TempBalanceScheduler(model, new TempBalanceOptions(),
            new Dictionary<string, string> { ["features.2"] = "features.0" }));
    }

    [Fact]
    public void The_reference_threshold_of_50_eigenvalues_leaves_only_the_first_wide_resnet_shortcut_untuned()
    {
        // docs/methods.md: the reference code today drops layers with fewer than 50 eigenvalues (eigs_thresh=50).
        using var model = TempBalance.Core.Models.ModelFactory.Create("wrn16-8", 10, 3, 32);
        var paper = new TempBalanceScheduler(model, new TempBalanceOptions());
        var current = new TempBalanceScheduler(model, new TempBalanceOptions { EigsThresh = 50 });

        Assert.Equal(15, paper.TunedLayers.Count);
        Assert.Equal(["layer1.0.shortcut.0"], paper.TunedLayers.Except(current.TunedLayers));
    }
}
