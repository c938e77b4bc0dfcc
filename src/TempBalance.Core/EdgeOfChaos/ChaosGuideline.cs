namespace TempBalance.Core.EdgeOfChaos;

/// <summary>The SGD-with-momentum hyperparameters of the scaling relation.</summary>
public sealed record SgdSetting
{
    public SgdSetting(double learningRate, double momentum, int batchSize)
    {
        if (!(learningRate > 0 && double.IsFinite(learningRate))) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be positive.");
        if (!(momentum >= 0 && momentum < 1)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "The momentum must be in [0, 1).");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be at least 1.");
        LearningRate = learningRate;
        Momentum = momentum;
        BatchSize = batchSize;
    }

    public double LearningRate { get; }
    public double Momentum { get; }
    public int BatchSize { get; }

    /// <summary>eta / ((1 - alpha) B): the J^2 slope per epoch is proportional to it in the ordered phase.</summary>
    public double ScalingVariable => LearningRate / ((1 - Momentum) * BatchSize);

    /// <summary>Optimizer steps in one epoch over <paramref name="trainingSamples"/> samples (the last batch may be short).</summary>
    public int StepsPerEpoch(int trainingSamples) =>
        trainingSamples >= 1 ? (trainingSamples + BatchSize - 1) / BatchSize
        : throw new ArgumentOutOfRangeException(nameof(trainingSamples), trainingSamples, "The training set must have at least one sample.");
}

/// <summary>
/// A least-squares line J^2 = Slope * epoch + Intercept over the ordered part of a run (the fit range rule
/// is on <see cref="ChaosGuideline.FitSlope(IReadOnlyList{ValueTuple{double, double}}, SgdSetting, double)"/>).
/// When <see cref="Succeeded"/> is false the numbers are NaN and <see cref="Error"/> says why.
/// </summary>
/// <param name="Coefficient">c = Slope / (eta / ((1 - alpha) B)): the setting-independent constant of the scaling relation.</param>
public sealed record JSquaredSlope(
    bool Succeeded,
    double Slope,
    double Intercept,
    double Coefficient,
    double FirstEpoch,
    double LastEpoch,
    int Points,
    double RSquared,
    SgdSetting Setting,
    string? Error)
{
    internal static JSquaredSlope Failed(SgdSetting setting, string error) =>
        new(false, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, 0, double.NaN, setting, error);
}

/// <summary>
/// When a run with <see cref="Setting"/> that starts at J^2 = <see cref="InitialJSquared"/> reaches the edge of
/// chaos J = 1, growing by <see cref="Slope"/> per epoch: at epoch <see cref="EdgeEpoch"/> (0 when it starts at
/// or past the edge, infinite when the slope is not positive).
/// </summary>
public sealed record EdgeEpochPrediction(SgdSetting Setting, double Slope, double InitialJSquared, double EdgeEpoch);

/// <summary>
/// The weight decay (PyTorch's SGD weight_decay: gradient + lambda W) whose shrinkage balances the J^2 growth
/// at J = 1, so the run settles at the edge of chaos. <see cref="KerasL2"/> is the same strength as a Keras
/// l2 regularizer (which adds lambda sum W^2, gradient 2 lambda W), the convention of the seed's runs.
/// <see cref="RelaxationEpochs"/> is how many epochs J^2 takes to close 1 - 1/e of its gap to the steady state.
/// </summary>
public sealed record EdgeWeightDecay(SgdSetting Setting, int StepsPerEpoch, double Slope, double WeightDecay, double RelaxationEpochs)
{
    public double KerasL2 => WeightDecay / 2;
}

/// <summary>
/// The paper's guideline from the J^2 trajectory of a tanh layer (docs/edge-of-chaos-method.md §3): in the
/// ordered phase J^2 grows linearly in epochs with slope A = c eta / ((1 - alpha) B), the best epoch lies near
/// J = 1, and weight decay pulls J back.
/// </summary>
/// <remarks>
/// Weight decay: with momentum alpha the velocity settles at (g + lambda W) / (1 - alpha), so each step shrinks
/// W by the factor 1 - eta lambda / (1 - alpha) (1 - eta lambda for plain SGD). J = std(W) sqrt(N) scales with
/// W, so J^2 shrinks by 2 eta lambda J^2 / (1 - alpha) per step to first order, and per epoch of S steps
/// dJ^2/dt = A - k J^2 with k = 2 eta lambda S / (1 - alpha). J^2 relaxes to A / k with time constant 1 / k;
/// A / k = 1 gives lambda* = A (1 - alpha) / (2 eta S), and with A = c eta / ((1 - alpha) B),
/// lambda* = c / (2 S B), about c / (2 n) for n training samples: independent of eta and alpha. The growth A
/// is taken from the decay-free ordered phase and assumed to hold up to J = 1.
/// </remarks>
public static class ChaosGuideline
{
    /// <summary>Fit while J &lt; 0.95, i.e. J^2 &lt; 0.9025: before the growth bends near the edge.</summary>
    public const double DefaultEdgeFraction = 0.95;

    public const int MinimumFitPoints = 3;

    /// <summary>
    /// c fitted by <see cref="FitCoefficient"/> (least squares through the origin, as the seed's
    /// coefficient(figure3).py fits each family) to all 30 slopes that file records for the 784-784-10 tanh network
    /// on Fashion-MNIST (60000 samples, J^2 = 0.25 at epoch 0); the single runs give c from 10.8 to 12.2.
    /// </summary>
    public const double SeedFashionMnistCoefficient = 11.677;

    /// <summary>
    /// Fits J^2 = A t + b by least squares to the points before J first reaches <paramref name="edgeFraction"/>
    /// of the edge (J^2 &gt;= edgeFraction^2), taken in the given order, which must be increasing in epoch; at least
    /// <see cref="MinimumFitPoints"/> points are needed.
    /// </summary>
    public static JSquaredSlope FitSlope(IReadOnlyList<(double Epoch, double JSquared)> trajectory, SgdSetting setting, double edgeFraction = DefaultEdgeFraction)
    {
        ArgumentNullException.ThrowIfNull(trajectory);
        ArgumentNullException.ThrowIfNull(setting);
        if (!(edgeFraction > 0 && edgeFraction <= 1)) throw new ArgumentOutOfRangeException(nameof(edgeFraction), edgeFraction, "The edge fraction must be in (0, 1].");
        double limit = edgeFraction * edgeFraction;
        int count = 0;
        for (; count < trajectory.Count; count++)
        {
            var (epoch, jSquared) = trajectory[count];
            if (!double.IsFinite(epoch) || !double.IsFinite(jSquared))
                return JSquaredSlope.Failed(setting, $"J^2 = {jSquared} at epoch {epoch} is not a finite number.");
            if (count > 0 && !(epoch > trajectory[count - 1].Epoch))
                return JSquaredSlope.Failed(setting, $"The epochs must increase (epoch {epoch} follows {trajectory[count - 1].Epoch}).");
            if (jSquared >= limit) break;
        }
        if (count < MinimumFitPoints)
            return JSquaredSlope.Failed(setting, $"Only {count} point(s) lie before J reaches {edgeFraction} (J^2 = {limit:G4}); the fit needs {MinimumFitPoints}.");

        double meanT = 0, meanY = 0;
        for (int k = 0; k < count; k++) { meanT += trajectory[k].Epoch; meanY += trajectory[k].JSquared; }
        meanT /= count;
        meanY /= count;
        double stt = 0, sty = 0, syy = 0;
        for (int k = 0; k < count; k++)
        {
            double dt = trajectory[k].Epoch - meanT, dy = trajectory[k].JSquared - meanY;
            stt += dt * dt;
            sty += dt * dy;
            syy += dy * dy;
        }
        double slope = sty / stt, intercept = meanY - slope * meanT;
        double rSquared = syy > 0 ? sty * sty / (stt * syy) : 1;
        return new JSquaredSlope(true, slope, intercept, slope / setting.ScalingVariable, trajectory[0].Epoch,
            trajectory[count - 1].Epoch, count, rSquared, setting, null);
    }

    /// <summary><see cref="FitSlope(IReadOnlyList{ValueTuple{double, double}}, SgdSetting, double)"/> for J^2 per epoch, index = epoch (0 = before training).</summary>
    public static JSquaredSlope FitSlope(IReadOnlyList<double> jSquaredPerEpoch, SgdSetting setting, double edgeFraction = DefaultEdgeFraction)
    {
        ArgumentNullException.ThrowIfNull(jSquaredPerEpoch);
        return FitSlope(jSquaredPerEpoch.Select((j2, epoch) => ((double)epoch, j2)).ToList(), setting, edgeFraction);
    }

    /// <summary>The slope A = c eta / ((1 - alpha) B) that the scaling relation gives for another setting.</summary>
    public static double SlopeFor(double coefficient, SgdSetting setting)
    {
        ArgumentNullException.ThrowIfNull(setting);
        return coefficient * setting.ScalingVariable;
    }

    /// <summary>
    /// The epoch at which J reaches 1 for a run with <paramref name="target"/> (default: the fitted run's
    /// setting) starting from <paramref name="initialJSquared"/> at epoch 0: (1 - J^2(0)) / A.
    /// </summary>
    public static EdgeEpochPrediction PredictEdgeEpoch(JSquaredSlope fit, double initialJSquared, SgdSetting? target = null)
    {
        var (setting, slope) = SettingAndSlope(fit, target);
        return PredictEdgeEpoch(slope, initialJSquared, setting);
    }

    /// <summary>The epoch at which J reaches 1 growing by <paramref name="slope"/> per epoch from <paramref name="initialJSquared"/>.</summary>
    public static EdgeEpochPrediction PredictEdgeEpoch(double slope, double initialJSquared, SgdSetting setting)
    {
        ArgumentNullException.ThrowIfNull(setting);
        if (!(initialJSquared >= 0 && double.IsFinite(initialJSquared))) throw new ArgumentOutOfRangeException(nameof(initialJSquared), initialJSquared, "J^2 must be 0 or positive.");
        double epoch = initialJSquared >= 1 ? 0 : slope > 0 ? (1 - initialJSquared) / slope : double.PositiveInfinity;
        return new EdgeEpochPrediction(setting, slope, initialJSquared, epoch);
    }

    /// <summary>
    /// The weight decay that holds J at 1 for <paramref name="target"/> (default: the fitted run's setting):
    /// lambda* = A (1 - alpha) / (2 eta S) with S steps per epoch over <paramref name="trainingSamples"/> samples.
    /// Zero when the slope is not positive (J does not grow, so nothing needs holding back).
    /// </summary>
    public static EdgeWeightDecay WeightDecayForEdge(JSquaredSlope fit, int trainingSamples, SgdSetting? target = null)
    {
        var (setting, slope) = SettingAndSlope(fit, target);
        return WeightDecayForEdge(slope, setting, trainingSamples);
    }

    /// <summary><see cref="WeightDecayForEdge(JSquaredSlope, int, SgdSetting?)"/> for a known slope.</summary>
    public static EdgeWeightDecay WeightDecayForEdge(double slope, SgdSetting setting, int trainingSamples)
    {
        ArgumentNullException.ThrowIfNull(setting);
        int steps = setting.StepsPerEpoch(trainingSamples);
        double lambda = slope > 0 ? slope * (1 - setting.Momentum) / (2 * setting.LearningRate * steps) : 0;
        double rate = DecayRatePerEpoch(setting, steps, lambda);
        return new EdgeWeightDecay(setting, steps, slope, lambda, rate > 0 ? 1 / rate : double.PositiveInfinity);
    }

    /// <summary>
    /// J^2 after <paramref name="epochs"/> epochs of growth <paramref name="slope"/> against weight decay
    /// <paramref name="weightDecay"/>: J^2_inf + (J^2(0) - J^2_inf) exp(-k t), with k = 2 eta lambda S / (1 - alpha)
    /// and J^2_inf = A / k; J^2(0) + A t without decay.
    /// </summary>
    public static double ProjectJSquared(double slope, SgdSetting setting, int stepsPerEpoch, double weightDecay, double initialJSquared, double epochs)
    {
        ArgumentNullException.ThrowIfNull(setting);
        if (stepsPerEpoch < 1) throw new ArgumentOutOfRangeException(nameof(stepsPerEpoch), stepsPerEpoch, "An epoch has at least one step.");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "The weight decay must be 0 or positive.");
        double k = DecayRatePerEpoch(setting, stepsPerEpoch, weightDecay);
        if (k == 0) return initialJSquared + slope * epochs;
        double steady = slope / k;
        return steady + (initialJSquared - steady) * Math.Exp(-k * epochs);
    }

    /// <summary>
    /// c by least squares through the origin over runs of known slope: sum(x A) / sum(x^2), x = eta / ((1 - alpha) B).
    /// </summary>
    public static double FitCoefficient(IEnumerable<(SgdSetting Setting, double Slope)> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        double sxy = 0, sxx = 0;
        foreach (var (setting, slope) in runs)
        {
            double x = setting.ScalingVariable;
            sxy += x * slope;
            sxx += x * x;
        }
        return sxx > 0 ? sxy / sxx : throw new ArgumentException("At least one run is needed.", nameof(runs));
    }

    static double DecayRatePerEpoch(SgdSetting setting, int stepsPerEpoch, double weightDecay) =>
        2 * setting.LearningRate * weightDecay * stepsPerEpoch / (1 - setting.Momentum);

    static (SgdSetting Setting, double Slope) SettingAndSlope(JSquaredSlope fit, SgdSetting? target)
    {
        ArgumentNullException.ThrowIfNull(fit);
        if (!fit.Succeeded) throw new ArgumentException($"The slope fit failed: {fit.Error}", nameof(fit));
        var setting = target ?? fit.Setting;
        return (setting, target is null ? fit.Slope : SlopeFor(fit.Coefficient, setting));
    }
}
