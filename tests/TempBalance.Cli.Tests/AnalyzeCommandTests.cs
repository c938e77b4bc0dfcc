using System.Text;
using System.Text.Json;
using TempBalance.Core.Spectral;
using TorchSharp;
using static TorchSharp.torch;

namespace TempBalance.Cli.Tests;

public sealed class AnalyzeCommandTests : IDisposable
{
    // xUnit makes an instance per test: one folder each.
    readonly string folder = Directory.CreateTempSubdirectory("tb-analyze-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>A .npy v1.0 file with any header fields and raw body, for the bad-input cases.</summary>
    static string WriteRawNpy(string folder, string name, string descr, string shape, byte[] body, string fortran = "False")
    {
        var dict = $"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}";
        var header = dict.PadRight((dict.Length + 11 + 63) / 64 * 64 - 11) + "\n";
        using var stream = new MemoryStream();
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        stream.Write(BitConverter.GetBytes((ushort)header.Length));
        stream.Write(Encoding.ASCII.GetBytes(header));
        stream.Write(body);
        var path = Path.Combine(folder, name + ".npy");
        File.WriteAllBytes(path, stream.ToArray());
        return path;
    }

    static double[] RandomValues(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.NextDouble() * 2 - 1).ToArray();
    }

    static string WriteGoodConv(string folder)
    {
        var path = Path.Combine(folder, "layer1.0.conv1.npy");
        NpyReader.Write(path, [16, 8, 3, 3], RandomValues(16 * 8 * 9, 1), asFloat32: true);
        return path;
    }

    [Fact]
    public void Bad_files_get_one_line_errors_and_exit_2_while_good_files_are_still_reported()
    {
        var good = WriteGoodConv(folder);
        var doubles = (int n) => RandomValues(n, 2).SelectMany(BitConverter.GetBytes).ToArray();
        var nanBody = doubles(16);
        BitConverter.GetBytes(double.NaN).CopyTo(nanBody, 5 * 8);
        var bad = new Dictionary<string, (string Path, string Problem)>
        {
            ["dtype"] = (WriteRawNpy(folder, "ints", "<i4", "(4, 4)", new byte[64]), "dtype '<i4' is not supported"),
            ["1d"] = (WriteRawNpy(folder, "vector", "<f8", "(16,)", doubles(16)), "1-D array"),
            ["3d"] = (WriteRawNpy(folder, "cube", "<f8", "(2, 2, 4)", doubles(16)), "3-D array"),
            ["body"] = (WriteRawNpy(folder, "short", "<f8", "(8, 8)", doubles(10)), "truncated data"),
            ["nan"] = (WriteRawNpy(folder, "nan", "<f8", "(4, 4)", nanBody), "entry 5 is NaN"),
            ["empty"] = (WriteRawNpy(folder, "empty", "<f4", "(0, 4)", []), "empty array"),
        };
        var truncatedHeader = Path.Combine(folder, "cut.npy");
        File.WriteAllBytes(truncatedHeader, File.ReadAllBytes(good)[..30]);
        bad["header"] = (truncatedHeader, "truncated header");

        var result = CliRunner.Run(["analyze", good, .. bad.Values.Select(b => b.Path)]);

        Assert.Equal(2, result.ExitCode);
        Assert.Matches(@"layer1\.0\.conv1\s*│\s*Conv2d\s*│\s*72\s*│\s*\d+\.\d{3}", result.Stdout);
        var errorLines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(bad.Count, errorLines.Length);
        foreach (var (path, problem) in bad.Values)
            Assert.Single(errorLines, line => line.StartsWith($"error: {path}: ", StringComparison.Ordinal) && line.Contains(problem));
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public void Json_output_uses_the_method_doc_field_names_and_a_checkpoint_state_dict_is_read()
    {
        var good = WriteGoodConv(folder);
        var checkpoint = Path.Combine(folder, "model.bin");
        using (var model = nn.Sequential(("conv", nn.Conv2d(3, 8, 3)), ("bn", nn.BatchNorm2d(8)), ("fc", nn.Linear(8, 4))))
            model.save(checkpoint);

        var result = CliRunner.Run("analyze", "--json", "--fit", "ks", good, checkpoint);

        Assert.Equal(0, result.ExitCode);
        using var document = JsonDocument.Parse(result.Stdout);
        var layers = document.RootElement.GetProperty("layers").EnumerateArray().ToArray();
        Assert.Equal(["layer1.0.conv1", "conv", "fc"], layers.Select(l => l.GetProperty("name").GetString()));
        string[] fields = ["name", "eigs_num", "alpha", "D", "xmin", "spectral_norm", "norm", "alpha_weighted", "log_norm",
            "log_spectral_norm", "log_alpha_norm", "stable_rank", "sigma", "label", "fit_error", "j", "j0"];
        foreach (var layer in layers)
            foreach (var field in fields)
                Assert.True(layer.TryGetProperty(field, out _), $"missing {field}");
        var conv = layers[0];
        Assert.Equal(72, conv.GetProperty("eigs_num").GetInt32());
        Assert.True(conv.GetProperty("alpha").GetDouble() > 1);
        Assert.Equal(JsonValueKind.Null, conv.GetProperty("fit_error").ValueKind);
        Assert.Equal(3 * 3 * 3, layers[1].GetProperty("eigs_num").GetInt32());
        Assert.Equal(4, layers[2].GetProperty("eigs_num").GetInt32());

        // J = std(W) sqrt(fan-in), J0 = mean(W) fan-in, fan-in = in * kh * kw: here 8 * 3 * 3.
        var values = RandomValues(16 * 8 * 9, 1).Select(v => (double)(float)v).ToArray();
        double mean = values.Average(), std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length);
        Assert.Equal(std * Math.Sqrt(72), conv.GetProperty("j").GetDouble(), 1e-12);
        Assert.Equal(mean * 72, conv.GetProperty("j0").GetDouble(), 1e-12);
        using (var saved = nn.Sequential(("conv", nn.Conv2d(3, 8, 3)), ("bn", nn.BatchNorm2d(8)), ("fc", nn.Linear(8, 4))))
        {
            saved.load(checkpoint);
            var fc = Core.EdgeOfChaos.OrderParameters.Of(saved.named_parameters().Single(p => p.name == "fc.weight").parameter);
            Assert.Equal(fc.J, layers[2].GetProperty("j").GetDouble(), 1e-12);
            Assert.Equal(fc.J0, layers[2].GetProperty("j0").GetDouble(), 1e-12);
        }
    }

    [Fact]
    public void A_run_folder_with_a_training_checkpoint_is_analysed()
    {
        // The layout Checkpoint.Save writes: magic, run state JSON, two RNG states, the model, then the optimizer.
        Core.EdgeOfChaos.OrderParameters head;
        using (var file = File.Create(Path.Combine(folder, "checkpoint.bin")))
        using (var writer = new BinaryWriter(file))
        using (var model = nn.Sequential(("features", nn.Sequential(nn.Conv2d(3, 16, 3), nn.BatchNorm2d(16))), ("head", nn.Linear(16, 10))))
        {
            writer.Write("TempBalance checkpoint v1");
            writer.Write("{\"Epoch\":3}");
            foreach (var size in new[] { 5056, 16 })
            {
                writer.Write(size);
                writer.Write(new byte[size]);
            }
            head = Core.EdgeOfChaos.OrderParameters.Of(model.named_parameters().Single(p => p.name == "head.weight").parameter);
            model.save(writer);
            writer.Write(new byte[100]);
        }

        var result = CliRunner.Run("analyze", "--json", folder);

        Assert.Equal(0, result.ExitCode);
        using var document = JsonDocument.Parse(result.Stdout);
        var names = document.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("name").GetString()).ToArray();
        Assert.Equal(2, names.Length);
        Assert.Contains("features.0", names);
        Assert.Contains("head", names);
        var headLayer = document.RootElement.GetProperty("layers").EnumerateArray().Single(l => l.GetProperty("name").GetString() == "head");
        Assert.Equal(head.J, headLayer.GetProperty("j").GetDouble(), 1e-12);
        Assert.Equal(head.J0, headLayer.GetProperty("j0").GetDouble(), 1e-12);
    }

    [Fact]
    public void Plot_writes_one_png_per_layer()
    {
        var good = WriteGoodConv(folder);
        var linear = Path.Combine(folder, "fc.npy");
        NpyReader.Write(linear, [10, 64], RandomValues(640, 3));
        var plots = Path.Combine(folder, "plots");

        var result = CliRunner.Run("analyze", "--plot", plots, good, linear);

        Assert.Equal(0, result.ExitCode);
        foreach (var name in new[] { "layer1.0.conv1.png", "fc.png" })
        {
            var bytes = File.ReadAllBytes(Path.Combine(plots, name));
            Assert.True(bytes.Length > 5_000, $"{name} is only {bytes.Length} bytes");
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        }
    }

    [Fact]
    public void Bad_options_and_missing_inputs_say_what_to_change()
    {
        var result = CliRunner.Run("analyze", "--xmin-pos", "0", "/nonexistent.npy");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--xmin-pos must be at least 1", result.Stderr);
    }
}
