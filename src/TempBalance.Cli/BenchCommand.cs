using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using TempBalance.Core.Models;
using TempBalance.Core.Scheduling;
using TempBalance.Core.Spectral;
using TorchSharp;
using static TorchSharp.torch;

namespace TempBalance.Cli;

/// <summary>
/// `tempbalance bench`: benchmarks that print numbers for docs/benchmarks.md. One sub-command per benchmark.
/// </summary>
public static class BenchCommand
{
    public static Command Create() => new("bench", "Benchmarks (results and machine details go into docs/benchmarks.md).")
    {
        CreateEsd(),
        BenchTrainCommand.Create(),
        BenchDiagnoseCommand.Create(),
        BenchOptimizersCommand.Create(),
    };

    static string Seconds(double s) => s.ToString("F3", CultureInfo.InvariantCulture);

    internal static Option<int> ThreadsOption() => new("--threads") { Description = "Torch CPU threads.", DefaultValueFactory = _ => 2 };

    /// <summary>The middle value; for an even count, the mean of the two middle values.</summary>
    internal static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    static Option<int> RepeatOption() => new("--repeat") { Description = "Timed runs (after one untimed warm-up).", DefaultValueFactory = _ => 7 };

    // ---- bench esd ----

    static Command CreateEsd()
    {
        var weights = new Option<string?>("--weights")
        {
            Description = "Folder of <layer>.npy weights with layers.txt giving their order (docs/bench/reference_esd.py export writes one). " +
                          "Default: CIFAR ResNet18 (100 classes) weights drawn here with PyTorch's default init.",
        };
        var reference = new Option<string?>("--reference-json") { Description = "Alphas from docs/bench/reference_esd.py time --out, to compare with." };
        var fit = new Option<string>("--fit") { Description = "xmin rule: median (the paper), ks or peak.", DefaultValueFactory = _ => "median" };
        fit.AcceptOnlyFromAmong("median", "ks", "peak");
        var float32 = new Option<bool>("--float32") { Description = "Eigenvalues in float32 (faster, less accurate) instead of float64." };
        var threads = ThreadsOption();
        var repeat = RepeatOption();
        var command = new Command("esd", "Time one full ESD pass (eigenvalues and median power-law fits of every layer) and check alphas against a float64 SVD.")
        {
            weights, reference, fit, float32, threads, repeat,
        };
        command.SetAction(parse => RunEsd(parse.GetValue(weights), parse.GetValue(reference),
            Enum.Parse<XminRule>(parse.GetValue(fit)!, ignoreCase: true), parse.GetValue(float32), parse.GetValue(threads), parse.GetValue(repeat)));
        return command;
    }

    static int RunEsd(string? weightsFolder, string? referenceJson, XminRule fit, bool float32Eigenvalues, int threads, int repeat)
    {
        if (threads < 1 || repeat < 1)
        {
            Console.Error.WriteLine("error: --threads and --repeat must be at least 1.");
            return 2;
        }
        torch.set_num_threads(threads);
        using var scope = NewDisposeScope();
        List<(string Name, Tensor Weight)> layers;
        try
        {
            layers = weightsFolder is null ? ResNet18Weights() : LoadWeights(weightsFolder);
        }
        catch (Exception e) when (e is IOException or NpyFormatException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {weightsFolder}: {e.Message}");
            return 2;
        }
        var names = layers.Select(l => l.Name).ToArray();
        var tensors = layers.Select(l => l.Weight).ToArray();
        var options = new TempBalanceOptions { Fit = fit, Float32Eigenvalues = float32Eigenvalues };

        EsdAnalyzer.AnalyzeWeights(names, tensors, options); // warm-up: native library loading, first allocations
        var times = new List<double>();
        var cpuTimes = new List<double>();
        IReadOnlyList<LayerSpectrum> spectra = [];
        var process = Process.GetCurrentProcess();
        for (int run = 0; run < repeat; run++)
        {
            process.Refresh();
            var cpuStart = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            spectra = EsdAnalyzer.AnalyzeWeights(names, tensors, options);
            times.Add(clock.Elapsed.TotalSeconds);
            process.Refresh();
            cpuTimes.Add((process.TotalProcessorTime - cpuStart).TotalSeconds);
        }

        var exactAlphas = tensors.Select(w => Float64SvdAlpha(w, options)).ToArray();
        var referenceAlphas = referenceJson is null ? null : ReadReferenceAlphas(referenceJson);

        var table = new Table().AddColumns("layer", "N", "alpha", "alpha (float64 SVD)", "relative difference");
        if (referenceAlphas is not null) table.AddColumns("alpha (reference, float32)", "relative difference");
        double worst = 0, worstReference = 0;
        for (int l = 0; l < spectra.Count; l++)
        {
            double alpha = spectra[l].Fit.Alpha, exact = exactAlphas[l];
            double diff = Math.Abs(alpha - exact) / exact;
            worst = Math.Max(worst, diff);
            var row = new List<string> { names[l], spectra[l].EigsNum.ToString(CultureInfo.InvariantCulture), alpha.ToString("F6", CultureInfo.InvariantCulture), exact.ToString("F6", CultureInfo.InvariantCulture), diff.ToString("E1", CultureInfo.InvariantCulture) };
            if (referenceAlphas is not null && referenceAlphas.TryGetValue(names[l], out var theirs))
            {
                double referenceDiff = Math.Abs(alpha - theirs) / theirs;
                worstReference = Math.Max(worstReference, referenceDiff);
                row.Add(theirs.ToString("F6", CultureInfo.InvariantCulture));
                row.Add(referenceDiff.ToString("E1", CultureInfo.InvariantCulture));
            }
            table.AddRow(row.Select(Markup.Escape).ToArray());
        }
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 200;
        AnsiConsole.Write(table);

        Console.WriteLine($"TorchSharp {Core.TorchDevices.TorchSharpVersion} (libtorch {Core.TorchDevices.LibTorchVersion}), {torch.get_num_threads()} threads, {layers.Count} layers, {fit.ToString().ToLowerInvariant()} fits, {(float32Eigenvalues ? "float32" : "float64")} eigenvalues, {repeat} timed runs");
        Console.WriteLine($"ESD pass: best {Seconds(times.Min())} s, median {Seconds(Median(times))} s, all {string.Join(", ", times.Select(Seconds))}");
        Console.WriteLine($"ESD pass CPU time (all threads): best {Seconds(cpuTimes.Min())} s, median {Seconds(Median(cpuTimes))} s");
        Console.WriteLine($"alpha vs float64 SVD: max relative difference {worst.ToString("E2", CultureInfo.InvariantCulture)}");
        if (referenceAlphas is not null)
            Console.WriteLine($"alpha vs reference (float32 SVD): max relative difference {worstReference.ToString("E2", CultureInfo.InvariantCulture)}");
        return 0;
    }

    /// <summary>The accuracy yardstick: squared singular values from a float64 SVD, then the same median fit.</summary>
    internal static double Float64SvdAlpha(Tensor weight, TempBalanceOptions options)
    {
        using var scope = NewDisposeScope();
        var w = weight.to(float64);
        bool conv = w.dim() == 4;
        var matrices = conv ? w.permute(2, 3, 0, 1).reshape(w.shape[2] * w.shape[3], w.shape[0], w.shape[1]) : w.unsqueeze(0);
        var eigs = linalg.svdvals(matrices).square().flatten().data<double>().ToArray();
        if (conv) for (int k = 0; k < eigs.Length; k++) eigs[k] *= options.ConvNorm;
        Array.Sort(eigs);
        return EsdAnalyzer.FitSpectrum(eigs, options).Alpha;
    }

    static Dictionary<string, double> ReadReferenceAlphas(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("layers").EnumerateArray()
            .ToDictionary(l => l.GetProperty("name").GetString()!, l => l.GetProperty("alpha").GetDouble());
    }

    static List<(string, Tensor)> LoadWeights(string folder)
    {
        var order = Path.Combine(folder, "layers.txt");
        var names = File.Exists(order)
            ? File.ReadAllLines(order).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray()
            : Directory.GetFiles(folder, "*.npy").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal).ToArray()!;
        // Keep the stored precision: a model's weights are float32.
        return names.Select(name => (name!, NpyReader.Read(Path.Combine(folder, name + ".npy")).ToTensor(storedPrecision: true))).ToList();
    }

    /// <summary>The analysed layers of a CIFAR ResNet18 (100 classes) as the trainer builds it, drawn with PyTorch's default init (seed 0).</summary>
    static List<(string, Tensor)> ResNet18Weights()
    {
        var model = ModelFactory.Create("resnet18", classes: 100, inputChannels: 3, imageSize: 32);
        SeededInitialization.Apply(model, seed: 0);
        return EsdAnalyzer.AnalysedLayers(model).Select(l => (l.Name, EsdAnalyzer.WeightOf(l.Module).detach())).ToList();
    }
}
