using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using TempBalance.Core.Data;
using TempBalance.Core.Models;
using TempBalance.Core.Scheduling;
using TempBalance.Core.Training;
using TorchSharp;

namespace TempBalance.Cli;

/// <summary>`tempbalance train`: one training run with live progress; results, CSVs and a checkpoint in --out.</summary>
public static class TrainCommand
{
    public const int InvalidConfiguration = 2;
    public const int Diverged = 3;
    public const int Cancelled = 130;

    public static Command Create()
    {
        var recipe = new TrainOptions();
        var output = new Option<string>("--out") { Description = "Run directory for results.json, CSVs and checkpoint.bin.", DefaultValueFactory = _ => Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss")) };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its checkpoint, with its saved configuration." };
        var threads = new Option<int?>("--threads") { Description = "CPU threads for torch (default: torch's choice)." };
        var dataRoot = new Option<string>("--data-root") { Description = "Folder that holds the datasets (default: $TEMPBALANCE_DATA_ROOT or ./data).", DefaultValueFactory = _ => DatasetCatalog.DefaultDataRoot() };
        var download = new Option<bool>("--download") { Description = "Download the dataset from its canonical location (checksum-checked) when files are missing." };

        var command = new Command("train", "Train a model with a recipe (TempBalance, SNR, LARS, LAWN, ... or a combination) and record per-layer spectra and learning rates.");
        foreach (var option in recipe.All.Concat([output, resume, threads, dataRoot, download])) command.Options.Add(option);
        command.SetAction(parse =>
        {
            var outDir = parse.GetValue(output)!;
            var root = parse.GetValue(dataRoot)!;
            if (parse.GetValue(threads) is int n) torch.set_num_threads(n);

            var problems = new List<ConfigError>();
            TrainingConfig config;
            if (parse.GetValue(resume))
            {
                var saved = Path.Combine(outDir, ResultsWriter.ResultsFile);
                if (!Checkpoint.Exists(outDir) || !File.Exists(saved))
                {
                    AnsiConsole.MarkupLine($"[red]Nothing to resume:[/] {Markup.Escape(outDir)} has no {Checkpoint.FileName} and {ResultsWriter.ResultsFile}. Start a run there without --resume.");
                    return InvalidConfiguration;
                }
                config = JsonSerializer.Deserialize<ResultsWriter.RunResults>(File.ReadAllText(saved), ResultsWriter.Json)!.Config;
            }
            else
            {
                if (Checkpoint.Exists(outDir))
                {
                    AnsiConsole.MarkupLine($"[red]{Markup.Escape(outDir)} already holds a run.[/] Pass --resume to continue it, or choose another --out.");
                    return InvalidConfiguration;
                }
                config = recipe.Build(parse, problems);
            }
            if (parse.GetValue(download) && !DatasetCatalog.Locate(config.Dataset, root).Found && DatasetCatalog.All.Any(d => d.Name == config.Dataset))
            {
                try
                {
                    using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
                    AnsiConsole.MarkupLine($"Downloading {Markup.Escape(config.Dataset)} into {Markup.Escape(Path.GetFullPath(root))} ...");
                    DatasetDownloader.DownloadAsync(config.Dataset, root, http).GetAwaiter().GetResult();
                }
                catch (IOException e)
                {
                    problems.Add(new ConfigError("dataset", e.Message));
                }
            }
            problems.AddRange(TrainingConfigValidator.Validate(config, root));
            if (problems.Count > 0)
            {
                AnsiConsole.MarkupLine("[red]Cannot train with this configuration:[/]");
                foreach (var p in problems) AnsiConsole.MarkupLine($"  [yellow]{Markup.Escape(p.Field)}[/]: {Markup.Escape(p.Message)}");
                return InvalidConfiguration;
            }
            return Train(config, outDir, root);
        });
        return command;
    }

    static int Train(TrainingConfig config, string outDir, string dataRoot)
    {
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        var trainer = new Trainer(config, outDir, dataRoot);
        AnsiConsole.MarkupLine($"Training [bold]{Markup.Escape(config.Model)}[/] on [bold]{Markup.Escape(config.Dataset)}[/] with [bold]{Markup.Escape(RecipeText.Describe(config))}[/], {config.Epochs} epochs, results in {Markup.Escape(Path.GetFullPath(outDir))}");

        TrainingResult result = null!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("starting", maxValue: config.Epochs);
                trainer.BatchCompleted += p =>
                {
                    task.Description = $"epoch {p.Epoch}/{config.Epochs} batch {p.Batch}/{p.BatchesPerEpoch} loss {p.Loss:F3} acc {p.Accuracy:P1} {p.ImagesPerSecond:F0} img/s ETA {p.Eta:hh\\:mm\\:ss}";
                    task.Value = p.Epoch - 1 + (double)p.Batch / p.BatchesPerEpoch;
                };
                trainer.Notice += notice => AnsiConsole.MarkupLine($"[yellow]Note:[/] {Markup.Escape(notice)}");
                trainer.Started += environment => AnsiConsole.MarkupLine(Markup.Escape(
                    $"Device {environment.Device} ({environment.DeviceName}), {environment.Threads} threads; {environment.TrainImages:N0} training and {environment.TestImages:N0} test images"));
                trainer.EpochCompleted += e =>
                {
                    task.Value = e.Epoch;
                    AnsiConsole.MarkupLine(Markup.Escape(
                        $"epoch {e.Epoch}: train loss {e.TrainLoss:F4} acc {e.TrainAccuracy:P2} | test loss {e.TestLoss:F4} acc {e.TestAccuracy:P2} | lr {(e.LearningRate is double lr ? lr.ToString("G4") : "-")} | {e.EpochSeconds:F1} s + ESD {e.EsdSeconds:F2} s"));
                };
                result = trainer.Run(cancel.Token);
            });
        Console.CancelKeyPress -= onCancel;

        WriteSummary(result);
        AnsiConsole.MarkupLine($"Results: {Markup.Escape(Path.GetFullPath(Path.Combine(outDir, ResultsWriter.ResultsFile)))} (+ {ResultsWriter.EpochsFile}, {ResultsWriter.BatchLossesFile}, {ResultsWriter.LayersFile})");
        switch (result.Outcome)
        {
            case RunOutcome.Completed:
                return 0;
            case RunOutcome.Diverged:
                AnsiConsole.MarkupLine($"[red]{Markup.Escape(result.Message ?? "Diverged.")}[/]");
                return Diverged;
            default:
                AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(result.Message ?? "Cancelled.")}[/] Continue with --resume --out {Markup.Escape(outDir)}.");
                return Cancelled;
        }
    }

    static void WriteSummary(TrainingResult result)
    {
        var table = new Table().AddColumns("epoch", "train loss", "train acc", "test loss", "test acc", "lr", "epoch s", "ESD s");
        foreach (var e in result.Epochs)
            table.AddRow(e.Epoch.ToString(), $"{e.TrainLoss:F4}", $"{e.TrainAccuracy:P2}", $"{e.TestLoss:F4}", $"{e.TestAccuracy:P2}",
                e.LearningRate is double lr ? $"{lr:G4}" : "-", $"{e.EpochSeconds:F1}", $"{e.EsdSeconds:F2}");
        AnsiConsole.Write(table);

        if (result.Epochs.Count > 0 && result.Epochs[^1].Layers.Count > 0)
        {
            var last = result.Epochs[^1];
            var layers = new Table().AddColumns("layer", "kind", "eigs", "alpha", "spectral norm", "J", $"lr in epoch {last.Epoch}", "tuned");
            foreach (var l in last.Layers)
                layers.AddRow(Markup.Escape(l.Name), l.Kind, l.EigsNum.ToString(), l.Alpha is double a ? $"{a:F3}" : Markup.Escape(l.FitError ?? "-"),
                    $"{l.SpectralNorm:G4}", l.J is double j ? $"{j:F3}" : "-", l.LearningRate is double rate ? $"{rate:G4}" : "-", l.Tuned ? "yes" : "no");
            AnsiConsole.Write(layers);
        }
    }
}
