using TempBalance.Core.Scheduling;
using TempBalance.Core.Training;

namespace TempBalance.Core.Tests.Training;

public sealed class TrainingConfigValidatorTests : IDisposable
{
    readonly string emptyRoot = Directory.CreateTempSubdirectory("tb-empty-").FullName;

    public void Dispose() => Directory.Delete(emptyRoot, recursive: true);

    static readonly TrainingConfig Valid = new() { Model = "smallcnn", Dataset = "synthetic", Device = "cpu" };

    IReadOnlyList<ConfigError> Errors(TrainingConfig config) => TrainingConfigValidator.Validate(config, emptyRoot);

    [Fact]
    public void A_valid_configuration_has_no_errors() => Assert.Empty(Errors(Valid));

    [Fact]
    public void Unknown_model_lists_the_valid_ones()
    {
        var error = Assert.Single(Errors(Valid with { Model = "resnet50" }));
        Assert.Equal("model", error.Field);
        Assert.Contains("resnet18, resnet34", error.Message);
    }

    [Fact]
    public void A_model_that_does_not_fit_the_images_says_so()
    {
        var error = Assert.Single(Errors(Valid with { Model = "vgg16" }));
        Assert.Equal("model", error.Field);
        Assert.Contains("32x32", error.Message);
        Assert.Contains("28x28", error.Message);
    }

    [Theory]
    [InlineData(0.0, 3, "lr")]
    [InlineData(-0.1, 3, "lr")]
    [InlineData(0.1, 0, "epochs")]
    public void Non_positive_lr_and_epochs_are_refused(double lr, int epochs, string field)
    {
        var error = Assert.Single(Errors(Valid with { Lr = lr, Epochs = epochs }));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void Missing_data_names_the_files_and_where_to_put_them()
    {
        var error = Assert.Single(Errors(Valid with { Dataset = "cifar10" }));
        Assert.Equal("dataset", error.Field);
        Assert.Contains(Path.Combine(emptyRoot, "cifar-10-batches-bin", "data_batch_1.bin"), error.Message);
        Assert.Contains("test_batch.bin", error.Message);
        Assert.Contains("/usr/share/datasets/cifar-10-batches-bin", error.Message);
    }

    [Fact]
    public void TempBalance_options_are_checked_with_their_json_paths()
    {
        var errors = Errors(Valid with { TempBalance = new TempBalanceOptions { MinRatio = 0, MaxRatio = -1, XminPos = 0 } });
        Assert.Equal(["tempBalance.xminPos", "tempBalance.minRatio", "tempBalance.maxRatio"], errors.Select(e => e.Field));
        Assert.Empty(Errors(Valid with { Method = "baseline", TempBalance = new TempBalanceOptions { Enabled = false, MinRatio = 0 } }));
    }

    [Fact]
    public void TempBalance_on_a_two_layer_model_is_refused()
    {
        var error = Assert.Single(Errors(Valid with { Model = "mlp-tanh" }));
        Assert.Equal("tempBalance.enabled", error.Field);
    }

    [Fact]
    public void Several_problems_are_reported_together()
    {
        var errors = Errors(Valid with { Method = "adam", BatchSize = 0, Schedule = (ScheduleKind)7, Device = "tpu", Subset = 0 });
        Assert.Equal(["method", "batchSize", "schedule", "subset", "device"], errors.Select(e => e.Field));
    }

    [Fact]
    public void A_method_name_that_contradicts_the_parts_says_which_name_fits()
    {
        var error = Assert.Single(Errors(Valid with { Method = "baseline" }));
        Assert.Equal("method", error.Field);
        Assert.Contains("'tb'", error.Message);
        Assert.Empty(Errors(RecipePresets.Find("baseline")!.Apply(Valid)));
    }

    [Fact]
    public void Unknown_methods_list_every_preset()
    {
        var error = Assert.Single(Errors(Valid with { Method = "sgdsnr" }));
        Assert.Contains("tb+snr", error.Message);
        Assert.Contains("lawn-adam", error.Message);
    }

    [Fact]
    public void Recipe_parts_are_checked_with_their_json_paths()
    {
        var config = RecipePresets.Named(Valid with
        {
            Epochs = 4,
            Snr = new SnrOptions { Coefficient = double.PositiveInfinity },
            Lookahead = new LookaheadOptions { K = 0, Alpha = 1.5 },
            Lawn = new LawnOptions { FreeEpochs = 4 },
            Optimizer = new OptimizerOptions { Kind = OptimizerKind.Adam, Beta2 = 1, Eps = -1 },
            Schedule = ScheduleKind.Sgdr,
            Sgdr = new SgdrOptions { T0 = 0, TMult = 0 },
        });
        Assert.Equal(
            ["sgdr.t0", "sgdr.tMult", "optimizer.beta2", "optimizer.eps", "snr.coefficient", "lookahead.k", "lookahead.alpha", "lawn.freeEpochs"],
            Errors(config).Select(e => e.Field));
        Assert.Contains("fewer than the run's 4 epochs", Errors(config).Single(e => e.Field == "lawn.freeEpochs").Message);
    }

    [Fact]
    public void Null_fields_from_json_are_named_instead_of_crashing()
    {
        var errors = Errors(Valid with { Model = null!, Device = null!, TempBalance = null! });
        Assert.Equal(["model", "device", "tempBalance"], errors.Select(e => e.Field));
    }
}
