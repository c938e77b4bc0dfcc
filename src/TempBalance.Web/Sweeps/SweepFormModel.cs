using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using TempBalance.Core.Scheduling;
using TempBalance.Core.Sweeps;
using TempBalance.Core.Training;
using TempBalance.Web.Data;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Sweeps;

/// <summary>One axis row of the New sweep form: a field (CLI name) and its values as typed ("0.01, 0.02 0.05").</summary>
public sealed class SweepAxisInput
{
    public string Field { get; set; } = "lr";
    public string Values { get; set; } = "";
}

/// <summary>
/// What the New sweep form edits: a name, the base recipe as JSON (the config of a run, as POST /api/runs takes it;
/// started from a setup or a run), and the axes as typed. <see cref="ToRequest"/> turns it into the API's request;
/// text that is not a config or not numbers becomes field errors with the same keys the service uses.
/// </summary>
public sealed class SweepFormModel
{
    public string? Name { get; set; }
    public string BaseJson { get; set; } = "";
    public List<SweepAxisInput> Axes { get; } = [];

    /// <summary>Base recipes to start from: the edge-of-chaos paper's network first (sweeps over lr and batch size are its study), then the New run form's setups.</summary>
    public static IReadOnlyList<(string Name, TrainingConfig Config)> Bases { get; } =
    [
        ("Edge of chaos: mlp-tanh · MNIST, SGD", new TrainingConfig
        {
            Model = "mlp-tanh",
            Dataset = "mnist",
            Method = "baseline",
            Epochs = 20,
            BatchSize = 32,
            Lr = 0.01,
            Momentum = 0.9,
            WeightDecay = 0,
            Schedule = ScheduleKind.Constant,
            Augment = false,
            Seed = 42,
            TempBalance = new TempBalanceOptions { Enabled = false },
        }),
        .. RunSetups.All.Select(s => (s.Name, s.Request.Config)),
    ];

    public static SweepFormModel From(TrainingConfig config)
    {
        var model = new SweepFormModel { BaseJson = Indented(config) };
        model.Axes.Add(new SweepAxisInput { Field = "lr", Values = Values(config.Lr * 0.5, config.Lr, config.Lr * 2) });
        model.Axes.Add(new SweepAxisInput { Field = "batch-size", Values = Values(config.BatchSize / 2, config.BatchSize, config.BatchSize * 2) });
        return model;
    }

    static string Values(params double[] values) => string.Join(", ", values.Where(v => v > 0).Distinct().Select(SweepText.Value));

    public static string Indented(TrainingConfig config) =>
        JsonSerializer.Serialize(RecipePresets.Named(config), new JsonSerializerOptions(RunJson.Options) { WriteIndented = true });

    /// <summary>The request, or the errors that stop one from being made ("config" for JSON that is not a config, "axes[i].values" for a value that is not a number).</summary>
    public (NewSweepRequest? Request, IReadOnlyDictionary<string, string[]> Errors) ToRequest()
    {
        var errors = new Dictionary<string, string[]>();
        TrainingConfig? config = null;
        try
        {
            var node = JsonNode.Parse(string.IsNullOrWhiteSpace(BaseJson) ? "{}" : BaseJson);
            if (node is not JsonObject obj) errors["config"] = ["The base recipe must be a JSON object, such as { \"model\": \"mlp-tanh\", \"lr\": 0.01 }."];
            else config = TrainingConfigJson.Expand(obj, RunJson.Options).Deserialize<TrainingConfig>(RunJson.StrictOptions);
        }
        catch (JsonException ex)
        {
            var at = ex.Path is { Length: > 2 } path ? $" (at {path.TrimStart('$', '.')})" : "";
            var message = ex.Message.IndexOf(" Path:", StringComparison.Ordinal) is var cut and > 0 ? ex.Message[..cut] : ex.Message;
            errors["config"] = [$"{message}{at}"];
        }

        var axes = new List<SweepAxis>();
        for (int i = 0; i < Axes.Count; i++)
        {
            var values = new List<double>();
            foreach (var part in Axes[i].Values.Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) values.Add(v);
                else errors[$"axes[{i}].values"] = [$"'{part}' is not a number; write values such as 0.01, 0.02, 1e-3."];
            }
            axes.Add(new SweepAxis(Axes[i].Field, values));
        }
        if (errors.Count > 0 || config is null) return (null, errors);
        return (new NewSweepRequest { Name = Name, Config = config, Axes = axes }, errors);
    }

    /// <summary>How many runs the axes as typed make (0 while one is empty).</summary>
    public long RunCount => ToRequest().Request is { } request ? new SweepSpec(request.Config, request.Axes).RunCount : 0;
}
