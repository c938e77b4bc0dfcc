using System.Diagnostics;
using TempBalance.Core.Spectral;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TempBalance.Core.Scheduling;

/// <summary>One optimizer parameter group: the analysed layer whose rate it follows (null: the global rate) and its parameters.</summary>
public sealed record ParamGroupInfo(int GroupIndex, string? LayerName, IReadOnlyList<string> ParameterNames);

public sealed record LayerAssignment(LayerSpectrum Spectrum, bool Tuned, double LearningRate);

/// <summary>The result of one refit: the global rate, every analysed layer with its rate, and the time the ESD pass took.</summary>
public sealed record TempBalanceUpdate(double GlobalLr, IReadOnlyList<LayerAssignment> Layers, TimeSpan EsdTime);

/// <summary>
/// TempBalance (method doc §3-4): fits every analysed layer's ESD, gives each tuned layer (and the BatchNorm
/// right after it) its own optimizer parameter group, and rewrites the groups' learning rates after each refit.
/// Untuned layers and all other parameters share one last group at the global rate.
/// </summary>
public sealed class TempBalanceScheduler
{
    readonly nn.Module model;
    readonly TempBalanceOptions options;
    readonly IReadOnlyList<(string Name, LayerKind Kind, nn.Module Module)> layers;
    readonly HashSet<string> tuned;
    readonly List<ParamGroupInfo> groups = [];
    optim.Optimizer? optimizer;
    int stepsSinceUpdate;

    /// <param name="batchNormToConv">BatchNorm module name -> conv module name (dotted names). When null,
    /// <see cref="InferBatchNormToConv"/> decides.</param>
    public TempBalanceScheduler(nn.Module model, TempBalanceOptions options, IReadOnlyDictionary<string, string>? batchNormToConv = null)
    {
        this.model = model ?? throw new ArgumentNullException(nameof(model));
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.XminPos < 1) throw new ArgumentException($"xmin_pos must be at least 1, not {options.XminPos}.", nameof(options));
        if (!(options.MinRatio <= options.MaxRatio)) throw new ArgumentException($"The LR ratios must satisfy s1 <= s2 (got {options.MinRatio}, {options.MaxRatio}).", nameof(options));
        layers = EsdAnalyzer.AnalysedLayers(model);
        if (layers.Count < 3) throw new ArgumentException($"TempBalance needs at least 3 Conv2d/Linear layers (the first and last are not tuned); this model has {layers.Count}.", nameof(model));
        tuned = layers.Skip(1).SkipLast(1)
            .Where(l => options.EigsThresh <= 0 || EigenvalueCount(l.Module) >= options.EigsThresh)
            .Select(l => l.Name).ToHashSet();
        BatchNormToConv = batchNormToConv is null ? InferBatchNormToConv(model) : Validate(model, batchNormToConv);
    }

    public IReadOnlyList<(string Name, LayerKind Kind, nn.Module Module)> Layers => layers;
    public IReadOnlyCollection<string> TunedLayers => tuned;
    public IReadOnlyDictionary<string, string> BatchNormToConv { get; }
    public IReadOnlyList<ParamGroupInfo> Groups => groups;
    public optim.Optimizer Optimizer => optimizer ?? throw new InvalidOperationException("Call CreateOptimizer first.");

    /// <summary>The last refit (the initial one after <see cref="CreateOptimizer"/>).</summary>
    public TempBalanceUpdate? LastUpdate { get; private set; }

    /// <summary>Fits the initial weights and builds the SGD optimizer; every group gets the same momentum and weight decay.</summary>
    public SGD CreateOptimizer(double lr, double momentum, double weightDecay) =>
        (SGD)CreateOptimizer(lr, groups => new SGD(
            groups.Select(g => new SGD.ParamGroup(g.Parameters, new SGD.Options
            {
                LearningRate = g.LearningRate,
                momentum = momentum,
                weight_decay = weightDecay,
                dampening = 0,
                nesterov = false,
                maximize = false,
            })), lr, momentum, 0, weightDecay));

    /// <summary>
    /// Fits the initial weights, lays out the parameter groups (each tuned layer with its BatchNorm, in module order
    /// as the reference builds them, then one group of everything else at the global rate) and has
    /// <paramref name="build"/> make the optimizer over them, in that order. Any optimizer whose groups keep their
    /// order works: the scheduler only rewrites the groups' learning rates.
    /// </summary>
    public optim.Optimizer CreateOptimizer(double lr, Func<IReadOnlyList<(IReadOnlyList<Parameter> Parameters, double LearningRate)>, optim.Optimizer> build)
    {
        if (optimizer is not null) throw new InvalidOperationException("The optimizer was already created.");
        var update = Refit(lr);
        var rates = update.Layers.ToDictionary(l => l.Spectrum.Name, l => l.LearningRate);
        var modules = EsdAnalyzer.ModulesInRegistrationOrder(model).ToList();
        var specs = new List<(IReadOnlyList<Parameter> Parameters, double LearningRate)>();
        var grouped = new HashSet<string>();

        void AddGroup(string? layer, List<(string Name, Parameter Parameter)> parameters, double rate)
        {
            if (parameters.Count == 0) return;
            foreach (var p in parameters) grouped.Add(p.Name);
            groups.Add(new ParamGroupInfo(groups.Count, layer, parameters.Select(p => p.Name).ToArray()));
            specs.Add((parameters.Select(p => p.Parameter).ToArray(), rate));
        }

        foreach (var (name, module) in modules)
        {
            string? layer = tuned.Contains(name) ? name
                : BatchNormToConv.TryGetValue(name, out var conv) && tuned.Contains(conv) ? conv
                : null;
            if (layer is null) continue;
            AddGroup(layer, module.named_parameters(recurse: false).Select(p => (Qualify(name, p.name), p.parameter)).ToList(), rates[layer]);
        }
        AddGroup(null, model.named_parameters().Where(p => !grouped.Contains(p.name)).ToList(), lr);

        optimizer = build(specs);
        if (optimizer.ParamGroups.Count() != specs.Count)
            throw new InvalidOperationException($"The optimizer has {optimizer.ParamGroups.Count()} parameter groups for the {specs.Count} TempBalance laid out.");
        return optimizer;
    }

    /// <summary>Refits every layer on the current weights and overwrites every group's learning rate (momentum buffers stay).</summary>
    public TempBalanceUpdate Update(double globalLr)
    {
        var update = Refit(globalLr);
        var rates = update.Layers.ToDictionary(l => l.Spectrum.Name, l => l.LearningRate);
        var paramGroups = Optimizer.ParamGroups.ToList();
        foreach (var info in groups)
            paramGroups[info.GroupIndex].LearningRate = info.LayerName is null ? globalLr : rates[info.LayerName];
        stepsSinceUpdate = 0;
        return update;
    }

    /// <summary>
    /// For the every-K-steps mode (<see cref="TempBalanceOptions.UpdateEverySteps"/> = K &gt; 0): call after each
    /// optimizer step; refits on every K-th call and returns the update, else null (the rates are held).
    /// </summary>
    public TempBalanceUpdate? OnOptimizerStep(double globalLr)
    {
        if (options.UpdateEverySteps <= 0) return null;
        if (++stepsSinceUpdate < options.UpdateEverySteps) return null;
        return Update(globalLr);
    }

    TempBalanceUpdate Refit(double globalLr)
    {
        var clock = Stopwatch.StartNew();
        var spectra = EsdAnalyzer.Analyze(model, options);
        var esdTime = clock.Elapsed;

        // Layers whose fit failed keep the global rate and stay out of the min/max normalisation.
        var scored = spectra.Where(s => tuned.Contains(s.Name) && s.Fit.Succeeded).ToArray();
        var rates = LrAssignment.Assign(scored.Select(Score).ToArray(), globalLr, options);
        var byName = scored.Select((s, i) => (s.Name, Rate: rates[i])).ToDictionary(x => x.Name, x => x.Rate);
        var assignments = spectra
            .Select(s => new LayerAssignment(s, tuned.Contains(s.Name), byName.GetValueOrDefault(s.Name, globalLr)))
            .ToArray();
        LastUpdate = new TempBalanceUpdate(globalLr, assignments, esdTime);
        return LastUpdate;
    }

    // Called for successful fits only, which have every metric.
    double Score(LayerSpectrum s) => LrAssignment.ScoreOf(options.Metric, s.Fit.Alpha, s.SpectralNorm, s.AlphaWeighted)!.Value;

    static string Qualify(string module, string parameter) => module.Length == 0 ? parameter : $"{module}.{parameter}";

    static long EigenvalueCount(nn.Module module) => module switch
    {
        Conv2d c => c.kernel_size.Aggregate(1L, (a, b) => a * b) * Math.Min(c.out_channels, c.in_channels / c.groups),
        Linear l => Math.Min(l.out_features, l.in_features),
        _ => 0,
    };

    /// <summary>
    /// The BatchNorm -> conv map for models that do not declare one. By name first, as the reference does:
    /// "…bnK" belongs to "…convK" (so ResNet shortcut BatchNorms stay unmapped, giving the method doc's 36
    /// groups for ResNet18). Only when no name matches (e.g. VGG's numbered Sequential), by order: a
    /// BatchNorm2d registered right after a Conv2d with as many channels as the conv has outputs.
    /// </summary>
    public static IReadOnlyDictionary<string, string> InferBatchNormToConv(nn.Module model)
    {
        var modules = EsdAnalyzer.ModulesInRegistrationOrder(model).ToList();
        var convs = modules.Where(m => m.Module is Conv2d).Select(m => m.Name).ToHashSet();
        var byName = new Dictionary<string, string>();
        foreach (var (name, module) in modules)
        {
            if (module is not BatchNorm2d) continue;
            int dot = name.LastIndexOf('.');
            string parent = name[..(dot + 1)], leaf = name[(dot + 1)..];
            if (!leaf.StartsWith("bn", StringComparison.Ordinal)) continue;
            var conv = parent + "conv" + leaf[2..];
            if (convs.Contains(conv)) byName[name] = conv;
        }
        if (byName.Count > 0) return byName;

        var byOrder = new Dictionary<string, string>();
        (string Name, Conv2d Conv)? previousConv = null;
        foreach (var (name, module) in modules)
        {
            if (module is Conv2d conv) previousConv = (name, conv);
            else if (module is BatchNorm2d bn)
            {
                if (previousConv is { } p && bn.num_features == p.Conv.out_channels) byOrder[name] = p.Name;
                previousConv = null;
            }
            else if (module is Linear) previousConv = null;
        }
        return byOrder;
    }

    static IReadOnlyDictionary<string, string> Validate(nn.Module model, IReadOnlyDictionary<string, string> map)
    {
        var modules = EsdAnalyzer.ModulesInRegistrationOrder(model).ToDictionary(m => m.Name, m => m.Module);
        foreach (var (bn, conv) in map)
        {
            if (!modules.TryGetValue(bn, out var bnModule) || bnModule is not BatchNorm)
                throw new ArgumentException($"BatchNorm map: '{bn}' is not a BatchNorm module of this model.", nameof(map));
            if (!modules.TryGetValue(conv, out var convModule) || convModule is not (Conv2d or Linear))
                throw new ArgumentException($"BatchNorm map: '{conv}' (for '{bn}') is not a Conv2d or Linear module of this model.", nameof(map));
        }
        return map;
    }
}
