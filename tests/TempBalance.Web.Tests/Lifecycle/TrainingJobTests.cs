using TempBalance.Core.Training;
using TempBalance.Web.Data;
using TempBalance.Web.Live;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Lifecycle;

/// <summary>The training job around a scripted trainer: what it stores and publishes, and how it ends a run.</summary>
public sealed class TrainingJobTests : IAsyncLifetime
{
    LifecycleHarness _h = null!;

    public async Task InitializeAsync() => _h = await LifecycleHarness.CreateAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task A_job_claims_the_run_stores_each_epoch_before_publishing_it_and_completes_it()
    {
        var id = await _h.QueueRunAsync(epochs: 2);
        await _h.Job().RunAsync(id, CancellationToken.None);

        var run = await _h.ReadAsync(id);
        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal(2, run.CompletedEpochs);
        Assert.Equal(0.6, run.FinalTestAccuracy!.Value, 12);
        Assert.Equal([RunStatus.Queued, RunStatus.Running, RunStatus.Completed], _h.StatusMessages.Select(m => m.Status));
        Assert.Equal([0, 1, 2], _h.Messages.OfType<EpochCompletedUpdate>().Select(m => m.Epoch.Epoch));
        var sequences = _h.Messages.Select(m => m.Sequence).ToList();
        Assert.Equal(sequences.Order(), sequences);
        Assert.Equal(sequences[^1], run.LastSequence);

        // Hangfire delivering the finished job again changes nothing.
        await _h.Job().RunAsync(id, CancellationToken.None);
        Assert.Single(_h.Trainers.Created);
    }

    [Fact]
    public async Task A_full_disk_fails_the_run_with_a_clear_message_and_removes_its_partial_checkpoint()
    {
        var id = await _h.QueueRunAsync(epochs: 3);
        var folder = _h.Options.RunDirectory(id);
        _h.Trainers.Script = (trainer, _) =>
        {
            trainer.ReportEpoch(0);
            // What Checkpoint.Save meets on a full disk, after part of the file is written.
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "checkpoint.bin"), "epoch 0");
            File.WriteAllText(Path.Combine(folder, "checkpoint.bin.tmp"), "half of epoch 1");
            throw new IOException($"No space left on device : '{Path.Combine(folder, "checkpoint.bin.tmp")}'", 28);
        };

        await _h.Job().RunAsync(id, CancellationToken.None);

        var run = await _h.ReadAsync(id);
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.StartsWith("The server's data folder is full (no space left on device)", run.ErrorMessage);
        Assert.Contains("resume the run", run.ErrorMessage);
        Assert.DoesNotContain(_h.DataDirectory, run.ErrorMessage);
        Assert.False(File.Exists(Path.Combine(folder, "checkpoint.bin.tmp")));
        Assert.Equal("epoch 0", File.ReadAllText(Path.Combine(folder, "checkpoint.bin")));
        Assert.Equal(0, run.CompletedEpochs);
    }

    [Fact]
    public async Task A_trainer_error_is_stored_without_native_stack_frames_or_server_paths()
    {
        var id = await _h.QueueRunAsync();
        _h.Trainers.Script = (_, _) => throw new System.Runtime.InteropServices.ExternalException(
            "CUDA out of memory. Tried to allocate 2.00 GiB\nException raised from malloc at /pytorch/c10/cuda/CUDACachingAllocator.cpp:1193\nframe #0: c10::Error::Error + 0x8f (0x7f in /usr/lib/libc10.so)");

        await _h.Job().RunAsync(id, CancellationToken.None);

        var run = await _h.ReadAsync(id);
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal("ExternalException: CUDA out of memory. Tried to allocate 2.00 GiB", run.ErrorMessage);
    }

    [Fact]
    public async Task A_cancel_stops_the_training_at_once_through_the_registered_token()
    {
        var id = await _h.QueueRunAsync(epochs: 5);
        var training = new TaskCompletionSource();
        _h.Trainers.Script = (trainer, token) =>
        {
            trainer.ReportEpoch(0);
            training.SetResult();
            token.WaitHandle.WaitOne(TimeSpan.FromSeconds(10));
            return trainer.Stopped(token.IsCancellationRequested ? "Cancelled during epoch 1." : "not cancelled");
        };

        var job = Task.Run(() => _h.Job().RunAsync(id, CancellationToken.None));
        await training.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(RunStatus.CancelRequested, (await _h.Lifecycle.CancelAsync(id, RunActor.Anonymous)).Status);
        await job.WaitAsync(TimeSpan.FromSeconds(10));

        var run = await _h.ReadAsync(id);
        Assert.Equal(RunStatus.Cancelled, run.Status);
        Assert.Equal("Cancelled during epoch 1.", run.ErrorMessage);
        Assert.Equal([RunStatus.Queued, RunStatus.Running, RunStatus.CancelRequested, RunStatus.Cancelled], _h.StatusMessages.Select(m => m.Status));
    }

    [Fact]
    public async Task A_run_stopped_by_the_app_shutting_down_stays_running_for_the_next_start()
    {
        var id = await _h.QueueRunAsync(epochs: 5);
        using var shutdown = new CancellationTokenSource();
        _h.Trainers.Script = (trainer, token) =>
        {
            trainer.ReportEpoch(0);
            shutdown.Cancel();
            return trainer.Stopped(token.IsCancellationRequested ? "Cancelled during epoch 1." : "not stopped");
        };

        await _h.Job().RunAsync(id, shutdown.Token);

        Assert.Equal(RunStatus.Running, (await _h.ReadAsync(id)).Status);
        _h.Restart();
        Assert.Equal([id], await _h.Lifecycle.RecoverAsync());
    }

    [Fact]
    public async Task A_worker_stopped_mid_run_hands_the_run_back_to_the_queue_for_another_worker_to_claim_at_once()
    {
        await _h.DisposeAsync();
        _h = await LifecycleHarness.CreateAsync(options => (options.Role, options.Database) = ("worker", "postgres"));
        var id = await _h.QueueRunAsync(epochs: 5);
        using var shutdown = new CancellationTokenSource();
        _h.Trainers.Script = (trainer, token) =>
        {
            trainer.ReportEpoch(0);
            shutdown.Cancel();
            return trainer.Stopped(token.IsCancellationRequested ? "Cancelled during epoch 1." : "not stopped");
        };

        // Ending as cancelled by the shutdown is what makes Hangfire put the job back on the queue.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _h.Job().RunAsync(id, shutdown.Token));

        var run = await _h.ReadAsync(id);
        Assert.Equal(RunStatus.Running, run.Status);
        Assert.Null(run.HeartbeatAt);
        // The next delivery, on another worker, claims it without waiting for StaleRunTimeout.
        Assert.NotNull(await _h.Lifecycle.ClaimAsync(id));
    }

    [Fact]
    public async Task A_second_delivery_while_the_first_job_trains_does_not_train_the_run_again()
    {
        var id = await _h.QueueRunAsync(epochs: 2);
        var release = new ManualResetEventSlim();
        var training = new TaskCompletionSource();
        _h.Trainers.Script = (trainer, _) =>
        {
            training.SetResult();
            release.Wait(TimeSpan.FromSeconds(10));
            return trainer.Complete();
        };

        var first = Task.Run(() => _h.Job().RunAsync(id, CancellationToken.None));
        await training.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await _h.Job().RunAsync(id, CancellationToken.None);
        release.Set();
        await first.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Single(_h.Trainers.Created);
        Assert.Equal(RunStatus.Completed, (await _h.ReadAsync(id)).Status);
    }

    [Fact]
    public async Task Finished_runs_leave_nothing_of_theirs_in_memory()
    {
        var trainers = new List<WeakReference>();
        for (int i = 0; i < 20; i++)
        {
            var id = await _h.QueueRunAsync(epochs: 1);
            using (_h.Updates.Subscribe(id, _ => { }))
                await _h.Job().RunAsync(id, CancellationToken.None);
        }
        trainers.AddRange(_h.Trainers.Created.Select(t => new WeakReference(t)));
        _h.Trainers.Created.Clear();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        // Trainers (and with them models and data in the real one), cancellation sources and subscriptions are gone;
        // per run only its last sequence number (a long) stays, so numbers keep growing.
        Assert.Equal(20, trainers.Count);
        Assert.All(trainers, t => Assert.False(t.IsAlive));
        Assert.Equal(0, _h.Cancellations.Count);
        Assert.Equal(0, _h.Updates.SubscribedRunCount);
    }
}
