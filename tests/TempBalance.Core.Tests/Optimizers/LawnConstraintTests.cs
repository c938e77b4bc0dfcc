using TempBalance.Core.Models;
using TempBalance.Core.Optimizers;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace TempBalance.Core.Tests.Optimizers;

/// <summary>
/// The project's mlp (64 -> 64 -> 32 -> 4 at width 1/8, every layer constrained) trained full-batch on 256
/// synthetic 8x8 images: a free phase, the switch, then the constrained phase.
/// </summary>
public sealed class LawnConstraintTests : IDisposable
{
    const int Classes = 4;
    readonly ITestOutputHelper output;
    readonly Tensor images;
    readonly Tensor labels;

    public LawnConstraintTests(ITestOutputHelper output)
    {
        this.output = output;
        using var generator = new Generator(2108);
        using var patterns = randn([Classes, 1, 8, 8], generator: generator);
        labels = randint(0, Classes, [256], generator: generator);
        using var noise = randn([256, 1, 8, 8], generator: generator);
        images = patterns.index_select(0, labels) + noise * 3;
    }

    public void Dispose()
    {
        images.Dispose();
        labels.Dispose();
    }

    static nn.Module<Tensor, Tensor> Mlp(long seed)
    {
        var model = ModelFactory.Create("mlp", Classes, 1, 8, widthFactor: 0.125);
        SeededInitialization.Apply(model, seed);
        return model;
    }

    double Loss(nn.Module<Tensor, Tensor> model)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return nn.functional.cross_entropy(model.forward(images), labels).item<float>();
    }

    void Backward(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        nn.functional.cross_entropy(model.forward(images), labels).backward();
    }

    void FreeSteps(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, int steps)
    {
        for (int s = 0; s < steps; s++)
        {
            Backward(model, optimizer);
            optimizer.step();
        }
    }

    /// <summary>Constrained steps; returns the largest relative norm change a step made before Project() undid it.</summary>
    double ConstrainedSteps(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, LawnConstraint lawn, int steps, Action? afterEachStep = null)
    {
        double largestDrift = 0;
        for (int s = 0; s < steps; s++)
        {
            Backward(model, optimizer);
            lawn.ProjectGradients();
            optimizer.step();
            largestDrift = Math.Max(largestDrift, LargestRelativeDeviation(lawn));
            lawn.Project();
            afterEachStep?.Invoke();
        }
        return largestDrift;
    }

    static double LargestRelativeDeviation(LawnConstraint lawn) =>
        lawn.CurrentNorms().Zip(lawn.CapturedNorms, (now, held) => Math.Abs(now / held - 1)).Max();

    void Norms_stay_at_the_switch_while_the_loss_falls(Func<nn.Module, optim.Optimizer> createOptimizer, int freeSteps, int constrainedSteps, double lossRatio)
    {
        using var model = Mlp(seed: 5);
        using var optimizer = createOptimizer(model);
        using var lawn = new LawnConstraint(LawnLayers.For("mlp", model));
        FreeSteps(model, optimizer, freeSteps);
        double lossAtSwitch = Loss(model);

        lawn.Capture();
        var held = lawn.CapturedNorms.ToArray();
        Assert.Equal(["fc1", "fc2", "fc3"], lawn.LayerNames);
        double worst = 0;
        double drift = ConstrainedSteps(model, optimizer, lawn, constrainedSteps, () => worst = Math.Max(worst, LargestRelativeDeviation(lawn)));

        Assert.Equal(held, lawn.CapturedNorms);
        Assert.True(worst < 1e-6, $"a constrained norm left its switch value by {worst:E2} (relative)");
        Assert.True(drift > 1e-4, $"the optimizer moved the norms by only {drift:E2}, so the projection was not tested");
        double lossAtEnd = Loss(model);
        output.WriteLine($"loss {lossAtSwitch:F4} -> {lossAtEnd:F4}; largest step drift {drift:E2}; largest deviation after Project {worst:E2}; held norms {string.Join(", ", held.Select(n => n.ToString("F4")))}");
        Assert.True(lossAtEnd < lossRatio * lossAtSwitch, $"loss {lossAtSwitch:F4} at the switch, {lossAtEnd:F4} after the constrained phase");
    }

    [Fact]
    public void Lawn_sgd_holds_every_layer_norm_to_1e_6_while_the_loss_keeps_falling()
    {
        Norms_stay_at_the_switch_while_the_loss_falls(
            m => optim.SGD(m.parameters(), 0.05, momentum: 0.9), freeSteps: 10, constrainedSteps: 100, lossRatio: 0.1);
    }

    [Fact]
    public void Lawn_adam_holds_every_layer_norm_to_1e_6_while_the_loss_keeps_falling()
    {
        Norms_stay_at_the_switch_while_the_loss_falls(
            m => optim.Adam(m.parameters(), 1e-3), freeSteps: 10, constrainedSteps: 100, lossRatio: 0.1);
    }

    [Fact]
    public void Projected_gradients_are_orthogonal_to_each_layer_and_keep_their_tangent_part()
    {
        using var model = Mlp(seed: 6);
        using var optimizer = optim.SGD(model.parameters(), 0.05);
        using var lawn = new LawnConstraint(LawnLayers.For("mlp", model));
        lawn.Capture();
        Backward(model, optimizer);
        var parameters = model.named_parameters().ToList();
        var before = parameters.ToDictionary(p => p.name, p => p.parameter.grad!.clone());

        lawn.ProjectGradients();

        using var noGrad = no_grad();
        foreach (var layer in lawn.LayerNames)
        {
            var members = parameters.Where(p => p.name.StartsWith(layer + ".", StringComparison.Ordinal)).ToList();
            var w = cat(members.Select(p => p.parameter.detach().flatten().to(ScalarType.Float64)).ToList());
            var g = cat(members.Select(p => p.parameter.grad!.flatten().to(ScalarType.Float64)).ToList());
            var g0 = cat(members.Select(p => before[p.name].flatten().to(ScalarType.Float64)).ToList());
            double cosine = (w.dot(g) / (w.norm() * g.norm())).item<double>();
            Assert.True(Math.Abs(cosine) < 1e-6, $"{layer}: projected gradient has cosine {cosine:E2} with the weights");
            // What was removed is a multiple of the weights: the rest of the gradient is untouched.
            var removed = g0 - g;
            double removedCosine = (removed.dot(w) / (removed.norm() * w.norm())).item<double>();
            Assert.Equal(1.0, Math.Abs(removedCosine), 6);
            Assert.True(g.norm().item<double>() > 0.1 * g0.norm().item<double>());
        }
        foreach (var grad in before.Values) grad.Dispose();
    }

    [Fact]
    public void A_run_saved_in_the_constrained_phase_continues_bit_identically_after_loading()
    {
        using var original = Mlp(seed: 7);
        using var adam = optim.Adam(original.parameters(), 1e-3);
        using var lawn = new LawnConstraint(LawnLayers.For("mlp", original));
        FreeSteps(original, adam, 10);
        lawn.Capture();
        ConstrainedSteps(original, adam, lawn, 5);
        using var saved = new MemoryStream();
        using (var writer = new BinaryWriter(saved, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            original.save(writer);
            adam.save_state_dict(writer);
            lawn.Save(writer);
        }
        ConstrainedSteps(original, adam, lawn, 10);

        using var resumed = Mlp(seed: 8);
        using var resumedAdam = optim.Adam(resumed.parameters(), 1e-3);
        using var resumedLawn = new LawnConstraint(LawnLayers.For("mlp", resumed));
        saved.Position = 0;
        using (var reader = new BinaryReader(saved))
        {
            resumed.load(reader);
            resumedAdam.load_state_dict(reader);
            resumedLawn.Load(reader);
        }
        Assert.True(resumedLawn.IsActive);
        Assert.Equal(lawn.CapturedNorms, resumedLawn.CapturedNorms);
        ConstrainedSteps(resumed, resumedAdam, resumedLawn, 10);

        foreach (var ((name, a), (_, b)) in original.named_parameters().Zip(resumed.named_parameters()))
            Assert.True(a.equal(b).all().item<bool>(), $"{name} differs after resuming");
    }

    [Fact]
    public void A_constraint_saved_before_the_switch_loads_inactive_and_one_for_other_layers_is_refused()
    {
        using var model = Mlp(seed: 9);
        using var lawn = new LawnConstraint(LawnLayers.For("mlp", model));
        using var saved = new MemoryStream();
        using (var writer = new BinaryWriter(saved, System.Text.Encoding.UTF8, leaveOpen: true)) lawn.Save(writer);

        using var activeOne = new LawnConstraint(LawnLayers.For("mlp", model));
        activeOne.Capture();
        saved.Position = 0;
        using (var reader = new BinaryReader(saved, System.Text.Encoding.UTF8, leaveOpen: true)) activeOne.Load(reader);
        Assert.False(activeOne.IsActive);
        Assert.Empty(activeOne.CapturedNorms);

        using var lastLayerOnly = new LawnConstraint(LawnLayers.For("mlp", model).Where(p => p.Name.StartsWith("fc3.", StringComparison.Ordinal)));
        saved.Position = 0;
        using var again = new BinaryReader(saved);
        var refused = Assert.Throws<InvalidDataException>(() => lastLayerOnly.Load(again));
        Assert.Contains("fc1, fc2, fc3", refused.Message);
    }

    [Fact]
    public void Projecting_before_the_switch_or_capturing_twice_is_refused()
    {
        using var model = Mlp(seed: 10);
        using var lawn = new LawnConstraint(LawnLayers.For("mlp", model));
        Assert.Throws<InvalidOperationException>(lawn.Project);
        Assert.Throws<InvalidOperationException>(lawn.ProjectGradients);
        lawn.Capture();
        Assert.Throws<InvalidOperationException>(lawn.Capture);
        Assert.Throws<ArgumentException>(() => new LawnConstraint([]));
    }

    [Fact]
    public void A_layer_with_zero_norm_at_the_switch_cannot_be_held()
    {
        using var model = Mlp(seed: 11);
        var fc3 = LawnLayers.For("mlp", model).Where(p => p.Name.StartsWith("fc3.", StringComparison.Ordinal)).ToList();
        using (no_grad())
            foreach (var (_, parameter) in fc3) parameter.zero_();
        using var lawn = new LawnConstraint(fc3);
        var refused = Assert.Throws<InvalidOperationException>(lawn.Capture);
        Assert.Contains("fc3", refused.Message);
        Assert.False(lawn.IsActive);
    }
}
