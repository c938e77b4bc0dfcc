using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using TempBalance.Web.Components.Runs;
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

    IRenderedComponent<RunForm> RenderForm()
    {
        _ctx.Render<MudPopoverProvider>();
        return _ctx.Render<RunForm>(p => p
            .Add(f => f.Validate, r => RunRequestValidation.Validate(r, Path.GetTempPath()))
            .Add(f => f.Submit, r =>
            {
                _submitted.Add(r);
                return Task.FromResult(_serverAnswer);
            }));
    }

    [Fact]
    public void A_bad_value_shows_its_message_on_the_field_and_blocks_submitting()
    {
        var cut = RenderForm();

        cut.Find("input[data-testid='epochs']").Change("0");
        cut.Find("input[data-testid='lr']").Change("-0.1");

        cut.WaitForAssertion(() => Assert.Contains("Epochs must be at least 1 (got 0)", cut.Markup));
        Assert.Contains("The learning rate must be a positive number", cut.Markup);

        cut.Find("button[data-testid='queue']").Click();
        Assert.Empty(_submitted);
        var summary = cut.Find("[data-testid='form-errors']");
        Assert.Contains("Fix these 2 before queueing", summary.TextContent);
    }

    [Fact]
    public void The_quick_preset_submits_a_baseline_comparison_group()
    {
        var cut = RenderForm();
        cut.Find("input[data-testid='seeds']").Change("3");
        cut.WaitForAssertion(() => Assert.Contains("Queue 6 runs", cut.Find("button[data-testid='queue']").TextContent));

        cut.Find("button[data-testid='queue']").Click();

        // Submitting validates asynchronously first: wait for the request instead of racing it.
        cut.WaitForAssertion(() => Assert.Single(_submitted));
        var request = Assert.Single(_submitted);
        Assert.True(request.CompareWithBaseline);
        Assert.Equal(3, request.Seeds);
        Assert.Equal("smallcnn", request.Config.Model);
        Assert.Equal("fashion-mnist", request.Config.Dataset);
        Assert.Equal(["quickstart"], request.Tags);
    }

    [Fact]
    public void Errors_the_server_returns_land_on_their_fields()
    {
        _serverAnswer = new Dictionary<string, string[]> { ["config.tempBalance.minRatio"] = ["s1 rejected by the server."] };
        var cut = RenderForm();

        cut.Find("button[data-testid='queue']").Click();

        cut.WaitForAssertion(() => Assert.Contains("s1 rejected by the server.", cut.Find("[data-testid='form-errors']").TextContent));
        Assert.Single(_submitted);
    }

    [Fact]
    public void Paper_presets_carry_the_papers_settings_and_are_valid_apart_from_missing_datasets()
    {
        var byName = RunFormPresets.All.ToDictionary(p => p.Name, p => p.Request);
        Assert.Equal(0.05, byName["VGG16 · CIFAR-100 (paper)"].Config.Lr);
        Assert.Equal((0.6, 1.4), (byName["ResNet18 · TinyImageNet (paper)"].Config.TempBalance.MinRatio, byName["ResNet18 · TinyImageNet (paper)"].Config.TempBalance.MaxRatio));
        Assert.All(RunFormPresets.All.Skip(1), p =>
        {
            Assert.Equal(200, p.Request.Config.Epochs);
            Assert.Contains(p.Request.Config.Lr, new[] { 0.1, 0.05 });
            Assert.Equal(5, p.Request.Seeds);
            Assert.True(p.Request.CompareWithBaseline);
            var errors = RunRequestValidation.Validate(p.Request, Path.GetTempPath());
            Assert.All(errors.Keys, key => Assert.Equal("config.dataset", key)); // CIFAR etc. are not installed here
        });
        Assert.Empty(RunRequestValidation.Validate(RunFormPresets.All[0].Request, Path.GetTempPath()));
    }
}
