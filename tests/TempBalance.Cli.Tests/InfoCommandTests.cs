namespace TempBalance.Cli.Tests;

public sealed class InfoCommandTests : IDisposable
{
    readonly string dataRoot = Directory.CreateTempSubdirectory("tb-info-").FullName;

    public void Dispose() => Directory.Delete(dataRoot, recursive: true);

    [Fact]
    public void Info_reports_versions_device_threads_and_datasets()
    {
        Directory.CreateDirectory(Path.Combine(dataRoot, "cifar-100-binary"));
        File.WriteAllBytes(Path.Combine(dataRoot, "cifar-100-binary", "train.bin"), []);
        File.WriteAllBytes(Path.Combine(dataRoot, "cifar-100-binary", "test.bin"), []);

        var result = CliRunner.Run("info", "--data-root", dataRoot);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("TorchSharp", result.Stdout);
        Assert.Contains("0.107.0", result.Stdout);
        Assert.Contains("libtorch", result.Stdout);
        Assert.Contains("2.10.0", result.Stdout);
        Assert.Matches(@"threads\s*│\s*\d+", result.Stdout);
        Assert.Contains(dataRoot, result.Stdout);
        Assert.Matches(@"cifar100\s*│\s*found", result.Stdout);
        Assert.Matches(@"svhn\s*│\s*missing", result.Stdout);
    }
}
