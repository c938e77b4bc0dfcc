using System.Diagnostics;
using TempBalance.Core.Data;
using TempBalance.Core.Models;
using TempBalance.Core.Scheduling;
using TorchSharp;
using static TorchSharp.torch;

namespace TempBalance.Core.Training;

/// <summary>
/// Trains one run: loads the data onto the device, builds the model and the method, then for every epoch
/// trains, evaluates, lets the method analyse the weights and set the next learning rates, checkpoints and
/// reports. Epoch 0 reports the initial weights. A run directory with a checkpoint is continued. Runs that share
/// a <see cref="IDatasetSource"/> such as a <see cref="DatasetCache"/> read their dataset's files once between them.
/// </summary>
public sealed class Trainer(TrainingConfig config, string runDirectory, string dataRoot, IDatasetSource? datasets = null) : ITrainer
{
    const int EvaluationBatchSize = 500;

    // Epoch 0 has no training pass; its "train" metrics are measured on this many training images instead.
    const int InitialTrainSample = 10_000;

    public event Action<BatchProgress>? BatchCompleted;
    public event Action<EpochReport>? EpochCompleted;

    /// <summary>Something about how this run trains that its user should know (once, before the first epoch).</summary>
    public event Action<string>? Notice;

    /// <summary>Where the run trains and on how much data, once the data and model are loaded (also in results.json).</summary>
    public event Action<RunEnvironment>? Started;

    /// <summary>The run moved on to training, the test pass or the spectral analysis of an epoch.</summary>
    public event Action<PhaseChange>? PhaseChanged;

    RunEnvironment? environment;

    public TrainingConfig Config { get; } = config;

    public TrainingResult Run(CancellationToken cancellationToken)
    {
        var errors = TrainingConfigValidator.Validate(Config, dataRoot);
        if (errors.Count > 0)
            throw new ArgumentException("Invalid training configuration: " + string.Join(" ", errors.Select(e => $"{e.Field}: {e.Message}")));

        var device = TorchDevices.Resolve(Config.Device);
        var info = DatasetCatalog.Get(Config.Dataset);
        torch.random.manual_seed(Config.Seed);
        using var pipeline = new InputPipeline(
            datasets?.Load(Config.Dataset, dataRoot, Config.Subset, Config.KeepFullTestSet)
                ?? DatasetLoader.Load(Config.Dataset, dataRoot, Config.Subset, Config.KeepFullTestSet), device, Config.Augment && info.Channels == 3,
            normalise: !ModelFactory.TakesUnitRangePixels(Config.Model));
        using var model = ModelFactory.Create(Config.Model, info.Classes, info.Channels, info.ImageSize, Config.WidthFactor);
        model.to(device);
        // oneDNN off for the whole run where its forward kernels are wrong for this model, else around each backward
        // pass where only those are (CpuConvolutionWorkaround). Turning it off fails here, before any epoch, where it
        // cannot be done.
        var oneDnnOff = CpuConvolutionWorkaround.ScopeFor(model, device);
        using var oneDnnOffForRun = oneDnnOff == OneDnnOffScope.WholeRun ? CpuConvolutionWorkaround.OneDnnOff() : null;
        bool oneDnnOffForBackward = oneDnnOff == OneDnnOffScope.BackwardPasses;
        if (oneDnnOffForBackward) CpuConvolutionWorkaround.OneDnnOff().Dispose();
        if (oneDnnOff != OneDnnOffScope.None) Notice?.Invoke(CpuConvolutionWorkaround.Notice(model));
        environment = RunEnvironment.Describe(device, pipeline.TrainCount, pipeline.TestCount);
        Started?.Invoke(environment);
        using var method = TrainingMethods.Create(Config, model);
        using var dataGenerator = new Generator((ulong)Config.Seed);
        var globalSchedule = GlobalSchedule.Create(Config.Schedule, Config.Lr, Config.Epochs, Config.WarmupEpochs, Config.Sgdr.T0, Config.Sgdr.TMult);
        Func<int, double> schedule = globalSchedule.ForEpoch;

        List<EpochReport> epochs;
        long step;
        if (Checkpoint.Exists(runDirectory))
        {
            var state = Checkpoint.Load(runDirectory, model, method.Optimizer, dataGenerator, Config);
            epochs = [.. state.Epochs];
            step = state.Step;
        }
        else
        {
            // A resumed run's weights all come from its checkpoint; a fresh one draws them from its seed.
            SeededInitialization.Apply(model, Config.Seed);
            step = 0;
            try
            {
                epochs = [InitialReport(model, method, pipeline, schedule(1), cancellationToken)];
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return End(RunOutcome.Cancelled, "Cancelled while evaluating the initial weights (epoch 0); no epoch is kept.", []);
            }
            Finish(epochs, step, model, method, dataGenerator);
        }

        int batches = InputPipeline.BatchCount(pipeline.TrainCount, Config.BatchSize);
        var clock = Stopwatch.StartNew();
        long stepsAtStart = step;
        for (int epoch = epochs[^1].Epoch + 1; epoch <= Config.Epochs; epoch++)
        {
            double lr = schedule(epoch);
            method.Optimizer.BeginEpoch(epoch);
            PhaseChanged?.Invoke(new PhaseChange(epoch, TrainingPhase.Training));
            var epochClock = Stopwatch.StartNew();
            model.train();
            using var order = pipeline.Shuffle(dataGenerator);
            double lossSum = 0, correct = 0;
            long seen = 0;
            var lossCurve = new BatchLossCurve(epoch, batches);
            BatchLossPoint[] lossPoints = [];
            for (int batch = 0; batch < batches; batch++)
            {
                if (cancellationToken.IsCancellationRequested)
                    return End(RunOutcome.Cancelled, $"Cancelled during epoch {epoch}, batch {batch + 1}; epochs up to {epoch - 1} are kept.", epochs);

                using var scope = NewDisposeScope();
                var (images, labels) = pipeline.TrainBatch(order, batch, Config.BatchSize, dataGenerator);
                var logits = model.forward(images);
                var loss = nn.functional.cross_entropy(logits, labels);
                var stats = stack([loss.detach(), logits.argmax(1).eq(labels).sum().to(ScalarType.Float32)]).cpu().data<float>().ToArray();
                if (!float.IsFinite(stats[0]))
                    return End(RunOutcome.Diverged,
                        $"Diverged: the loss became {stats[0]} at epoch {epoch}, batch {batch + 1}. Lower the learning rate (now {lr:G4}) or the LR ratios and start again.",
                        epochs);

                method.Optimizer.ZeroGrad();
                using (oneDnnOffForBackward ? CpuConvolutionWorkaround.OneDnnOff() : null)
                    loss.backward();
                method.Optimizer.Step();
                step++;
                method.AfterStep(step, lr);

                long size = labels.shape[0];
                seen += size;
                lossSum += stats[0] * size;
                correct += stats[1];
                if (lossCurve.Add(batch + 1, stats[0])) lossPoints = [.. lossCurve.Points];
                if (BatchCompleted is { } batchCompleted)
                {
                    double secondsPerStep = clock.Elapsed.TotalSeconds / (step - stepsAtStart);
                    long stepsLeft = (long)(Config.Epochs - epoch) * batches + (batches - batch - 1);
                    batchCompleted(new BatchProgress(epoch, batch + 1, batches, stats[0], stats[1] / size,
                        seen / epochClock.Elapsed.TotalSeconds, TimeSpan.FromSeconds(secondsPerStep * stepsLeft), lossPoints));
                }
            }

            // Evaluating a large test set takes a while; a stop request (cancel, or the app shutting down with a
            // container's few seconds of grace) should not wait for it. The epoch is then trained again on resume.
            double testLoss, testAccuracy;
            PhaseChanged?.Invoke(new PhaseChange(epoch, TrainingPhase.Evaluating));
            try
            {
                (testLoss, testAccuracy) = Evaluate(model, pipeline.TestCount, pipeline.TestBatch, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return End(RunOutcome.Cancelled, $"Cancelled while evaluating epoch {epoch}; epochs up to {epoch - 1} are kept.", epochs);
            }
            double epochSeconds = epochClock.Elapsed.TotalSeconds;
            PhaseChanged?.Invoke(new PhaseChange(epoch, TrainingPhase.SpectralAnalysis));
            var analysis = method.Prepare(schedule(epoch + 1));
            // The rates this epoch trained with are the ones the previous analysis assigned.
            var trainedWith = epochs[^1].Layers.ToDictionary(l => l.Index, l => l.NextLearningRate);
            var layers = analysis.Layers.Select(l => l with { LearningRate = trainedWith.TryGetValue(l.Index, out var rate) ? rate : null }).ToList();
            var report = new EpochReport(epoch, lossSum / seen, correct / seen, testLoss, testAccuracy, lr,
                epochSeconds, analysis.EsdSeconds, layers, lossPoints);
            epochs.Add(report);
            Finish(epochs, step, model, method, dataGenerator);
        }
        return End(RunOutcome.Completed, null, epochs);
    }

    EpochReport InitialReport(nn.Module<Tensor, Tensor> model, ITrainingMethod method, InputPipeline pipeline, double lr, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        PhaseChanged?.Invoke(new PhaseChange(0, TrainingPhase.Evaluating));
        var (trainLoss, trainAccuracy) = Evaluate(model, Math.Min(pipeline.TrainCount, InitialTrainSample), pipeline.PlainTrainBatch, cancellationToken);
        var (testLoss, testAccuracy) = Evaluate(model, pipeline.TestCount, pipeline.TestBatch, cancellationToken);
        double seconds = clock.Elapsed.TotalSeconds;
        PhaseChanged?.Invoke(new PhaseChange(0, TrainingPhase.SpectralAnalysis));
        var analysis = method.Prepare(lr);
        return new EpochReport(0, trainLoss, trainAccuracy, testLoss, testAccuracy, null, seconds, analysis.EsdSeconds, analysis.Layers);
    }

    /// <summary>Checkpoints, writes the results so far, then tells listeners (who may stop the process at once).</summary>
    void Finish(List<EpochReport> epochs, long step, nn.Module model, ITrainingMethod method, Generator dataGenerator)
    {
        var lrs = method.Optimizer.Groups.Select(g => g.LearningRate).ToList();
        Checkpoint.Save(runDirectory, new CheckpointState(Config, epochs[^1].Epoch, step, epochs, lrs), model, method.Optimizer, dataGenerator);
        ResultsWriter.Write(runDirectory, Config, null, $"In progress: epoch {epochs[^1].Epoch} of {Config.Epochs} done.", epochs, environment);
        EpochCompleted?.Invoke(epochs[^1]);
    }

    TrainingResult End(RunOutcome outcome, string? message, List<EpochReport> epochs)
    {
        ResultsWriter.Write(runDirectory, Config, outcome, message, epochs, environment);
        return new TrainingResult(outcome, message, epochs);
    }

    static (double Loss, double Accuracy) Evaluate(nn.Module<Tensor, Tensor> model, long count, Func<int, int, (Tensor, Tensor)> batchOf,
        CancellationToken cancellationToken)
    {
        model.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var lossSum = zeros(1, dtype: ScalarType.Float64);
        var correct = zeros(1, dtype: ScalarType.Float64);
        int batches = InputPipeline.BatchCount(count, EvaluationBatchSize);
        for (int b = 0; b < batches; b++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var batchScope = NewDisposeScope();
            var (images, labels) = batchOf(b, EvaluationBatchSize);
            if (b == batches - 1 && count % EvaluationBatchSize != 0)
            {
                long keep = count - (long)b * EvaluationBatchSize;
                images = images.narrow(0, 0, keep);
                labels = labels.narrow(0, 0, keep);
            }
            var logits = model.forward(images);
            lossSum.add_(nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).cpu().to(ScalarType.Float64));
            correct.add_(logits.argmax(1).eq(labels).sum().cpu().to(ScalarType.Float64));
        }
        return (lossSum.item<double>() / count, correct.item<double>() / count);
    }
}
