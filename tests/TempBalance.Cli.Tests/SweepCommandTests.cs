using System.Globalization;
using System.Text.Json;

namespace TempBalance.Cli.Tests;

public sealed class SweepCommandTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("tb-cli-sweep-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    string[] Sweep(string outDir, params string[] grid) =>
        ["sweep", "--model", "mlp-tanh", "--dataset", "synthetic", "--method", "baseline", "--subset", "128", "--epochs", "2",
         "--schedule", "constant", "--weight-decay", "0", "--device", "cpu", "--data-root", root, "--out", outDir, .. grid];

    [Fact]
    public void A_grid_trains_every_combination_in_its_own_folder_and_summarises_them_in_sweep_csv()
    {
        var outDir = Path.Combine(root, "grid");
        string[] args = Sweep(outDir, "--grid", "lr=0.02,0.05", "--grid", "batch-size=16,32", "--parallel", "2");
        var result = CliRunner.Run(args);
        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
        Assert.Contains("Sweep of 4 runs (2 lr x 2 batch-size)", result.Stdout);
        Assert.Contains("1 torch thread each", result.Stdout);

        var rows = File.ReadAllLines(Path.Combine(outDir, "sweep.csv"));
        var header = rows[0].Split(',');
        Assert.Equal(["run", "folder", "lr", "batch-size", "status", "epochs"], header[..6]);
        Assert.Equal(5, rows.Length);
        string Cell(int row, string column) => rows[row].Split(',')[Array.IndexOf(header, column)];
        var combinations = Enumerable.Range(1, 4).Select(r => (Cell(r, "lr"), Cell(r, "batch-size"))).ToList();
        Assert.Equal([("0.02", "16"), ("0.02", "32"), ("0.05", "16"), ("0.05", "32")], combinations);
        for (int r = 1; r <= 4; r++)
        {
            Assert.Equal("completed", Cell(r, "status"));
            // Each row's numbers are its run's: the folder's results.json has this config and these accuracies.
            using var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "runs", Cell(r, "folder"), "results.json")));
            var config = run.RootElement.GetProperty("config");
            Assert.Equal(double.Parse(Cell(r, "lr"), CultureInfo.InvariantCulture), config.GetProperty("lr").GetDouble());
            Assert.Equal(int.Parse(Cell(r, "batch-size"), CultureInfo.InvariantCulture), config.GetProperty("batchSize").GetInt32());
            var epochs = run.RootElement.GetProperty("epochs").EnumerateArray().Where(e => e.GetProperty("epoch").GetInt32() >= 1).ToList();
            Assert.Equal(epochs.Max(e => e.GetProperty("testAccuracy").GetDouble()), double.Parse(Cell(r, "best_test_accuracy"), CultureInfo.InvariantCulture));
            Assert.Equal(epochs[^1].GetProperty("testLoss").GetDouble(), double.Parse(Cell(r, "final_test_loss"), CultureInfo.InvariantCulture));
            var j = run.RootElement.GetProperty("layers")[0].GetProperty("j").EnumerateArray().Select(v => v.GetDouble()).ToList();
            Assert.Equal(j[^1], double.Parse(Cell(r, "final_j"), CultureInfo.InvariantCulture));
        }

        // The same sweep again keeps what is done; another sweep in the folder is refused.
        var again = CliRunner.Run(args);
        Assert.True(again.ExitCode == 0, again.Stdout + again.Stderr);
        Assert.Equal(4, again.Stdout.Split("kept from an earlier invocation").Length - 1);
        var other = CliRunner.Run(Sweep(outDir, "--grid", "lr=0.03"));
        Assert.Equal(2, other.ExitCode);
        Assert.Contains("holds another sweep", other.Stdout);
    }

    [Theory]
    [InlineData("unknown", "Unknown field 'learning-rate'", "--grid", "lr=0.01", "--grid", "learning-rate=0.1")]
    [InlineData("text", "'model' is not a numeric field", "--grid", "model=1,2")]
    [InlineData("empty", "The axis momentum has no values", "--grid", "momentum=")]
    [InlineData("word", "'fast' is not a number", "--grid", "lr=0.01,fast")]
    [InlineData("cap", "4 runs (2 x 2); the limit is 3", "--grid", "lr=0.01,0.02", "--grid", "seed=1,2", "--max-runs", "3")]
    [InlineData("no-axis", "Give at least one axis", "--seed", "3")]
    public void Bad_axes_exit_2_with_the_reason_and_train_nothing(string name, string reason, params string[] grid)
    {
        var outDir = Path.Combine(root, name);
        var result = CliRunner.Run(Sweep(outDir, grid));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("nothing was trained", result.Stdout);
        Assert.Contains(reason, result.Stdout.Replace("\n", ""));
        Assert.False(Directory.Exists(outDir));
    }
}
