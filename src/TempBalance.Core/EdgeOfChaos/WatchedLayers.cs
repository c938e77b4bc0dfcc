namespace TempBalance.Core.EdgeOfChaos;

/// <summary>
/// The layers whose order parameters the phase diagram follows: the hidden layers of the fully connected models
/// (each maps a hidden state to the next through a square-ish matrix, as the diagram's x &lt;- tanh(W x) does).
/// Convolutional models have none; their layers still get J and J0, but no trajectory in the diagram.
/// </summary>
public static class WatchedLayers
{
    /// <summary>Indices among the analysed layers (<see cref="OrderParameters.OfModel"/>), input side first.</summary>
    public static IReadOnlyList<int> HiddenLayers(string model) => model.Trim().ToLowerInvariant() switch
    {
        // The paper's network: its one hidden layer (784 x 784); the classifier after it is not in the diagram.
        "mlp-tanh" => [0],
        // 784 -> 512 -> 256 -> classes: the two layers that feed the ReLU units.
        "mlp" => [0, 1],
        _ => [],
    };

    /// <summary>The layer whose J a sweep summarises (J at the best epoch, epochs to reach J = 1): the first hidden layer.</summary>
    public static int? Primary(string model) => HiddenLayers(model) is [var first, ..] ? first : null;

    /// <summary>Whether the diagram of tanh units describes the layer exactly (its activation is tanh).</summary>
    public static bool IsTanh(string model) => model.Trim().Equals("mlp-tanh", StringComparison.OrdinalIgnoreCase);
}
