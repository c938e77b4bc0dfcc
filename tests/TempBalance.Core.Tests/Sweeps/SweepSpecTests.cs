using TempBalance.Core.Sweeps;
using TempBalance.Core.Training;

namespace TempBalance.Core.Tests.Sweeps;

public sealed class SweepSpecTests : IDisposable
{
    readonly string emptyRoot = Directory.CreateTempSubdirectory("tb-sweep-").FullName;

    public void Dispose() => Directory.Delete(emptyRoot, recursive: true);

    static readonly TrainingConfig Base = RecipePresets.Find("baseline")!.Apply(new TrainingConfig
    {
        Model = "mlp-tanh",
        Dataset = "synthetic",
        Device = "cpu",
        Epochs = 2,
        Lr = 0.02,
        Momentum = 0.5,
        BatchSize = 32,
        WeightDecay = 0,
    });

    IReadOnlyList<ConfigError> Errors(SweepSpec spec, int maxRuns = SweepSpec.DefaultMaxRuns) => SweepExpansion.Validate(spec, emptyRoot, maxRuns);

    [Fact]
    public void A_grid_expands_to_every_combination_with_the_first_axis_slowest()
    {
        var spec = new SweepSpec(Base, [new SweepAxis("lr", [0.005, 0.01, 0.02]), new SweepAxis("batch-size", [8, 16])]);
        Assert.Empty(Errors(spec));
        Assert.Equal(6, spec.RunCount);
        var points = SweepExpansion.Expand(spec);
        Assert.Equal([0, 1, 2, 3, 4, 5], points.Select(p => p.Index));
        Assert.Equal([0.005, 0.005, 0.01, 0.01, 0.02, 0.02], points.Select(p => p.Config.Lr));
        Assert.Equal([8, 16, 8, 16, 8, 16], points.Select(p => p.Config.BatchSize));
        Assert.All(points, p => Assert.Equal(p.Config, Base with { Lr = p.Values[0], BatchSize = (int)p.Values[1] }));
        Assert.Equal("lr=0.01, batch-size=16", points[3].Label(SweepExpansion.Fields(spec)));
    }

    [Fact]
    public void Runs_in_parallel_start_longest_first_with_ties_in_grid_order()
    {
        // lr × batch size × epochs: the work is epochs × batches (a subset of 4,000 images).
        var spec = new SweepSpec(Base with { Subset = 4000 },
            [new SweepAxis("lr", [0.01, 0.02]), new SweepAxis("batch-size", [64, 16]), new SweepAxis("epochs", [1, 3])]);
        var points = SweepExpansion.Expand(spec);
        Assert.Equal(1 * 63, SweepExpansion.EstimatedWork(points[0].Config));
        Assert.Equal(3 * 250, SweepExpansion.EstimatedWork(points[3].Config));
        // 750 steps (16 per batch, 3 epochs), 250 (16, 1), 189 (64, 3), 63 (64, 1); equal ones in grid order.
        Assert.Equal([3, 7, 2, 6, 1, 5, 0, 4], SweepExpansion.LongestFirst(points).Select(p => p.Index));

        // A wider model counts its width squared; a run on the whole dataset counts 60,000 images.
        Assert.Equal(4 * 63, SweepExpansion.EstimatedWork(points[0].Config with { WidthFactor = 2 }));
        Assert.Equal(938, SweepExpansion.EstimatedWork(points[0].Config with { Subset = null }));
    }

    [Theory]
    [InlineData("lr", "lr")]
    [InlineData("batch-size", "batchSize")]
    [InlineData("BatchSize", "batchSize")]
    [InlineData("tb-min-ratio", "tempBalance.minRatio")]
    [InlineData("tempBalance.maxRatio", "tempBalance.maxRatio")]
    [InlineData("snr", "snr.coefficient")]
    [InlineData("weight-decay", "weightDecay")]
    public void Fields_are_found_by_their_JSON_path_or_CLI_name(string name, string path) =>
        Assert.Equal(path, SweepFields.Find(name)!.Path);

    [Fact]
    public void Nested_fields_are_set_where_they_live_and_an_SNR_sg_of_zero_turns_it_off()
    {
        var tb = RecipePresets.Find("tb+snr")!.Apply(Base with { Model = "smallcnn" });
        var spec = new SweepSpec(tb, [new SweepAxis("tb-min-ratio", [0.5, 0.7]), new SweepAxis("snr.coefficient", [0, 0.002])]);
        var points = SweepExpansion.Expand(spec);
        Assert.Equal([0.5, 0.5, 0.7, 0.7], points.Select(p => p.Config.TempBalance.MinRatio));
        Assert.Null(points[0].Config.Snr);
        Assert.Equal("tb", points[0].Config.Method);
        Assert.Equal(0.002, points[1].Config.Snr!.Coefficient);
        Assert.Equal("tb+snr", points[1].Config.Method);
        Assert.Equal(tb.TempBalance.MaxRatio, points[3].Config.TempBalance.MaxRatio);
    }

    [Fact]
    public void An_unknown_field_is_refused_and_the_numeric_ones_are_listed()
    {
        var error = Assert.Single(Errors(new SweepSpec(Base, [new SweepAxis("learning-rate", [0.1])])));
        Assert.Equal("axes[0].field", error.Field);
        Assert.Contains("Unknown field 'learning-rate'", error.Message);
        Assert.Contains("lr, batch-size, momentum, weight-decay, seed", error.Message);
    }

    [Theory]
    [InlineData("model")]
    [InlineData("optimizer.kind")]
    [InlineData("schedule")]
    public void A_field_that_is_not_a_number_is_refused_as_such(string field)
    {
        var error = Assert.Single(Errors(new SweepSpec(Base, [new SweepAxis(field, [1])])));
        Assert.Equal("axes[0].field", error.Field);
        Assert.Contains("is not a numeric field", error.Message);
    }

    [Fact]
    public void An_empty_axis_no_axes_repeated_fields_and_bad_values_are_refused()
    {
        var empty = Assert.Single(Errors(new SweepSpec(Base, [new SweepAxis("lr", [0.1]), new SweepAxis("momentum", [])])));
        Assert.Equal("axes[1].values", empty.Field);
        Assert.Contains("has no values", empty.Message);

        Assert.Equal("axes", Assert.Single(Errors(new SweepSpec(Base, []))).Field);

        var repeated = Assert.Single(Errors(new SweepSpec(Base, [new SweepAxis("lr", [0.1]), new SweepAxis("LR", [0.2])])));
        Assert.Equal("axes[1].field", repeated.Field);
        Assert.Contains("already axis 1", repeated.Message);

        var errors = Errors(new SweepSpec(Base, [new SweepAxis("batch-size", [16, 12.5, 16]), new SweepAxis("lr", [double.NaN])]));
        Assert.Contains(errors, e => e.Field == "axes[0].values" && e.Message.Contains("12.5 is not one"));
        Assert.Contains(errors, e => e.Field == "axes[0].values" && e.Message.Contains("lists 16 more than once"));
        Assert.Contains(errors, e => e.Field == "axes[1].values" && e.Message.Contains("not a finite number"));
    }

    [Fact]
    public void Values_that_make_a_run_invalid_name_the_axis_and_value()
    {
        var errors = Errors(new SweepSpec(Base, [new SweepAxis("lr", [0.01, -0.5]), new SweepAxis("momentum", [0.5, 1.5])]));
        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Field == "axes[0].values" && e.Message.StartsWith("lr = -0.5: The learning rate must be"));
        Assert.Contains(errors, e => e.Field == "axes[1].values" && e.Message.StartsWith("momentum = 1.5: Momentum must be in [0, 1)"));
    }

    [Fact]
    public void The_base_is_judged_without_the_fields_the_axes_replace()
    {
        // The base's lr is invalid, but every run gets an axis value instead; its epochs stay and are invalid.
        var errors = Errors(new SweepSpec(Base with { Lr = 0, Epochs = 0 }, [new SweepAxis("lr", [0.01])]));
        var error = Assert.Single(errors);
        Assert.Equal("config.epochs", error.Field);
    }

    [Fact]
    public void More_runs_than_the_cap_are_refused_with_the_count_and_the_limit()
    {
        var values = Enumerable.Range(1, 40).Select(i => (double)i).ToArray();
        var spec = new SweepSpec(Base, [new SweepAxis("seed", values), new SweepAxis("epochs", values)]);
        Assert.Equal(1600, spec.RunCount);
        var error = Assert.Single(Errors(spec));
        Assert.Equal("axes", error.Field);
        Assert.Contains("1,600 runs (40 x 40); the limit is 1,000", error.Message);
        Assert.Empty(Errors(spec, maxRuns: 1600));
        var smaller = Assert.Single(Errors(new SweepSpec(Base, [new SweepAxis("seed", [1, 2, 3])]), maxRuns: 2));
        Assert.Contains("3 runs (3); the limit is 2", smaller.Message);
    }

    [Fact]
    public void A_huge_grid_is_counted_without_overflow_or_expansion()
    {
        var values = Enumerable.Range(1, 1000).Select(i => (double)i).ToArray();
        var spec = new SweepSpec(Base, [.. Enumerable.Range(0, 8).Select(_ => new SweepAxis("seed", values))]);
        Assert.Equal(long.MaxValue, spec.RunCount);
    }
}
