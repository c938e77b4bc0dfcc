namespace TempBalance.Core.Optimizers;

/// <summary>When <see cref="Lookahead"/> moves its slow weights and where they start.</summary>
public enum LookaheadSync
{
    /// <summary>Zhang et al. 2019: slow weights copied from the parameters when the wrapper is built; a sync
    /// after inner steps k, 2k, 3k, …</summary>
    Paper,

    /// <summary>torch_optimizer.Lookahead, which the TempBalance reference ran: slow weights copied from the
    /// parameters after the first inner step; a sync after inner steps 1, k + 1, 2k + 1, …</summary>
    TorchOptimizer,
}
