using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor.Services;
using TempBalance.Core.Training;
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

    void Phase(int epoch, TrainingPhase phase) => _updates.Publish(new PhaseChangedUpdate(7, 0, epoch, phase));

    [Fact]
    public void After_the_last_batch_the_status_says_the_run_evaluates_then_analyses_instead_of_a_frozen_batch_count()
    {
        var cut = Render(RunStatus.Running, completed: 2, stored: null);
        Batch(7, 3, 100);
        cut.WaitForAssertion(() => Assert.StartsWith("2 of 10 epochs · epoch 3: batch 100/100", Text(cut)), TimeSpan.FromSeconds(5));

        Phase(3, TrainingPhase.Evaluating);
        cut.WaitForAssertion(() => Assert.StartsWith("2 of 10 epochs · epoch 3: evaluating on the test set", Text(cut)), TimeSpan.FromSeconds(5));
        Phase(3, TrainingPhase.SpectralAnalysis);
        cut.WaitForAssertion(() => Assert.StartsWith("2 of 10 epochs · epoch 3: spectral analysis of the layers", Text(cut)), TimeSpan.FromSeconds(5));

        // Epoch 3 stored; epoch 4 starts training and its first batch takes over.
        cut.Render(p => p.Add(c => c.CompletedEpochs, 3));
        Phase(4, TrainingPhase.Training);
        Batch(7, 4, 1);
        cut.WaitForAssertion(() => Assert.StartsWith("3 of 10 epochs · epoch 4: batch 1/100", Text(cut)), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void The_initial_weights_are_evaluated_before_any_epoch_is_stored()
    {
        var cut = Render(RunStatus.Running, completed: null, stored: null);
        Phase(0, TrainingPhase.Evaluating);
        cut.WaitForAssertion(() => Assert.Equal("0 of 10 epochs · initial weights: evaluating on the test set", Text(cut)), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void A_page_opened_during_the_spectral_analysis_shows_it_from_the_stored_progress()
    {
        var cut = Render(RunStatus.Running, completed: 5, stored: new RunProgress(6, 391, 391, 600, TrainingPhase.SpectralAnalysis));
        Assert.Equal("5 of 10 epochs · epoch 6: spectral analysis of the layers · ETA 10m 00s", Text(cut));
        Assert.Equal(0.6, EpochProgress.Fraction(10, 5, new RunProgress(6, 391, 391, 600, TrainingPhase.SpectralAnalysis)), 12);
    }

    [Fact]
    public void A_queued_run_waits_for_a_worker()
    {
        var cut = Render(RunStatus.Queued, completed: null, stored: null);
        Assert.Equal("waiting for a worker", Text(cut));
    }
}
