using System.CommandLine;
using TempBalance.Core.Data;
using TempBalance.Core.Models;
using TempBalance.Core.Optimizers;
using TempBalance.Core.Scheduling;
using TempBalance.Core.Training;

namespace TempBalance.Cli;

/// <summary>
/// The recipe options of `tempbalance train` and how they make a <see cref="TrainingConfig"/>: a preset, then every
/// flag given on top of it. `tempbalance sweep` takes the same options for its base recipe.
/// </summary>
public sealed class TrainOptions
{
    static readonly TrainingConfig Defaults = new();
    static readonly TempBalanceOptions TbDefaults = new();

    readonly Option<string> model = new("--model") { Description = $"Model: {string.Join(", ", ModelFactory.Names)}.", DefaultValueFactory = _ => Defaults.Model };
    readonly Option<string> dataset = new("--dataset") { Description = $"Dataset: {string.Join(", ", DatasetCatalog.All.Select(d => d.Name))}.", DefaultValueFactory = _ => Defaults.Dataset };
    readonly Option<string> method = new("--method") { Description = $"Recipe preset, with the paper's defaults: {string.Join(", ", RecipePresets.Names)} (or custom; tempbalance means tb). Flags below change its parts.", DefaultValueFactory = _ => Defaults.Method };
    readonly Option<string> optimizer = new("--optimizer") { Description = $"Base optimizer: {string.Join(", ", Enum.GetNames<OptimizerKind>().Select(n => n.ToLowerInvariant()))} (default: the preset's)." };
    readonly Option<string> betas = new("--betas") { Description = "Adam, AdamW, LAMB: beta1,beta2 (default 0.9,0.999)." };
    readonly Option<double?> eps = new("--eps") { Description = "Optimizer eps (default: the optimizer's own)." };
    readonly Option<double> trust = new("--trust-coefficient") { Description = "LARS trust coefficient (default 0.001).", DefaultValueFactory = _ => Defaults.Optimizer.TrustCoefficient };
    readonly Option<int?> sgdrT0 = new("--sgdr-t0") { Description = "SGDR: epochs of the first cosine (default: half the epochs)." };
    readonly Option<int> sgdrTMult = new("--sgdr-tmult") { Description = "SGDR: each restart's period is this many times the last.", DefaultValueFactory = _ => Defaults.Sgdr.TMult };
    readonly Option<double> snr = new("--snr") { Description = "Spectral-norm regulariser coefficient sg (0: off)." };
    readonly Option<int> snrIterations = new("--snr-iterations") { Description = "SNR power iterations per step.", DefaultValueFactory = _ => new SnrOptions().PowerIterations };
    readonly Option<string> lookahead = new("--lookahead") { Description = "Lookahead K,ALPHA around the optimizer (e.g. 10,0.8), or off." };
    readonly Option<string> lookaheadSync = new("--lookahead-sync") { Description = "Lookahead's sync: paper (after steps K, 2K, ...) or torch-optimizer (after steps 1, K + 1, ..., as the reference ran it). Default: the preset's, else paper." };
    readonly Option<int?> lawnFree = new("--lawn-free-epochs") { Description = "LAWN: train E epochs free, then hold the final layers' weight norms (omit: the preset's; -1: off)." };
    readonly Option<bool> withTb = new("--tempbalance") { Description = "Turn TempBalance's layer-wise learning rates on, on any optimizer." };
    readonly Option<bool> withoutTb = new("--no-tempbalance") { Description = "Turn TempBalance off (every layer follows the global rate)." };
    readonly Option<int> epochs = new("--epochs") { Description = "Number of epochs.", DefaultValueFactory = _ => Defaults.Epochs };
    readonly Option<int> batchSize = new("--batch-size") { Description = "Images per optimizer step.", DefaultValueFactory = _ => Defaults.BatchSize };
    readonly Option<double> lr = new("--lr") { Description = "Initial global learning rate.", DefaultValueFactory = _ => Defaults.Lr };
    readonly Option<double> momentum = new("--momentum") { Description = "SGD momentum.", DefaultValueFactory = _ => Defaults.Momentum };
    readonly Option<double> weightDecay = new("--weight-decay") { Description = "SGD weight decay (every parameter).", DefaultValueFactory = _ => Defaults.WeightDecay };
    readonly Option<int> seed = new("--seed") { Description = "Seed for weights and data order.", DefaultValueFactory = _ => Defaults.Seed };
    readonly Option<string> schedule = new("--schedule") { Description = $"Global LR schedule: {string.Join(", ", GlobalSchedule.Kinds)}.", DefaultValueFactory = _ => Defaults.Schedule.ToString().ToLowerInvariant() };
    readonly Option<int> warmup = new("--warmup-epochs") { Description = "Epochs of linear warm-up.", DefaultValueFactory = _ => Defaults.WarmupEpochs };
    readonly Option<string> device = new("--device") { Description = "auto, cpu, cuda or cuda:N.", DefaultValueFactory = _ => Defaults.Device };
    readonly Option<double> width = new("--width-factor") { Description = "Multiplies model widths (1 = the paper's).", DefaultValueFactory = _ => Defaults.WidthFactor };
    readonly Option<bool> noAugment = new("--no-augment") { Description = "Turn off random crop and flip (colour datasets)." };
    readonly Option<int?> subset = new("--subset") { Description = "Use only the first N training images (and at most N test images, unless --full-test-set)." };
    readonly Option<bool> fullTestSet = new("--full-test-set") { Description = "With --subset, still evaluate on the whole test set." };
    readonly Option<string> tbFit = new("--tb-fit") { Description = "xmin rule: median, ks or peak.", DefaultValueFactory = _ => Lower(TbDefaults.Fit) };
    readonly Option<string> tbAssign = new("--tb-assign") { Description = "LR assignment: linear, sqrt, log2 or step.", DefaultValueFactory = _ => Lower(TbDefaults.Assign) };
    readonly Option<string> tbMetric = new("--tb-metric") { Description = "Layer metric: alpha, spectral-norm or alpha-weighted.", DefaultValueFactory = _ => "alpha" };
    readonly Option<double> tbMin = new("--tb-min-ratio") { Description = "Smallest LR factor s1.", DefaultValueFactory = _ => TbDefaults.MinRatio };
    readonly Option<double> tbMax = new("--tb-max-ratio") { Description = "Largest LR factor s2.", DefaultValueFactory = _ => TbDefaults.MaxRatio };
    readonly Option<int> tbXminPos = new("--tb-xmin-pos") { Description = "Median rule: xmin index = N / this.", DefaultValueFactory = _ => TbDefaults.XminPos };
    readonly Option<double> tbConvNorm = new("--tb-conv-norm") { Description = "Conv matrices are scaled by sqrt(this).", DefaultValueFactory = _ => TbDefaults.ConvNorm };
    readonly Option<int> tbEigsThresh = new("--tb-eigs-thresh") { Description = "Do not tune layers with fewer eigenvalues (0 = tune all, the paper).", DefaultValueFactory = _ => TbDefaults.EigsThresh };
    readonly Option<int> tbEvery = new("--tb-every-steps") { Description = "Refit every K steps instead of every epoch (0 = per epoch).", DefaultValueFactory = _ => TbDefaults.UpdateEverySteps };
    readonly Option<bool> tbFilter = new("--tb-filter-zeros") { Description = "Drop eigenvalues <= 1e-5 before fitting." };
    readonly Option<bool> tbReferenceTies = new("--tb-reference-ties") { Description = "Reference behaviour when all metrics are equal (every layer gets s2 * lr)." };
    readonly Option<bool> tbFloat32 = new("--tb-float32") { Description = "Eigenvalues in float32: faster ESD passes, alphas within about 1e-6 of float64." };
    readonly Option<bool> tbPeakBound = new("--tb-reference-peak-bound") { Description = "Peak rule: the reference's (WeightWatcher's) lower bound, which mixes log and linear units." };

    /// <summary>The options, to add to a command.</summary>
    public IEnumerable<Option> All =>
    [
        model, dataset, method, epochs, batchSize, lr, momentum, weightDecay, seed, schedule, warmup, device, width, noAugment, subset, fullTestSet,
        optimizer, betas, eps, trust, sgdrT0, sgdrTMult, snr, snrIterations, lookahead, lookaheadSync, lawnFree, withTb, withoutTb,
        tbFit, tbAssign, tbMetric, tbMin, tbMax, tbXminPos, tbConvNorm, tbEigsThresh, tbEvery, tbFilter, tbReferenceTies, tbFloat32, tbPeakBound,
    ];

    /// <summary>The config the options describe; problems (unknown names, malformed values) are added to <paramref name="problems"/>.</summary>
    public TrainingConfig Build(ParseResult parse, List<ConfigError> problems)
    {
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
        var config = preset?.Apply(basis) ?? basis;
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
        return config;
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
}
