using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Spectre.Console;
using TempBalance.Core.Diagnosis;
using TempBalance.Core.Scheduling;
using TorchSharp;
using static TorchSharp.torch;

namespace TempBalance.Cli;

/// <summary>
/// `tempbalance bench diagnose`: writes a safetensors checkpoint with GPT-2 small's shapes (random weights),
/// then times <see cref="ModelDiagnosis"/> (median fits) against the reference TempBalance ESD approach
/// (docs/bench/reference_diagnose.py: torch.linalg.svdvals in float32 on the same matrices) in alternating
/// rounds, and checks both sides' alphas against a float64 SVD.
/// </summary>
public static class BenchDiagnoseCommand
{
    const int Hidden = 768, Blocks = 12, Vocabulary = 50257, Positions = 1024;

    public static Command Create()
    {
        var threads = BenchCommand.ThreadsOption();
        var rounds = new Option<int>("--rounds") { Description = "Timed runs of each side, alternating (after one untimed warm-up each).", DefaultValueFactory = _ => 3 };
        var python = new Option<string>("--python") { Description = "Python with PyTorch for the reference.", DefaultValueFactory = _ => "/usr/bin/python3" };
        var script = new Option<string>("--reference-script") { Description = "The reference script.", DefaultValueFactory = _ => Path.Combine("docs", "bench", "reference_diagnose.py") };
        var folder = new Option<string?>("--out") { Description = "Folder for the generated checkpoint (kept); default: a temporary folder, deleted afterwards." };
        var command = new Command("diagnose", "Time a model diagnosis of GPT-2 small's shapes against the reference ESD approach (torch svdvals), interleaved.")
        {
            threads, rounds, python, script, folder,
        };
        command.SetAction(parse => Run(parse.GetValue(threads), parse.GetValue(rounds), parse.GetValue(python)!, parse.GetValue(script)!, parse.GetValue(folder)));
        return command;
    }

    /// <summary>GPT-2 small's state dict as Hugging Face saves it (Conv1D weights [in, out]), without the attention-mask buffers.</summary>
    static List<(string Name, long[] Shape)> Gpt2SmallTensors()
    {
        var tensors = new List<(string, long[])> { ("transformer.wte.weight", [Vocabulary, Hidden]), ("transformer.wpe.weight", [Positions, Hidden]) };
        for (int b = 0; b < Blocks; b++)
        {
            var p = $"transformer.h.{b}.";
            tensors.AddRange(
            [
                (p + "ln_1.weight", [Hidden]), (p + "ln_1.bias", [Hidden]),
                (p + "attn.c_attn.weight", [Hidden, 3 * Hidden]), (p + "attn.c_attn.bias", [3 * Hidden]),
                (p + "attn.c_proj.weight", [Hidden, Hidden]), (p + "attn.c_proj.bias", [Hidden]),
                (p + "ln_2.weight", [Hidden]), (p + "ln_2.bias", [Hidden]),
                (p + "mlp.c_fc.weight", [Hidden, 4 * Hidden]), (p + "mlp.c_fc.bias", [4 * Hidden]),
                (p + "mlp.c_proj.weight", [4 * Hidden, Hidden]), (p + "mlp.c_proj.bias", [Hidden]),
            ]);
        }
        tensors.Add(("transformer.ln_f.weight", [Hidden]));
        tensors.Add(("transformer.ln_f.bias", [Hidden]));
        return tensors;
    }

    /// <summary>N(0, 0.02^2) values of tensor <paramref name="index"/>, seeded by the index, generated in chunks of rows (the 50257 x 768 embedding too).</summary>
    static void WriteValues(Stream output, int index, long[] shape)
    {
        using var generator = new Generator((ulong)(1000 + index));
        long rows = shape[0], cols = shape.Length > 1 ? shape[1] : 1;
        long chunk = Math.Max(1, (4L << 20) / cols);
        for (long row = 0; row < rows; row += chunk)
        {
            using var scope = NewDisposeScope();
            long n = Math.Min(chunk, rows - row);
            var values = (randn([n * cols], generator: generator) * 0.02).data<float>().ToArray();
            output.Write(MemoryMarshal.AsBytes(values.AsSpan()));
        }
    }

    static Tensor Values(int index, long[] shape)
    {
        using var buffer = new MemoryStream();
        WriteValues(buffer, index, shape);
        var floats = MemoryMarshal.Cast<byte, float>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)).ToArray();
        return tensor(floats, shape);
    }

    static int Run(int threads, int rounds, string python, string script, string? outFolder)
    {
        if (threads < 1 || rounds < 1) return Fail("--threads and --rounds must be at least 1.");
        if (!File.Exists(script)) return Fail($"{script}: no such file (run from the repository root, or give --reference-script).");
        torch.set_num_threads(threads);
        var folder = outFolder ?? Directory.CreateTempSubdirectory("tb-bench-diagnose-").FullName;
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, "gpt2-small-shapes.safetensors");
        try
        {
            var tensors = Gpt2SmallTensors();
            var clock = Stopwatch.StartNew();
            SafetensorsWriter.Write(file, tensors.Select((t, i) => new SafetensorsTensor(t.Name, StoredDType.Float32, t.Shape, s => WriteValues(s, i, t.Shape))).ToList(),
                new Dictionary<string, string> { ["format"] = "pt" });
            Console.WriteLine($"wrote {file} ({new FileInfo(file).Length / 1e6:F0} MB, {tensors.Count} tensors) in {clock.Elapsed.TotalSeconds:F1} s");

            var options = new DiagnosisOptions();
            ModelDiagnosis.Analyze(file, options with { Include = ["transformer.h.0.*"] }); // warm-up: native libraries, first allocations
            var ours = new List<(double Wall, double Cpu, double PeakMb, double BeforeMb)>();
            var reference = new List<(double Wall, double Cpu, double PeakMb, double BeforeMb)>();
            DiagnosisReport? report = null;
            Dictionary<string, double>? referenceAlphas = null;
            string referenceTorch = "?";
            for (int round = 0; round < rounds; round++)
            {
                // Alternate which side goes first, so a change in machine load hits both.
                foreach (var side in round % 2 == 0 ? new[] { 0, 1 } : [1, 0])
                {
                    if (side == 0)
                    {
                        var (r, wall, cpu, peak, baseline) = TimeOurs(file, options);
                        report = r;
                        ours.Add((wall, cpu, peak, baseline));
                        Console.WriteLine($"round {round + 1}: ours      {wall:F2} s wall, {cpu:F2} s CPU, peak {peak:F0} MB, {peak - baseline:F0} MB above the {baseline:F0} MB resident before");
                    }
                    else
                    {
                        var (json, error) = RunReference(python, script, file, threads);
                        if (json is null) return Fail($"the reference failed: {error}");
                        using var document = JsonDocument.Parse(json);
                        var root = document.RootElement;
                        referenceTorch = root.GetProperty("torch").GetString() ?? "?";
                        referenceAlphas = root.GetProperty("alphas").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
                        reference.Add((root.GetProperty("time_s").GetDouble(), root.GetProperty("cpu_s").GetDouble(), root.GetProperty("peak_mb").GetDouble(), root.GetProperty("before_mb").GetDouble()));
                        var last = reference[^1];
                        Console.WriteLine($"round {round + 1}: reference {last.Wall:F2} s wall, {last.Cpu:F2} s CPU, peak {last.PeakMb:F0} MB, {last.PeakMb - last.BeforeMb:F0} MB above the {last.BeforeMb:F0} MB resident before");
                    }
                }
            }

            // Accuracy yardstick: float64 SVD of the same matrices, same median fit.
            var exact = new Dictionary<string, double>();
            var spectral = options.ToSpectralOptions();
            foreach (var (tensorInfo, index) in tensors.Select((t, i) => (t, i)).Where(x => report!.Layers.Any(l => l.Name == x.t.Name)))
            {
                using var scope = NewDisposeScope();
                exact[tensorInfo.Name] = BenchCommand.Float64SvdAlpha(Values(index, tensorInfo.Shape), spectral);
            }
            double worstOurs = report!.Layers.Max(l => Math.Abs(l.Alpha!.Value - exact[l.Name]) / exact[l.Name]);
            double worstReference = exact.Max(e => Math.Abs(referenceAlphas![e.Key] - e.Value) / e.Value);

            var table = new Table().AddColumns("", "best wall", "median wall", "median CPU", "peak memory (max)", "above resident before (max)");
            foreach (var (label, runs) in new[] { ("ours (ModelDiagnosis, float64 eigenvalues)", ours), ("reference (torch svdvals, float32)", reference) })
                table.AddRow(label, S(runs.Min(o => o.Wall)), S(BenchCommand.Median(runs.Select(o => o.Wall))), S(BenchCommand.Median(runs.Select(o => o.Cpu))),
                    $"{runs.Max(o => o.PeakMb):F0} MB", $"{runs.Max(o => o.PeakMb - o.BeforeMb):F0} MB");
            if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 160;
            AnsiConsole.Write(table);
            Console.WriteLine($"machine: {CpuModel()}, {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Trim()}");
            Console.WriteLine($"ours: TorchSharp {Core.TorchDevices.TorchSharpVersion} (libtorch {Core.TorchDevices.LibTorchVersion}), {torch.get_num_threads()} threads, {report.Layers.Count} layers, {report.Skipped.Count} tensors skipped; reference: torch {referenceTorch}, {threads} threads; {rounds} rounds each");
            Console.WriteLine($"speed-up (reference / ours): best {reference.Min(o => o.Wall) / ours.Min(o => o.Wall):F1}x, median {BenchCommand.Median(reference.Select(o => o.Wall)) / BenchCommand.Median(ours.Select(o => o.Wall)):F1}x");
            Console.WriteLine($"alpha vs float64 SVD: ours max relative difference {worstOurs.ToString("E2", CultureInfo.InvariantCulture)}, reference {worstReference.ToString("E2", CultureInfo.InvariantCulture)}");
            Console.WriteLine("ours is timed end to end (reading the file included); the reference from tensors already in memory. " +
                "Peak memory is the process's resident-set peak (VmHWM; ours reset just before each run) and how far it rose above what was resident " +
                "before the run (ours: runtime, libtorch and earlier rounds' freed-but-kept memory; the reference: Python and torch, before it reads the 48 matrices).");
            return 0;
        }
        finally
        {
            if (outFolder is null) Directory.Delete(folder, recursive: true);
        }
    }

    static string S(double seconds) => $"{seconds.ToString("F2", CultureInfo.InvariantCulture)} s";

    static (DiagnosisReport Report, double Wall, double Cpu, double PeakMb, double BaselineMb) TimeOurs(string file, DiagnosisOptions options)
    {
        GC.Collect();
        ResetPeakMemory();
        double baseline = StatusMb("VmRSS:") ?? 0;
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuStart = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var report = ModelDiagnosis.Analyze(file, options);
        double wall = clock.Elapsed.TotalSeconds;
        process.Refresh();
        return (report, wall, (process.TotalProcessorTime - cpuStart).TotalSeconds, StatusMb("VmHWM:") ?? process.PeakWorkingSet64 / 1048576.0, baseline);
    }

    /// <summary>Linux: writing 5 to /proc/self/clear_refs resets the peak resident set (VmHWM) to the current one.</summary>
    static void ResetPeakMemory()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("note: cannot reset the peak memory counter; the peak covers the whole process");
        }
    }

    /// <summary>A memory line of /proc/self/status (VmRSS, VmHWM) in MB; null where there is none.</summary>
    static double? StatusMb(string field)
    {
        foreach (var line in File.Exists("/proc/self/status") ? File.ReadLines("/proc/self/status") : [])
            if (line.StartsWith(field, StringComparison.Ordinal))
                return double.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024;
        return null;
    }

    static (string? Json, string Error) RunReference(string python, string script, string file, int threads)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { script, file, "--threads", threads.ToString(CultureInfo.InvariantCulture) }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        var line = stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        return process.ExitCode == 0 && line is not null ? (line, "") : (null, stderr.Result.Trim().Split('\n').LastOrDefault() ?? $"exit code {process.ExitCode}");
    }

    static string CpuModel()
    {
        var line = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) : null;
        return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':') + 1)..].Trim();
    }

    static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 2;
    }
}
