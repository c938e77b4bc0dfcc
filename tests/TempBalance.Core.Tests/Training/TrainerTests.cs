using System.Text.Json;
using TempBalance.Core.Models;
using TempBalance.Core.Scheduling;
using TempBalance.Core.Spectral;
using TempBalance.Core.Training;
using static TorchSharp.torch;

namespace TempBalance.Core.Tests.Training;

/// <summary>Whole runs on 512 synthetic images (4 batches per epoch), so each takes a few seconds.</summary>
public sealed class TrainerTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("tb-runs-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    static readonly TrainingConfig Small = new()
    {
        Model = "smallcnn",
        Dataset = "synthetic",
        Method = "baseline",
        TempBalance = new TempBalanceOptions { Enabled = false },
        Epochs = 2,
        BatchSize = 128,
        Lr = 0.05,
        Subset = 512,
        Device = "cpu",
    };

    // A narrow ResNet18: 19 tuned layers, so per-layer learning rates are worth comparing.
    static readonly TrainingConfig NarrowResNet = Small with { Model = "resnet18", WidthFactor = 0.25, Method = "tb", TempBalance = new TempBalanceOptions(), Epochs = 3 };

    string Dir(string name) => Path.Combine(root, name);

    [Fact]
    public void A_resnet_with_8_channel_layers_trains_on_the_cpu_without_diverging()
    {
        // oneDNN's wrong input gradients for 8-channel convolutions made this run's loss NaN within its first
        // batches (CpuConvolutionWorkaround); PyTorch's own kernels are used while it trains.
        var config = Small with { Model = "resnet18", WidthFactor = 0.125, BatchSize = 64 };
        var losses = new List<double>();
        var trainer = new Trainer(config, Dir("resnet-8-channels"), root);
        var notices = new List<string>();
        trainer.BatchCompleted += b => losses.Add(b.Loss);
        trainer.Notice += notices.Add;

        var result = trainer.Run(CancellationToken.None);

        Assert.True(result.Outcome == RunOutcome.Completed, result.Message);
        Assert.Equal(16, losses.Count);
        Assert.All(losses, loss => Assert.True(double.IsFinite(loss)));
        Assert.True(CpuConvolutionWorkaround.OneDnnEnabled);
        var notice = Assert.Single(notices);
        Assert.Contains("layer1.0.conv1", notice);
        Assert.DoesNotContain("layer2.0.conv1", notice);
    }

    [Fact]
    public void A_baseline_run_reports_epoch_0_to_E_with_per_layer_spectra_and_writes_results()
    {
        var trainer = new Trainer(Small, Dir("baseline"), root);
        var epochs = new List<EpochReport>();
        var batches = new List<BatchProgress>();
        var notices = new List<string>();
        trainer.EpochCompleted += epochs.Add;
        trainer.BatchCompleted += batches.Add;
        trainer.Notice += notices.Add;

        var result = trainer.Run(CancellationToken.None);

        Assert.Empty(notices);

        Assert.Equal(RunOutcome.Completed, result.Outcome);
        Assert.Equal([0, 1, 2], epochs.Select(e => e.Epoch));
        Assert.Equal(8, batches.Count);
        Assert.All(batches, b => Assert.Equal(4, b.BatchesPerEpoch));
        Assert.Equal([.. Enumerable.Range(1, 4), .. Enumerable.Range(1, 4)], batches.Select(b => b.Batch));
        Assert.Equal(TimeSpan.Zero, batches[^1].Eta);
        Assert.Null(epochs[0].LearningRate);
        Assert.Equal(0.05, epochs[1].LearningRate!.Value, 12);
        Assert.Equal(0.025, epochs[2].LearningRate!.Value, 12);
        Assert.True(epochs[2].TestAccuracy > epochs[0].TestAccuracy + 0.2, $"test accuracy {epochs[0].TestAccuracy} -> {epochs[2].TestAccuracy}");
        Assert.All(epochs, e =>
        {
            Assert.Equal(["conv1", "conv2", "fc1", "fc2"], e.Layers.Select(l => l.Name));
            Assert.All(e.Layers, l => Assert.NotNull(l.Alpha));
            Assert.All(e.Layers, l => Assert.False(l.Tuned));
        });
        Assert.Equal(288, epochs[0].Layers[1].EigsNum); // 3x3 kernel positions x min(64, 32)

        // With 4 batches per epoch every batch is a bucket of its own: the curve is each batch's loss, placed at
        // its fraction of training, and the progress events carry the epoch's curve so far.
        Assert.Null(epochs[0].BatchLosses);
        Assert.Equal([0.25, 0.5, 0.75, 1.0], epochs[1].BatchLosses!.Select(p => p.Epoch));
        Assert.Equal([1.25, 1.5, 1.75, 2.0], epochs[2].BatchLosses!.Select(p => p.Epoch));
        Assert.Equal(batches.Take(4).Select(b => b.Loss), epochs[1].BatchLosses!.Select(p => p.Loss));
        Assert.Equal([1, 2, 3, 4, 1, 2, 3, 4], batches.Select(b => b.EpochLosses.Count));
        Assert.Equal(epochs[2].BatchLosses, batches[^1].EpochLosses);
        Assert.Equal(epochs[1].TrainLoss, epochs[1].BatchLosses!.Average(p => p.Loss), 5); // equal batches, so the mean matches

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir("baseline"), ResultsWriter.ResultsFile)));
        Assert.Equal("completed", json.RootElement.GetProperty("outcome").GetString());
        Assert.Equal("smallcnn", json.RootElement.GetProperty("config").GetProperty("model").GetString());
        Assert.Equal(3, json.RootElement.GetProperty("layers")[2].GetProperty("alpha").GetArrayLength());
        Assert.Equal(4, File.ReadAllLines(Path.Combine(Dir("baseline"), ResultsWriter.EpochsFile)).Length);
        Assert.Equal(1 + 3 * 4, File.ReadAllLines(Path.Combine(Dir("baseline"), ResultsWriter.LayersFile)).Length);
        var batchLosses = File.ReadAllLines(Path.Combine(Dir("baseline"), ResultsWriter.BatchLossesFile));
        Assert.Equal(["epoch,loss", .. epochs[1..].SelectMany(e => e.BatchLosses!).Select(p => FormattableString.Invariant($"{p.Epoch:R},{p.Loss:R}"))], batchLosses);
        Assert.Equal(4, json.RootElement.GetProperty("epochs")[1].GetProperty("batchLosses").GetArrayLength());
    }

    [Fact]
    public void A_stop_requested_after_the_last_batch_ends_the_run_before_its_evaluation_and_resume_trains_that_epoch_again()
    {
        using var cancel = new CancellationTokenSource();
        var first = new Trainer(Small, Dir("stopped"), root);
        first.BatchCompleted += b =>
        {
            if (b.Epoch == 1 && b.Batch == b.BatchesPerEpoch) cancel.Cancel();
        };
        var stopped = first.Run(cancel.Token);
        Assert.Equal(RunOutcome.Cancelled, stopped.Outcome);
        Assert.Equal("Cancelled while evaluating epoch 1; epochs up to 0 are kept.", stopped.Message);
        Assert.Equal([0], stopped.Epochs.Select(e => e.Epoch));

        var second = new Trainer(Small, Dir("stopped"), root);
        var fired = new List<int>();
        second.EpochCompleted += e => fired.Add(e.Epoch);
        Assert.Equal(RunOutcome.Completed, second.Run(CancellationToken.None).Outcome);
        Assert.Equal([1, 2], fired);
    }

    [Fact]
    public void A_stop_requested_before_epoch_0_is_evaluated_keeps_no_epoch_and_writes_no_checkpoint()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var stopped = new Trainer(Small, Dir("early"), root).Run(cancel.Token);
        Assert.Equal(RunOutcome.Cancelled, stopped.Outcome);
        Assert.Equal("Cancelled while evaluating the initial weights (epoch 0); no epoch is kept.", stopped.Message);
        Assert.Empty(stopped.Epochs);
        Assert.False(Checkpoint.Exists(Dir("early")));
    }

    [Fact]
    public void A_run_cancelled_in_epoch_2_and_resumed_ends_exactly_like_an_uninterrupted_run_and_its_lrs_follow_from_the_checkpoint()
    {
        var uninterrupted = new Trainer(NarrowResNet, Dir("straight"), root).Run(CancellationToken.None);
        Assert.Equal(RunOutcome.Completed, uninterrupted.Outcome);

        using var cancel = new CancellationTokenSource();
        var first = new Trainer(NarrowResNet, Dir("resumed"), root);
        first.BatchCompleted += b =>
        {
            if (b.Epoch == 2 && b.Batch == 2) cancel.Cancel();
        };
        var cancelled = first.Run(cancel.Token);
        Assert.Equal(RunOutcome.Cancelled, cancelled.Outcome);
        Assert.Contains("epoch 2", cancelled.Message);
        Assert.Equal([0, 1], cancelled.Epochs.Select(e => e.Epoch));

        AssertLearningRatesFollowFromCheckpoint(Dir("resumed"));

        var second = new Trainer(NarrowResNet, Dir("resumed"), root);
        var fired = new List<int>();
        second.EpochCompleted += e => fired.Add(e.Epoch);
        var resumed = second.Run(CancellationToken.None);

        Assert.Equal(RunOutcome.Completed, resumed.Outcome);
        Assert.Equal([2, 3], fired);
        Assert.Equal([0, 1, 2, 3], resumed.Epochs.Select(e => e.Epoch));
        for (int e = 0; e <= 3; e++)
        {
            Assert.Equal(uninterrupted.Epochs[e].TrainLoss, resumed.Epochs[e].TrainLoss);
            Assert.Equal(uninterrupted.Epochs[e].TestLoss, resumed.Epochs[e].TestLoss);
            Assert.Equal(uninterrupted.Epochs[e].TestAccuracy, resumed.Epochs[e].TestAccuracy);
            Assert.Equal(uninterrupted.Epochs[e].Layers.Select(l => l.LearningRate), resumed.Epochs[e].Layers.Select(l => l.LearningRate));
            Assert.Equal(uninterrupted.Epochs[e].Layers.Select(l => l.Alpha), resumed.Epochs[e].Layers.Select(l => l.Alpha));
        }

        // The rates differ across layers and from epoch to epoch.
        var tunedRates = resumed.Epochs.Select(e => e.Layers.Where(l => l.Tuned).Select(l => l.NextLearningRate).ToArray()).ToList();
        Assert.All(tunedRates.Take(3), rates => Assert.True(rates.Distinct().Count() >= 10, string.Join(", ", rates)));
        Assert.NotEqual(tunedRates[0].Select(r => r / 0.05), tunedRates[1].Select(r => r / resumed.Epochs[2].LearningRate!.Value));
        // A report's rate is the one its epoch trained with: the rate the report before it assigned.
        for (int e = 1; e < resumed.Epochs.Count; e++)
            Assert.Equal(resumed.Epochs[e - 1].Layers.Select(l => (double?)l.NextLearningRate), resumed.Epochs[e].Layers.Select(l => l.LearningRate));
        Assert.All(resumed.Epochs[0].Layers, l => Assert.Null(l.LearningRate));
    }

    /// <summary>Recomputes every group's learning rate from the checkpoint's weights, independently of the run.</summary>
    static void AssertLearningRatesFollowFromCheckpoint(string runDirectory)
    {
        var config = NarrowResNet;
        using var model = ModelFactory.Create(config.Model, 10, 1, 28, config.WidthFactor);
        using var method = new TempBalanceMethod(model, config);
        using var generator = new Generator(0);
        var state = Checkpoint.Load(runDirectory, model, method.Optimizer, generator);
        Assert.Equal(1, state.Epoch);
        double eta = GlobalSchedule.Create(config.Schedule, config.Lr, config.Epochs).ForEpoch(state.Epoch + 1);
        Assert.Equal(0.05 * 0.75, eta, 12);

        var spectra = EsdAnalyzer.Analyze(model, config.TempBalance);
        Assert.Equal(21, spectra.Count);
        var tuned = spectra.Skip(1).SkipLast(1).ToList();
        var expected = LrAssignment.Assign(tuned.Select(s => s.Fit.Alpha).ToArray(), eta, config.TempBalance);
        var expectedByLayer = tuned.Select((s, i) => (s.Name, Rate: expected[i])).ToDictionary(x => x.Name, x => x.Rate);

        var reported = state.Epochs[^1].Layers.Where(l => l.Tuned).ToList();
        Assert.Equal(tuned.Select(s => s.Name), reported.Select(l => l.Name));
        foreach (var layer in reported) Assert.Equal(expectedByLayer[layer.Name], layer.NextLearningRate, 12);
        Assert.Equal(eta * config.TempBalance.MinRatio, expected.Min(), 12);
        Assert.Equal(eta * config.TempBalance.MaxRatio, expected.Max(), 12);

        var groups = method.Optimizer.Groups.ToList();
        Assert.Equal(1 + 19 + 16, groups.Count);
        foreach (var group in method.Groups)
            Assert.Equal(group.LayerName is null ? eta : expectedByLayer[group.LayerName], groups[group.GroupIndex].LearningRate, 12);

        // The scheduler, refitting the same weights, arrives at the same rates.
        var scheduler = new TempBalanceScheduler(model, config.TempBalance, ((IHasBatchNormMap)model).BatchNormToConv);
        using var sgd = scheduler.CreateOptimizer(eta, config.Momentum, config.WeightDecay);
        foreach (var layer in scheduler.LastUpdate!.Layers.Where(l => l.Tuned))
            Assert.Equal(expectedByLayer[layer.Spectrum.Name], layer.LearningRate, 12);
    }

    [Fact]
    public void A_diverging_run_stops_with_the_epoch_and_batch_and_keeps_earlier_epochs()
    {
        var result = new Trainer(Small with { Lr = 1e6, Momentum = 0 }, Dir("diverged"), root).Run(CancellationToken.None);
        Assert.Equal(RunOutcome.Diverged, result.Outcome);
        Assert.Matches(@"at epoch \d+, batch \d+", result.Message);
        Assert.Contains("Lower the learning rate", result.Message);
        Assert.Equal(0, result.Epochs[0].Epoch);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir("diverged"), ResultsWriter.ResultsFile)));
        Assert.Equal("diverged", json.RootElement.GetProperty("outcome").GetString());
    }

    [Fact]
    public void A_completed_run_directory_run_again_returns_its_epochs_without_training()
    {
        var config = Small with { Epochs = 1, Subset = 256 };
        var first = new Trainer(config, Dir("again"), root).Run(CancellationToken.None);
        var again = new Trainer(config, Dir("again"), root);
        int events = 0;
        again.EpochCompleted += _ => events++;
        var second = again.Run(CancellationToken.None);
        Assert.Equal(0, events);
        Assert.Equal(first.Epochs.Select(e => e.TestLoss), second.Epochs.Select(e => e.TestLoss));
    }

    [Fact]
    public void A_run_directory_is_not_continued_with_another_configuration()
    {
        var config = Small with { Epochs = 1, Subset = 256 };
        new Trainer(config, Dir("changed"), root).Run(CancellationToken.None);
        var error = Assert.Throws<InvalidDataException>(() => new Trainer(config with { Lr = 0.1 }, Dir("changed"), root).Run(CancellationToken.None));
        Assert.Contains("another configuration", error.Message);
        Assert.Equal(RunOutcome.Completed, new Trainer(config with { Device = "auto" }, Dir("changed"), root).Run(CancellationToken.None).Outcome);
    }

    [Fact]
    public void Refitting_every_k_steps_holds_the_rates_in_between()
    {
        var config = NarrowResNet with { TempBalance = new TempBalanceOptions { UpdateEverySteps = 2 } };
        using var model = ModelFactory.Create(config.Model, 10, 1, 28, config.WidthFactor);
        using var method = new TempBalanceMethod(model, config);
        method.Prepare(0.1);
        double[] Rates() => method.Optimizer.Groups.Select(g => g.LearningRate).ToArray();
        var initial = Rates();

        method.AfterStep(1, 0.02);
        Assert.Equal(initial, Rates());
        method.AfterStep(2, 0.02);
        var refit = Rates();
        Assert.Equal(0.02, refit[^1], 12); // the untuned group follows the global rate
        Assert.Equal(initial.Select(r => r / 5), refit, (a, b) => Math.Abs(a - b) < 1e-12);
    }
}
