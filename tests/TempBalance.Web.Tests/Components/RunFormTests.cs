using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using TempBalance.Core.Optimizers;
using TempBalance.Core.Scheduling;
using TempBalance.Core.Training;
using TempBalance.Web.Components.Runs;
using TempBalance.Web.Data;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Components;

public class RunFormTests : IAsyncLifetime
{
    readonly BunitContext _ctx = new();
    readonly List<NewRunRequest> _submitted = [];
    IReadOnlyDictionary<string, string[]> _serverAnswer = new Dictionary<string, string[]>();

    public Task InitializeAsync()
    {
        _ctx.Services.AddMudServices();
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _ctx.DisposeAsync();

    IRenderedComponent<RunForm> RenderForm(NewRunRequest? initial = null, string? source = null)
    {
        _ctx.Render<MudPopoverProvider>();
        return _ctx.Render<RunForm>(p => p
            .Add(f => f.Validate, r => RunRequestValidation.Validate(r, Path.GetTempPath()))
            .Add(f => f.Initial, initial)
            .Add(f => f.Source, source)
            .Add(f => f.Submit, r =>
            {
                _submitted.Add(r);
                return Task.FromResult(_serverAnswer);
            }));
    }

    static Task Choose<T>(IRenderedComponent<RunForm> cut, string label, T value)
    {
        var select = cut.FindComponents<MudSelect<T>>().Single(s => s.Instance.Label == label);
        return cut.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync(value));
    }

    static string Value(IRenderedComponent<RunForm> cut, string testId) =>
        cut.Find($"input[data-testid='{testId}']").GetAttribute("value") ?? "";

    static bool Shows(IRenderedComponent<RunForm> cut, string testId) => cut.FindAll($"[data-testid='{testId}']").Count > 0;

    static string MethodName(IRenderedComponent<RunForm> cut) => cut.Find("[data-testid='method-name']").TextContent.Trim();

    static string Recipe(IRenderedComponent<RunForm> cut) => cut.Find("[data-testid='recipe']").TextContent.Trim();

    /// <summary>The error text MudBlazor shows under the field with this data-testid.</summary>
    static string FieldError(IRenderedComponent<RunForm> cut, string testId)
    {
        var input = cut.Find($"[data-testid='{testId}']");
        var control = input.Closest(".mud-input-control")!;
        return control.QuerySelector(".mud-input-helper-text.mud-input-error")?.TextContent.Trim() ?? "";
    }

    [Fact]
    public void A_bad_value_shows_its_message_on_the_field_and_blocks_submitting()
    {
        var cut = RenderForm();

        cut.Find("input[data-testid='epochs']").Change("0");
        cut.Find("input[data-testid='lr']").Change("-0.1");

        cut.WaitForAssertion(() => Assert.Contains("Epochs must be at least 1 (got 0)", FieldError(cut, "epochs")));
        Assert.Contains("The learning rate must be a positive number", FieldError(cut, "lr"));

        cut.Find("button[data-testid='queue']").Click();
        // The click's validation renders asynchronously (it failed once under load when read at once).
        var summary = cut.WaitForElement("[data-testid='form-errors']");
        Assert.Empty(_submitted);
        Assert.Contains("Fix these 2 before queueing", summary.TextContent);
    }

    [Fact]
    public void The_quick_setup_submits_tempbalance_and_the_same_recipe_without_it_as_a_group()
    {
        var cut = RenderForm();
        Assert.Equal("Also run without TempBalance", cut.Find("[data-testid='compare']").Closest("label")!.TextContent.Trim());
        cut.Find("input[data-testid='seeds']").Change("3");
        cut.WaitForAssertion(() => Assert.Contains("Queue 6 runs", cut.Find("button[data-testid='queue']").TextContent));
        Assert.Equal("tb and baseline · smallcnn · fashion-mnist · 6 epochs, seeds 42–44", cut.Find("[data-testid='queue-summary']").TextContent.Trim());

        cut.Find("button[data-testid='queue']").Click();

        // Submitting validates asynchronously first: wait for the request instead of racing it.
        cut.WaitForAssertion(() => Assert.Single(_submitted));
        var request = Assert.Single(_submitted);
        Assert.True(request.CompareWithBaseline);
        Assert.Equal(3, request.Seeds);
        Assert.Equal("smallcnn", request.Config.Model);
        Assert.Equal("fashion-mnist", request.Config.Dataset);
        Assert.Equal("tb", request.Config.Method);
        Assert.Equal(["quickstart"], request.Tags);
        Assert.Null(request.Name);
    }

    [Fact]
    public void Errors_the_server_returns_land_on_their_fields()
    {
        _serverAnswer = new Dictionary<string, string[]> { ["config.tempBalance.minRatio"] = ["s1 rejected by the server."] };
        var cut = RenderForm();

        cut.Find("button[data-testid='queue']").Click();

        cut.WaitForAssertion(() => Assert.Contains("s1 rejected by the server.", cut.Find("[data-testid='form-errors']").TextContent));
        Assert.Equal("s1 rejected by the server.", FieldError(cut, "minRatio"));
        Assert.Equal("1 problem", cut.Find("[data-testid='advanced-errors']").TextContent.Trim());
        Assert.Single(_submitted);
    }

    [Fact]
    public async Task Picking_a_method_applies_its_preset_to_the_fields_and_names_the_recipe_in_words()
    {
        var cut = RenderForm();
        Assert.Equal("tb", MethodName(cut));
        Assert.Equal("TB (×0.5–×1.5) on SGD, cosine", Recipe(cut));

        await Choose(cut, "Method", "lars");

        Assert.Equal("lars", MethodName(cut));
        Assert.Equal("LARS, cosine", Recipe(cut));
        Assert.Equal("28", Value(cut, "lr"));
        Assert.Equal("0", Value(cut, "momentum"));
        Assert.Equal("0.001", Value(cut, "trustCoefficient"));
        Assert.Equal("false", cut.Find("input[data-testid='tempBalance']").GetAttribute("aria-checked"));
        Assert.Equal("Also run with TempBalance", cut.Find("[data-testid='compare']").Closest("label")!.TextContent.Trim());
        // Model, data and length are the setup's, untouched.
        Assert.Equal("6", Value(cut, "epochs"));

        await Choose(cut, "Method", "tb+snr");
        Assert.Equal("tb+snr", MethodName(cut));
        Assert.Equal("TB (×0.6–×1.4) + SNR (sg 0.001) on SGD, cosine", Recipe(cut));
        Assert.Equal("0.001", Value(cut, "snrCoefficient"));
        Assert.Equal("0.6", Value(cut, "minRatio"));
        Assert.Equal("0.05", Value(cut, "lr")); // back on SGD: its usual rate

        await Choose(cut, "Method", "lawn-adam");
        Assert.Equal("1", Value(cut, "lawnFreeEpochs")); // a tenth of 6 epochs, rounded up
        Assert.Equal("LAWN (1 free epoch) on Adam, cosine", Recipe(cut));
    }

    [Fact]
    public async Task Editing_a_part_names_the_recipe_after_the_preset_it_matches_or_custom()
    {
        var cut = RenderForm();

        cut.Find("input[data-testid='tempBalance']").Change(false);
        Assert.Equal("baseline", MethodName(cut));
        Assert.Equal("SGD, cosine", Recipe(cut));

        cut.Find("input[data-testid='tempBalance']").Change(true);
        cut.Find("input[data-testid='snr']").Change(true);
        Assert.Equal("tb+snr", MethodName(cut));
        // SNR's own coefficient until the user changes it: the preset's values come with picking the preset.
        Assert.Equal("TB (×0.5–×1.5) + SNR (sg 0.01) on SGD, cosine", Recipe(cut));

        await Choose(cut, "Optimizer", OptimizerKind.Adam);
        Assert.Equal("custom", MethodName(cut));
        Assert.Contains("under Advanced", cut.Find("[data-testid='method']").Closest(".mud-input-control")!.TextContent);

        await Choose(cut, "Schedule", ScheduleKind.Sgdr);
        Assert.Equal("TB (×0.5–×1.5) + SNR (sg 0.01) on Adam, SGDR (T0 3, T_mult 1)", Recipe(cut));

        // Coefficients do not make another method: tuning s1 keeps the preset's name.
        await Choose(cut, "Method", "tb");
        cut.Find("input[data-testid='minRatio']").Change("0.7");
        Assert.Equal("tb", MethodName(cut));
        Assert.Contains(RunFormHelp.MethodRule, cut.Find("[data-testid='recipe-box']").TextContent);
    }

    [Fact]
    public async Task Only_the_fields_the_chosen_optimizer_reads_are_shown()
    {
        var cut = RenderForm();
        Assert.True(Shows(cut, "momentum"));
        Assert.False(Shows(cut, "beta1") || Shows(cut, "beta2") || Shows(cut, "eps") || Shows(cut, "trustCoefficient"));

        await Choose(cut, "Optimizer", OptimizerKind.Adam);
        Assert.True(Shows(cut, "beta1") && Shows(cut, "beta2") && Shows(cut, "eps"));
        Assert.False(Shows(cut, "momentum") || Shows(cut, "trustCoefficient"));
        Assert.Equal("default 1e-8", cut.Find("input[data-testid='eps']").GetAttribute("placeholder"));
        Assert.Equal("Adam usually starts near 0.001", cut.Find("input[data-testid='lr']").Closest(".mud-input-control")!.QuerySelector(".mud-input-helper-text")!.TextContent.Trim());

        await Choose(cut, "Optimizer", OptimizerKind.Lars);
        Assert.True(Shows(cut, "momentum") && Shows(cut, "trustCoefficient") && Shows(cut, "eps"));
        Assert.False(Shows(cut, "beta1"));

        // Schedule and part fields follow their switches the same way.
        Assert.False(Shows(cut, "sgdrT0") || Shows(cut, "snrCoefficient") || Shows(cut, "lookaheadK") || Shows(cut, "lawnFreeEpochs"));
        await Choose(cut, "Schedule", ScheduleKind.Sgdr);
        cut.Find("input[data-testid='lookahead']").Change(true);
        Assert.True(Shows(cut, "sgdrT0") && Shows(cut, "sgdrTMult") && Shows(cut, "lookaheadK") && Shows(cut, "lookaheadAlpha"));
        Assert.Equal("3", cut.Find("input[data-testid='sgdrT0']").GetAttribute("placeholder"));
    }

    [Fact]
    public async Task Problems_of_the_new_parts_show_on_their_fields_and_open_the_advanced_section()
    {
        var cut = RenderForm();
        Assert.False(cut.FindComponent<MudExpansionPanel>().Instance.Expanded);
        await Choose(cut, "Method", "lawn-sgd");
        cut.Find("input[data-testid='lawnFreeEpochs']").Change("6");
        cut.Find("input[data-testid='snr']").Change(true);
        cut.Find("input[data-testid='snrCoefficient']").Change("0");
        await Choose(cut, "Optimizer", OptimizerKind.Lamb);
        cut.Find("input[data-testid='beta2']").Change("1");

        Assert.Contains("LAWN's free epochs must be fewer than the run's 6 epochs (got 6)", FieldError(cut, "lawnFreeEpochs"));
        Assert.Contains("The SNR coefficient sg must be a positive number", FieldError(cut, "snrCoefficient"));
        Assert.Contains("beta2 must be in [0, 1)", FieldError(cut, "beta2"));
        Assert.Equal("3 problems", cut.Find("[data-testid='advanced-errors']").TextContent.Trim());

        cut.Find("button[data-testid='queue']").Click();
        Assert.Empty(_submitted);
        Assert.Contains("Fix these 3 before queueing", cut.Find("[data-testid='form-errors']").TextContent);
        Assert.True(cut.FindComponent<MudExpansionPanel>().Instance.Expanded);
    }

    [Fact]
    public async Task Picking_a_setup_keeps_the_chosen_method()
    {
        var cut = RenderForm();
        await Choose(cut, "Method", "lars");

        await Choose<string>(cut, "Setup: model, data, training length", "ResNet18 · CIFAR-100 (paper)");

        Assert.Equal("lars", MethodName(cut));
        Assert.Equal("200", Value(cut, "epochs"));
        Assert.Equal("28", Value(cut, "lr"));
        Assert.Contains("5 seeds", cut.Find("[data-testid='setup']").Closest(".mud-input-control")!.TextContent);

        // TempBalance on TinyImageNet keeps the setup's own s1/s2 (0.6/1.4) instead of the preset's 0.5/1.5.
        await Choose(cut, "Method", "tb");
        await Choose<string>(cut, "Setup: model, data, training length", "ResNet18 · TinyImageNet (paper)");
        Assert.Equal(("0.6", "1.4"), (Value(cut, "minRatio"), Value(cut, "maxRatio")));
        Assert.Equal("0.1", Value(cut, "lr"));
    }

    [Fact]
    public void A_copy_of_a_run_fills_the_form_with_its_config_name_and_seed()
    {
        var config = RecipePresets.Find("tb+snr")!.Apply(new TrainingConfig
        {
            Model = "mlp",
            Dataset = "synthetic",
            Epochs = 4,
            Seed = 7,
            Lr = 0.02,
            Subset = 300,
            KeepFullTestSet = true,
        }) with
        { Snr = new SnrOptions { Coefficient = 0.002, PowerIterations = 3 } };
        var run = new RunDetails(
            new RunSummary(12, "my sweep", RunStatus.Completed, "tb+snr", "mlp", "synthetic", 7, 4, 4, 0.9, 0.9, ["sweep"], null, null,
                DateTime.UtcNow, null, null, null, null),
            config, null, null, 0, true);

        var cut = RenderForm(RunPresets.CopyOf(run), "run #12");

        Assert.Equal("my sweep (copy)", Value(cut, "name"));
        Assert.Equal("7", Value(cut, "seed"));
        Assert.Equal("4", Value(cut, "epochs"));
        Assert.Equal("0.02", Value(cut, "lr"));
        Assert.Equal("0.002", Value(cut, "snrCoefficient"));
        Assert.Equal("3", Value(cut, "snrPowerIterations"));
        Assert.Equal("tb+snr", MethodName(cut));
        Assert.Equal("sweep", Value(cut, "tags"));
        Assert.Matches(@"Queue\s+1\s+run$", cut.Find("button[data-testid='queue']").TextContent.Trim());
        Assert.Contains("Copied from run #12", cut.Find("[data-testid='setup']").Closest(".mud-input-control")!.TextContent);

        cut.Find("input[data-testid='epochs']").Change("5");
        cut.Find("button[data-testid='queue']").Click();
        cut.WaitForAssertion(() => Assert.Single(_submitted));
        var sent = _submitted[0];
        Assert.Equal(config with { Epochs = 5 }, sent.Config);
        Assert.Equal("my sweep (copy)", sent.Name);
        Assert.Equal("Copy of run #12.", sent.Notes);
    }

    [Fact]
    public void A_copy_of_a_custom_recipe_opens_the_advanced_section()
    {
        var config = new TrainingConfig { Model = "mlp", Dataset = "synthetic", Optimizer = new OptimizerOptions { Kind = OptimizerKind.AdamW }, Lr = 1e-3 };
        var run = new RunDetails(
            new RunSummary(3, null, RunStatus.Failed, "custom", "mlp", "synthetic", 42, 3, null, null, null, [], null, null,
                DateTime.UtcNow, null, null, null, null),
            config, null, null, 0, false);

        var cut = RenderForm(RunPresets.CopyOf(run), "run #3");

        Assert.Equal("custom", MethodName(cut));
        Assert.Equal(Run.DefaultName(RecipePresets.Named(config)) + " (copy)", Value(cut, "name"));
        Assert.True(cut.FindComponent<MudExpansionPanel>().Instance.Expanded);
    }

    [Theory]
    [InlineData("fit", "median (the paper's)")]
    [InlineData("xminPos", "N / this")]
    [InlineData("convNorm", "sqrt(this)")]
    [InlineData("assign", "linear (the paper's)")]
    [InlineData("metric", "alpha-weighted")]
    [InlineData("minRatio", "s1 = s2 = 1 is the baseline")]
    [InlineData("maxRatio", "largest alpha")]
    [InlineData("eigsThresh", "set 50 to match it")]
    [InlineData("updateEverySteps", "every K optimizer steps")]
    [InlineData("filterNearZero", "1e-5")]
    [InlineData("referenceTieBehaviour", "(s1 + s2) / 2")]
    [InlineData("float32Eigenvalues", "float32")]
    [InlineData("farms", "fixed-aspect-ratio windows")]
    [InlineData("tempBalance", "any optimizer")]
    [InlineData("optimizer", "trust")]
    [InlineData("momentum", "beta1 instead")]
    [InlineData("schedule", "warm restarts")]
    [InlineData("warmupEpochs", "rises linearly")]
    [InlineData("snr", "spectral norm down")]
    [InlineData("lookahead", "slow weights")]
    [InlineData("lawn", "weight norms")]
    [InlineData("keepFullTestSet", "whole test set")]
    [InlineData("compare", "switched the other way")]
    public void Every_option_has_a_help_icon_that_says_what_it_does(string field, string phrase)
    {
        var cut = RenderForm();
        var help = cut.Find($"[data-testid='help-{field}']");
        Assert.Contains(phrase, help.GetAttribute("aria-label"));
    }

    [Fact]
    public async Task Help_of_fields_that_only_some_choices_have_is_there_with_the_field()
    {
        var cut = RenderForm();
        cut.Find("input[data-testid='snr']").Change(true);
        cut.Find("input[data-testid='lookahead']").Change(true);
        cut.Find("input[data-testid='lawn']").Change(true);
        await Choose(cut, "Optimizer", OptimizerKind.Lamb);
        await Choose(cut, "Schedule", ScheduleKind.Sgdr);
        await Choose(cut, "xmin rule", XminRule.Peak);

        foreach (var field in new[] { "snrCoefficient", "snrPowerIterations", "lookaheadK", "lookaheadAlpha", "lookaheadSync", "lawnFreeEpochs",
                     "beta1", "beta2", "eps", "sgdrT0", "sgdrTMult", "referencePeakLowerBound" })
            Assert.True(cut.Find($"[data-testid='help-{field}']").GetAttribute("aria-label")!.Length > 40, field);
        Assert.False(Shows(cut, "xminPos")); // the median rule's only
    }

    [Fact]
    public void Paper_setups_carry_the_papers_settings_and_are_valid_apart_from_missing_datasets()
    {
        var byName = RunSetups.All.ToDictionary(p => p.Name, p => p.Request);
        Assert.Equal(0.05, byName["VGG16 · CIFAR-100 (paper)"].Config.Lr);
        Assert.Equal((0.6, 1.4), (byName["ResNet18 · TinyImageNet (paper)"].Config.TempBalance.MinRatio, byName["ResNet18 · TinyImageNet (paper)"].Config.TempBalance.MaxRatio));
        Assert.All(RunSetups.All.Skip(1), p =>
        {
            Assert.Equal(200, p.Request.Config.Epochs);
            Assert.Contains(p.Request.Config.Lr, new[] { 0.1, 0.05 });
            Assert.Equal(5, p.Request.Seeds);
            Assert.True(p.Request.CompareWithBaseline);
            var errors = RunRequestValidation.Validate(p.Request, Path.GetTempPath());
            Assert.All(errors.Keys, key => Assert.Equal("config.dataset", key)); // CIFAR etc. are not installed here
        });
        Assert.Empty(RunRequestValidation.Validate(RunSetups.All[0].Request, Path.GetTempPath()));
    }
}
