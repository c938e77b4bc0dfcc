using TempBalance.Core.Training;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Runs;

public class ConfigDiffTests
{
    [Fact]
    public void A_config_flattens_to_its_json_leaves_under_dotted_camel_case_paths()
    {
        var flat = ConfigDiff.Flatten(RecipePresets.ConfigOf(RecipePresets.Find("tb+snr")!) with { Lr = 0.1, Subset = 1000 });

        Assert.Equal("0.1", flat["lr"]);
        Assert.Equal("1000", flat["subset"]);
        Assert.Equal("sgd", flat["optimizer.kind"]);
        Assert.Equal("cosine", flat["schedule"]);
        Assert.Equal("0.6", flat["tempBalance.minRatio"]);
        Assert.Equal("true", flat["tempBalance.enabled"]);
        Assert.Equal("0.001", flat["snr.coefficient"]);
        // A part that is off has no leaves.
        Assert.DoesNotContain(flat.Keys, k => k.StartsWith("lookahead", StringComparison.Ordinal));
        Assert.Equal(flat.Keys.Order(StringComparer.Ordinal), flat.Keys);
    }

    [Fact]
    public void Only_the_settings_that_differ_are_listed_with_each_runs_value()
    {
        var tb = RecipePresets.ConfigOf(RecipePresets.Find("tb")!);
        var configs = new[] { tb, tb with { Lr = 0.02, Seed = 43 }, tb with { Snr = new SnrOptions { Coefficient = 0.01 } } };

        var differences = ConfigDiff.Between(configs);

        Assert.Equal(["lr", "seed", "snr.coefficient", "snr.powerIterations"], differences.Select(d => d.Path));
        Assert.Equal(["0.05", "0.02", "0.05"], differences[0].Values);
        Assert.Equal([null, null, "0.01"], differences[2].Values);
        Assert.Equal(["lr", "snr.coefficient", "snr.powerIterations"], ConfigDiff.Between(configs, RunGrouping.NotPartOfTheSetup).Select(d => d.Path));
        Assert.Empty(ConfigDiff.Between([tb, tb]));
        Assert.Empty(ConfigDiff.Between([tb]));
    }
}
