using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;
using TempBalance.Core;
using TempBalance.Core.Data;
using TempBalance.Core.EdgeOfChaos;
using TempBalance.Core.Sweeps;
using TempBalance.Core.Training;

namespace TempBalance.Cli;

/// <summary>
/// `tempbalance sweep`: one base recipe (the train options) trained over a grid of values (--grid FIELD=V1,V2,...),
/// each run in its own folder under --out/runs, --parallel runs at a time, with sweep.csv summarising them.
/// Running the same sweep again in the same folder continues it: finished runs are kept, stopped ones resume.
/// </summary>
public static class SweepCommand
{
    public const string SpecFile = "sweep.json";
    public const string SummaryFile = "sweep.csv";
    public const string RunsFolder = "runs";

    public const int RunFailed = 1;

    public static Command Create()
    {
        var recipe = new TrainOptions();
        var grid = new Option<string[]>("--grid")
        {
            Description = $"An axis FIELD=V1,V2,... (repeatable; every combination is trained). Fields: {string.Join(", ", SweepFields.All.Select(f => f.CliName))}.",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var output = new Option<string>("--out") { Description = "Sweep folder: sweep.json, sweep.csv and runs/ with one folder per run.", DefaultValueFactory = _ => Path.Combine("sweeps", DateTime.Now.ToString("yyyyMMdd-HHmmss")) };
        var parallel = new Option<int>("--parallel") { Description = "Runs trained at the same time (each with its own torch threads); with more than one, the longest runs start first.", DefaultValueFactory = _ => 1 };
        var threads = new Option<int?>("--threads") { Description = "Torch CPU threads per run (default: cores / --parallel, at least 1)." };
        var maxRuns = new Option<int>("--max-runs") { Description = "Refuse sweeps with more runs than this.", DefaultValueFactory = _ => SweepSpec.DefaultMaxRuns };
        var dataRoot = new Option<string>("--data-root") { Description = "Folder that holds the datasets (default: $TEMPBALANCE_DATA_ROOT or ./data).", DefaultValueFactory = _ => DatasetCatalog.DefaultDataRoot() };

        var command = new Command("sweep", "Train a recipe over a grid of values of its numeric fields (learning rate, batch size, momentum, weight decay, TempBalance s1/s2, SNR sg, seed, ...) and summarise the runs in sweep.csv.");
        foreach (var option in recipe.All.Concat([grid, output, parallel, threads, maxRuns, dataRoot])) command.Options.Add(option);
        command.SetAction(parse =>
        {
            var problems = new List<ConfigError>();
            var axes = ParseGrid(parse.GetValue(grid) ?? [], problems);
            var config = recipe.Build(parse, problems);
            int workers = parse.GetValue(parallel);
            if (workers < 1) problems.Add(new ConfigError("parallel", $"--parallel must be at least 1 (got {workers})."));
            if (parse.GetValue(threads) is < 1) problems.Add(new ConfigError("threads", $"--threads must be at least 1 (got {parse.GetValue(threads)})."));
            if (parse.GetValue(maxRuns) < 1) problems.Add(new ConfigError("max-runs", $"--max-runs must be at least 1 (got {parse.GetValue(maxRuns)})."));
            var root = parse.GetValue(dataRoot)!;
            var spec = new SweepSpec(config, axes);
            if (problems.Count == 0) problems.AddRange(SweepExpansion.Validate(spec, root, parse.GetValue(maxRuns)));
            var outDir = parse.GetValue(output)!;
            if (problems.Count == 0 && SpecConflict(spec, outDir) is { } conflict) problems.Add(new ConfigError("out", conflict));
            if (problems.Count > 0)
            {
                AnsiConsole.MarkupLine("[red]Cannot run this sweep; nothing was trained:[/]");
                foreach (var p in problems) AnsiConsole.MarkupLine($"  [yellow]{Markup.Escape(p.Field)}[/]: {Markup.Escape(p.Message)}");
                return TrainCommand.InvalidConfiguration;
            }
            int torchThreads = parse.GetValue(threads) ?? TorchThreads.ShareOfCores(workers);
            return Run(spec, outDir, root, workers, torchThreads);
        });
        return command;
    }

    /// <summary>"lr=0.01,0.02" -> (lr, [0.01, 0.02]); a value that is not a number is a problem under "grid".</summary>
    static List<SweepAxis> ParseGrid(string[] texts, List<ConfigError> problems)
    {
        var axes = new List<SweepAxis>();
        if (texts.Length == 0) problems.Add(new ConfigError("grid", "Give at least one axis, such as --grid lr=0.01,0.02."));
        foreach (var text in texts)
        {
            int eq = text.IndexOf('=');
            if (eq <= 0)
            {
                problems.Add(new ConfigError("grid", $"'{text}' is not FIELD=V1,V2,... (such as lr=0.01,0.02)."));
                continue;
            }
            var values = new List<double>();
            foreach (var part in text[(eq + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) values.Add(v);
                else problems.Add(new ConfigError("grid", $"{text[..eq].Trim()}: '{part}' is not a number."));
            }
            axes.Add(new SweepAxis(text[..eq].Trim(), values));
        }
        return axes;
    }

    /// <summary>What sweep.json records: the base recipe and the axes, fields by their JSON path.</summary>
    public sealed record SweepFileContent(TrainingConfig Config, IReadOnlyList<SweepAxis> Axes);

    static string SpecJson(SweepSpec spec) => JsonSerializer.Serialize(
        new SweepFileContent(spec.Base, SweepExpansion.Fields(spec).Select((f, i) => new SweepAxis(f.Path, spec.Axes[i].Values)).ToList()),
        new JsonSerializerOptions(ResultsWriter.Json) { WriteIndented = true });

    /// <summary>Why the folder cannot take this sweep (it holds another one), or null.</summary>
    static string? SpecConflict(SweepSpec spec, string outDir)
    {
        var path = Path.Combine(outDir, SpecFile);
        if (File.Exists(path))
            return File.ReadAllText(path) == SpecJson(spec) ? null
                : $"{outDir} holds another sweep ({SpecFile} differs); run this one in a new --out, or repeat that one's options to continue it.";
        if (Directory.Exists(Path.Combine(outDir, RunsFolder)))
            return $"{outDir} already has a {RunsFolder} folder but no {SpecFile}; choose another --out.";
        return null;
    }

    /// <summary>One run of the sweep as it ends: how, its metrics, and how long it trained in this invocation.</summary>
    public sealed record SweepRunResult(SweepPoint Point, string Folder, string Status, RunMetrics Metrics, double Seconds, string? Message);

    static int Run(SweepSpec spec, string outDir, string dataRoot, int workers, int torchThreads)
    {
        var fields = SweepExpansion.Fields(spec);
        var points = SweepExpansion.Expand(spec);
        Directory.CreateDirectory(Path.Combine(outDir, RunsFolder));
        File.WriteAllText(Path.Combine(outDir, SpecFile), SpecJson(spec));

        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        // Plain lines: Spectre would wrap them at 80 columns when the output goes to a file.
        Console.WriteLine(
            $"Sweep of {points.Count} runs ({string.Join(" x ", fields.Select((f, i) => $"{spec.Axes[i].Values.Count} {f.CliName}"))}) of {RecipeText.Describe(spec.Base)}, " +
            $"{workers} at a time with {torchThreads} torch thread{(torchThreads == 1 ? "" : "s")} each; results in {Path.GetFullPath(outDir)}");

        // Every run of a sweep trains on the same dataset: read it once.
        using var datasets = new DatasetCache();
        var results = new SweepRunResult?[points.Count];
        var gate = new object();
        int next = -1, finished = 0;
        // Several at a time, the longest start first; results and folders keep grid order.
        var order = workers > 1 ? SweepExpansion.LongestFirst(points).Select(p => p.Index).ToArray() : [.. Enumerable.Range(0, points.Count)];
        var wall = Stopwatch.StartNew();
        void Work()
        {
            TorchThreads.SetForThisThread(torchThreads);
            for (int n; (n = Interlocked.Increment(ref next)) < points.Count && !cancel.IsCancellationRequested;)
            {
                int k = order[n];
                var result = RunOne(points[k], fields, outDir, dataRoot, datasets, points.Count, cancel.Token);
                lock (gate)
                {
                    results[k] = result;
                    finished++;
                    WriteSummary(outDir, fields, results);
                    Console.WriteLine($"[{finished}/{points.Count}] run {k + 1} ({points[k].Label(fields)}) {result.Status} after {result.Seconds:F0} s" +
                        (result.Metrics.BestTestAccuracy is { } best ? $", best test accuracy {best:P2}" : "") + (result.Message is { } m ? $": {m}" : ""));
                }
            }
        }
        var threads = Enumerable.Range(0, Math.Min(workers, points.Count)).Select(i => new Thread(Work) { Name = $"sweep worker {i + 1}" }).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        wall.Stop();
        Console.CancelKeyPress -= onCancel;

        var done = results.Where(r => r is not null).Select(r => r!).ToList();
        WriteTable(fields, done);
        double summed = done.Sum(r => r.Seconds);
        Console.WriteLine(
            $"{done.Count} of {points.Count} runs in {wall.Elapsed.TotalSeconds:F0} s wall time; their training took {summed:F0} s summed" +
            (summed > 0 ? $" (wall / sum = {wall.Elapsed.TotalSeconds / summed:F2})" : "") + $". Summary: {Path.GetFullPath(Path.Combine(outDir, SummaryFile))}");
        if (cancel.IsCancellationRequested || done.Any(r => r.Status == "cancelled"))
        {
            AnsiConsole.MarkupLine("[yellow]Cancelled.[/] Run the same command again to continue the sweep where it stopped.");
            return TrainCommand.Cancelled;
        }
        return done.Any(r => r.Status == "failed") ? RunFailed : 0;
    }

    static string FolderName(SweepPoint point, IReadOnlyList<SweepField> fields) =>
        $"{point.Index + 1:D3}-" + string.Join("-", fields.Select((f, i) => f.CliName + SweepText.Value(point.Values[i])));

    static SweepRunResult RunOne(SweepPoint point, IReadOnlyList<SweepField> fields, string outDir, string dataRoot, DatasetCache datasets, int total, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(outDir, RunsFolder, FolderName(point, fields));
        var label = $"run {point.Index + 1}/{total} ({point.Label(fields)})";
        var setting = RunMetrics.SgdSettingOf(point.Config);
        if (ReadResults(folder) is { Outcome: RunOutcome.Completed or RunOutcome.Diverged } earlier)
            return new SweepRunResult(point, folder, StatusOf(earlier.Outcome), RunMetrics.From(RunMetrics.MeasurementsOf(earlier), setting), 0, "kept from an earlier invocation");

        var clock = Stopwatch.StartNew();
        try
        {
            var trainer = new Trainer(point.Config, folder, dataRoot, datasets);
            var watched = WatchedLayers.Primary(point.Config.Model);
            trainer.EpochCompleted += e => Console.WriteLine(
                $"{label} epoch {e.Epoch}/{point.Config.Epochs}: test loss {e.TestLoss:F4} acc {e.TestAccuracy:P2}" +
                (watched is int w && e.Layers.FirstOrDefault(l => l.Index == w)?.J is double j ? $", J {j:F3}" : "") + $" ({e.EpochSeconds:F1} s)");
            var result = trainer.Run(cancellationToken);
            var saved = ReadResults(folder);
            var metrics = saved is null ? RunMetrics.Empty : RunMetrics.From(RunMetrics.MeasurementsOf(saved), setting);
            return new SweepRunResult(point, folder, StatusOf(result.Outcome), metrics, clock.Elapsed.TotalSeconds, result.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new SweepRunResult(point, folder, "failed", RunMetrics.Empty, clock.Elapsed.TotalSeconds, e.Message.Split('\n')[0]);
        }
    }

    static string StatusOf(RunOutcome? outcome) => outcome switch
    {
        RunOutcome.Completed => "completed",
        RunOutcome.Diverged => "diverged",
        _ => "cancelled",
    };

    static ResultsWriter.RunResults? ReadResults(string folder)
    {
        var path = Path.Combine(folder, ResultsWriter.ResultsFile);
        return File.Exists(path) ? JsonSerializer.Deserialize<ResultsWriter.RunResults>(File.ReadAllText(path), ResultsWriter.Json) : null;
    }

    /// <summary>sweep.csv: one row per finished run, in grid order; rewritten as each run ends.</summary>
    public static string SummaryCsv(IReadOnlyList<SweepField> fields, IEnumerable<SweepRunResult> runs)
    {
        var csv = new StringBuilder();
        csv.AppendJoin(',', new[] { "run", "folder" }.Concat(fields.Select(f => f.CliName)).Concat(
        [
            "status", "epochs", .. SweepMetrics.All.Select(SweepMetrics.Column), "best_epoch", "edge_epoch", "final_j",
            "j2_slope", "j2_slope_c", "j2_slope_r2", "seconds", "message",
        ]));
        csv.Append('\n');
        foreach (var r in runs)
        {
            var m = r.Metrics;
            var slope = m.Slope is { Succeeded: true } s ? s : null;
            object?[] cells =
            [
                r.Point.Index + 1, Path.GetFileName(r.Folder), .. r.Point.Values.Cast<object?>(), r.Status, m.LastEpoch,
                .. SweepMetrics.All.Select(metric => (object?)m.Value(metric)), m.BestEpoch, m.EdgeEpoch, m.FinalJ,
                slope?.Slope, slope?.Coefficient, slope?.RSquared, Math.Round(r.Seconds, 1), r.Message,
            ];
            csv.AppendJoin(',', cells.Select(Cell));
            csv.Append('\n');
        }
        return csv.ToString();
    }

    static string Cell(object? value) => value switch
    {
        null => "",
        double d => double.IsFinite(d) ? d.ToString("R", CultureInfo.InvariantCulture) : "",
        string s when s.IndexOfAny([',', '"', '\n', '\r']) >= 0 => "\"" + s.Replace("\"", "\"\"") + "\"",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    static void WriteSummary(string outDir, IReadOnlyList<SweepField> fields, IEnumerable<SweepRunResult?> results)
    {
        var path = Path.Combine(outDir, SummaryFile);
        File.WriteAllText(path + ".tmp", SummaryCsv(fields, results.Where(r => r is not null)!));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    static void WriteTable(IReadOnlyList<SweepField> fields, IReadOnlyList<SweepRunResult> runs)
    {
        if (runs.Count == 0) return;
        var table = new Table().AddColumns(["run", .. fields.Select(f => f.CliName), "status", "best acc", "final acc", "best epoch", "J there", "J = 1 at", "J² slope"]);
        static string N(double? v, string format) => v is { } x && double.IsFinite(x) ? x.ToString(format, CultureInfo.InvariantCulture) : "-";
        foreach (var r in runs.OrderBy(r => r.Point.Index))
        {
            var m = r.Metrics;
            table.AddRow([(r.Point.Index + 1).ToString(CultureInfo.InvariantCulture), .. r.Point.Values.Select(SweepText.Value), r.Status,
                N(m.BestTestAccuracy * 100, "F2"), N(m.FinalTestAccuracy * 100, "F2"), m.BestEpoch?.ToString(CultureInfo.InvariantCulture) ?? "-",
                N(m.JAtBestEpoch, "F3"), m.EpochsToEdge?.ToString(CultureInfo.InvariantCulture) ?? "-", m.Slope is { Succeeded: true } s ? N(s.Slope, "G3") : "-"]);
        }
        if (Console.IsOutputRedirected)
            AnsiConsole.Profile.Width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 0 ? columns : 200;
        AnsiConsole.Write(table);
        if (runs.Where(r => r.Metrics.BestTestAccuracy is not null).MaxBy(r => r.Metrics.BestTestAccuracy) is { } best)
            Console.WriteLine($"Best: run {best.Point.Index + 1} ({best.Point.Label(fields)}), best test accuracy {best.Metrics.BestTestAccuracy:P2}, in {best.Folder}");
        var check = SweepGuidelineCheck.From([.. runs.Where(r => RunMetrics.ScalingSettingOf(r.Point.Config) is not null)
            .Select(r => new GuidelineRun(r.Point.Index + 1, RunMetrics.ScalingSettingOf(r.Point.Config)!, r.Metrics))]);
        if (check is not null)
            Console.WriteLine(
                $"Scaling relation: c = {check.ReferenceFit.Coefficient:F2} from run {check.ReferenceId}; c fitted to all runs {check.PooledCoefficient:F2}, " +
                $"single runs within {check.PooledSpread:P0} of it; largest slope error of the prediction from run {check.ReferenceId}: " +
                $"{check.Predictions.Where(p => p.SlopeError is not null).Select(p => Math.Abs(p.SlopeError!.Value)).DefaultIfEmpty(0).Max():P0}.");
    }
}
