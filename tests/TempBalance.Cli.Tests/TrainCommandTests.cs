using System.Diagnostics;
using System.Text.Json;

namespace TempBalance.Cli.Tests;

public sealed class TrainCommandTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("tb-cli-train-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    // 384 synthetic images = 3 batches per epoch; one thread, so runs in different processes compute alike.
    string[] Tiny(string outDir) =>
        ["train", "--model", "smallcnn", "--dataset", "synthetic", "--subset", "384", "--epochs", "3", "--seed", "5",
         "--method", "tempbalance", "--device", "cpu", "--threads", "1", "--data-root", root, "--out", outDir];

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

    [Fact]
    public void A_run_killed_during_epoch_2_and_resumed_ends_with_the_metrics_of_an_uninterrupted_run()
    {
        var straight = Path.Combine(root, "straight");
        var killed = Path.Combine(root, "killed");
        var full = CliRunner.Run(Tiny(straight));
        Assert.True(full.ExitCode == 0, full.Stdout + full.Stderr);

        KillDuringEpoch2(Tiny(killed));
        using (var partial = JsonDocument.Parse(File.ReadAllText(Path.Combine(killed, "results.json"))))
        {
            var epochs = partial.RootElement.GetProperty("epochs");
            Assert.Equal(1, epochs[epochs.GetArrayLength() - 1].GetProperty("epoch").GetInt32());
        }

        var refused = CliRunner.Run(Tiny(killed));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--resume", refused.Stdout);

        var resumed = CliRunner.Run("train", "--resume", "--threads", "1", "--data-root", root, "--out", killed);
        Assert.True(resumed.ExitCode == 0, resumed.Stdout + resumed.Stderr);
        Assert.DoesNotContain("epoch 1:", resumed.Stdout);
        Assert.Contains("epoch 3:", resumed.Stdout);

        using var a = JsonDocument.Parse(File.ReadAllText(Path.Combine(straight, "results.json")));
        using var b = JsonDocument.Parse(File.ReadAllText(Path.Combine(killed, "results.json")));
        var epochsA = a.RootElement.GetProperty("epochs");
        var epochsB = b.RootElement.GetProperty("epochs");
        Assert.Equal(4, epochsB.GetArrayLength());
        foreach (var metric in new[] { "trainLoss", "trainAccuracy", "testLoss", "testAccuracy", "learningRate" })
            Assert.Equal(epochsA[3].GetProperty(metric).GetDouble(), epochsB[3].GetProperty(metric).GetDouble());
        Assert.Equal(
            a.RootElement.GetProperty("layers")[1].GetProperty("learningRate").ToString(),
            b.RootElement.GetProperty("layers")[1].GetProperty("learningRate").ToString());
    }

    /// <summary>Starts the run and SIGKILLs it once epoch 1 is reported, i.e. with epoch 2 under way.</summary>
    static void KillDuringEpoch2(string[] args)
    {
        using var process = Process.Start(CliRunner.StartInfo(AppContext.BaseDirectory, args))!;
        using var epoch1 = new ManualResetEventSlim();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.StartsWith("epoch 1:", StringComparison.Ordinal) == true) epoch1.Set();
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Assert.True(epoch1.Wait(TimeSpan.FromMinutes(3)), "the run never reported epoch 1");
        process.Kill(); // SIGKILL on Unix: no chance to clean up
        process.WaitForExit();
        Assert.NotEqual(0, process.ExitCode);
    }
}
