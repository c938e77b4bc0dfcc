using System.Text.Json;
using TempBalance.Core.Scheduling;
using TempBalance.Core.Training;

namespace TempBalance.Core.Tests.Training;

public sealed class RecipePresetsTests
{
    static TrainingConfig Read(string json) => JsonSerializer.Deserialize<TrainingConfig>(json, ResultsWriter.Json)!;

    [Fact]
    public void Every_preset_names_itself_and_no_two_share_their_parts()
    {
        Assert.Equal(
            ["baseline", "tb", "snr", "tb+snr", "sgdr", "lookahead", "sgdp", "tb+sgdp", "lars", "lamb", "lawn-sgd", "lawn-adam"],
            RecipePresets.Names);
        foreach (var preset in RecipePresets.All)
        {
            var config = RecipePresets.ConfigOf(preset);
            Assert.Equal(preset.Name, config.Method);
            Assert.Equal(preset.Name, RecipePresets.NameOf(config));
            // Applying a preset to another preset's config gives the same parts.
            foreach (var other in RecipePresets.All)
                Assert.Equal(preset.Name, RecipePresets.NameOf(preset.Apply(RecipePresets.ConfigOf(other))));
        }
    }

    [Fact]
    public void Presets_carry_the_reference_defaults()
    {
        var tbSnr = RecipePresets.ConfigOf(RecipePresets.Find("tb+snr")!);
        Assert.Equal((true, 0.6, 1.4, 0.001), (tbSnr.TempBalance.Enabled, tbSnr.TempBalance.MinRatio, tbSnr.TempBalance.MaxRatio, tbSnr.Snr!.Coefficient));
        Assert.Equal(0.01, RecipePresets.ConfigOf(RecipePresets.Find("snr")!).Snr!.Coefficient);
        var lars = RecipePresets.ConfigOf(RecipePresets.Find("lars")!);
        Assert.Equal((OptimizerKind.Lars, 28.0, 0.0, 0.001), (lars.Optimizer.Kind, lars.Lr, lars.Momentum, lars.Optimizer.TrustCoefficient));
        Assert.Equal(0.01, RecipePresets.ConfigOf(RecipePresets.Find("lamb")!).Lr);
        var lookahead = RecipePresets.ConfigOf(RecipePresets.Find("lookahead")!).Lookahead!;
        Assert.Equal((10, 0.8), (lookahead.K, lookahead.Alpha));
        var sgdr = RecipePresets.ConfigOf(RecipePresets.Find("sgdr")!);
        Assert.Equal((ScheduleKind.Sgdr, (int?)null, 1), (sgdr.Schedule, sgdr.Sgdr.T0, sgdr.Sgdr.TMult));
    }

    [Fact]
    public void Switching_back_from_lars_restores_sgd_learning_rate_and_momentum()
    {
        var lars = RecipePresets.ConfigOf(RecipePresets.Find("lars")!);
        var baseline = RecipePresets.Find("baseline")!.Apply(lars);
        Assert.Equal((OptimizerKind.Sgd, 0.05, 0.9), (baseline.Optimizer.Kind, baseline.Lr, baseline.Momentum));
        // The same optimizer keeps the user's learning rate.
        var tuned = RecipePresets.Find("tb")!.Apply(baseline with { Lr = 0.02 });
        Assert.Equal(0.02, tuned.Lr);
    }

    [Fact]
    public void Configs_stored_before_recipes_had_parts_keep_their_meaning()
    {
        var baseline = Read("""{"model":"resnet18","method":"baseline","epochs":7,"schedule":"cosine","tempBalance":{"fit":"median","minRatio":0.5}}""");
        Assert.Equal(("baseline", false, OptimizerKind.Sgd, 7), (baseline.Method, baseline.TempBalance.Enabled, baseline.Optimizer.Kind, baseline.Epochs));
        var tempBalance = Read("""{"model":"resnet18","method":"tempbalance","tempBalance":{"minRatio":0.6,"maxRatio":1.4}}""");
        Assert.Equal(("tb", true, 0.6, 1.4), (tempBalance.Method, tempBalance.TempBalance.Enabled, tempBalance.TempBalance.MinRatio, tempBalance.TempBalance.MaxRatio));
        Assert.Null(tempBalance.Snr);
    }

    [Fact]
    public void A_short_request_gets_its_preset_and_explicit_fields_win()
    {
        var lars = Read("""{"method":"LARS","epochs":5}""");
        Assert.Equal(("lars", OptimizerKind.Lars, 28.0, 0.0, 5), (lars.Method, lars.Optimizer.Kind, lars.Lr, lars.Momentum, lars.Epochs));
        var tbSnr = Read("""{"method":"tb+snr","snr":{"coefficient":0.002}}""");
        Assert.Equal((0.002, 5, 0.6), (tbSnr.Snr!.Coefficient, tbSnr.Snr.PowerIterations, tbSnr.TempBalance.MinRatio));
        var snrOff = Read("""{"method":"snr","snr":null}""");
        Assert.Null(snrOff.Snr);
        Assert.Equal("baseline", RecipePresets.NameOf(snrOff));
        var custom = Read("""{"method":"custom","optimizer":{"kind":"adam"},"lr":0.001}""");
        Assert.Equal(("custom", OptimizerKind.Adam, true), (custom.Method, custom.Optimizer.Kind, custom.TempBalance.Enabled));
    }

    [Fact]
    public void A_json_config_round_trips_unchanged()
    {
        var config = RecipePresets.ConfigOf(RecipePresets.Find("lawn-adam")!) with { Epochs = 12, Seed = 3, Subset = 100 };
        Assert.Equal(config, Read(JsonSerializer.Serialize(config, ResultsWriter.Json)));
        var custom = RecipePresets.Named(config with { Lookahead = new LookaheadOptions { K = 5, Alpha = 0.5 } });
        Assert.Equal(RecipePresets.Custom, custom.Method);
        Assert.Equal(custom, Read(JsonSerializer.Serialize(custom, ResultsWriter.Json)));
    }

    [Fact]
    public void Numbers_for_enum_values_are_refused()
    {
        Assert.Throws<JsonException>(() => Read("""{"method":"tb","schedule":2}"""));
        Assert.Throws<JsonException>(() => Read("""{"method":"tb","optimizer":{"kind":99}}"""));
    }

    [Fact]
    public void Toggling_tempbalance_pairs_each_method_with_its_tempbalance_version()
    {
        string Toggle(string name, bool on) => RecipePresets.WithTempBalance(RecipePresets.ConfigOf(RecipePresets.Find(name)!), on).Method;
        Assert.Equal("baseline", Toggle("tb", false));
        Assert.Equal("snr", Toggle("tb+snr", false));
        Assert.Equal("tb+sgdp", Toggle("sgdp", true));
        Assert.Equal(RecipePresets.Custom, Toggle("lamb", true));
    }

    [Fact]
    public void A_recipe_reads_as_words()
    {
        Assert.Equal("TB (×0.6–×1.4) + SNR (sg 0.001) on SGD, cosine", RecipeText.Describe(RecipePresets.ConfigOf(RecipePresets.Find("tb+snr")!)));
        Assert.Equal("SGD, cosine", RecipeText.Describe(RecipePresets.ConfigOf(RecipePresets.Find("baseline")!)));
        var sgdr = RecipePresets.ConfigOf(RecipePresets.Find("sgdr")!) with { Epochs = 20, WarmupEpochs = 2 };
        Assert.Equal("SGD, SGDR (T0 9, T_mult 1) after 2 warm-up epochs", RecipeText.Describe(sgdr));
        var lawn = RecipePresets.Find("lawn-adam")!.Apply(new TrainingConfig { Epochs = 20 });
        Assert.Equal($"LAWN ({lawn.Lawn!.FreeEpochs} free epochs) on Adam, cosine", RecipeText.Describe(lawn));
        Assert.Equal("Lookahead (k 10, α 0.8) on SGD, cosine", RecipeText.Describe(RecipePresets.ConfigOf(RecipePresets.Find("lookahead")!)));
    }
}
