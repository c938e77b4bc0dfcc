using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using TempBalance.Core;
using TempBalance.Core.Models;
using TempBalance.Core.Optimizers;
using TempBalance.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TempBalance.Cli;

/// <summary>
/// `tempbalance bench optimizers`: the time of one training step of the trainer (forward, loss, the loss and
/// accuracy read back, zero_grad, backward, <see cref="OptimizerStack.Step"/>) with each optimizer, against the
/// same step in a plain PyTorch loop (docs/bench/optimizer_peer.py, kept running as a second process). Both sides
/// build the same model and run the same hyperparameters on a fixed random batch; their blocks of steps alternate
/// within one run, so that both see the same machine load.
/// </summary>
public static class BenchOptimizersCommand
{
    /// <summary>The variants, in the order they run: every base optimizer, then TempBalance's per-layer groups,
    /// Lookahead, SNR and LAWN on SGD.</summary>
    public static IReadOnlyList<string> VariantNames { get; } = ["sgd", "adam", "adamw", "sgdp", "lars", "lamb", "tb", "lookahead", "snr", "lawn"];

    const int Classes = 10, Channels = 1, ImageSize = 28;

    /// <summary>Optimizer steps per sample of the optimizer-only timing: a multiple of the Lookahead preset's k (10).</summary>
    public const int OptimizerRun = 10;

    public static Command Create()
    {
        var variants = new Option<string>("--optimizers") { Description = $"Comma-separated variants: {string.Join(",", VariantNames)}.", DefaultValueFactory = _ => string.Join(",", VariantNames) };
        var rounds = new Option<int>("--rounds") { Description = "Rounds; each round runs one block of each variant on each side.", DefaultValueFactory = _ => 3 };
        var steps = new Option<int>("--steps") { Description = "Timed training steps per block.", DefaultValueFactory = _ => 3 };
        var optimizerSamples = new Option<int>("--optimizer-samples") { Description = $"Timed samples of the optimizer step alone per block, each the mean of {OptimizerRun} steps.", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps before each block (twice that before a variant's first block).", DefaultValueFactory = _ => 1 };
        var batchSize = new Option<int>("--batch-size") { Description = "Images per step.", DefaultValueFactory = _ => 128 };
        var width = new Option<double>("--width-factor") { Description = "ResNet18 width factor (0.25: 16 base channels).", DefaultValueFactory = _ => 0.25 };
        var threads = BenchCommand.ThreadsOption();
        var python = new Option<string>("--python") { Description = "Python with PyTorch for the peer.", DefaultValueFactory = _ => "/usr/bin/python3" };
        var script = new Option<string>("--peer-script") { Description = "The peer script.", DefaultValueFactory = _ => Path.Combine("docs", "bench", "optimizer_peer.py") };
        var noPeer = new Option<bool>("--no-peer") { Description = "Time our side only (e.g. while profiling)." };
        var output = new Option<string?>("--json") { Description = "Also write every measured step to this JSON file." };
        var command = new Command("optimizers", "Per-step time of each optimizer in the trainer's step against a plain PyTorch loop, interleaved.")
        {
            variants, rounds, steps, optimizerSamples, warmup, batchSize, width, threads, python, script, noPeer, output,
        };
        command.SetAction(parse => Run(parse.GetValue(variants)!, parse.GetValue(rounds), parse.GetValue(steps), parse.GetValue(optimizerSamples), parse.GetValue(warmup),
            parse.GetValue(batchSize), parse.GetValue(width), parse.GetValue(threads), parse.GetValue(python)!, parse.GetValue(script)!,
            parse.GetValue(noPeer), parse.GetValue(output)));
        return command;
    }

    /// <summary>The recipe each variant trains with: a preset where one exists, so the benchmark times what users run.</summary>
    public static TrainingConfig ConfigOf(string variant, double widthFactor, int batchSize)
    {
        var start = new TrainingConfig { Model = "resnet18", WidthFactor = widthFactor, BatchSize = batchSize, Epochs = 10 };
        TrainingConfig Preset(string name) => RecipePresets.Find(name)!.Apply(start);
        TrainingConfig Plain(OptimizerKind kind) => RecipePresets.Named(Preset("baseline") with
        {
            Optimizer = new OptimizerOptions { Kind = kind },
            Lr = RecipePresets.DefaultLr(kind),
        });
        return variant switch
        {
            "sgd" => Preset("baseline"),
            "adam" => Plain(OptimizerKind.Adam),
            "adamw" => Plain(OptimizerKind.AdamW),
            "sgdp" => Preset("sgdp"),
            "lars" => Preset("lars"),
            "lamb" => Preset("lamb"),
            "tb" => Preset("tb"),
            "lookahead" => Preset("lookahead"),
            "snr" => Preset("snr"),
            "lawn" => Preset("lawn-sgd"),
            _ => throw new ArgumentException($"Unknown variant '{variant}'; use {string.Join(", ", VariantNames)}.", nameof(variant)),
        };
    }

    /// <summary>What the peer needs to build the same model and optimizer: every hyperparameter our side resolved,
    /// the parameters' shapes in registration order (the peer refuses a model that differs) and the parameter groups
    /// as indices into that order with their learning rates.</summary>
    public static JsonObject PeerVariant(string name, TrainingConfig config, int seed, ParameterLayout layout)
    {
        var o = config.Optimizer;
        double eps = o.Eps ?? o.Kind switch { OptimizerKind.Lars => 1e-5, OptimizerKind.Lamb => 1e-6, _ => 1e-8 };
        var variant = new JsonObject
        {
            ["name"] = name,
            ["optimizer"] = o.Kind.ToString().ToLowerInvariant(),
            ["lr"] = config.Lr,
            ["momentum"] = config.Momentum,
            ["weight_decay"] = config.WeightDecay,
            ["beta1"] = o.Beta1,
            ["beta2"] = o.Beta2,
            ["eps"] = eps,
            ["trust_coefficient"] = o.TrustCoefficient,
            ["seed"] = seed,
            ["model"] = new JsonObject
            {
                ["channels"] = Channels,
                ["size"] = ImageSize,
                ["classes"] = Classes,
                ["batch"] = config.BatchSize,
                ["width"] = (int)Math.Max(1, Math.Round(64 * config.WidthFactor)),
            },
            ["shapes"] = new JsonArray(layout.Shapes.Select(s => (JsonNode)new JsonArray(s.Select(d => (JsonNode)d).ToArray())).ToArray()),
            ["groups"] = new JsonArray(layout.Groups.Select(g => (JsonNode)new JsonObject
            {
                ["indices"] = new JsonArray(g.Indices.Select(i => (JsonNode)i).ToArray()),
                ["lr"] = g.LearningRate,
            }).ToArray()),
        };
        if (config.Snr is { } snr) variant["snr"] = new JsonObject { ["coefficient"] = snr.Coefficient, ["power_iterations"] = snr.PowerIterations };
        if (config.Lookahead is { } la)
            variant["lookahead"] = new JsonObject { ["k"] = la.K, ["alpha"] = la.Alpha, ["sync"] = la.Sync == LookaheadSync.Paper ? "paper" : "torch_optimizer" };
        if (config.Lawn is not null)
        {
            variant["lawn"] = true;
            variant["lawn_modules"] = new JsonArray(LawnLayers.ModuleNames(config.Model).Select(m => (JsonNode)m).ToArray());
        }
        return variant;
    }

    /// <summary>A model's parameter shapes in registration order and its optimizer's groups as indices into them.</summary>
    public sealed record ParameterLayout(IReadOnlyList<long[]> Shapes, IReadOnlyList<(IReadOnlyList<int> Indices, double LearningRate)> Groups)
    {
        public static ParameterLayout Of(nn.Module model, TorchSharp.Modules.OptimizerHelper optimizer)
        {
            var parameters = model.parameters().ToList();
            var index = parameters.Select((p, i) => (p.Handle, i)).ToDictionary(x => x.Handle, x => x.i);
            var groups = optimizer.ParamGroups.Cast<TorchSharp.Modules.ParamGroup>()
                .Select(g => ((IReadOnlyList<int>)g.Parameters.Select(p => index[p.Handle]).ToList(), g.LearningRate)).ToList();
            return new ParameterLayout(parameters.Select(p => p.shape).ToList(), groups);
        }
    }

    /// <summary>Wall and process CPU time (every thread of the process) of one sample, in milliseconds.</summary>
    public readonly record struct Timing(double WallMs, double CpuMs)
    {
        public static Timing operator -(Timing a, Timing b) => new(a.WallMs - b.WallMs, a.CpuMs - b.CpuMs);

        public static Timing operator /(Timing a, double d) => new(a.WallMs / d, a.CpuMs / d);
    }

    /// <summary>One side's samples of one variant.</summary>
    sealed class Measurements
    {
        /// <summary>Whole training steps.</summary>
        public List<Timing> Step { get; } = [];

        /// <summary>The optimizer part of those steps (after backward).</summary>
        public List<Timing> StepOptimizer { get; } = [];

        /// <summary>The optimizer step alone, each sample the mean of <see cref="OptimizerRun"/> steps.</summary>
        public List<Timing> OptimizerOnly { get; } = [];

        /// <summary>Ours only: the recipe's extra part alone (SNR's term, LAWN's two projections), sampled as the optimizer step.</summary>
        public List<Timing> Part { get; } = [];

        public JsonObject ToJson()
        {
            static JsonArray Values(IEnumerable<double> xs) => new(xs.Select(v => (JsonNode)v).ToArray());
            return new JsonObject
            {
                ["step_ms"] = Values(Step.Select(t => t.WallMs)),
                ["step_cpu_ms"] = Values(Step.Select(t => t.CpuMs)),
                ["step_optimizer_ms"] = Values(StepOptimizer.Select(t => t.WallMs)),
                ["step_optimizer_cpu_ms"] = Values(StepOptimizer.Select(t => t.CpuMs)),
                ["optimizer_only_ms"] = Values(OptimizerOnly.Select(t => t.WallMs)),
                ["optimizer_only_cpu_ms"] = Values(OptimizerOnly.Select(t => t.CpuMs)),
                ["part_ms"] = Values(Part.Select(t => t.WallMs)),
                ["part_cpu_ms"] = Values(Part.Select(t => t.CpuMs)),
            };
        }
    }

    static int Run(string variantList, int rounds, int steps, int optimizerSamples, int warmup, int batchSize, double widthFactor, int threads,
        string python, string script, bool noPeer, string? jsonPath)
    {
        var names = variantList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(n => n.ToLowerInvariant()).ToArray();
        var unknown = names.Where(n => !VariantNames.Contains(n)).ToList();
        if (unknown.Count > 0 || names.Length == 0)
        {
            Console.Error.WriteLine($"error: unknown variants {string.Join(", ", unknown)}; use {string.Join(", ", VariantNames)}.");
            return 2;
        }
        if (rounds < 1 || steps < 0 || optimizerSamples < 0 || steps + optimizerSamples == 0 || warmup < 0 || batchSize < 1 || threads < 1 || !(widthFactor > 0))
        {
            Console.Error.WriteLine("error: --rounds, --batch-size and --threads must be at least 1, --steps or --optimizer-samples too, --warmup at least 0, --width-factor positive.");
            return 2;
        }
        torch.set_num_threads(threads);
        const int seed = 0;

        var ours = names.ToDictionary(n => n, _ => new Measurements());
        var theirs = names.ToDictionary(n => n, _ => new Measurements());
        var loads = new List<string>();
        var benches = new Dictionary<string, StepBench>();
        PeerProcess? peer = null;
        var clock = Stopwatch.StartNew();
        try
        {
            if (!noPeer) peer = PeerProcess.Start(python, script, threads);
            AnsiConsole.MarkupLine(Markup.Escape(
                $"resnet18 x{widthFactor.ToString(CultureInfo.InvariantCulture)} on {Channels}x{ImageSize}x{ImageSize} random images, {Classes} classes, batch {batchSize}, " +
                $"{threads} threads, {Environment.ProcessorCount} cores; ours: TorchSharp {TorchDevices.TorchSharpVersion} / libtorch {TorchDevices.LibTorchVersion}" +
                (peer is null ? "" : $"; peer: {peer.Description}") +
                $"; {rounds} rounds of {steps} training steps and {optimizerSamples} x {OptimizerRun} optimizer steps per variant and side"));
            for (int round = 1; round <= rounds; round++)
            {
                loads.Add(LoadAverage());
                foreach (var name in names)
                {
                    var config = ConfigOf(name, widthFactor, batchSize);
                    bool first = !benches.ContainsKey(name);
                    int blockWarmup = first ? 2 * warmup : warmup;
                    var bench = first ? benches[name] = new StepBench(config, seed) : benches[name];
                    var variant = PeerVariant(name, config, seed, bench.Layout);
                    var (o, t) = (ours[name], theirs[name]);
                    // Ours first in odd rounds, the peer first in even ones, so neither always follows the other.
                    var order = round % 2 == 1 ? new[] { true, false } : [false, true];
                    if (steps > 0)
                        foreach (bool oursNow in order)
                        {
                            var block = oursNow ? bench.Block(steps, blockWarmup) : peer?.Block(variant, "step", steps, blockWarmup) ?? [];
                            (oursNow ? o : t).Step.AddRange(block.Select(b => b.Step));
                            (oursNow ? o : t).StepOptimizer.AddRange(block.Select(b => b.Optimizer));
                        }
                    if (optimizerSamples > 0)
                        foreach (bool oursNow in order)
                        {
                            var block = oursNow ? bench.OptimizerBlock(optimizerSamples, blockWarmup) : peer?.Block(variant, "optimizer", optimizerSamples, blockWarmup) ?? [];
                            (oursNow ? o : t).OptimizerOnly.AddRange(block.Select(b => b.Step));
                            if (oursNow) o.Part.AddRange(bench.PartBlock(optimizerSamples));
                        }
                    string Last(List<Timing> xs, int n) => xs.Count == 0 ? "-" : BenchCommand.Median(xs.TakeLast(n).Select(x => x.WallMs)).ToString("F2", CultureInfo.InvariantCulture);
                    AnsiConsole.MarkupLine(Markup.Escape(
                        $"round {round} {name,-9} wall ms, step: ours {Last(o.Step, steps)}, peer {Last(t.Step, steps)}; " +
                        $"optimizer alone: ours {Last(o.OptimizerOnly, optimizerSamples)}, peer {Last(t.OptimizerOnly, optimizerSamples)}"));
                }
            }
            loads.Add(LoadAverage());
        }
        catch (PeerException e)
        {
            Console.Error.WriteLine($"error: the peer failed: {e.Message}");
            return 1;
        }
        finally
        {
            peer?.Dispose();
            foreach (var bench in benches.Values) bench.Dispose();
        }

        Report(names, ours, theirs, peer is not null, loads, clock.Elapsed);
        if (jsonPath is not null)
        {
            var json = new JsonObject
            {
                ["batch_size"] = batchSize,
                ["width_factor"] = widthFactor,
                ["threads"] = threads,
                ["optimizer_run"] = OptimizerRun,
                ["load_average"] = new JsonArray(loads.Select(l => (JsonNode)l).ToArray()),
                ["ours"] = new JsonObject(names.Select(n => KeyValuePair.Create(n, (JsonNode?)ours[n].ToJson()))),
                ["peer"] = new JsonObject(names.Select(n => KeyValuePair.Create(n, (JsonNode?)theirs[n].ToJson()))),
            };
            File.WriteAllText(jsonPath, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        return 0;
    }

    static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "";

    static void Report(string[] names, Dictionary<string, Measurements> ours, Dictionary<string, Measurements> theirs, bool withPeer,
        List<string> loads, TimeSpan elapsed)
    {
        static string Ms(double v) => double.IsNaN(v) ? "-" : v.ToString(v >= 100 ? "F0" : "F2", CultureInfo.InvariantCulture);
        static string Ratio(double peer, double our) => double.IsNaN(peer / our) ? "-" : (peer / our).ToString("F2", CultureInfo.InvariantCulture) + "x";
        static double Med(IEnumerable<double> xs) => xs.Any() ? BenchCommand.Median(xs) : double.NaN;
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 220;

        void Table(string title, Func<Measurements, List<Timing>> samples, Func<Measurements, List<Timing>>? part)
        {
            var table = new Table { Title = new TableTitle(title) }.AddColumns("variant", "ours wall", "ours CPU");
            if (withPeer) table.AddColumns("peer wall", "peer CPU", "ours speed, wall", "ours speed, CPU");
            if (part is not null) table.AddColumns("ours optimizer part, wall / CPU", withPeer ? "peer optimizer part, wall / CPU" : "");
            foreach (var n in names)
            {
                var (o, t) = (samples(ours[n]), samples(theirs[n]));
                double ow = Med(o.Select(x => x.WallMs)), oc = Med(o.Select(x => x.CpuMs)), tw = Med(t.Select(x => x.WallMs)), tc = Med(t.Select(x => x.CpuMs));
                var row = new List<string> { n, Ms(ow), Ms(oc) };
                if (withPeer) row.AddRange([Ms(tw), Ms(tc), Ratio(tw, ow), Ratio(tc, oc)]);
                if (part is not null)
                {
                    var (op, tp) = (part(ours[n]), part(theirs[n]));
                    row.Add($"{Ms(Med(op.Select(x => x.WallMs)))} / {Ms(Med(op.Select(x => x.CpuMs)))}");
                    row.Add(withPeer ? $"{Ms(Med(tp.Select(x => x.WallMs)))} / {Ms(Med(tp.Select(x => x.CpuMs)))}" : "");
                }
                table.AddRow(row.Select(Markup.Escape).ToArray());
            }
            AnsiConsole.Write(table);
        }

        if (names.Any(n => ours[n].Step.Count > 0))
            Table("training step (forward, loss read back, zero_grad, backward, optimizer step), median ms", m => m.Step, m => m.StepOptimizer);
        if (names.Any(n => ours[n].OptimizerOnly.Count > 0))
            Table($"optimizer step alone (each sample the mean of {OptimizerRun} steps), median ms", m => m.OptimizerOnly, null);
        Console.WriteLine($"speed = peer time / our time (above 1: ours is faster); CPU = process CPU time of all threads; {elapsed.TotalMinutes:F1} minutes in all");
        Console.WriteLine($"load average (1, 5, 15 min) at each round's start and at the end: {string.Join(" | ", loads)}");

        void Part(string variant, string what)
        {
            if (!names.Contains(variant) || ours[variant].Part.Count == 0) return;
            double part = Med(ours[variant].Part.Select(x => x.CpuMs)), partWall = Med(ours[variant].Part.Select(x => x.WallMs));
            double step = Med(ours[variant].Step.Select(x => x.CpuMs)), stepWall = Med(ours[variant].Step.Select(x => x.WallMs));
            Console.WriteLine($"{what}, timed alone (ours): {Ms(part)} ms CPU, {Ms(partWall)} ms wall" + (double.IsNaN(step) ? "" :
                $"; {(100 * part / step).ToString("F2", CultureInfo.InvariantCulture)} % of its training step's CPU time, {(100 * partWall / stepWall).ToString("F2", CultureInfo.InvariantCulture)} % of its wall time"));
        }

        void Extra(string variant, string what)
        {
            if (!names.Contains(variant) || !names.Contains("sgd") || ours[variant].OptimizerOnly.Count == 0) return;
            string Line(Dictionary<string, Measurements> side)
            {
                double Cpu(string v) => Med(side[v].OptimizerOnly.Select(x => x.CpuMs));
                double extra = Cpu(variant) - Cpu("sgd");
                double step = Med(side[variant].Step.Select(x => x.CpuMs));
                return $"{Ms(extra)} ms" + (double.IsNaN(step) ? "" : $", {(100 * extra / step).ToString("F2", CultureInfo.InvariantCulture)} % of its training step");
            }
            Console.WriteLine($"{what} (CPU time of its optimizer step alone minus SGD's): ours {Line(ours)}" + (withPeer ? $"; peer {Line(theirs)}" : ""));
        }
        Extra("snr", "SNR's extra cost per step");
        Extra("lawn", "LAWN's projections per step");
        Part("snr", "SNR's term per step");
        Part("lawn", "LAWN's two projections per step");
    }

    /// <summary>Process CPU time of all threads (clock_gettime(CLOCK_PROCESS_CPUTIME_ID), what Python's time.process_time reads).</summary>
    static class ProcessClock
    {
        const int ClockProcessCpuTimeId = 2;

        [StructLayout(LayoutKind.Sequential)]
        struct TimeSpec
        {
            public long Seconds;
            public long Nanoseconds;
        }

        [DllImport("libc", EntryPoint = "clock_gettime")]
        static extern int ClockGetTime(int clock, out TimeSpec time);

        public static double Milliseconds()
        {
            if (ClockGetTime(ClockProcessCpuTimeId, out var t) != 0) return Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;
            return t.Seconds * 1e3 + t.Nanoseconds / 1e6;
        }
    }

    /// <summary>Wall and CPU clocks started together.</summary>
    readonly struct Clocks
    {
        readonly long wallStart;
        readonly double cpuStart;

        Clocks(long wall, double cpu) => (wallStart, cpuStart) = (wall, cpu);

        public static Clocks Start() => new(Stopwatch.GetTimestamp(), ProcessClock.Milliseconds());

        public Timing Elapsed => new(Stopwatch.GetElapsedTime(wallStart).TotalMilliseconds, ProcessClock.Milliseconds() - cpuStart);
    }

    /// <summary>Our side: one variant's model, fixed batch and optimizer stack, as the trainer steps them.</summary>
    sealed class StepBench : IDisposable
    {
        readonly nn.Module<Tensor, Tensor> model;
        readonly OptimizerStack optimizer;
        readonly TempBalanceMethod? tempBalance;
        readonly SpectralNormRegularizer? snr;
        readonly TorchSharp.Modules.Parameter[] parameters;
        readonly Tensor images;
        readonly Tensor labels;
        readonly bool oneDnnOffForForward;
        readonly bool oneDnnOffForBackward;
        bool hasGradients;

        public StepBench(TrainingConfig config, int seed)
        {
            model = ModelFactory.Create(config.Model, Classes, Channels, ImageSize, config.WidthFactor);
            SeededInitialization.Apply(model, seed);
            model.train();
            var oneDnnOff = CpuConvolutionWorkaround.ScopeFor(model, CPU);
            oneDnnOffForForward = oneDnnOff == OneDnnOffScope.WholeRun;
            oneDnnOffForBackward = oneDnnOff == OneDnnOffScope.BackwardPasses;
            // TempBalance lays out one group per tuned layer, as in training; its spectral refits happen once per epoch
            // (docs/benchmarks.md has their time), not in a step.
            if (config.TempBalance.Enabled) optimizer = (tempBalance = new TempBalanceMethod(model, config)).Optimizer;
            else optimizer = new OptimizerStack(config, model, [(model.parameters().ToArray(), config.Lr)]);
            Layout = ParameterLayout.Of(model, optimizer.Base);
            parameters = model.parameters().ToArray();
            if (config.Snr is { } snrOptions) snr = new SpectralNormRegularizer(snrOptions.Coefficient, snrOptions.PowerIterations);
            // LAWN's constrained phase, the one with extra work.
            if (config.Lawn is { } lawn) optimizer.BeginEpoch(lawn.FreeEpochs + 1);
            using var generator = new Generator((ulong)seed);
            images = randn([config.BatchSize, Channels, ImageSize, ImageSize], generator: generator).DetachFromDisposeScope();
            labels = randint(0, Classes, [config.BatchSize], generator: generator).DetachFromDisposeScope();
        }

        public ParameterLayout Layout { get; }

        public List<(Timing Step, Timing Optimizer)> Block(int steps, int warmup)
        {
            for (int i = 0; i < warmup; i++) Step();
            return Enumerable.Range(0, steps).Select(_ => Step()).ToList();
        }

        /// <summary>
        /// The optimizer step alone, on the gradients of the last training step (kept), in runs of
        /// <see cref="OptimizerRun"/> steps: each sample is a run's mean, so that Lookahead's sync every 10 steps
        /// counts as often as it happens.
        /// </summary>
        public List<(Timing Step, Timing Optimizer)> OptimizerBlock(int samples, int warmup)
        {
            if (!hasGradients) Step();
            for (int i = 0; i < warmup * OptimizerRun; i++) StepOptimizerOnly();
            var result = new List<(Timing, Timing)>(samples);
            for (int s = 0; s < samples; s++)
            {
                var clocks = Clocks.Start();
                for (int i = 0; i < OptimizerRun; i++) StepOptimizerOnly();
                var mean = clocks.Elapsed / OptimizerRun;
                result.Add((mean, mean));
            }
            return result;
        }

        /// <summary>
        /// The recipe's extra part alone, as often as the optimizer step: SNR's sigma1 u1 v1^T term added to the
        /// gradients (by a regulariser of the same options), or LAWN's gradient and weight projections. Empty for
        /// recipes without one.
        /// </summary>
        public List<Timing> PartBlock(int samples)
        {
            Action? part = snr is not null ? () => snr.AddToGradients(parameters)
                : optimizer.Lawn is { IsActive: true } lawn ? () => { lawn.ProjectGradients(); lawn.Project(); }
            : null;
            if (part is null) return [];
            if (!hasGradients) Step();
            var result = new List<Timing>(samples);
            for (int s = 0; s < samples; s++)
            {
                var clocks = Clocks.Start();
                for (int i = 0; i < OptimizerRun; i++)
                {
                    using var scope = NewDisposeScope();
                    part();
                }
                result.Add(clocks.Elapsed / OptimizerRun);
            }
            return result;
        }

        void StepOptimizerOnly()
        {
            using var scope = NewDisposeScope();
            optimizer.Step();
        }

        /// <summary>The trainer's step on the fixed batch: the whole step's time and its optimizer part's.</summary>
        (Timing Step, Timing Optimizer) Step()
        {
            using var scope = NewDisposeScope();
            var clocks = Clocks.Start();
            // As in training: PyTorch's own convolution kernels for the whole step where oneDNN's forward ones are wrong.
            using var oneDnnOffForStep = oneDnnOffForForward ? CpuConvolutionWorkaround.OneDnnOff() : null;
            var logits = model.forward(images);
            var loss = nn.functional.cross_entropy(logits, labels);
            var stats = stack([loss.detach(), logits.argmax(1).eq(labels).sum().to(ScalarType.Float32)]).cpu().data<float>().ToArray();
            if (!float.IsFinite(stats[0])) throw new InvalidOperationException($"The benchmark's loss became {stats[0]}.");
            optimizer.ZeroGrad();
            hasGradients = true;
            using (oneDnnOffForBackward ? CpuConvolutionWorkaround.OneDnnOff() : null)
                loss.backward();
            var beforeStep = clocks.Elapsed;
            optimizer.Step();
            var end = clocks.Elapsed;
            return (end, end - beforeStep);
        }

        public void Dispose()
        {
            if (tempBalance is not null) tempBalance.Dispose();
            else optimizer.Dispose();
            model.Dispose();
            images.Dispose();
            labels.Dispose();
        }
    }

    sealed class PeerException(string message) : Exception(message);

    /// <summary>The Python peer, started once and fed one block at a time over its standard input.</summary>
    sealed class PeerProcess : IDisposable
    {
        readonly Process process;

        PeerProcess(Process process, string description)
        {
            this.process = process;
            Description = description;
        }

        public string Description { get; }

        public static PeerProcess Start(string python, string script, int threads)
        {
            if (!File.Exists(script)) throw new PeerException($"{script} not found; run from the repository root or give --peer-script.");
            var start = new ProcessStartInfo(python)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = false,
                WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(script))!,
            };
            start.ArgumentList.Add(Path.GetFullPath(script));
            start.ArgumentList.Add("--serve");
            start.ArgumentList.Add("--threads");
            start.ArgumentList.Add(threads.ToString(CultureInfo.InvariantCulture));
            Process process;
            try
            {
                process = Process.Start(start) ?? throw new PeerException($"{python} did not start.");
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new PeerException($"{python}: {e.Message}");
            }
            var ready = ReadAnswer(process);
            var description = $"python torch {ready["torch"]}, {ready["threads"]} threads";
            return new PeerProcess(process, description);
        }

        /// <param name="mode">"step": training steps; "optimizer": the optimizer step alone, samples of <see cref="OptimizerRun"/> (in Step).</param>
        public List<(Timing Step, Timing Optimizer)> Block(JsonObject variant, string mode, int steps, int warmup)
        {
            var request = new JsonObject
            {
                ["variant"] = variant.DeepClone(),
                ["mode"] = mode,
                ["steps"] = steps,
                ["warmup"] = warmup,
                ["optimizer_run"] = OptimizerRun,
            };
            process.StandardInput.WriteLine(request.ToJsonString());
            process.StandardInput.Flush();
            var answer = ReadAnswer(process);
            double[] Values(string key) => answer[key]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
            var step = Values("step_ms").Zip(Values("step_cpu_ms"), (w, c) => new Timing(w, c));
            var optimizer = Values("optimizer_ms").Zip(Values("optimizer_cpu_ms"), (w, c) => new Timing(w, c));
            return step.Zip(optimizer).ToList();
        }

        static JsonObject ReadAnswer(Process process)
        {
            var line = process.StandardOutput.ReadLine() ?? throw new PeerException($"it exited (code {(process.WaitForExit(5000) ? process.ExitCode : -1)}) without answering.");
            var answer = JsonNode.Parse(line)?.AsObject() ?? throw new PeerException($"unexpected answer '{line}'.");
            if (answer["error"] is { } error) throw new PeerException(error.GetValue<string>());
            return answer;
        }

        public void Dispose()
        {
            try
            {
                process.StandardInput.Close();
                if (!process.WaitForExit(10_000)) process.Kill();
            }
            finally
            {
                process.Dispose();
            }
        }
    }
}
