namespace TempBalance.Web.Components.Charts;

/// <summary>
/// TensorBoard's scalar smoothing: an exponential moving average with weight w (0: none, 0.99: very smooth),
/// debiased so that the first points are not pulled towards 0: s_n = m_n / (1 − w^n) with
/// m_n = w·m_(n−1) + (1 − w)·y_n. Points that are not finite pass through and leave the average as it is.
/// </summary>
public sealed class EmaSmoother(double weight)
{
    double _average;
    int _count;

    public double Weight { get; } = Math.Clamp(weight, 0, 0.999);

    public double Next(double value)
    {
        if (!double.IsFinite(value)) return value;
        _average = Weight * _average + (1 - Weight) * value;
        _count++;
        return _average / (1 - Math.Pow(Weight, _count));
    }

    public static double[] Smooth(IEnumerable<double> values, double weight)
    {
        var smoother = new EmaSmoother(weight);
        return [.. values.Select(smoother.Next)];
    }
}
