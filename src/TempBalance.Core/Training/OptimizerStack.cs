using TempBalance.Core.Optimizers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TempBalance.Core.Training;

/// <summary>
/// The optimizer a recipe trains with, built over the parameter groups its learning-rate method laid out (one group
/// for the baseline, one per tuned layer for TempBalance). One <see cref="Step"/> applies the recipe's parts in this
/// order: SNR adds its sigma1 u1 v1^T term to the weight gradients; in LAWN's constrained phase the gradients of the
/// constrained layers lose their radial part; the base optimizer steps with every group's own learning rate (through
/// Lookahead, which pulls the weights towards its slow copy every k steps); LAWN puts the constrained layers back on
/// their norms.
/// </summary>
public sealed class OptimizerStack : IDisposable
{
    readonly OptimizerHelper optimizer;
    readonly Parameter[] parameters;
    readonly SpectralNormRegularizer? snr;
    readonly Lookahead? lookahead;
    readonly LawnConstraint? lawn;
    readonly int lawnFreeEpochs;

    /// <param name="model">The model on its device: LAWN finds the layers it constrains in it.</param>
    public OptimizerStack(TrainingConfig config, nn.Module model, IReadOnlyList<(IReadOnlyList<Parameter> Parameters, double LearningRate)> groups)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(model);
        if (groups.Count == 0) throw new ArgumentException("An optimizer needs at least one parameter group.", nameof(groups));
        optimizer = CreateBase(config, groups);
        Groups = optimizer.ParamGroups.ToArray();
        parameters = groups.SelectMany(g => g.Parameters).ToArray();
        if (config.Snr is { } snrOptions) snr = new SpectralNormRegularizer(snrOptions.Coefficient, snrOptions.PowerIterations);
        if (config.Lookahead is { } lookaheadOptions)
            lookahead = new Lookahead(optimizer, lookaheadOptions.K, lookaheadOptions.Alpha, lookaheadOptions.Sync);
        if (config.Lawn is { } lawnOptions)
        {
            lawn = new LawnConstraint(LawnLayers.For(config.Model, model));
            lawnFreeEpochs = lawnOptions.FreeEpochs;
        }
    }

    /// <summary>The base optimizer (SGD, Adam, ...), whose groups a learning-rate method rewrites.</summary>
    public OptimizerHelper Base => optimizer;

    /// <summary>The base optimizer's parameter groups, in the order they were given; their learning rates may change between steps.</summary>
    public IReadOnlyList<optim.ILearningRateController> Groups { get; }

    /// <summary>LAWN's constraint, when the recipe has LAWN.</summary>
    public LawnConstraint? Lawn => lawn;

    /// <summary>Whether LAWN holds its layers' norms now (false without LAWN and during its free phase).</summary>
    public bool LawnActive => lawn is { IsActive: true };

    /// <summary>Called before each epoch's first step; LAWN switches to its constrained phase after its free epochs.</summary>
    public void BeginEpoch(int epoch)
    {
        if (lawn is { IsActive: false } && epoch > lawnFreeEpochs) lawn.Capture();
    }

    /// <summary>
    /// Drops the gradients (PyTorch's <c>zero_grad(set_to_none=True)</c>, its default since 2.0) rather than filling them
    /// with zeros: backward then hands each parameter the gradient it computed instead of adding it to a zeroed copy,
    /// which saves a write and a read-add-write of every weight-sized tensor per step. The values are the same.
    /// </summary>
    public void ZeroGrad()
    {
        foreach (var parameter in parameters) parameter.grad = null;
    }

    public void Step()
    {
        snr?.AddToGradients(parameters);
        if (LawnActive) lawn!.ProjectGradients();
        if (lookahead is not null) lookahead.Step();
        else optimizer.step();
        if (LawnActive) lawn!.Project();
    }

    /// <summary>Writes everything a bit-identical continuation needs: the base optimizer's state, then Lookahead's slow weights and LAWN's norms.</summary>
    public void Save(BinaryWriter writer)
    {
        optimizer.save_state_dict(writer);
        lookahead?.Save(writer);
        lawn?.Save(writer);
    }

    /// <param name="withParts">False for checkpoints written before recipes had parts: they hold the base optimizer only.</param>
    public void Load(BinaryReader reader, bool withParts = true)
    {
        optimizer.load_state_dict(reader);
        if (!withParts)
        {
            if (lookahead is not null || lawn is not null)
                throw new InvalidDataException("This checkpoint was written before Lookahead and LAWN existed, so it cannot hold their state.");
            return;
        }
        lookahead?.Load(reader);
        lawn?.Load(reader);
    }

    public void Dispose()
    {
        lawn?.Dispose();
        // Lookahead owns the base optimizer and disposes it with itself.
        if (lookahead is not null) lookahead.Dispose();
        else optimizer.Dispose();
    }

    static OptimizerHelper CreateBase(TrainingConfig config, IReadOnlyList<(IReadOnlyList<Parameter> Parameters, double LearningRate)> groups)
    {
        var o = config.Optimizer;
        double wd = config.WeightDecay;
        double eps = o.Eps ?? OptimizerOptions.DefaultEps(o.Kind);
        return o.Kind switch
        {
            OptimizerKind.Sgd => OptimizerFactory.Sgd(groups, config.Momentum, wd),
            OptimizerKind.Adam => OptimizerFactory.Adam(groups, o.Beta1, o.Beta2, eps, wd),
            OptimizerKind.AdamW => OptimizerFactory.AdamW(groups, o.Beta1, o.Beta2, eps, wd),
            OptimizerKind.Sgdp => OptimizerFactory.Sgdp(groups, config.Momentum, wd, eps: eps),
            OptimizerKind.Lars => OptimizerFactory.Lars(groups, config.Momentum, wd, o.TrustCoefficient, eps),
            OptimizerKind.Lamb => OptimizerFactory.Lamb(groups, o.Beta1, o.Beta2, eps, wd),
            _ => throw new ArgumentException($"Unknown optimizer '{o.Kind}'.", nameof(config)),
        };
    }
}
