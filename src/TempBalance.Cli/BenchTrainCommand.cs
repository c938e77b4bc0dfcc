using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using TempBalance.Core;
using TempBalance.Core.Data;
using TempBalance.Core.Models;
using TempBalance.Core.Scheduling;
using TempBalance.Core.Spectral;
using TempBalance.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TempBalance.Cli;

/// <summary>
/// `tempbalance bench train`: training throughput of the real pipeline and model (batches from the device
/// dataset, forward, loss, backward, SGD step), and the ESD pass as a share of an epoch, which is what
/// TempBalance adds to the baseline per epoch.
/// </summary>
public static class BenchTrainCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model to train.", DefaultValueFactory = _ => "smallcnn" };
        var dataset = new Option<string>("--dataset") { Description = "Dataset (its shape and classes; see --random-data).", DefaultValueFactory = _ => "fashion-mnist" };
        var randomData = new Option<bool>("--random-data") { Description = "Random images of the dataset's shape instead of its files (e.g. CIFAR-shaped data without CIFAR)." };
        var batchSize = new Option<int>("--batch-size") { Description = "Images per step.", DefaultValueFactory = _ => 128 };
        var threads = BenchCommand.ThreadsOption();
        var steps = new Option<int>("--steps") { Description = "Timed steps per repeat.", DefaultValueFactory = _ => 40 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps before each repeat.", DefaultValueFactory = _ => 3 };
        var repeats = new Option<int>("--repeats") { Description = "Repeats (best and median are reported).", DefaultValueFactory = _ => 3 };
        var esd = new Option<bool>("--esd") { Description = "Also time the ESD pass and estimate TempBalance's overhead per epoch." };
        var device = new Option<string>("--device") { Description = "auto, cpu, cuda or cuda:N.", DefaultValueFactory = _ => "cpu" };
        var dataRoot = new Option<string>("--data-root") { Description = "Folder that holds the datasets.", DefaultValueFactory = _ => DatasetCatalog.DefaultDataRoot() };

        var command = new Command("train", "Training throughput in images/s (and, with --esd, the TempBalance overhead per epoch).")
        {
            model, dataset, randomData, batchSize, threads, steps, warmup, repeats, esd, device, dataRoot,
        };
        command.SetAction(parse => Run(parse.GetValue(model)!, parse.GetValue(dataset)!, parse.GetValue(randomData), parse.GetValue(batchSize),
            parse.GetValue(threads), parse.GetValue(steps), parse.GetValue(warmup), parse.GetValue(repeats), parse.GetValue(esd),
            parse.GetValue(device)!, parse.GetValue(dataRoot)!));
        return command;
    }

    static int Run(string modelName, string datasetName, bool randomData, int batchSize, int threads, int steps, int warmup, int repeats,
        bool esd, string deviceName, string dataRoot)
    {
        torch.set_num_threads(threads);
        var device = TorchDevices.Resolve(deviceName);
        var info = DatasetCatalog.Get(datasetName);
        torch.random.manual_seed(0);
        var data = randomData ? RandomImages(info, batchSize * 64) : DatasetLoader.Load(datasetName, dataRoot);
        using var pipeline = new InputPipeline(data, device, augment: info.Channels == 3, normalise: !ModelFactory.TakesUnitRangePixels(modelName));
        using var model = ModelFactory.Create(modelName, info.Classes, info.Channels, info.ImageSize);
        model.to(device);
        // The kernels the trainer would use (none of the models here, at width 1, needs the workaround).
        var oneDnnOff = CpuConvolutionWorkaround.ScopeFor(model, device);
        bool oneDnnOffForForward = oneDnnOff == OneDnnOffScope.WholeRun;
        bool oneDnnOffForBackward = oneDnnOff == OneDnnOffScope.BackwardPasses;
        model.train();
        using var sgd = optim.SGD(model.parameters(), 0.05, 0.9, weight_decay: 5e-4);
        using var generator = new Generator(0);

        int batches = InputPipeline.BatchCount(pipeline.TrainCount, batchSize);
        var order = pipeline.Shuffle(generator);
        int batch = 0;
        void Step()
        {
            if (batch == batches - 1)
            {
                order.Dispose();
                order = pipeline.Shuffle(generator);
                batch = 0;
            }
            using var scope = NewDisposeScope();
            var (images, labels) = pipeline.TrainBatch(order, batch++, batchSize, generator);
            // As in training: PyTorch's own convolution kernels for the whole step where oneDNN's forward ones are wrong.
            using var oneDnnOffForStep = oneDnnOffForForward ? CpuConvolutionWorkaround.OneDnnOff() : null;
            var loss = nn.functional.cross_entropy(model.forward(images), labels);
            sgd.zero_grad();
            using (oneDnnOffForBackward ? CpuConvolutionWorkaround.OneDnnOff() : null)
                loss.backward();
            sgd.step();
            loss.item<float>();
        }

        AnsiConsole.MarkupLine(Markup.Escape($"{modelName} on {datasetName}{(randomData ? " (random data)" : "")}, batch {batchSize}, {threads} threads, {device}, TorchSharp {TorchDevices.TorchSharpVersion} / libtorch {TorchDevices.LibTorchVersion}, {Environment.ProcessorCount} cores"));
        var rates = new List<double>();
        for (int r = 0; r < repeats; r++)
        {
            for (int i = 0; i < warmup; i++) Step();
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < steps; i++) Step();
            rates.Add(steps * batchSize / clock.Elapsed.TotalSeconds);
            AnsiConsole.MarkupLine($"repeat {r + 1}: {rates[^1]:F1} images/s");
        }
        order.Dispose();
        double best = rates.Max(), median = BenchCommand.Median(rates);
        AnsiConsole.MarkupLine($"[bold]training throughput[/]: best {best:F1} images/s, median {median:F1} images/s");

        if (esd)
        {
            var options = new TempBalanceOptions();
            var esdSeconds = new List<double>();
            for (int r = 0; r < repeats; r++)
            {
                var clock = Stopwatch.StartNew();
                EsdAnalyzer.Analyze(model, options);
                esdSeconds.Add(clock.Elapsed.TotalSeconds);
            }
            // The paper's setups train on 50,000 images per epoch (CIFAR); Fashion-MNIST has 60,000.
            long epochImages = info.Channels == 3 ? 50_000 : 60_000;
            double epochSeconds = epochImages / median;
            AnsiConsole.MarkupLine($"[bold]ESD pass[/]: best {esdSeconds.Min():F2} s, median {BenchCommand.Median(esdSeconds):F2} s; " +
                $"epoch of {epochImages} images at the median rate: {epochSeconds:F0} s; " +
                $"TempBalance overhead per epoch: {100 * BenchCommand.Median(esdSeconds) / epochSeconds:F2} %");
        }
        return 0;
    }

    static DatasetSplits RandomImages(DatasetInfo info, int count)
    {
        using var generator = new Generator(0);
        ImageData Split(int n) => new(
            randint(0, 256, [n, info.Channels, info.ImageSize, info.ImageSize], ScalarType.Byte, generator: generator),
            randint(0, info.Classes, [n], generator: generator));
        var channels = Enumerable.Repeat(0.5f, info.Channels).ToArray();
        return new DatasetSplits(info, Split(count), Split(info.Classes), channels, channels.Select(_ => 0.25f).ToArray());
    }
}
