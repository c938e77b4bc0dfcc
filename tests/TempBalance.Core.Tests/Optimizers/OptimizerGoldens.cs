using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TempBalance.Core.Tests.Optimizers;

/// <summary>
/// The fixtures make_optimizer_goldens.py writes (Goldens/*.json, copied to the test output): five float64
/// parameters in two groups, the gradient noise per step, and each optimizer's parameters after 5 steps in
/// PyTorch 1.13. Gradients are formed here exactly as the script's gradient() forms them.
/// </summary>
static class OptimizerGoldens
{
    static readonly string GoldensDirectory = Path.Combine(AppContext.BaseDirectory, "Optimizers", "Goldens");
    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    static readonly Lazy<GoldenSetup> LazySetup = new(() => Read<GoldenSetup>("setup"));

    public static GoldenSetup Setup => LazySetup.Value;

    public static T Read<T>(string name) =>
        JsonSerializer.Deserialize<T>(File.ReadAllText(Path.Combine(GoldensDirectory, name + ".json")), Json)
        ?? throw new InvalidDataException($"{name}.json is empty");

    public static GoldenCase Case(string name) => Read<GoldenCase>(name);

    /// <summary>New leaf parameters with the fixture's initial values, in the fixture's order.</summary>
    public static Parameter[] FreshParameters(ScalarType dtype = ScalarType.Float64) =>
        Setup.Params.Select(p => new Parameter(tensor(p.Initial, float64).reshape(p.Shape).to(dtype).DetachFromDisposeScope())).ToArray();

    /// <summary>Parameters with the same values as <paramref name="source"/> (a model restored from a checkpoint).</summary>
    public static Parameter[] CopiesOf(Parameter[] source)
    {
        using var noGrad = no_grad();
        return source.Select(p => new Parameter(p.detach().clone().DetachFromDisposeScope())).ToArray();
    }

    /// <summary>The factory's group list: group k holds the fixture's parameters marked k, at its initial rate.</summary>
    public static IReadOnlyList<(IReadOnlyList<Parameter> Parameters, double LearningRate)> Groups(Parameter[] parameters) =>
        Setup.GroupLrs.Select((lr, k) => ((IReadOnlyList<Parameter>)Setup.Params
            .Select((p, i) => (p, i)).Where(x => x.p.Group == k).Select(x => parameters[x.i]).ToList(), lr)).ToList();

    /// <summary>Runs steps <paramref name="first"/>..<paramref name="last"/> (1-based): the fixture's rate change
    /// on its group, gradients from the current parameters, then <paramref name="step"/>.</summary>
    public static void Run(Parameter[] parameters, IEnumerable<torch.optim.ILearningRateController> rateGroups,
        Action step, int first = 1, int? last = null)
    {
        for (int t = first; t <= (last ?? Setup.Steps); t++)
        {
            if (t == Setup.LrChange.BeforeStep)
                rateGroups.ElementAt(Setup.LrChange.Group).LearningRate = Setup.LrChange.Lr;
            SetGradients(parameters, t);
            step();
        }
    }

    static void SetGradients(Parameter[] parameters, int step)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (int i = 0; i < parameters.Length; i++)
        {
            var spec = Setup.Params[i];
            var p = parameters[i].detach();
            var r = tensor(spec.Noise[step - 1], float64).reshape(spec.Shape).to(p.dtype);
            parameters[i].grad = spec.Gradient switch
            {
                "quadratic" => r + 0.5 * p,
                "fixed" => r.clone(),
                "layer_orthogonal" => r - (r * p).sum() / (p * p).sum() * p,
                "channel_orthogonal" => ChannelOrthogonal(r, p),
                _ => throw new InvalidDataException($"Unknown gradient kind {spec.Gradient}"),
            };
        }
    }

    static Tensor ChannelOrthogonal(Tensor r, Tensor p)
    {
        var pv = p.reshape(p.shape[0], -1);
        var rv = r.reshape(p.shape[0], -1);
        var coef = (rv * pv).sum(1, keepdim: true) / (pv * pv).sum(1, keepdim: true);
        return (rv - coef * pv).reshape(p.shape);
    }

    /// <summary>max over tensors of ‖a − b‖ / ‖b‖ for the parameters, and the same for the distance each moved
    /// from its initial value (which is what the optimizer contributed).</summary>
    public static (double Parameters, double Displacements) RelativeErrors(Parameter[] parameters, GoldenCase golden)
    {
        using var scope = NewDisposeScope();
        double worst = 0, worstMove = 0;
        for (int i = 0; i < parameters.Length; i++)
        {
            var spec = Setup.Params[i];
            var expected = tensor(golden.Final[spec.Name], float64).reshape(spec.Shape);
            var initial = tensor(spec.Initial, float64).reshape(spec.Shape);
            var actual = parameters[i].detach().to(float64);
            worst = Math.Max(worst, ((actual - expected).norm() / expected.norm()).ToDouble());
            worstMove = Math.Max(worstMove, (((actual - initial) - (expected - initial)).norm() / (expected - initial).norm()).ToDouble());
        }
        return (worst, worstMove);
    }

    /// <summary>torch.equal: same shape and every element equal (the runs here produce no NaN or signed zeros).</summary>
    public static bool Identical(Tensor a, Tensor b) => a.Equals(b);

    public static double Hyper(this GoldenCase golden, string key) => golden.Hyper[key].GetDouble();

    public static bool Flag(this GoldenCase golden, string key) =>
        golden.Hyper.TryGetValue(key, out var value) && value.ValueKind == JsonValueKind.True;
}

sealed record GoldenSetup(int Steps, string Dtype, double[] GroupLrs, GoldenRateChange LrChange, GoldenParam[] Params);

sealed record GoldenRateChange(int BeforeStep, int Group, double Lr);

sealed record GoldenParam(string Name, long[] Shape, int Group, string Gradient, double[] Initial, double[][] Noise);

sealed record GoldenCase(string Case, Dictionary<string, JsonElement> Hyper, Dictionary<string, double[]> Final, float[][]? UDraws);

sealed record RandnGolden(long Seed, int[] Sizes, float[][] Draws);
