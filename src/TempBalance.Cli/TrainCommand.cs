using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using TempBalance.Core.Data;
using TempBalance.Core.Models;
using TempBalance.Core.Optimizers;
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
        var defaults = new TrainingConfig();
        var tbDefaults = new TempBalanceOptions();
        var model = new Option<string>("--model") { Description = $"Model: {string.Join(", ", ModelFactory.Names)}.", DefaultValueFactory = _ => defaults.Model };
        var dataset = new Option<string>("--dataset") { Description = $"Dataset: {string.Join(", ", DatasetCatalog.All.Select(d => d.Name))}.", DefaultValueFactory = _ => defaults.Dataset };
        var method = new Option<string>("--method") { Description = $"Recipe preset, with the paper's defaults: {string.Join(", ", RecipePresets.Names)} (or custom; tempbalance means tb). Flags below change its parts.", DefaultValueFactory = _ => defaults.Method };
        var optimizer = new Option<string>("--optimizer") { Description = $"Base optimizer: {string.Join(", ", Enum.GetNames<OptimizerKind>().Select(n => n.ToLowerInvariant()))} (default: the preset's)." };
        var betas = new Option<string>("--betas") { Description = "Adam, AdamW, LAMB: beta1,beta2 (default 0.9,0.999)." };
        var eps = new Option<double?>("--eps") { Description = "Optimizer eps (default: the optimizer's own)." };
        var trust = new Option<double>("--trust-coefficient") { Description = "LARS trust coefficient (default 0.001).", DefaultValueFactory = _ => defaults.Optimizer.TrustCoefficient };
        var sgdrT0 = new Option<int?>("--sgdr-t0") { Description = "SGDR: epochs of the first cosine (default: half the epochs)." };
        var sgdrTMult = new Option<int>("--sgdr-tmult") { Description = "SGDR: each restart's period is this many times the last.", DefaultValueFactory = _ => defaults.Sgdr.TMult };
        var snr = new Option<double>("--snr") { Description = "Spectral-norm regulariser coefficient sg (0: off)." };
        var snrIterations = new Option<int>("--snr-iterations") { Description = "SNR power iterations per step.", DefaultValueFactory = _ => new SnrOptions().PowerIterations };
        var lookahead = new Option<string>("--lookahead") { Description = "Lookahead K,ALPHA around the optimizer (e.g. 10,0.8), or off." };
        var lookaheadSync = new Option<string>("--lookahead-sync") { Description = "Lookahead's sync: paper (after steps K, 2K, ...) or torch-optimizer (after steps 1, K + 1, ..., as the reference ran it). Default: the preset's, else paper." };
        var lawnFree = new Option<int?>("--lawn-free-epochs") { Description = "LAWN: train E epochs free, then hold the final layers' weight norms (omit: the preset's; -1: off)." };
        var withTb = new Option<bool>("--tempbalance") { Description = "Turn TempBalance's layer-wise learning rates on, on any optimizer." };
        var withoutTb = new Option<bool>("--no-tempbalance") { Description = "Turn TempBalance off (every layer follows the global rate)." };
        var epochs = new Option<int>("--epochs") { Description = "Number of epochs.", DefaultValueFactory = _ => defaults.Epochs };
        var batchSize = new Option<int>("--batch-size") { Description = "Images per optimizer step.", DefaultValueFactory = _ => defaults.BatchSize };
        var lr = new Option<double>("--lr") { Description = "Initial global learning rate.", DefaultValueFactory = _ => defaults.Lr };
        var momentum = new Option<double>("--momentum") { Description = "SGD momentum.", DefaultValueFactory = _ => defaults.Momentum };
        var weightDecay = new Option<double>("--weight-decay") { Description = "SGD weight decay (every parameter).", DefaultValueFactory = _ => defaults.WeightDecay };
        var seed = new Option<int>("--seed") { Description = "Seed for weights and data order.", DefaultValueFactory = _ => defaults.Seed };
        var schedule = new Option<string>("--schedule") { Description = $"Global LR schedule: {string.Join(", ", GlobalSchedule.Kinds)}.", DefaultValueFactory = _ => defaults.Schedule.ToString().ToLowerInvariant() };
        var warmup = new Option<int>("--warmup-epochs") { Description = "Epochs of linear warm-up.", DefaultValueFactory = _ => defaults.WarmupEpochs };
        var device = new Option<string>("--device") { Description = "auto, cpu, cuda or cuda:N.", DefaultValueFactory = _ => defaults.Device };
        var width = new Option<double>("--width-factor") { Description = "Multiplies model widths (1 = the paper's).", DefaultValueFactory = _ => defaults.WidthFactor };
        var noAugment = new Option<bool>("--no-augment") { Description = "Turn off random crop and flip (colour datasets)." };
        var subset = new Option<int?>("--subset") { Description = "Use only the first N training images (and at most N test images, unless --full-test-set)." };
        var fullTestSet = new Option<bool>("--full-test-set") { Description = "With --subset, still evaluate on the whole test set." };
        var output = new Option<string>("--out") { Description = "Run directory for results.json, CSVs and checkpoint.bin.", DefaultValueFactory = _ => Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss")) };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its checkpoint, with its saved configuration." };
        var threads = new Option<int?>("--threads") { Description = "CPU threads for torch (default: torch's choice)." };
        var dataRoot = new Option<string>("--data-root") { Description = "Folder that holds the datasets (default: $TEMPBALANCE_DATA_ROOT or ./data).", DefaultValueFactory = _ => DatasetCatalog.DefaultDataRoot() };
        var download = new Option<bool>("--download") { Description = "Download the dataset from its canonical location (checksum-checked) when files are missing." };
        var tbFit = new Option<string>("--tb-fit") { Description = "xmin rule: median, ks or peak.", DefaultValueFactory = _ => Lower(tbDefaults.Fit) };
        var tbAssign = new Option<string>("--tb-assign") { Description = "LR assignment: linear, sqrt, log2 or step.", DefaultValueFactory = _ => Lower(tbDefaults.Assign) };
        var tbMetric = new Option<string>("--tb-metric") { Description = "Layer metric: alpha, spectral-norm or alpha-weighted.", DefaultValueFactory = _ => "alpha" };
        var tbMin = new Option<double>("--tb-min-ratio") { Description = "Smallest LR factor s1.", DefaultValueFactory = _ => tbDefaults.MinRatio };
        var tbMax = new Option<double>("--tb-max-ratio") { Description = "Largest LR factor s2.", DefaultValueFactory = _ => tbDefaults.MaxRatio };
        var tbXminPos = new Option<int>("--tb-xmin-pos") { Description = "Median rule: xmin index = N / this.", DefaultValueFactory = _ => tbDefaults.XminPos };
        var tbConvNorm = new Option<double>("--tb-conv-norm") { Description = "Conv matrices are scaled by sqrt(this).", DefaultValueFactory = _ => tbDefaults.ConvNorm };
        var tbEigsThresh = new Option<int>("--tb-eigs-thresh") { Description = "Do not tune layers with fewer eigenvalues (0 = tune all, the paper).", DefaultValueFactory = _ => tbDefaults.EigsThresh };
        var tbEvery = new Option<int>("--tb-every-steps") { Description = "Refit every K steps instead of every epoch (0 = per epoch).", DefaultValueFactory = _ => tbDefaults.UpdateEverySteps };
        var tbFilter = new Option<bool>("--tb-filter-zeros") { Description = "Drop eigenvalues <= 1e-5 before fitting." };
        var tbReferenceTies = new Option<bool>("--tb-reference-ties") { Description = "Reference behaviour when all metrics are equal (every layer gets s2 * lr)." };
        var tbFloat32 = new Option<bool>("--tb-float32") { Description = "Eigenvalues in float32: faster ESD passes, alphas within about 1e-6 of float64." };
        var tbPeakBound = new Option<bool>("--tb-reference-peak-bound") { Description = "Peak rule: the reference's (WeightWatcher's) lower bound, which mixes log and linear units." };

        var command = new Command("train", "Train a model with a recipe (TempBalance, SNR, LARS, LAWN, ... or a combination) and record per-layer spectra and learning rates.")
        {
            model, dataset, method, epochs, batchSize, lr, momentum, weightDecay, seed, schedule, warmup, device, width,
            noAugment, subset, fullTestSet, output, resume, threads, dataRoot, download,
            optimizer, betas, eps, trust, sgdrT0, sgdrTMult, snr, snrIterations, lookahead, lookaheadSync, lawnFree, withTb, withoutTb,
            tbFit, tbAssign, tbMetric, tbMin, tbMax, tbXminPos, tbConvNorm, tbEigsThresh, tbEvery, tbFilter, tbReferenceTies, tbFloat32, tbPeakBound,
        };
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
                bool Given(Option o) => parse.GetResult(o) is { Implicit: false };
                // The run's own settings first, so that a preset can size what depends on them (LAWN's free epochs).
                var basis = new TrainingConfig
                {
                    Model = parse.GetValue(model)!,
                    Dataset = parse.GetValue(dataset)!,
                    Epochs = parse.GetValue(epochs),
                    BatchSize = parse.GetValue(batchSize),
                    WeightDecay = parse.GetValue(weightDecay),
                    Seed = parse.GetValue(seed),
                    WarmupEpochs = parse.GetValue(warmup),
                    Device = parse.GetValue(device)!,
                    WidthFactor = parse.GetValue(width),
                    Augment = !parse.GetValue(noAugment),
                    Subset = parse.GetValue(subset),
                    KeepFullTestSet = parse.GetValue(fullTestSet),
                    TempBalance = new TempBalanceOptions
                    {
                        Fit = ParseEnum<XminRule>(parse.GetValue(tbFit)!, "tempBalance.fit", problems),
                        Assign = ParseEnum<AssignmentFunction>(parse.GetValue(tbAssign)!, "tempBalance.assign", problems),
                        Metric = ParseEnum<LayerMetric>(parse.GetValue(tbMetric)!, "tempBalance.metric", problems),
                        MinRatio = parse.GetValue(tbMin),
                        MaxRatio = parse.GetValue(tbMax),
                        XminPos = parse.GetValue(tbXminPos),
                        ConvNorm = parse.GetValue(tbConvNorm),
                        EigsThresh = parse.GetValue(tbEigsThresh),
                        UpdateEverySteps = parse.GetValue(tbEvery),
                        FilterNearZero = parse.GetValue(tbFilter),
                        ReferenceTieBehaviour = parse.GetValue(tbReferenceTies),
                        Float32Eigenvalues = parse.GetValue(tbFloat32),
                        ReferencePeakLowerBound = parse.GetValue(tbPeakBound),
                    },
                };
                var methodName = parse.GetValue(method)!;
                var preset = RecipePresets.Find(methodName);
                if (preset is null && !string.Equals(methodName, RecipePresets.Custom, StringComparison.OrdinalIgnoreCase))
                    problems.Add(new ConfigError("method", $"Unknown method '{methodName}'. Choose a preset ({string.Join(", ", RecipePresets.Names)}) or {RecipePresets.Custom}."));
                config = preset?.Apply(basis) ?? basis;
                // A preset sets its s1 and s2; flags given on the command line win over it, as every flag below does.
                if (Given(tbMin)) config = config with { TempBalance = config.TempBalance with { MinRatio = parse.GetValue(tbMin) } };
                if (Given(tbMax)) config = config with { TempBalance = config.TempBalance with { MaxRatio = parse.GetValue(tbMax) } };

                if (Given(optimizer))
                {
                    var kind = ParseEnum<OptimizerKind>(parse.GetValue(optimizer)!, "optimizer.kind", problems);
                    if (kind != config.Optimizer.Kind)
                        config = config with { Optimizer = config.Optimizer with { Kind = kind }, Lr = RecipePresets.DefaultLr(kind) };
                }
                if (Given(betas))
                {
                    if (ParseNumbers(parse.GetValue(betas)!, 2) is [var b1, var b2]) config = config with { Optimizer = config.Optimizer with { Beta1 = b1, Beta2 = b2 } };
                    else problems.Add(new ConfigError("optimizer.betas", $"--betas takes two numbers, beta1,beta2 such as 0.9,0.999 (got '{parse.GetValue(betas)}')."));
                }
                if (Given(eps)) config = config with { Optimizer = config.Optimizer with { Eps = parse.GetValue(eps) } };
                if (Given(trust)) config = config with { Optimizer = config.Optimizer with { TrustCoefficient = parse.GetValue(trust) } };
                if (Given(lr)) config = config with { Lr = parse.GetValue(lr) };
                if (Given(momentum)) config = config with { Momentum = parse.GetValue(momentum) };
                if (Given(schedule))
                {
                    try
                    {
                        config = config with { Schedule = GlobalSchedule.Parse(parse.GetValue(schedule)) };
                    }
                    catch (ArgumentException e)
                    {
                        problems.Add(new ConfigError("schedule", e.Message));
                    }
                }
                if (Given(sgdrT0)) config = config with { Sgdr = config.Sgdr with { T0 = parse.GetValue(sgdrT0) } };
                if (Given(sgdrTMult)) config = config with { Sgdr = config.Sgdr with { TMult = parse.GetValue(sgdrTMult) } };
                if (Given(snr)) config = config with { Snr = parse.GetValue(snr) == 0 ? null : (config.Snr ?? new SnrOptions()) with { Coefficient = parse.GetValue(snr) } };
                if (Given(snrIterations) && config.Snr is { } snrOptions) config = config with { Snr = snrOptions with { PowerIterations = parse.GetValue(snrIterations) } };
                if (Given(lookahead))
                {
                    var text = parse.GetValue(lookahead)!;
                    if (text.Equals("off", StringComparison.OrdinalIgnoreCase)) config = config with { Lookahead = null };
                    else if (ParseNumbers(text, 2) is [var k, var alpha] && k == Math.Floor(k) && k is >= 1 and <= int.MaxValue)
                        config = config with { Lookahead = (config.Lookahead ?? new LookaheadOptions()) with { K = (int)k, Alpha = alpha } };
                    else problems.Add(new ConfigError("lookahead", $"--lookahead takes K,ALPHA with a whole K, such as 10,0.8, or off (got '{text}')."));
                }
                if (Given(lookaheadSync))
                {
                    var sync = ParseEnum<LookaheadSync>(parse.GetValue(lookaheadSync)!, "lookahead.sync", problems);
                    if (config.Lookahead is null)
                        problems.Add(new ConfigError("lookahead.sync", "--lookahead-sync needs a Lookahead: the lookahead preset or --lookahead K,ALPHA."));
                    else config = config with { Lookahead = config.Lookahead with { Sync = sync } };
                }
                if (Given(lawnFree)) config = config with { Lawn = parse.GetValue(lawnFree) is int e and >= 0 ? new LawnOptions { FreeEpochs = e } : null };
                if (parse.GetValue(withTb) && parse.GetValue(withoutTb))
                    problems.Add(new ConfigError("tempBalance.enabled", "Pass --tempbalance or --no-tempbalance, not both."));
                else if (parse.GetValue(withTb) || parse.GetValue(withoutTb))
                    config = config with { TempBalance = config.TempBalance with { Enabled = parse.GetValue(withTb) } };
                if (preset is not null || methodName.Equals(RecipePresets.Custom, StringComparison.OrdinalIgnoreCase)) config = RecipePresets.Named(config);
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

    static double[]? ParseNumbers(string text, int count)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out values[i]) || !double.IsFinite(values[i]))
                return null;
        return values.Length == count ? values : null;
    }

    static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    static T ParseEnum<T>(string text, string field, List<ConfigError> problems) where T : struct, Enum
    {
        if (Enum.TryParse<T>(text.Replace("-", "").Replace("_", ""), ignoreCase: true, out var value) && Enum.IsDefined(value)) return value;
        problems.Add(new ConfigError(field, $"Unknown value '{text}'. Choose one of: {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}."));
        return default;
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
