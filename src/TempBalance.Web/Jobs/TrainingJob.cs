using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TempBalance.Core;
using TempBalance.Core.Training;
using TempBalance.Web.Data;
using TempBalance.Web.Live;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Jobs;

/// <summary>
/// The Hangfire job that trains one run. It takes only the run id: the config and state live in the database,
/// the weights in {DataDirectory}/runs/{id}/checkpoint.bin, so a re-queued job continues where the last stopped.
/// Per epoch it stores the metrics in one SaveChanges and only then publishes them live.
/// </summary>
public sealed class TrainingJob(
    IDbContextFactory<TempBalanceDbContext> dbFactory,
    RunLifecycle lifecycle,
    ITrainerFactory trainers,
    TrainingUpdates updates,
    RunCancellations cancellations,
    IOptions<TempBalanceWebOptions> options,
    TimeProvider time,
    ILogger<TrainingJob> logger)
{
    public const string Queue = "training";

    // Storing a run's end can fail while the disk is full; removing the run's partial files usually frees
    // enough, and a few tries give other writers time to free some.
    internal static TimeSpan FinishRetryDelay { get; set; } = TimeSpan.FromSeconds(2);
    const int FinishAttempts = 5;

    // Live batch progress is for humans watching a progress bar; more than a few per second is noise.
    static readonly TimeSpan BatchMessageInterval = TimeSpan.FromMilliseconds(250);

    /// <param name="shutdown">Supplied by Hangfire: fires when the server stops (the run stays Running and is resumed on the next start).</param>
    [Queue(Queue)]
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(long runId, CancellationToken shutdown)
    {
        var settings = options.Value;
        var run = await lifecycle.ClaimAsync(runId, shutdown);
        if (run is null) return;
        RemovePartialFiles(runId);

        var config = run.Config;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
        using var registration = cancellations.Register(runId, stop);
        var progress = new LatestProgress();
        using var heartbeatStop = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(runId, settings.HeartbeatInterval, progress, stop, heartbeatStop.Token);

        TrainingResult? result = null;
        Exception? failure = null;
        try
        {
            var trainer = trainers.Create(config, settings.RunDirectory(runId), settings.DatasetRootPath);
            var lastBatchMessage = DateTime.MinValue;
            trainer.BatchCompleted += batch =>
            {
                progress.Batch = batch;
                var now = time.GetUtcNow().UtcDateTime;
                if (now - lastBatchMessage < BatchMessageInterval && batch.Batch != batch.BatchesPerEpoch) return;
                lastBatchMessage = now;
                updates.Publish(new BatchProgressUpdate(runId, updates.NextSequence(runId, 0), batch.Epoch, batch.Batch,
                    batch.BatchesPerEpoch, batch.Loss, batch.Accuracy, batch.ImagesPerSecond, batch.Eta.TotalSeconds, batch.EpochLosses));
            };
            trainer.EpochCompleted += report => StoreEpoch(runId, config.Epochs, report, publish: true);
            trainer.Notice += notice => logger.LogWarning("Run {RunId}: {Notice}", runId, notice);
            trainer.Started += environment =>
            {
                progress.Sampler = new SystemSampler(environment.Device);
                StoreEnvironment(runId, environment);
            };
            trainer.PhaseChanged += change =>
            {
                progress.Phase = change.Phase;
                updates.Publish(new PhaseChangedUpdate(runId, updates.NextSequence(runId, 0), change.Epoch, change.Phase));
            };
            logger.LogInformation("Run {RunId}: training {Model} on {Dataset} with {Method} for {Epochs} epochs",
                runId, config.Model, config.Dataset, config.Method, config.Epochs);
            // Training blocks its thread for minutes to hours: it gets a thread of its own, not one of the thread
            // pool's few (two on a 2-core host) that serve requests and Blazor circuits. There it takes its share
            // of the cores as torch threads, so jobs side by side do not each start a thread per core.
            int threads = settings.CpuThreadsPerJob;
            result = await Task.Factory.StartNew(() =>
            {
                TorchThreads.SetForThisThread(threads);
                return trainer.Run(stop.Token);
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        finally
        {
            await heartbeatStop.CancelAsync();
            await heartbeat;
            NativeMemory.ReturnFreedMemory();
        }

        if (result is not null)
        {
            try
            {
                BackfillEpochs(runId, config.Epochs, result.Epochs);
            }
            catch (Exception ex)
            {
                (result, failure) = (null, ex);
            }
        }
        if (failure is not null)
        {
            logger.LogError(failure, "Run {RunId} failed", runId);
            RemovePartialFiles(runId);
        }
        var end = failure is null
            ? new JobEnd(result!.Outcome, result.Message, shutdown.IsCancellationRequested)
            : new JobEnd(null, FailureMessage(failure), shutdown.IsCancellationRequested);
        await FinishAsync(runId, end);
        // A worker that is being stopped hands its run straight to another worker: the run's heartbeat is
        // cleared (so the next claim need not wait for it to go stale) and the job ends as cancelled by the
        // shutdown, which makes Hangfire put it back on the queue. Alone (role all), the next start recovers it.
        if (shutdown.IsCancellationRequested && settings.NodeRole != NodeRole.All
            && await lifecycle.ReleaseAsync(runId))
        {
            logger.LogInformation("Run {RunId}: handed back to the queue for another worker, since this one is stopping", runId);
            shutdown.ThrowIfCancellationRequested();
        }
    }

    async Task FinishAsync(long runId, JobEnd end)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                var status = await lifecycle.FinishAsync(runId, end);
                if (status is not null) logger.LogInformation("Run {RunId} finished: {Status} {Message}", runId, status, end.Message);
                return;
            }
            catch (Exception ex) when (attempt < FinishAttempts && StorageFaults.Classify(ex) != StorageFault.None)
            {
                logger.LogWarning(ex, "Run {RunId}: storing its end failed ({Fault}); trying again in {Delay}", runId, StorageFaults.Classify(ex), FinishRetryDelay);
                await Task.Delay(FinishRetryDelay);
            }
        }
    }

    /// <summary>
    /// What a failed run tells its user: storage faults in words that say what to do, our own errors as they
    /// are, anything else with its type. <see cref="RunLifecycle"/> removes server paths and native frames.
    /// </summary>
    internal static string FailureMessage(Exception failure) => StorageFaults.Classify(failure) switch
    {
        StorageFault.Full => "The server's data folder is full (no space left on device), so this run could not write its checkpoint or metrics. " +
                             "Its partial files were removed; earlier checkpoints are intact. Free some space, then resume the run.",
        StorageFault.ReadOnly => "The server's data folder became read-only, so this run could not write its checkpoint or metrics. " +
                                 "Make the folder writable again, then resume the run.",
        _ => failure is ArgumentException or FileNotFoundException or InvalidDataException
            ? failure.Message
            : $"{failure.GetType().Name}: {failure.Message}",
    };

    /// <summary>Removes temporary files a failed or killed write left in the run's folder (a partial checkpoint).</summary>
    void RemovePartialFiles(long runId)
    {
        var folder = options.Value.RunDirectory(runId);
        if (!Directory.Exists(folder)) return;
        foreach (var partial in Directory.EnumerateFiles(folder, "*.tmp"))
        {
            try
            {
                File.Delete(partial);
                logger.LogInformation("Run {RunId}: removed the partial file {File}", runId, Path.GetFileName(partial));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning(e, "Run {RunId}: could not remove the partial file {File}", runId, partial);
            }
        }
    }

    /// <summary>
    /// Stores one epoch report: epoch row, layer rows, spectra and the run's summary columns in one SaveChanges.
    /// Rows of that epoch are replaced, so an epoch reported again after a restart is never stored twice.
    /// </summary>
    internal void StoreEpoch(long runId, int plannedEpochs, EpochReport report, bool publish)
    {
        using var db = dbFactory.CreateDbContext();
        using var transaction = db.Database.BeginTransaction();
        db.EpochMetrics.Where(e => e.RunId == runId && e.Epoch == report.Epoch).ExecuteDelete();
        db.LayerMetrics.Where(l => l.RunId == runId && l.Epoch == report.Epoch).ExecuteDelete();
        db.LayerSpectra.Where(s => s.RunId == runId && s.Epoch == report.Epoch).ExecuteDelete();

        var run = db.Runs.Single(r => r.Id == runId);
        var now = time.GetUtcNow().UtcDateTime;
        var epoch = new EpochMetric
        {
            RunId = runId,
            Epoch = report.Epoch,
            TrainLoss = Finite(report.TrainLoss),
            TrainAccuracy = Finite(report.TrainAccuracy),
            TestLoss = Finite(report.TestLoss),
            TestAccuracy = Finite(report.TestAccuracy),
            LearningRate = report.LearningRate,
            EpochSeconds = report.EpochSeconds,
            EsdSeconds = report.EsdSeconds,
            RecordedAt = now,
            BatchLosses = report.BatchLosses is { Count: > 0 } points ? BatchLossBlob.Pack(report.Epoch, points) : null,
        };
        var layers = report.Layers.Select(l => new LayerMetric
        {
            RunId = runId,
            Epoch = report.Epoch,
            LayerIndex = l.Index,
            Name = l.Name,
            Kind = l.Kind,
            EigsNum = l.EigsNum,
            Alpha = Finite(l.Alpha),
            D = Finite(l.D),
            Xmin = Finite(l.Xmin),
            SpectralNorm = Finite(l.SpectralNorm),
            AlphaWeighted = Finite(l.AlphaWeighted),
            LearningRate = Finite(l.LearningRate),
            NextLearningRate = l.NextLearningRate,
            Tuned = l.Tuned,
            FitError = l.FitError,
            J = Finite(l.J),
            J0 = Finite(l.J0),
        }).ToList();
        db.EpochMetrics.Add(epoch);
        db.LayerMetrics.AddRange(layers);
        db.LayerSpectra.AddRange(report.Layers.Select(l => new LayerSpectrum
        {
            RunId = runId,
            Epoch = report.Epoch,
            LayerIndex = l.Index,
            Histogram = EsdHistogramBlob.Pack(l.Histogram),
        }));

        // Best accuracy counts trained epochs only; epoch 0 is the untrained network.
        if (report.Epoch >= 1 && epoch.TestAccuracy is { } accuracy)
        {
            run.BestTestAccuracy = Math.Max(run.BestTestAccuracy ?? double.MinValue, accuracy);
            if (report.Epoch >= (run.CompletedEpochs ?? -1)) run.FinalTestAccuracy = accuracy;
        }
        run.CompletedEpochs = Math.Max(run.CompletedEpochs ?? -1, report.Epoch);
        run.HeartbeatAt = now;
        long epochSequence = 0, layerSequence = 0;
        if (publish)
        {
            epochSequence = updates.NextSequence(runId, run.LastSequence);
            layerSequence = updates.NextSequence(runId, epochSequence);
            run.LastSequence = layerSequence;
        }
        db.SaveChanges();
        transaction.Commit();

        if (!publish) return;
        updates.Publish(new EpochCompletedUpdate(runId, epochSequence, plannedEpochs, epoch.ToPoint()));
        updates.Publish(new LayerMetricsUpdate(runId, layerSequence, report.Epoch, layers.Select(l => l.ToPoint()).ToList()));
    }

    /// <summary>
    /// The trainer checkpoints before it reports an epoch, so a crash between the two leaves an epoch in the
    /// checkpoint that the database lacks; the final result lists every epoch, so store the missing ones now.
    /// </summary>
    void BackfillEpochs(long runId, int plannedEpochs, IReadOnlyList<EpochReport> epochs)
    {
        using var db = dbFactory.CreateDbContext();
        var stored = db.EpochMetrics.Where(e => e.RunId == runId).Select(e => e.Epoch).ToHashSet();
        foreach (var report in epochs.Where(e => !stored.Contains(e.Epoch)))
        {
            logger.LogInformation("Run {RunId}: storing epoch {Epoch} that was checkpointed but not yet stored", runId, report.Epoch);
            StoreEpoch(runId, plannedEpochs, report, publish: true);
        }
    }

    /// <summary>
    /// Every interval: records that the job is alive with its latest progress, and stops training when the
    /// database says cancel was requested (by a request on another instance, or one that missed this process).
    /// </summary>
    async Task HeartbeatAsync(long runId, TimeSpan interval, LatestProgress progress, CancellationTokenSource stop, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    var batch = progress.Batch;
                    var phase = progress.Phase;
                    var now = time.GetUtcNow().UtcDateTime;
                    long sequence = updates.CurrentSequence(runId);
                    await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
                    if (progress.Sampler?.Sample() is { } sample)
                    {
                        db.SystemMetrics.Add(new SystemMetric
                        {
                            RunId = runId,
                            At = sample.At,
                            CpuPercent = sample.CpuPercent,
                            MemoryMegabytes = sample.MemoryMegabytes,
                            GpuUtilizationPercent = sample.GpuUtilizationPercent,
                            GpuMemoryMegabytes = sample.GpuMemoryMegabytes,
                        });
                        await db.SaveChangesAsync(cancellationToken);
                    }
                    await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s
                        .SetProperty(r => r.HeartbeatAt, now)
                        .SetProperty(r => r.Phase, phase)
                        .SetProperty(r => r.ProgressEpoch, r => batch == null ? r.ProgressEpoch : batch.Epoch)
                        .SetProperty(r => r.ProgressBatch, r => batch == null ? r.ProgressBatch : batch.Batch)
                        .SetProperty(r => r.BatchesPerEpoch, r => batch == null ? r.BatchesPerEpoch : batch.BatchesPerEpoch)
                        .SetProperty(r => r.EtaSeconds, r => batch == null ? r.EtaSeconds : batch.Eta.TotalSeconds)
                        .SetProperty(r => r.LastSequence, r => sequence > r.LastSequence ? sequence : r.LastSequence), cancellationToken);
                    var status = await db.Runs.Where(r => r.Id == runId).Select(r => r.Status).SingleAsync(cancellationToken);
                    if (status == RunStatus.CancelRequested && !stop.IsCancellationRequested)
                    {
                        logger.LogInformation("Run {RunId}: cancel requested; stopping after the current batch", runId);
                        await stop.CancelAsync();
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Run {RunId}: heartbeat failed; retrying in {Interval}", runId, interval);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;

    sealed class LatestProgress
    {
        public volatile BatchProgress? Batch;
        public volatile SystemSampler? Sampler;
        volatile int phase = -1;

        public TrainingPhase? Phase
        {
            get => phase < 0 ? null : (TrainingPhase)phase;
            set => phase = value is { } p ? (int)p : -1;
        }
    }

    void StoreEnvironment(long runId, RunEnvironment environment)
    {
        using var db = dbFactory.CreateDbContext();
        var json = System.Text.Json.JsonSerializer.Serialize(environment, RunJson.Options);
        db.Runs.Where(r => r.Id == runId).ExecuteUpdate(s => s.SetProperty(r => r.EnvironmentJson, json));
    }
}
