using System.Diagnostics;
using System.Text.Json;

namespace TempBalance.Cli.Tests;

public sealed class TrainCommandTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("tb-cli-train-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    // 384 synthetic images = 3 batches per epoch; one thread, so runs in different processes compute alike.
    string[] Tiny(string outDir, params string[] recipe) =>
        ["train", "--model", "smallcnn", "--dataset", "synthetic", "--subset", "384", "--epochs", "4", "--seed", "5",
         "--device", "cpu", "--threads", "1", "--data-root", root, "--out", outDir, .. recipe.Length == 0 ? ["--method", "tempbalance"] : recipe];

    [Fact]
    public void Invalid_options_fail_before_training_with_exit_code_2_and_what_to_change()
    {
        var result = CliRunner.Run("train", "--model", "resnet50", "--lr", "0", "--epochs", "0", "--dataset", "cifar10",
            "--data-root", root, "--out", Path.Combine(root, "never"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("resnet18, resnet34", result.Stdout);
        Assert.Contains("lr", result.Stdout);
        Assert.Contains("Epochs must be at least 1", result.Stdout);
        Assert.Contains("data_batch_1.bin", result.Stdout);
        Assert.False(Directory.Exists(Path.Combine(root, "never")));
    }

    [Theory]
    [InlineData("--method", "tempbalance")]
    [InlineData("--method", "baseline", "--optimizer", "adam")]
    [InlineData("--method", "lars")]
    [InlineData("--method", "lookahead")]
    [InlineData("--method", "tb+snr")]
    [InlineData("--method", "lawn-adam")]
    public void A_run_killed_during_epoch_3_and_resumed_ends_bit_identical_to_an_uninterrupted_run(params string[] recipe)
    {
        var straight = Path.Combine(root, "straight");
        var killed = Path.Combine(root, "killed");
        var full = CliRunner.Run(Tiny(straight, recipe));
        Assert.True(full.ExitCode == 0, full.Stdout + full.Stderr);

        // Epoch 3 is under way: Lookahead has synced and LAWN (1 free epoch of 4) holds its norms.
        KillDuringEpoch(3, Tiny(killed, recipe));
        using (var partial = JsonDocument.Parse(File.ReadAllText(Path.Combine(killed, "results.json"))))
        {
            var epochs = partial.RootElement.GetProperty("epochs");
            Assert.Equal(2, epochs[epochs.GetArrayLength() - 1].GetProperty("epoch").GetInt32());
        }

        var refused = CliRunner.Run(Tiny(killed, recipe));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--resume", refused.Stdout);

        var resumed = CliRunner.Run("train", "--resume", "--threads", "1", "--data-root", root, "--out", killed);
        Assert.True(resumed.ExitCode == 0, resumed.Stdout + resumed.Stderr);
        Assert.DoesNotContain("epoch 2:", resumed.Stdout);
        Assert.Contains("epoch 4:", resumed.Stdout);

        using var a = JsonDocument.Parse(File.ReadAllText(Path.Combine(straight, "results.json")));
        using var b = JsonDocument.Parse(File.ReadAllText(Path.Combine(killed, "results.json")));
        Assert.Equal(a.RootElement.GetProperty("config").ToString(), b.RootElement.GetProperty("config").ToString());
        var epochsA = a.RootElement.GetProperty("epochs");
        var epochsB = b.RootElement.GetProperty("epochs");
        Assert.Equal(5, epochsB.GetArrayLength());
        for (int e = 3; e <= 4; e++)
            foreach (var metric in new[] { "trainLoss", "trainAccuracy", "testLoss", "testAccuracy", "learningRate" })
                Assert.Equal(epochsA[e].GetProperty(metric).GetDouble(), epochsB[e].GetProperty(metric).GetDouble());
        Assert.Equal(a.RootElement.GetProperty("layers").ToString(), b.RootElement.GetProperty("layers").ToString());
    }

    [Fact]
    public void A_preset_with_flags_on_top_names_its_recipe_and_records_every_part()
    {
        var outDir = Path.Combine(root, "tb-snr");
        var result = CliRunner.Run(["train", "--model", "smallcnn", "--dataset", "synthetic", "--subset", "128", "--epochs", "1",
            "--device", "cpu", "--threads", "1", "--data-root", root, "--out", outDir, "--method", "tb+snr", "--snr", "0.002"]);
        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
        // The console wraps long lines at its width.
        Assert.Contains("TB (×0.6–×1.4) + SNR (sg 0.002) on SGD, cosine", System.Text.RegularExpressions.Regex.Replace(result.Stdout, @"\s+", " "));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        var config = json.RootElement.GetProperty("config");
        Assert.Equal("tb+snr", config.GetProperty("method").GetString());
        Assert.Equal(0.002, config.GetProperty("snr").GetProperty("coefficient").GetDouble());
        Assert.Equal("sgd", config.GetProperty("optimizer").GetProperty("kind").GetString());
        Assert.True(config.GetProperty("tempBalance").GetProperty("enabled").GetBoolean());
        Assert.Equal(JsonValueKind.Null, config.GetProperty("lawn").ValueKind);
        var header = File.ReadLines(Path.Combine(outDir, "epochs.csv")).First();
        Assert.EndsWith(",method,recipe", header);
        Assert.EndsWith(",tb+snr,\"TB (×0.6–×1.4) + SNR (sg 0.002) on SGD, cosine\"", File.ReadLines(Path.Combine(outDir, "epochs.csv")).Last());
    }

    [Theory]
    [InlineData("lookahead", "torchOptimizer", "--method", "lookahead", "--lookahead", "5,0.5")]
    [InlineData("custom", "paper", "--method", "custom", "--lookahead", "5,0.5")]
    [InlineData("lookahead", "paper", "--method", "lookahead", "--lookahead", "5,0.5", "--lookahead-sync", "paper")]
    public void Lookahead_flags_change_k_and_alpha_and_keep_the_sync_unless_told(string name, string sync, params string[] recipe)
    {
        var outDir = Path.Combine(root, "lookahead");
        var result = CliRunner.Run(["train", "--model", "smallcnn", "--dataset", "synthetic", "--subset", "128", "--epochs", "1",
            "--device", "cpu", "--threads", "1", "--data-root", root, "--out", outDir, .. recipe]);
        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        var config = json.RootElement.GetProperty("config");
        Assert.Equal(name, config.GetProperty("method").GetString());
        var lookahead = config.GetProperty("lookahead");
        Assert.Equal(5, lookahead.GetProperty("k").GetInt32());
        Assert.Equal(0.5, lookahead.GetProperty("alpha").GetDouble());
        Assert.Equal(sync, lookahead.GetProperty("sync").GetString());
    }

    [Theory]
    [InlineData("--lookahead-sync", "paper", "lookahead.sync", "needs a Lookahead")]
    [InlineData("--method", "lookahead", "--lookahead-sync", "later", "lookahead.sync", "torchoptimizer")]
    [InlineData("--method", "sgdsnr", "method", "tb+snr")]
    [InlineData("--optimizer", "rmsprop", "optimizer.kind", "lamb")]
    [InlineData("--method", "lawn-sgd", "--lawn-free-epochs", "2", "lawn.freeEpochs", "fewer than the run's 2 epochs")]
    [InlineData("--snr", "NaN", "snr.coefficient", "positive number")]
    [InlineData("--lookahead", "10", "lookahead", "K,ALPHA")]
    public void Bad_recipes_fail_with_exit_code_2_listing_the_valid_choices(params string[] argsAndExpectations)
    {
        var args = argsAndExpectations[..^2];
        var outDir = Path.Combine(root, "bad");
        var result = CliRunner.Run(["train", "--dataset", "synthetic", "--epochs", "2", "--data-root", root, "--out", outDir, .. args]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(argsAndExpectations[^2], result.Stdout);
        Assert.Contains(argsAndExpectations[^1], result.Stdout);
        Assert.False(Directory.Exists(outDir));
    }

    /// <summary>Starts the run and SIGKILLs it once epoch - 1 is reported, i.e. with that epoch under way.</summary>
    static void KillDuringEpoch(int epoch, string[] args)
    {
        using var process = Process.Start(CliRunner.StartInfo(AppContext.BaseDirectory, args))!;
        using var epoch1 = new ManualResetEventSlim();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.StartsWith($"epoch {epoch - 1}:", StringComparison.Ordinal) == true) epoch1.Set();
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Assert.True(epoch1.Wait(TimeSpan.FromMinutes(3)), $"the run never reported epoch {epoch - 1}");
        process.Kill(); // SIGKILL on Unix: no chance to clean up
        process.WaitForExit();
        Assert.NotEqual(0, process.ExitCode);
    }
}
