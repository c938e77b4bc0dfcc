using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace TempBalance.Core.Training;

/// <summary>
/// Writes a run's results into its directory: results.json (configuration, outcome, per-epoch metrics with the
/// training loss between epoch ends, and one series per layer) and the same numbers as epochs.csv,
/// batch-losses.csv and layers.csv for spreadsheets and pandas.
/// </summary>
public static class ResultsWriter
{
    public const string ResultsFile = "results.json";
    public const string EpochsFile = "epochs.csv";
    public const string LayersFile = "layers.csv";
    public const string BatchLossesFile = "batch-losses.csv";

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        // An exploding layer can have an infinite spectral norm; results must still be written.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false), new TrainingConfigJson.Converter() },
    };

    static readonly JsonSerializerOptions IndentedJson = new(Json) { WriteIndented = true };

    public sealed record EpochMetrics(
        int Epoch, double TrainLoss, double TrainAccuracy, double TestLoss, double TestAccuracy,
        double? LearningRate, double EpochSeconds, double EsdSeconds, IReadOnlyList<BatchLossPoint>? BatchLosses = null);

    /// <summary>
    /// One layer over the run; entry i of every list belongs to Epochs[i]. LearningRate[i] is the rate the layer
    /// trained with during that epoch (null for epoch 0), NextLearningRate[i] the one its analysis assigned next.
    /// </summary>
    public sealed record LayerSeries(
        int Index, string Name, string Kind, int EigsNum, bool Tuned, IReadOnlyList<int> Epochs,
        IReadOnlyList<double?> Alpha, IReadOnlyList<double?> D, IReadOnlyList<double?> Xmin,
        IReadOnlyList<double> SpectralNorm, IReadOnlyList<double?> AlphaWeighted, IReadOnlyList<double?> LearningRate,
        IReadOnlyList<double> NextLearningRate, IReadOnlyList<double?> J, IReadOnlyList<double?> J0);

    /// <summary>Outcome is null while the run is still going (results are rewritten after every epoch).</summary>
    public sealed record RunResults(
        TrainingConfig Config, RunOutcome? Outcome, string? Message, IReadOnlyList<EpochMetrics> Epochs, IReadOnlyList<LayerSeries> Layers,
        RunEnvironment? Environment = null);

    public static RunResults Summarise(TrainingConfig config, RunOutcome? outcome, string? message, IReadOnlyList<EpochReport> epochs,
        RunEnvironment? environment = null)
    {
        var metrics = epochs.Select(e => new EpochMetrics(
            e.Epoch, e.TrainLoss, e.TrainAccuracy, e.TestLoss, e.TestAccuracy, e.LearningRate, e.EpochSeconds, e.EsdSeconds, e.BatchLosses)).ToList();
        var layers = epochs.SelectMany(e => e.Layers.Select(l => (e.Epoch, Layer: l)))
            .GroupBy(x => x.Layer.Index)
            .OrderBy(g => g.Key)
            .Select(g =>
            {
                var last = g.Last().Layer;
                return new LayerSeries(last.Index, last.Name, last.Kind, last.EigsNum, last.Tuned,
                    g.Select(x => x.Epoch).ToList(), g.Select(x => x.Layer.Alpha).ToList(), g.Select(x => x.Layer.D).ToList(),
                    g.Select(x => x.Layer.Xmin).ToList(), g.Select(x => x.Layer.SpectralNorm).ToList(),
                    g.Select(x => x.Layer.AlphaWeighted).ToList(), g.Select(x => x.Layer.LearningRate).ToList(),
                    g.Select(x => x.Layer.NextLearningRate).ToList(), g.Select(x => x.Layer.J).ToList(), g.Select(x => x.Layer.J0).ToList());
            })
            .ToList();
        return new RunResults(config, outcome, message, metrics, layers, environment);
    }

    public static void Write(string runDirectory, TrainingConfig config, RunOutcome? outcome, string? message, IReadOnlyList<EpochReport> epochs,
        RunEnvironment? environment = null)
    {
        Directory.CreateDirectory(runDirectory);
        var results = Summarise(config, outcome, message, epochs, environment);
        WriteAtomically(Path.Combine(runDirectory, ResultsFile), JsonSerializer.Serialize(results, IndentedJson));

        // Every row names the recipe, so that the epochs of many runs concatenated still say what trained them.
        var epochsCsv = new StringBuilder("epoch,train_loss,train_accuracy,test_loss,test_accuracy,learning_rate,epoch_seconds,esd_seconds,method,recipe\n");
        string recipe = RecipeText.Describe(config);
        foreach (var e in results.Epochs)
            epochsCsv.AppendLine(Csv(e.Epoch, e.TrainLoss, e.TrainAccuracy, e.TestLoss, e.TestAccuracy, e.LearningRate, e.EpochSeconds, e.EsdSeconds, config.Method, recipe));
        WriteAtomically(Path.Combine(runDirectory, EpochsFile), epochsCsv.ToString());

        WriteAtomically(Path.Combine(runDirectory, BatchLossesFile), BatchLossesCsv(epochs.SelectMany(e => e.BatchLosses ?? [])));

        // learning_rate is the rate used during the row's epoch, as in epochs.csv; next_learning_rate the one assigned after it.
        var layersCsv = new StringBuilder("epoch,index,name,kind,eigs_num,alpha,d,xmin,spectral_norm,alpha_weighted,learning_rate,next_learning_rate,tuned,j,j0\n");
        foreach (var e in epochs)
            foreach (var l in e.Layers)
                layersCsv.AppendLine(Csv(e.Epoch, l.Index, l.Name, l.Kind, l.EigsNum, l.Alpha, l.D, l.Xmin, l.SpectralNorm, l.AlphaWeighted,
                    l.LearningRate, l.NextLearningRate, l.Tuned, l.J, l.J0));
        WriteAtomically(Path.Combine(runDirectory, LayersFile), layersCsv.ToString());
    }

    /// <summary>Batch-loss curves as batch-losses.csv holds them (the web app's export uses the same table).</summary>
    public static string BatchLossesCsv(IEnumerable<BatchLossPoint> points)
    {
        var csv = new StringBuilder("epoch,loss\n");
        foreach (var point in points)
            csv.AppendLine(Csv(point.Epoch, point.Loss));
        return csv.ToString();
    }

    static string Csv(params object?[] values) => string.Join(",", values.Select(v => v switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        string text when text.IndexOfAny([',', '"', '\n', '\r']) >= 0 => "\"" + text.Replace("\"", "\"\"") + "\"",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString(),
    }));

    static void WriteAtomically(string path, string text)
    {
        try
        {
            File.WriteAllText(path + ".tmp", text);
            File.Move(path + ".tmp", path, overwrite: true);
        }
        catch
        {
            Checkpoint.DeleteQuietly(path + ".tmp");
            throw;
        }
    }
}
