using TempBalance.Core.Training;
using TempBalance.Web.Data;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Runs;

public class RunGroupingTests
{
    static readonly TrainingConfig Tb = RecipePresets.ConfigOf(RecipePresets.Find("tb")!);

    /// <summary>A finished run as the runs list returns it, with its config.</summary>
    internal static RunSummary Run(long id, TrainingConfig config, double? best = null, Guid? groupId = null, string? groupName = null) =>
        new(id, TempBalance.Web.Data.Run.DefaultName(config), RunStatus.Completed, RecipePresets.NameOf(config), config.Model, config.Dataset, config.Seed,
            config.Epochs, config.Epochs, best, best, [], groupId, groupName, DateTime.UtcNow, null, null, null, null, null, config);

    [Fact]
    public void Runs_that_differ_in_lr_and_epochs_are_not_averaged_together()
    {
        // Issue #15's case: one run at lr 0.02 for 2 epochs and two at lr 0.05 for 3 epochs were one "79.10 ± 1.65 %".
        var groups = RunGrouping.Group(
        [
            Run(1, Tb with { Lr = 0.02, Epochs = 2, Seed = 42 }, 0.77),
            Run(2, Tb with { Lr = 0.05, Epochs = 3, Seed = 42 }, 0.80),
            Run(3, Tb with { Lr = 0.05, Epochs = 3, Seed = 43 }, 0.81),
        ]);

        Assert.Equal(2, groups.Count);
        Assert.Equal([1L], groups[0].Runs.Select(r => r.Id));
        Assert.Equal([2L, 3L], groups[1].Runs.Select(r => r.Id));
        // The labels name the recipe and what sets each group apart.
        Assert.Equal("TB (×0.5–×1.5) on SGD, cosine · smallcnn · fashion-mnist · epochs 2, lr 0.02", groups[0].Label);
        Assert.Equal("TB (×0.5–×1.5) on SGD, cosine · smallcnn · fashion-mnist · epochs 3, lr 0.05", groups[1].Label);
        Assert.Empty(groups[1].Warnings);
    }

    [Fact]
    public void Seeds_of_one_configuration_form_one_group_with_their_mean_and_spread()
    {
        var runs = new[] { 42, 43, 44 }.Select((seed, i) => Run(i + 1, Tb with { Seed = seed, Device = i == 0 ? "cpu" : "auto" }, 0.90 + 0.02 * i)).ToList();

        var group = Assert.Single(RunGrouping.Group(runs));

        Assert.Equal(3, group.Runs.Count);
        Assert.Empty(group.Warnings);
        var best = MeanStd.Of(group.Runs.Select(r => r.BestTestAccuracy))!.Value;
        Assert.Equal(0.92, best.Mean, 12);
        Assert.Equal(0.02, best.Std, 12);
        Assert.Equal("92.00 ± 2.00 %", best.AsPercent());
        Assert.Equal(RunGrouping.ConfigurationKey(runs[0].Config!), group.Key);
    }

    [Fact]
    public void Runs_that_share_a_seed_get_a_warning_instead_of_a_silent_zero_spread()
    {
        var group = Assert.Single(RunGrouping.Group([Run(7, Tb, 0.8), Run(9, Tb, 0.8)]));

        var warning = Assert.Single(group.Warnings);
        Assert.Equal("Runs #7 and #9 share seed 42: they repeat one training, so their spread is not a spread over seeds.", warning);
    }

    [Fact]
    public void One_run_has_no_spread_and_says_so()
    {
        var group = Assert.Single(RunGrouping.Group([Run(1, Tb, 0.791)]));

        Assert.Equal("79.10 % (n = 1, no spread)", MeanStd.Of(group.Runs.Select(r => r.BestTestAccuracy))!.Value.AsPercent());
    }

    [Fact]
    public void A_recipe_with_and_without_tempbalance_are_two_groups_labelled_by_their_recipe_words()
    {
        var baseline = RecipePresets.WithTempBalance(Tb, false);

        var groups = RunGrouping.Group([Run(1, baseline), Run(2, Tb), Run(3, baseline with { Seed = 43 })]);

        Assert.Equal(["SGD, cosine · smallcnn · fashion-mnist", "TB (×0.5–×1.5) on SGD, cosine · smallcnn · fashion-mnist"], groups.Select(g => g.Label));
        Assert.Equal([1L, 3L], groups[0].Runs.Select(r => r.Id));
    }

    [Fact]
    public void Grouping_by_named_group_keeps_the_group_and_warns_where_its_settings_differ()
    {
        var sweep = Guid.NewGuid();
        var runs = new[]
        {
            Run(1, Tb with { Lr = 0.02 }, groupId: sweep, groupName: "lr sweep"),
            Run(2, Tb with { Lr = 0.05, Seed = 43 }, groupId: sweep, groupName: "lr sweep"),
            Run(3, Tb with { Lr = 0.05 }),
        };

        var byConfig = RunGrouping.Group(runs);
        var byName = RunGrouping.Group(runs, GroupingMode.NamedGroup);

        Assert.Equal([[1L], [2L, 3L]], byConfig.Select(g => g.Runs.Select(r => r.Id).ToArray()));
        Assert.Equal([[1L, 2L], [3L]], byName.Select(g => g.Runs.Select(r => r.Id).ToArray()));
        Assert.Equal("lr sweep", byName[0].Label);
        Assert.Equal("The runs of this group differ in lr: its spread mixes settings, not only seeds.", Assert.Single(byName[0].Warnings));
    }

    [Fact]
    public void The_key_leaves_out_seed_device_and_the_recipe_name_only()
    {
        var key = RunGrouping.ConfigurationKey(Tb);

        Assert.Equal(key, RunGrouping.ConfigurationKey(Tb with { Seed = 1, Device = "cuda:1", Method = "custom" }));
        Assert.NotEqual(key, RunGrouping.ConfigurationKey(Tb with { BatchSize = 64 }));
        Assert.NotEqual(key, RunGrouping.ConfigurationKey(Tb with { TempBalance = Tb.TempBalance with { XminPos = 3 } }));
        Assert.NotEqual(key, RunGrouping.ConfigurationKey(Tb with { Snr = new SnrOptions() }));
        Assert.Contains("lr=0.05;", key);
        Assert.DoesNotContain("seed=", key);
    }
}
