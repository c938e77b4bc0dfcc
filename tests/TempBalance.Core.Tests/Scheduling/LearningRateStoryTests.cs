using TempBalance.Core.Scheduling;
using TempBalance.Core.Spectral;
using static TorchSharp.torch;

namespace TempBalance.Core.Tests.Scheduling;

public class LearningRateStoryTests
{
    // A small CNN as the analysis after an epoch sees it: the first and last layers are never tuned, layer 4's fit failed.
    static readonly RatedLayer[] Layers =
    [
        new(0, "conv1", Tuned: false, 27, Alpha: 3.10, SpectralNorm: 4.0, AlphaWeighted: 1.87, null),
        new(1, "layer1.conv", Tuned: true, 576, Alpha: 2.10, SpectralNorm: 9.0, AlphaWeighted: 2.00, null),
        new(2, "layer2.conv", Tuned: true, 1152, Alpha: 4.20, SpectralNorm: 2.5, AlphaWeighted: 1.67, null),
        new(3, "layer3.conv", Tuned: true, 2304, Alpha: 7.05, SpectralNorm: 1.5, AlphaWeighted: 1.24, null),
        new(4, "layer4.conv", Tuned: true, 2304, Alpha: null, SpectralNorm: 1.2, AlphaWeighted: null, "fewer than 2 eigenvalues at or above xmin"),
        new(5, "fc", Tuned: false, 10, Alpha: 5.00, SpectralNorm: 3.0, AlphaWeighted: 2.39, null),
    ];

    const double Eta = 0.05;

    [Fact]
    public void The_largest_alpha_gets_s2_the_smallest_s1_and_the_rest_lie_on_the_line_between()
    {
        var story = LearningRateStory.Explain(new TempBalanceOptions(), Layers, Eta);

        var largest = story.Of(3)!;
        Assert.Equal((RateReason.Assigned, 1.5), (largest.Why, largest.Factor));
        Assert.Equal(0.075, largest.Rate!.Value, 12);
        Assert.Equal("alpha 7.05, the largest of the 3 tuned layers → s2 = 1.5 × η", largest.Reason);
        Assert.Equal("×1.50", largest.FactorText);

        var smallest = story.Of(1)!;
        Assert.Equal(0.5, smallest.Factor);
        Assert.Equal(0.025, smallest.Rate!.Value, 12);
        Assert.Equal("alpha 2.10, the smallest of the 3 tuned layers → s1 = 0.5 × η", smallest.Reason);

        // 0.5 + (4.20 - 2.10) / (7.05 - 2.10) = 0.9242...
        var middle = story.Of(2)!;
        Assert.Equal(0.5 + 2.1 / 4.95, middle.Factor, 12);
        Assert.Equal(Eta * (0.5 + 2.1 / 4.95), middle.Rate!.Value, 12);
        Assert.Equal("alpha 4.20, 42% of the way from the smallest (2.10) to the largest (7.05) → ×0.92", middle.Reason);
        Assert.Equal("alpha 4.20, 42% of its range", middle.Brief);
    }

    [Fact]
    public void The_first_and_last_layers_and_a_failed_fit_train_at_the_global_rate()
    {
        var story = LearningRateStory.Explain(new TempBalanceOptions(), Layers, Eta);

        Assert.Equal((RateReason.FirstLayer, 1.0, Eta, "first layer: not tuned, global LR"),
            (story.Of(0)!.Why, story.Of(0)!.Factor, story.Of(0)!.Rate!.Value, story.Of(0)!.Reason));
        Assert.Equal((RateReason.LastLayer, 1.0, Eta, "last layer: not tuned, global LR"),
            (story.Of(5)!.Why, story.Of(5)!.Factor, story.Of(5)!.Rate!.Value, story.Of(5)!.Reason));
        var failed = story.Of(4)!;
        Assert.Equal((RateReason.FitFailed, 1.0, Eta), (failed.Why, failed.Factor, failed.Rate!.Value));
        Assert.Equal("power-law fit failed (fewer than 2 eigenvalues at or above xmin): keeps the global LR and stays out of the alpha range", failed.Reason);
        Assert.Equal("TempBalance tunes 4 of 6 layers; not the first (conv1) and the last (fc), which train at the global LR.", story.Tuning);
        Assert.StartsWith("Linear: η_l = η · (s1 + (s2 − s1) · (m_l − m_min) / (m_max − m_min)), m = alpha, s1 = 0.5, s2 = 1.5", story.Rule);
    }

    [Fact]
    public void With_TempBalance_off_every_layer_trains_at_the_global_rate()
    {
        var story = LearningRateStory.Explain(new TempBalanceOptions { Enabled = false }, Layers, Eta);

        Assert.False(story.Enabled);
        Assert.All(story.Layers, l => Assert.Equal((RateReason.TempBalanceOff, 1.0, Eta), (l.Why, l.Factor, l.Rate!.Value)));
        Assert.Equal("TempBalance off: every layer trains at the global learning rate", story.Of(3)!.Reason);
        Assert.Equal("TempBalance is off: no layer is tuned.", story.Tuning);
    }

    [Fact]
    public void Equal_metrics_tie_at_the_midpoint_or_at_s2_with_the_reference_rule()
    {
        RatedLayer[] tied = [Layers[0], Layers[1] with { Alpha = 3 }, Layers[2] with { Alpha = 3 }, Layers[5]];

        var midpoint = LearningRateStory.Explain(new TempBalanceOptions { MinRatio = 0.6, MaxRatio = 1.4 }, tied).Of(1)!;
        Assert.Equal(1.0, midpoint.Factor, 12);
        Assert.Equal("alpha 3.00, a tie across the 2 tuned layers → the midpoint (s1 + s2)/2 = 1 × η", midpoint.Reason);
        Assert.Null(midpoint.Rate); // no global rate given

        var reference = LearningRateStory.Explain(new TempBalanceOptions { ReferenceTieBehaviour = true }, tied).Of(2)!;
        Assert.Equal(1.5, reference.Factor);
        Assert.Contains("→ s2 = 1.5 × η (the reference's tie rule)", reference.Reason);
    }

    [Fact]
    public void Step_sqrt_and_log2_factors_are_the_assignment_rules_own()
    {
        // The golden scores of LrAssignmentTests, [2, 3, 4, 6], on four tuned layers between an untuned first and last.
        RatedLayer[] layers = [.. new[] { 2.0, 3, 4, 6 }.Select((a, i) => new RatedLayer(i + 1, $"l{i + 1}", true, 100, a, 1, 1, null)),
            new RatedLayer(0, "first", false, 100, 3, 1, 1, null), new RatedLayer(5, "last", false, 100, 3, 1, 1, null)];

        var step = LearningRateStory.Explain(new TempBalanceOptions { Assign = AssignmentFunction.Step }, layers);
        Assert.Equal([0.5, 0.75, 1.0, 1.25], [.. Enumerable.Range(1, 4).Select(i => step.Of(i)!.Factor)]);
        Assert.Equal("alpha 4.00 ranks 3 of 4 (smallest first) → s1 + (s2 − s1) · 2/4 = ×1.00", step.Of(3)!.Reason);

        var sqrt = LearningRateStory.Explain(new TempBalanceOptions { Assign = AssignmentFunction.Sqrt }, layers);
        Assert.Equal(1.289925770, sqrt.Of(4)!.Factor, 8);
        Assert.Equal("alpha 6.00: √alpha over the mean √alpha of the 4 tuned layers → ×1.29", sqrt.Of(4)!.Reason);

        var log2 = LearningRateStory.Explain(new TempBalanceOptions { Assign = AssignmentFunction.Log2 }, layers);
        Assert.Equal(0.557885891, log2.Of(1)!.Factor, 8);
    }

    [Fact]
    public void A_log2_rule_on_metrics_at_or_below_1_says_so_instead_of_failing()
    {
        RatedLayer[] layers = [Layers[0], Layers[1] with { Alpha = 0.9 }, Layers[2], Layers[5]];

        var story = LearningRateStory.Explain(new TempBalanceOptions { Assign = AssignmentFunction.Log2 }, layers);

        Assert.Equal(RateReason.AssignmentFailed, story.Of(1)!.Why);
        Assert.Contains("log2 assignment needs every score > 1", story.Of(1)!.Reason);
    }

    [Fact]
    public void The_spectral_norm_metric_ranks_by_spectral_norm_and_says_so()
    {
        var story = LearningRateStory.Explain(new TempBalanceOptions { Metric = LayerMetric.SpectralNorm }, Layers);

        // Spectral norms of the tuned layers with a fit: 9, 2.5, 1.5.
        Assert.Equal(1.5, story.Of(1)!.Factor);
        Assert.Equal("spectral norm 9.00, the largest of the 3 tuned layers → s2 = 1.5 × η", story.Of(1)!.Reason);
        Assert.Equal(0.5, story.Of(3)!.Factor);
        Assert.Equal("spectral norm", story.MetricName);
    }

    [Fact]
    public void A_layer_left_out_by_eigs_thresh_says_how_few_eigenvalues_it_has()
    {
        RatedLayer[] layers = [Layers[0], Layers[1], Layers[2] with { Tuned = false, EigsNum = 40 }, Layers[3], Layers[5]];

        var story = LearningRateStory.Explain(new TempBalanceOptions { EigsThresh = 64 }, layers);

        Assert.Equal(RateReason.TooFewEigenvalues, story.Of(2)!.Why);
        Assert.Equal("40 eigenvalues, fewer than eigs_thresh 64: not tuned, global LR", story.Of(2)!.Reason);
        Assert.Equal("TempBalance tunes 2 of 5 layers; not the first (conv1), the last (fc) and 1 with fewer than 64 eigenvalues, which train at the global LR.", story.Tuning);
    }

    [Fact]
    public void The_story_of_a_real_refit_gives_every_layer_the_rate_the_scheduler_set()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(7);
        var model = nn.Sequential(
            ("fc1", nn.Linear(64, 96)), ("act1", nn.ReLU()), ("fc2", nn.Linear(96, 96)), ("act2", nn.ReLU()),
            ("fc3", nn.Linear(96, 48)), ("act3", nn.ReLU()), ("fc4", nn.Linear(48, 48)), ("act4", nn.ReLU()), ("fc5", nn.Linear(48, 10)));
        var options = new TempBalanceOptions { MinRatio = 0.6, MaxRatio = 1.4 };
        var scheduler = new TempBalanceScheduler(model, options);
        scheduler.CreateOptimizer(0.1, momentum: 0.9, weightDecay: 5e-4);
        var update = scheduler.LastUpdate!;

        var story = LearningRateStory.Explain(options, [.. update.Layers.Select(l => new RatedLayer(
            l.Spectrum.Index, l.Spectrum.Name, l.Tuned, l.Spectrum.EigsNum, l.Spectrum.Fit.Succeeded ? l.Spectrum.Fit.Alpha : null,
            l.Spectrum.SpectralNorm, l.Spectrum.AlphaWeighted, l.Spectrum.Fit.Error))], update.GlobalLr);

        foreach (var layer in update.Layers) Assert.Equal(layer.LearningRate, story.Of(layer.Spectrum.Index)!.Rate!.Value, 12);
        var largest = update.Layers.Where(l => l.Tuned).MaxBy(l => l.Spectrum.Fit.Alpha)!;
        Assert.Equal(0.14, largest.LearningRate, 12);
        Assert.StartsWith($"alpha {largest.Spectrum.Fit.Alpha:0.00}, the largest of the 3 tuned layers → s2 = 1.4 × η", story.Of(largest.Spectrum.Index)!.Reason);
        Assert.Equal(RateReason.FirstLayer, story.Of(0)!.Why);
        Assert.Equal(RateReason.LastLayer, story.Of(4)!.Why);
    }
}

public class HtsrVerdictTests
{
    [Theory]
    [InlineData(9, 3.0, HtsrVerdict.TooFewEigenvalues)]
    [InlineData(10, 3.0, HtsrVerdict.WellTrained)]
    [InlineData(500, 1.5, HtsrVerdict.OverTrained)]
    [InlineData(500, 6.0, HtsrVerdict.WellTrained)]
    [InlineData(500, 7.05, HtsrVerdict.UnderTrained)]
    [InlineData(500, null, HtsrVerdict.FitFailed)]
    [InlineData(0, null, HtsrVerdict.FitFailed)]
    [InlineData(3, null, HtsrVerdict.TooFewEigenvalues)]
    public void A_layer_is_judged_only_with_enough_eigenvalues(int eigenvalues, double? alpha, HtsrVerdict verdict)
    {
        Assert.Equal(verdict, LayerSpectrum.VerdictFor(eigenvalues, alpha));
        Assert.Equal(10, LayerSpectrum.DefaultMinEigenvalues);
    }
}
