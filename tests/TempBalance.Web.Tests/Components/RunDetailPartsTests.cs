using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor.Services;
using TempBalance.Core.Scheduling;
using TempBalance.Core.Training;
using TempBalance.Web.Components.Charts;
using TempBalance.Web.Components.Runs;
using TempBalance.Web.Live;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Components;

/// <summary>What the run detail page's parts show: the layer table's learning-rate story and verdicts, the learning-rate legend, the environment.</summary>
public class RunDetailPartsTests : IAsyncLifetime
{
    readonly BunitContext _ctx = new();

    public RunDetailPartsTests()
    {
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        _ctx.Services.AddMudServices();
        _ctx.Services.AddSingleton(new TrainingUpdates(NullLogger<TrainingUpdates>.Instance));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _ctx.DisposeAsync();

    // Epoch 4 of a small CNN: epoch 3's analysis assigned the rates it trained with (global rate 0.05).
    static LayerPoint Row(int epoch, int index, string name, int eigs, double? alpha, bool tuned, double? rate, double next) =>
        new(epoch, index, name, "Conv2d", eigs, alpha, 0.05, 0.8, 3, 1, rate, next, tuned, alpha is null ? "fit failed" : null);

    static readonly LayerPoint[] Epoch3 =
    [
        Row(3, 0, "conv1", 27, 3.1, false, 0.05, 0.05),
        Row(3, 1, "layer1.conv", 576, 2.10, true, 0.05, 0.025),
        Row(3, 2, "layer2.conv", 576, 4.20, true, 0.05, 0.05),
        Row(3, 3, "layer3.conv", 576, 7.05, true, 0.05, 0.075),
        Row(3, 4, "fc", 8, 6.8, false, 0.05, 0.05),
    ];

    static readonly LayerPoint[] Epoch4 =
    [
        Row(4, 0, "conv1", 27, 3.0, false, 0.05, 0.045),
        Row(4, 1, "layer1.conv", 576, 2.30, true, 0.025, 0.0225),
        Row(4, 2, "layer2.conv", 576, 4.00, true, 0.0462121, 0.045),
        Row(4, 3, "layer3.conv", 576, 6.50, true, 0.075, 0.0675),
        Row(4, 4, "fc", 8, 6.9, false, 0.05, 0.045),
    ];

    static LearningRateStory Story(IEnumerable<LayerPoint> rows, double? global) =>
        LearningRateStory.Explain(new TempBalanceOptions(), [.. rows.Select(r => r.ToRated())], global);

    IRenderedComponent<LayerTable> RenderTable() => _ctx.Render<LayerTable>(p => p
        .Add(c => c.Layers, Epoch4)
        .Add(c => c.Epoch, 4)
        .Add(c => c.Story, Story(Epoch3, 0.05))
        .Add(c => c.Next, Story(Epoch4, 0.045))
        .Add(c => c.GlobalRate, 0.05));

    static AngleSharp.Dom.IElement Row(IRenderedComponent<LayerTable> cut, int row) => cut.FindAll("[data-testid='layer-table'] tbody tr")[row];

    static string[] Cells(IRenderedComponent<LayerTable> cut, int row) => [.. Row(cut, row).QuerySelectorAll("td").Select(td => td.TextContent.Trim())];

    // The learning-rate cell: the rate with its factor, and why under it.
    static string Rate(IRenderedComponent<LayerTable> cut, int row) => Row(cut, row).QuerySelector(".lr-value")!.TextContent.Trim();

    static string Why(IRenderedComponent<LayerTable> cut, int row) => Row(cut, row).QuerySelector(".lr-why")!.TextContent.Trim();

    const int HtsrCell = 4, NextCell = 8;

    [Fact]
    public void Each_layer_shows_its_rate_during_the_epoch_its_factor_and_why()
    {
        var cut = RenderTable();

        Assert.Equal("layer3.conv Conv2d", Cells(cut, 3)[1]);
        Assert.Equal("0.075 ×1.50", Rate(cut, 3));
        Assert.Equal("alpha 7.05, the largest of the 3 tuned layers → s2 = 1.5 × η", Why(cut, 3));
        Assert.Equal("0.0675 ×1.50", Cells(cut, 3)[NextCell]); // still the largest alpha of epoch 4: s2 again
        Assert.Equal("0.025 ×0.50", Rate(cut, 1));
        Assert.Equal("0.04621 ×0.92", Rate(cut, 2));
        Assert.Equal("alpha 4.20, 42% of the way from the smallest (2.10) to the largest (7.05) → ×0.92", Why(cut, 2));
        Assert.Equal("first layer: not tuned, global LR", Why(cut, 0));
        Assert.Equal("last layer: not tuned, global LR", Why(cut, 4));
        Assert.Equal("LR in epoch 4 · why (assigned after epoch 3)", cut.FindAll("th")[7].TextContent.Trim());
        Assert.Equal("TempBalance tunes 3 of 5 layers; not the first (conv1) and the last (fc), which train at the global LR.",
            cut.Find("[data-testid='lr-tuning']").TextContent.Trim());
        Assert.StartsWith("Linear: η_l = η · (s1 + (s2 − s1)", cut.Find("[data-testid='lr-rule']").TextContent.Trim());
        Assert.DoesNotContain("(global)", cut.Markup);
    }

    [Fact]
    public void A_layer_with_fewer_than_ten_eigenvalues_is_not_judged()
    {
        var cut = RenderTable();

        Assert.Equal("too few eigenvalues to judge", Cells(cut, 4)[HtsrCell]); // fc: 8 eigenvalues, alpha 6.9
        Assert.Empty(Row(cut, 4).QuerySelectorAll(".mud-chip")); // no verdict, so no chip that looks like one
        Assert.Equal("under-trained", Cells(cut, 3)[HtsrCell]); // layer3.conv: 576 eigenvalues, alpha 6.5
        Assert.Equal("well-trained", Cells(cut, 2)[HtsrCell]);
    }

    [Fact]
    public void Epoch_0_trains_nothing_and_shows_the_rates_its_analysis_assigned_next()
    {
        var epoch0 = Epoch3.Select(r => r with { Epoch = 0, LearningRate = null }).ToArray();
        var cut = _ctx.Render<LayerTable>(p => p
            .Add(c => c.Layers, epoch0)
            .Add(c => c.Epoch, 0)
            .Add(c => c.Story, null)
            .Add(c => c.Next, Story(epoch0, 0.05)));

        Assert.Equal("–", Rate(cut, 3));
        Assert.Equal("epoch 0 trains nothing", Why(cut, 3));
        Assert.Equal("0.075 ×1.50", Cells(cut, 3)[NextCell]);
        Assert.Equal("alpha 7.05, the largest of the 3 tuned layers → s2 = 1.5 × η", Row(cut, 3).QuerySelectorAll("td")[NextCell].GetAttribute("title"));
        Assert.Equal("LR in epoch 0", cut.FindAll("th")[7].TextContent.Trim());
    }

    [Fact]
    public void With_TempBalance_off_every_layer_says_it_trains_at_the_global_rate()
    {
        var off = Epoch4.Select(r => r with { Tuned = false, LearningRate = 0.05 }).ToArray();
        var story = LearningRateStory.Explain(new TempBalanceOptions { Enabled = false }, [.. off.Select(r => r.ToRated())], 0.05);
        var cut = _ctx.Render<LayerTable>(p => p.Add(c => c.Layers, off).Add(c => c.Epoch, 4).Add(c => c.Story, story).Add(c => c.GlobalRate, 0.05));

        Assert.All(Enumerable.Range(0, 5), r => Assert.Equal("0.05 ×1.00", Rate(cut, r)));
        Assert.Equal("TempBalance off: every layer trains at the global learning rate", Why(cut, 2));
        Assert.Equal("TempBalance is off: no layer is tuned.", cut.Find("[data-testid='lr-tuning']").TextContent.Trim());
    }

    [Fact]
    public void The_learning_rate_legend_names_each_layer_marks_untuned_ones_and_hides_a_line_on_click()
    {
        var charts = new RunCharts([Timed(3, 30, 2), Timed(4, 30, 2)], [.. Epoch3, .. Epoch4]);
        var cut = _ctx.Render<LearningRateChartCard>(p => p.Add(c => c.Charts, charts).Add(c => c.Epochs, 10));

        var items = cut.FindAll("[data-testid='lr-legend'] button");
        Assert.Equal(["conv1", "layer1.conv", "layer2.conv", "layer3.conv", "fc"], items.Select(b => b.TextContent.Trim()));
        Assert.Equal([true, false, false, false, true], items.Select(b => b.QuerySelector(".swatch")!.ClassList.Contains("dotted")));
        Assert.Empty(cut.FindAll("[data-testid='lr-show-all']"));

        cut.FindAll("[data-testid='lr-legend'] button")[3].Click();

        Assert.Equal("false", cut.FindAll("[data-testid='lr-legend'] button")[3].GetAttribute("aria-pressed"));
        Assert.Equal(Plotly.Blazor.Traces.ScatterLib.VisibleEnum.False, ((Plotly.Blazor.Traces.Scatter)charts.LearningRates.Traces[3]).Visible);
        cut.Find("[data-testid='lr-show-all']").Click();
        Assert.All(cut.FindAll("[data-testid='lr-legend'] button"), b => Assert.Equal("true", b.GetAttribute("aria-pressed")));
        Assert.Empty(cut.FindAll("[data-testid='lr-show-all']"));
    }

    static EpochPoint Timed(int epoch, double seconds, double esd) => new(epoch, 1, 0.5, 1, 0.5, epoch == 0 ? null : 0.1, seconds, esd, []);

    [Fact]
    public void The_environment_shows_the_device_really_used_versions_data_sizes_and_epoch_wall_time()
    {
        var environment = new RunEnvironment("cpu", "AMD EPYC 7B13 (2 logical CPUs)", 2, "0.107.0", "2.10.0", "1.4.0",
            "Debian GNU/Linux 12", "lab-1", 60_000, 10_000);
        var cut = _ctx.Render<RunEnvironmentPanel>(p => p
            .Add(c => c.Environment, environment)
            .Add(c => c.Epochs, [Timed(0, 4, 0.5), Timed(1, 30, 2), Timed(2, 32, 3)])
            .Add(c => c.Samples, []));

        Assert.Equal("cpu · AMD EPYC 7B13 (2 logical CPUs)", cut.Find("[data-testid='env-device']").TextContent.Trim());
        Assert.Equal("2", cut.Find("[data-testid='env-threads']").TextContent.Trim());
        Assert.Equal("0.107.0 · 2.10.0", cut.Find("[data-testid='env-versions']").TextContent.Trim());
        Assert.Equal("1.4.0", cut.Find("[data-testid='env-app']").TextContent.Trim());
        Assert.Equal("60,000 train · 10,000 test", cut.Find("[data-testid='env-images']").TextContent.Trim());
        // Epoch 0 is the initial evaluation: not a training epoch.
        Assert.Equal("31.0 s (train and test) + 2.5 s spectral analysis, mean of 2 epochs", cut.Find("[data-testid='env-epoch-time']").TextContent.Trim());
        Assert.NotNull(cut.Find("[data-testid='system-empty']"));
    }

    [Fact]
    public void A_gpu_run_names_its_gpu_and_draws_gpu_lines_beside_cpu_and_memory()
    {
        var environment = new RunEnvironment("cuda:0", "NVIDIA H200", 16, "0.107.0", "2.10.0", "1.4.0", "Ubuntu 24.04", "gpu-1", 50_000, 10_000);
        var start = new DateTime(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);
        SystemSample[] samples = [new(start, 0, 2100, 35, 5200), new(start.AddSeconds(30), 180, 2300, 92, 5400), new(start.AddSeconds(60), 175, 2310, 90, 5400)];

        var cut = _ctx.Render<RunEnvironmentPanel>(p => p.Add(c => c.Environment, environment).Add(c => c.Epochs, []).Add(c => c.Samples, samples));

        Assert.Equal("cuda:0 · NVIDIA H200", cut.Find("[data-testid='env-device']").TextContent.Trim());
        Assert.Empty(cut.FindAll("[data-testid='env-threads']"));
        Assert.NotNull(cut.Find("[data-testid='chart-system']"));
        var traces = Web.Components.Charts.SystemChart.Traces(samples).Cast<Plotly.Blazor.Traces.Scatter>().ToList();
        Assert.Equal(["CPU %", "memory (MB)", "GPU %", "GPU memory (MB)"], traces.Select(t => t.Name));
        Assert.Equal([0.0, 0.5, 1.0], traces[2].X.Cast<double>());
        Assert.Equal([35.0, 92.0, 90.0], traces[2].Y.Cast<double>());
        Assert.Equal("y2", traces[1].YAxis);
        Assert.Equal(2, Web.Components.Charts.SystemChart.Traces([samples[0] with { GpuUtilizationPercent = null, GpuMemoryMegabytes = null }]).Count);
    }

    [Fact]
    public void Before_training_starts_the_environment_says_when_it_is_recorded()
    {
        var cut = _ctx.Render<RunEnvironmentPanel>(p => p.Add(c => c.Environment, null).Add(c => c.Epochs, []).Add(c => c.Samples, []));
        Assert.StartsWith("Recorded when training starts", cut.Find("[data-testid='environment']").TextContent.Trim());
    }
}
