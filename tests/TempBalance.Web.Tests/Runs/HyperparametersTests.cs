using TempBalance.Core.Training;
using TempBalance.Web.Data;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Runs;

public class HyperparametersTests
{
    static Hyperparameter Key(string key) => Hyperparameters.Find(key)!;

    [Fact]
    public void A_new_run_row_carries_its_configs_hyperparameters_in_columns()
    {
        var config = RecipePresets.ConfigOf(RecipePresets.Find("tb+snr")!) with { Lr = 0.1, BatchSize = 64, Subset = 2000, WidthFactor = 0.5 };

        var run = Run.For(config, RunStatus.Queued, DateTime.UtcNow);

        Assert.True(run.HyperparametersCopied);
        Assert.Equal(0.1, run.Lr);
        Assert.Equal(64, run.BatchSize);
        Assert.Equal(0.9, run.Momentum);
        Assert.Equal(5e-4, run.WeightDecay);
        Assert.Equal("sgd", run.Optimizer);
        Assert.Equal("cosine", run.Schedule);
        Assert.Equal(0.6, run.TbMinRatio);
        Assert.Equal(1.4, run.TbMaxRatio);
        Assert.Equal(0.001, run.SnrCoefficient);
        Assert.Equal(0.5, run.WidthFactor);
        Assert.Equal(2000, run.Subset);
        Assert.Equal(0, run.WarmupEpochs);
    }

    [Fact]
    public void Settings_a_recipe_does_not_use_are_empty_not_its_defaults()
    {
        var lamb = RecipePresets.ConfigOf(RecipePresets.Find("lamb")!);

        var run = Run.For(lamb, RunStatus.Queued, DateTime.UtcNow);

        Assert.Null(run.Momentum); // LAMB has betas, not momentum
        Assert.Null(run.TbMinRatio); // no TempBalance
        Assert.Null(run.SnrCoefficient);
        Assert.Null(run.Subset);
        Assert.Equal("lamb", run.Optimizer);
        Assert.Equal("–", Key("s1").Format(lamb));
        Assert.Equal("0.01", Key("lr").Format(lamb));
    }

    [Fact]
    public void Choice_values_are_written_as_the_configs_json_writes_them()
    {
        foreach (var kind in Enum.GetValues<OptimizerKind>())
        {
            var config = new TrainingConfig { Optimizer = new OptimizerOptions { Kind = kind } };
            Assert.Equal(ConfigDiff.Flatten(config)["optimizer.kind"], Key("optimizer").Read(config));
        }
        var sgdr = new TrainingConfig { Schedule = TempBalance.Core.Scheduling.ScheduleKind.Sgdr };
        Assert.Equal(ConfigDiff.Flatten(sgdr)["schedule"], Key("schedule").Read(sgdr));
    }

    [Theory]
    [InlineData("lr", "0.01, 0.05", "0.01,0.05")]
    [InlineData("lr", "0.01..0.1", "0.01..0.1")]
    [InlineData("lr", "..0.1", "..0.1")]
    [InlineData("batchSize", "128", "128")]
    [InlineData("snr", "none", "none")]
    [InlineData("subset", "1000,none", "1000,none")]
    [InlineData("optimizer", "SGD,adamw", "sgd,adamW")]
    public void Filters_read_values_lists_ranges_and_none(string key, string text, string canonical)
    {
        var filter = Key(key).Parse(text, out var error);

        Assert.Null(error);
        Assert.Equal(canonical, filter!.ToString());
    }

    [Theory]
    [InlineData("lr", "fast", "'fast' is not a number")]
    [InlineData("lr", "0.1..0.01", "'0.1..0.01' is not a range")]
    [InlineData("batchSize", "12.5", "'12.5' is not a whole number")]
    [InlineData("optimizer", "rmsprop", "Unknown optimizer 'rmsprop'")]
    [InlineData("lr", ",", "Give at least one value")]
    public void A_bad_filter_says_what_is_wrong(string key, string text, string message)
    {
        Assert.Null(Key(key).Parse(text, out var error));
        Assert.StartsWith(message, error);
    }

    [Fact]
    public void Every_hyperparameter_sorts_by_a_sort_of_its_own_named_like_its_key()
    {
        Assert.Equal(Hyperparameters.All.Count, Hyperparameters.All.Select(h => h.Sort).Distinct().Count());
        Assert.All(Hyperparameters.All, h => Assert.Equal(h.Key, System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(h.Sort.ToString())));
        Assert.All(Hyperparameters.DefaultColumns, key => Assert.NotNull(Hyperparameters.Find(key)));
    }
}
