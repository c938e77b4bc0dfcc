using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor.Services;
using TempBalance.Web.Components.Runs;
using TempBalance.Web.Data;
using TempBalance.Web.Live;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Components;

public class RunProgressBarTests : IAsyncLifetime
{
    readonly BunitContext _ctx = new();
    readonly TrainingUpdates _updates = new(NullLogger<TrainingUpdates>.Instance);

    public RunProgressBarTests()
    {
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        _ctx.Services.AddMudServices();
        _ctx.Services.AddSingleton(_updates);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _ctx.DisposeAsync();

    IRenderedComponent<RunProgressBar> Render(RunStatus status, int? completed, RunProgress? stored) =>
        _ctx.Render<RunProgressBar>(p => p
            .Add(c => c.RunId, 7)
            .Add(c => c.Status, status)
            .Add(c => c.Epochs, 10)
            .Add(c => c.CompletedEpochs, completed)
            .Add(c => c.Progress, stored));

    void Batch(long runId, int epoch, int batch) =>
        _updates.Publish(new BatchProgressUpdate(runId, 0, epoch, batch, 100, 0.5, 0.8, 1000, 90, []));

    static string Text(IRenderedComponent<RunProgressBar> cut) => cut.Find("[data-testid='progress-text']").TextContent.Trim();

    [Fact]
    public void Shows_the_stored_progress_then_the_newest_batch_message_of_its_own_run()
    {
        var cut = Render(RunStatus.Running, completed: 2, stored: new RunProgress(3, 10, 100, 120));
        Assert.Equal("2 of 10 epochs · epoch 3: batch 10/100 · ETA 2m 00s", Text(cut));
        Assert.Empty(cut.FindAll("[data-testid='batch-metrics']")); // the stored progress has no loss

        // Three messages within the 250 ms render interval: the last one is shown once the interval has passed.
        Batch(7, 3, 40);
        Batch(7, 3, 41);
        Batch(7, 3, 42);
        Batch(8, 3, 99); // another run's
        cut.WaitForAssertion(() => Assert.StartsWith("2 of 10 epochs · epoch 3: batch 42/100", Text(cut)), TimeSpan.FromSeconds(5));
        Assert.Contains("ETA 1m 30s · batch loss", Text(cut));
        Assert.Equal("· batch loss 0.500 · batch accuracy 80.00 % · 1,000 images/s", cut.Find("[data-testid='batch-metrics']").TextContent.Trim());
    }

    [Fact]
    public void A_resumed_run_shows_its_epoch_starting_again()
    {
        var cut = Render(RunStatus.Running, completed: 2, stored: new RunProgress(3, 80, 100, null));
        Batch(7, 3, 1);
        cut.WaitForAssertion(() => Assert.StartsWith("2 of 10 epochs · epoch 3: batch 1/100", Text(cut)), TimeSpan.FromSeconds(5));

        // A reload of the run (status change) brings the stale heartbeat value back: live messages stay in charge.
        cut.Render(p => p.Add(c => c.Progress, new RunProgress(3, 80, 100, null)));
        Assert.StartsWith("2 of 10 epochs · epoch 3: batch 1/100", Text(cut));
    }

    [Fact]
    public void A_queued_run_waits_for_a_worker()
    {
        var cut = Render(RunStatus.Queued, completed: null, stored: null);
        Assert.Equal("waiting for a worker", Text(cut));
    }
}
