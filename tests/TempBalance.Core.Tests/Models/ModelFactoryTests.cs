using TempBalance.Core.Models;
using TempBalance.Core.Scheduling;
using TempBalance.Core.Spectral;
using static TorchSharp.torch;

namespace TempBalance.Core.Tests.Models;

public class ModelFactoryTests
{
    [Theory]
    [InlineData("mlp", 1, 28)]
    [InlineData("mlp-tanh", 1, 28)]
    [InlineData("smallcnn", 1, 28)]
    [InlineData("smallcnn", 3, 32)]
    [InlineData("resnet18", 3, 32)]
    [InlineData("resnet18", 3, 64)]
    [InlineData("resnet34", 3, 32)]
    [InlineData("vgg11", 3, 32)]
    [InlineData("vgg16", 3, 32)]
    [InlineData("vgg19", 3, 64)]
    [InlineData("wrn16-8", 3, 32)]
    [InlineData("wrn28-6", 3, 64)]
    public void Every_model_maps_a_batch_of_images_to_class_scores_and_has_its_declared_layer_count(string name, int channels, int size)
    {
        using var scope = NewDisposeScope();
        using var model = ModelFactory.Create(name, classes: 7, channels, size, widthFactor: 0.25);
        model.eval();
        using var noGrad = no_grad();
        var logits = model.forward(randn(2, channels, size, size));
        Assert.Equal([2L, 7L], logits.shape);
        Assert.Equal(ModelFactory.AnalysedLayerCount(name), EsdAnalyzer.AnalysedLayers(model).Count);
    }

    [Fact]
    public void Wide_resnet_28_10_has_29_analysed_layers_and_36_million_parameters()
    {
        using var model = ModelFactory.Create("wrn28-10", 10, 3, 32);
        Assert.Equal(29, EsdAnalyzer.AnalysedLayers(model).Count);
        long parameters = model.parameters().Sum(p => p.numel());
        Assert.InRange(parameters, 36_400_000, 36_600_000);
    }

    [Fact]
    public void Wide_resnet_28_6_for_tiny_imagenet_has_the_reference_parameter_count()
    {
        // Wide_ResNet(28, 6, 200) of the reference's networks/wide_resnet.py, counted with PyTorch 1.13:
        // sum(p.numel() for p in Wide_ResNet(28, 6, 200).parameters()) = 13,224,008.
        using var model = ModelFactory.Create("wrn28-6", 200, 3, 64);
        Assert.Equal(13_224_008, model.parameters().Sum(p => p.numel()));
        Assert.Equal(29, EsdAnalyzer.AnalysedLayers(model).Count);
        var linear = model.named_parameters().Single(p => p.name == "linear.weight").parameter;
        Assert.Equal([200L, 384L], linear.shape);
    }

    [Fact]
    public void Wide_resnet_final_batchnorm_keeps_nine_tenths_of_each_batch_as_the_reference()
    {
        using var scope = NewDisposeScope();
        using var model = ModelFactory.Create("wrn16-8", 10, 3, 8, widthFactor: 0.25);
        var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);
        var final = Assert.IsType<TorchSharp.Modules.BatchNorm2d>(modules["bn1"]);
        var inBlock = Assert.IsType<TorchSharp.Modules.BatchNorm2d>(modules["layer1.0.bn1"]);
        Assert.Equal(0.9, final.momentum);
        Assert.Equal(0.1, inBlock.momentum);

        // PyTorch's convention: running = (1 - momentum) running + momentum batch, from running mean 0.
        final.train();
        var input = randn(4, final.num_features, 3, 3, generator: new Generator(3)) + 2;
        using (no_grad()) final.forward(input);
        Assert.True(final.running_mean!.allclose(input.mean([0, 2, 3]) * 0.9, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void Width_factor_half_halves_every_wide_resnet_channel_count_and_keeps_the_names()
    {
        using var full = ModelFactory.Create("wrn16-8", 10, 3, 32);
        using var half = ModelFactory.Create("wrn16-8", 10, 3, 32, widthFactor: 0.5);
        var fullShapes = full.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        var halfShapes = half.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal(fullShapes.Keys, halfShapes.Keys);
        foreach (var (name, shape) in fullShapes)
        {
            var halved = halfShapes[name];
            if (name.EndsWith("weight", StringComparison.Ordinal) && shape.Length == 4)
            {
                bool stemInput = name == "conv1.weight";
                Assert.Equal(shape[0] / 2, halved[0]);
                Assert.Equal(stemInput ? shape[1] : shape[1] / 2, halved[1]);
            }
        }
        Assert.Equal([10L, 256L], halfShapes["linear.weight"]);
        Assert.Equal([10L, 512L], fullShapes["linear.weight"]);
    }

    [Fact]
    public void Cifar_resnet18_gives_21_analysed_layers_and_36_parameter_groups_as_the_reference()
    {
        using var model = ModelFactory.Create("resnet18", 100, 3, 32);
        var layers = EsdAnalyzer.AnalysedLayers(model);
        Assert.Equal(21, layers.Count);
        Assert.Equal("conv1", layers[0].Name);
        Assert.Equal("layer1.0.conv1", layers[1].Name);
        Assert.Equal("layer2.0.shortcut.0", layers[7].Name);
        Assert.Equal("linear", layers[^1].Name);
        Assert.Equal(11_220_132, model.parameters().Sum(p => p.numel()));

        var map = ((IHasBatchNormMap)model).BatchNormToConv;
        Assert.Equal(17, map.Count); // stem bn1 + 16 block BatchNorms; shortcut BatchNorms stay unmapped
        Assert.Equal("layer3.1.conv2", map["layer3.1.bn2"]);
        Assert.DoesNotContain("layer2.0.shortcut.1", map.Keys);

        var scheduler = new TempBalanceScheduler(model, new TempBalanceOptions(), map);
        using var sgd = scheduler.CreateOptimizer(0.1, 0.9, 5e-4);
        Assert.Equal(19, scheduler.TunedLayers.Count);
        Assert.Equal(36, sgd.ParamGroups.Count());
    }

    [Fact]
    public void Vgg16_bn_gives_25_parameter_groups_with_reference_names()
    {
        using var model = ModelFactory.Create("vgg16", 100, 3, 32);
        var layers = EsdAnalyzer.AnalysedLayers(model);
        Assert.Equal(14, layers.Count);
        Assert.Equal("features.conv_1", layers[0].Name);
        Assert.Equal("features.conv_4", layers[2].Name); // position 3 of the configuration is a max-pool
        var map = ((IHasBatchNormMap)model).BatchNormToConv;
        Assert.Equal(13, map.Count);
        Assert.Equal("features.conv_4", map["features.bn_4"]);

        var scheduler = new TempBalanceScheduler(model, new TempBalanceOptions(), map);
        using var sgd = scheduler.CreateOptimizer(0.05, 0.9, 5e-4);
        Assert.Equal(25, sgd.ParamGroups.Count());
    }

    [Fact]
    public void The_edge_of_chaos_mlp_is_784_784_10_tanh_without_biases()
    {
        using var model = ModelFactory.Create("mlp-tanh", 10, 1, 28);
        var parameters = model.named_parameters().ToList();
        Assert.Equal(["fc1.weight", "fc2.weight"], parameters.Select(p => p.name));
        Assert.Equal([784L, 784L], parameters[0].parameter.shape);
        Assert.Equal([10L, 784L], parameters[1].parameter.shape);
    }

    [Fact]
    public void Unknown_names_and_too_small_images_are_refused_with_what_to_choose()
    {
        var unknown = Assert.Throws<ArgumentException>(() => ModelFactory.Create("resnet50", 10, 3, 32));
        Assert.Contains("resnet18", unknown.Message);
        Assert.Contains("at least 32x32", ModelFactory.ShapeProblem("vgg16", 1, 28));
        Assert.Null(ModelFactory.ShapeProblem("resnet18", 1, 28));
    }

    [Fact]
    public void Seeded_initialisation_fixes_the_weights_whatever_the_global_generator_did()
    {
        using var a = ModelFactory.Create("smallcnn", 10, 1, 28);
        random.manual_seed(99);
        using var b = ModelFactory.Create("smallcnn", 10, 1, 28);
        SeededInitialization.Apply(a, 7);
        SeededInitialization.Apply(b, 7);
        foreach (var (pa, pb) in a.parameters().Zip(b.parameters()))
            Assert.True(pa.equal(pb).all().item<bool>());
        var fc1 = a.named_parameters().First(p => p.name == "fc1.weight").parameter;
        double bound = 1 / Math.Sqrt(64 * 7 * 7);
        Assert.InRange(fc1.abs().max().item<float>(), 0.95 * bound, bound);
    }
}
