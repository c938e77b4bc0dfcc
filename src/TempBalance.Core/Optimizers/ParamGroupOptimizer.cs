using TorchSharp.Modules;

namespace TempBalance.Core.Optimizers;

/// <summary>
/// Plumbing shared by this folder's optimizers, the way TorchSharp's own SGD and Adam do it: parameter groups
/// whose options (learning rate first) can change between steps, one <see cref="OptimizerState"/> per parameter,
/// and <c>save_state_dict</c>/<c>load_state_dict</c> inherited from <see cref="OptimizerHelper"/>, which write
/// every group's options and then every parameter's state in group order.
/// </summary>
public abstract class ParamGroupOptimizer<TOptions> : OptimizerHelper where TOptions : OptimizerOptions
{
    protected ParamGroupOptimizer()
    {
        _parameter_groups = new List<ParamGroup>();
    }

    /// <summary>The groups with their typed options, in the order they were added.</summary>
    public IReadOnlyList<ParamGroup<TOptions>> Groups => _parameter_groups.Cast<ParamGroup<TOptions>>().ToList();

    /// <summary>Adds a group: a <see cref="ParamGroup{TOptions}"/> whose options have a learning rate.</summary>
    public override void add_param_group(ParamGroup param_group)
    {
        if (param_group is not ParamGroup<TOptions> { Options: TOptions options })
            throw new ArgumentException($"{GetType().Name} needs a ParamGroup<{typeof(TOptions).Name}> with options.", nameof(param_group));
        if (options.LearningRate is not double lr || lr < 0 || double.IsNaN(lr))
            throw new ArgumentException($"Invalid learning rate: {options.LearningRate}", nameof(param_group));
        CheckOptions(options);

        options.InitialLearningRate = lr;
        var parameters = param_group.Parameters.ToList();
        param_group.Parameters = parameters;
        _parameter_groups.Add(param_group);
        foreach (var p in parameters)
        {
            if (_state.ContainsKey(p.Handle))
                throw new ArgumentException("A parameter appears in more than one group.", nameof(param_group));
            _state[p.Handle] = NewState(p);
        }
    }

    /// <summary>Rejects hyperparameters the update rule cannot use (the reference's own checks).</summary>
    protected abstract void CheckOptions(TOptions options);

    /// <summary>An empty state: every buffer is created on the parameter's first step, as in the reference.</summary>
    protected abstract OptimizerState NewState(Parameter parameter);

    protected TState StateOf<TState>(Parameter parameter) where TState : OptimizerState => (TState)_state[parameter.Handle];

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        foreach (var (_, state) in _state)
            (state as IDisposable)?.Dispose();
        _state.Clear();
    }
}
