using System.Globalization;
using System.Text;
using TempBalance.Core.Training;

namespace TempBalance.Web.Runs;

/// <summary>CSV tables of a run's stored metrics (invariant culture, one header row, empty cells for missing values).</summary>
public static class RunExport
{
    /// <summary>The epochs table as the CLI's epochs.csv has it, each row naming the run's recipe.</summary>
    public static string EpochsCsv(TrainingConfig config, IEnumerable<EpochPoint> epochs)
    {
        var csv = new StringBuilder("epoch,train_loss,train_accuracy,test_loss,test_accuracy,learning_rate,epoch_seconds,esd_seconds,method,recipe\n");
        string recipe = RecipeText.Describe(config);
        foreach (var e in epochs)
            AppendRow(csv, e.Epoch, e.TrainLoss, e.TrainAccuracy, e.TestLoss, e.TestAccuracy, e.LearningRate, e.EpochSeconds, e.EsdSeconds, config.Method, recipe);
        return csv.ToString();
    }

    /// <summary>
    /// The layers table. As in the CLI's layers.csv: learning_rate is the rate the layer trained with during the row's
    /// epoch (empty for epoch 0), next_learning_rate the one that epoch's analysis assigned for the next; j and j0
    /// are the weight's order parameters.
    /// </summary>
    public static string LayersCsv(IEnumerable<LayerPoint> layers)
    {
        var csv = new StringBuilder("epoch,layer_index,layer_name,kind,eigs_num,alpha,d,xmin,spectral_norm,alpha_weighted,learning_rate,next_learning_rate,tuned,fit_error,j,j0\n");
        foreach (var l in layers)
            AppendRow(csv, l.Epoch, l.LayerIndex, l.Name, l.Kind, l.EigsNum, l.Alpha, l.D, l.Xmin, l.SpectralNorm, l.AlphaWeighted,
                l.LearningRate, l.NextLearningRate, l.Tuned, l.FitError, l.J, l.J0);
        return csv.ToString();
    }

    static void AppendRow(StringBuilder csv, params object?[] cells)
    {
        csv.AppendJoin(',', cells.Select(Cell));
        csv.Append('\n');
    }

    static string Cell(object? value) => value switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        string s when s.IndexOfAny([',', '"', '\n', '\r']) >= 0 => "\"" + s.Replace("\"", "\"\"") + "\"",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
