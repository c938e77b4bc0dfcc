using Bunit;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using Plotly.Blazor.Traces;
using TempBalance.Core.Training;
using TempBalance.Web.Components.Charts;
using TempBalance.Web.Components.Runs;
using TempBalance.Web.Data;
using TempBalance.Web.Live;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Components;

/// <summary>
/// The run page's edge-of-chaos panel over a stored run of the paper's network: J per layer with the line J = 1,
/// the hidden layer's path through the phase diagram with the best epoch, the guideline in words, and a live epoch.
/// </summary>
public sealed class EdgeOfChaosPanelTests : IAsyncLifetime
{
    readonly BunitContext _ctx = new();
    readonly string _folder = Directory.CreateTempSubdirectory("tempbalance-panel-").FullName;
    readonly TrainingUpdates _updates = new(NullLogger<TrainingUpdates>.Instance);
    RunService _runs = null!;
    IDbContextFactory<TempBalanceDbContext> _db = null!;

    // J^2 = 0.25 + 0.05 t: the ordered phase's linear growth (slope 0.05), reaching J = 1 at epoch 15.
    static double J(int epoch) => Math.Sqrt(0.25 + 0.05 * epoch);

    static double J0(int epoch) => 0.02 * epoch;

    // Lowest at epoch 4.
    static double TestLoss(int epoch) => 1 + 0.05 * (epoch - 4) * (epoch - 4);

    public async Task InitializeAsync()
    {
        var connection = $"Data Source={Path.Combine(_folder, "panel.db")}";
        await using (var migrations = new SqliteMigrationsContext(new DbContextOptionsBuilder<SqliteMigrationsContext>().UseSqlite(connection).Options))
            await migrations.Database.MigrateAsync();
        var services = new ServiceCollection();
        services.AddDbContextFactory<TempBalanceDbContext>(db => db.UseSqlite(connection));
        _db = services.BuildServiceProvider().GetRequiredService<IDbContextFactory<TempBalanceDbContext>>();
        var options = Options.Create(new TempBalanceWebOptions { DataDirectory = _folder });
        var lifecycle = new RunLifecycle(_db, new NoJobs(), _updates, new RunCancellations(), new UserMessageCleaner(options), options,
            TimeProvider.System, NullLogger<RunLifecycle>.Instance);
        _runs = new RunService(_db, lifecycle, _updates, options);
        _ctx.Services.AddMudServices();
        _ctx.Services.AddSingleton(_runs);
        _ctx.Services.AddSingleton(_updates);
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        _ctx.SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    public async Task DisposeAsync()
    {
        await _ctx.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    async Task<long> StoreRunAsync(string model, int epochs)
    {
        await using var db = await _db.CreateDbContextAsync();
        var config = new TrainingConfig { Model = model, Dataset = "mnist", Epochs = 30, Lr = 0.01, Momentum = 0.9, BatchSize = 32, WeightDecay = 0 };
        var run = Run.For(config, RunStatus.Running, DateTime.UtcNow);
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        for (int e = 0; e <= epochs; e++)
        {
            db.EpochMetrics.Add(new EpochMetric { RunId = run.Id, Epoch = e, TestLoss = TestLoss(e), TestAccuracy = 0.9, RecordedAt = DateTime.UtcNow });
            db.LayerMetrics.Add(Layer(run.Id, e, 0, "fc1", J(e), J0(e)));
            db.LayerMetrics.Add(Layer(run.Id, e, 1, "fc2", 1.3, 0.1));
        }
        await db.SaveChangesAsync();
        return run.Id;
    }

    static LayerMetric Layer(long runId, int epoch, int index, string name, double j, double j0) =>
        new() { RunId = runId, Epoch = epoch, LayerIndex = index, Name = name, Kind = "Linear", EigsNum = 10, J = j, J0 = j0, NextLearningRate = 0.01 };

    async Task<IRenderedComponent<EdgeOfChaosPanel>> RenderAsync(long id)
    {
        var details = (await _runs.GetAsync(id))!;
        var epochs = (await _runs.GetEpochsAsync(id))!;
        var layers = (await _runs.GetLayersAsync(id))!;
        var cut = _ctx.Render<EdgeOfChaosPanel>(p => p.Add(c => c.Details, details).Add(c => c.Epochs, epochs).Add(c => c.Layers, layers));
        cut.WaitForElement("[data-testid='edge-of-chaos']");
        return cut;
    }

    static ChartFeed Feed(IRenderedComponent<EdgeOfChaosPanel> cut, string id) =>
        cut.FindComponents<LiveChart>().Single(c => c.Instance.Id == id).Instance.Feed;

    static Scatter Trace(ChartFeed feed, string name) => feed.Traces.OfType<Scatter>().Single(t => t.Name == name);

    [Fact]
    public async Task A_fully_connected_run_shows_J_with_the_edge_line_its_path_through_the_phase_diagram_the_best_epoch_and_the_guideline()
    {
        var id = await StoreRunAsync("mlp-tanh", epochs: 10);
        var cut = await RenderAsync(id);

        var j = Feed(cut, "chart-j");
        var edge = Trace(j, "J = 1 (edge of chaos)");
        Assert.Equal([1.0, 1.0], edge.Y.Cast<double>());
        Assert.Equal([0.0, 30.0], edge.X.Cast<double>());
        Assert.Equal(Enumerable.Range(0, 11).Select(e => J(e)), Trace(j, "0 fc1").Y.Cast<double>());
        Assert.Equal(Enumerable.Repeat(1.3, 11), Trace(j, "1 fc2").Y.Cast<double>());

        // The hidden layer's path in the (J0/J, 1/J) plane, one point per epoch; the classifier is not in the diagram.
        var phase = Feed(cut, "chart-phase");
        var path = Trace(phase, "layer 0 fc1");
        Assert.Equal(Enumerable.Range(0, 11).Select(e => 1 / J(e)), path.Y.Cast<double>());
        Assert.Equal(Enumerable.Range(0, 11).Select(e => J0(e) / J(e)), path.X.Cast<double>());
        Assert.DoesNotContain(phase.Traces.OfType<Scatter>(), t => t.Name.Contains("fc2"));
        var best = phase.Traces.OfType<Scatter>().Single(t => t.Name.StartsWith("best epoch", StringComparison.Ordinal));
        Assert.Equal("best epoch 4 (J = 0.67)", best.Name);
        Assert.Equal([1 / J(4)], best.Y.Cast<double>());
        Assert.Contains(phase.Traces.OfType<Scatter>(), t => t.Name == "edge of chaos");

        var text = cut.Find("[data-testid='guideline']").TextContent;
        Assert.Contains("at this slope the model reaches the edge at epoch ≈ 15", text);
        Assert.Contains("Lowest test (validation) loss so far at epoch 4, J = 0.67.", text);
        Assert.DoesNotContain("ReLU", text);

        // A live epoch extends the path; its loss is lower, so it becomes the best epoch.
        var layers = new[] { Layer(id, 11, 0, "fc1", J(11), J0(11)).ToPoint(), Layer(id, 11, 1, "fc2", 1.3, 0.1).ToPoint() };
        _updates.Publish(new EpochCompletedUpdate(id, 100, 30, new EpochPoint(11, 0.1, 0.9, 0.5, 0.95, 0.01, 1, 0.1, [])));
        _updates.Publish(new LayerMetricsUpdate(id, 101, 11, layers));
        cut.WaitForAssertion(() => Assert.Contains("Lowest test (validation) loss so far at epoch 11", cut.Find("[data-testid='guideline']").TextContent));
        Assert.Equal(12, Trace(Feed(cut, "chart-phase"), "layer 0 fc1").Y.Count);
    }

    [Fact]
    public async Task A_convolutional_run_shows_J_only()
    {
        var id = await StoreRunAsync("resnet18", epochs: 2);
        var cut = await RenderAsync(id);

        Assert.Single(cut.FindComponents<LiveChart>());
        Assert.Empty(cut.FindAll("[data-testid='guideline']"));
        Assert.Equal(3, Trace(Feed(cut, "chart-j"), "0 fc1").Y.Count);
    }

    sealed class NoJobs : IBackgroundJobClient
    {
        public string Create(Job job, IState state) => throw new NotSupportedException("The panel queues nothing.");

        public bool ChangeState(string jobId, IState state, string expectedState) => throw new NotSupportedException("The panel queues nothing.");
    }
}
