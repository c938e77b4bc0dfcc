using System.Globalization;
using System.Text.Json;

namespace TempBalance.Cli.Tests;

/// <summary>`tempbalance analyze` on the diagnosis fixtures of the Core tests (safetensors, torch.save, bad inputs).</summary>
public sealed class AnalyzeDiagnosisTests
{
    static string Fixture(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "Diagnosis", "fixtures", .. parts]);

    static readonly Lazy<JsonDocument> Goldens = new(() => JsonDocument.Parse(File.ReadAllText(Fixture("goldens.json"))));

    static double Golden(string layer, string field) => Goldens.Value.RootElement.GetProperty("layers").GetProperty(layer).GetProperty(field).GetDouble();

    static JsonElement[] Layers(JsonDocument document) => document.RootElement.GetProperty("layers").EnumerateArray().ToArray();

    static JsonElement Layer(JsonDocument document, string name) => Assert.Single(Layers(document), l => l.GetProperty("name").GetString() == name);

    [Fact]
    public void A_safetensors_file_gives_the_table_a_summary_and_the_skipped_tensors()
    {
        var result = CliRunner.Run("analyze", Fixture("model.safetensors"));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Stderr);
        string alpha = Golden("fc1.weight", "alpha_median").ToString("F3", CultureInfo.InvariantCulture);
        Assert.Matches($@"fc1\.weight\s*│\s*Linear\s*│\s*48\s*│\s*{Regex(alpha)}\s*│", result.Stdout);
        Assert.Matches(@"conv\.weight\s*│\s*Conv2d\s*│\s*54\s*│", result.Stdout);
        Assert.Matches(@"tiny\.weight\s*│.*│\s*too few eigenvalues", result.Stdout);
        double mean = new[] { "fc1.weight", "fc2.weight", "conv.weight", "attn.c_attn.weight" }.Average(n => Golden(n, "alpha_median"));
        Assert.Contains($"summary: 5 layers, mean alpha {mean.ToString("F3", CultureInfo.InvariantCulture)}; over-trained 0%, well trained 80%, under-trained 0%, too few eigenvalues 20%, fit failed 0%; " +
                        "most under-trained: attn.c_attn.weight (3.30), conv.weight (2.40), fc1.weight (2.08); 3 tensors skipped", result.Stdout);
        Assert.Contains("skipped 3 tensors: 1-D vectors 1, embeddings 1 (embed_tokens.weight), not floating-point 1 (bn.num_batches_tracked)", result.Stdout);
    }

    static string Regex(string text) => System.Text.RegularExpressions.Regex.Escape(text);

    [Fact]
    public void Json_holds_every_metric_the_skipped_tensors_and_the_summary()
    {
        var result = CliRunner.Run("analyze", "--json", Fixture("model.pt"));

        Assert.Equal(0, result.ExitCode);
        using var document = JsonDocument.Parse(result.Stdout);
        Assert.Equal(["fc1.weight", "fc2.weight", "conv.weight", "attn.c_attn.weight", "tiny.weight"], Layers(document).Select(l => l.GetProperty("name").GetString()));
        var fc1 = Layer(document, "fc1.weight");
        foreach (var (field, golden) in new[] { ("alpha", "alpha_median"), ("alpha_weighted", "alpha_weighted"), ("log_spectral_norm", "log_spectral_norm"),
                     ("log_norm", "log_norm"), ("log_alpha_norm", "log_alpha_norm"), ("stable_rank", "stable_rank"), ("matrix_entropy", "matrix_entropy"),
                     ("mp_bulk_max", "bulk_max"), ("sigma_mp", "sigma_mp") })
            Assert.Equal(Golden("fc1.weight", golden), fc1.GetProperty(field).GetDouble(), 1e-9 * Math.Abs(Golden("fc1.weight", golden)));
        Assert.Equal(3, fc1.GetProperty("num_spikes").GetInt32());
        Assert.Equal([48, 80], fc1.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal("float32", fc1.GetProperty("dtype").GetString());
        Assert.Equal("well_trained", fc1.GetProperty("verdict").GetString());
        Assert.Equal("too_few_eigenvalues", Layer(document, "tiny.weight").GetProperty("verdict").GetString());

        var skipped = document.RootElement.GetProperty("skipped").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("reason").GetString());
        Assert.Equal("vector", skipped["fc1.bias"]);
        Assert.Equal("embedding", skipped["embed_tokens.weight"]);
        Assert.Equal("not_floating_point", skipped["bn.num_batches_tracked"]);
        Assert.Empty(document.RootElement.GetProperty("failures").EnumerateArray());

        var summary = document.RootElement.GetProperty("summary");
        Assert.Equal(5, summary.GetProperty("layers").GetInt32());
        Assert.Equal(4, summary.GetProperty("verdicts").GetProperty("well_trained").GetInt32());
        Assert.Equal(0.2, summary.GetProperty("shares").GetProperty("too_few_eigenvalues").GetDouble(), 12);
        Assert.Equal(["attn.c_attn.weight", "conv.weight", "fc1.weight"], summary.GetProperty("most_under_trained").EnumerateArray().Select(l => l.GetProperty("name").GetString()));
    }

    [Fact]
    public void Csv_has_a_header_and_one_row_per_layer_with_full_precision()
    {
        var result = CliRunner.Run("analyze", "--csv", Fixture("model.safetensors"));

        Assert.Equal(0, result.ExitCode);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].Split(',');
        Assert.Equal(6, lines.Length);
        var fc1 = lines[1].Split(',');
        Assert.Equal("fc1.weight", fc1[Array.IndexOf(header, "name")]);
        Assert.Equal("48x80", fc1[Array.IndexOf(header, "shape")]);
        Assert.Equal("3", fc1[Array.IndexOf(header, "num_spikes")]);
        Assert.Equal(Golden("fc1.weight", "alpha_median"), double.Parse(fc1[Array.IndexOf(header, "alpha")], CultureInfo.InvariantCulture), 1e-12);
        Assert.Equal("too_few_eigenvalues", lines[5].Split(',')[Array.IndexOf(header, "verdict")]);
    }

    [Fact]
    public void Farms_filter_and_split_fused_options_reach_the_analysis()
    {
        var farms = CliRunner.Run("analyze", "--json", "--farms", Fixture("model.safetensors"));
        using (var document = JsonDocument.Parse(farms.Stdout))
        {
            var fc1 = Layer(document, "fc1.weight");
            Assert.Equal(Golden("fc1.weight", "farms_alpha_median"), fc1.GetProperty("alpha").GetDouble(), 1e-9);
            Assert.Equal(360, fc1.GetProperty("farms_eigs_num").GetInt32());
            Assert.Equal(48, fc1.GetProperty("eigs_num").GetInt32());
        }

        var filtered = CliRunner.Run("analyze", "--json", "--filter", "fc?.*", "--filter", "conv.*", Fixture("model.safetensors"));
        using (var document = JsonDocument.Parse(filtered.Stdout))
        {
            Assert.Equal(["fc1.weight", "fc2.weight", "conv.weight"], Layers(document).Select(l => l.GetProperty("name").GetString()));
            Assert.Equal(["fc?.*", "conv.*"], document.RootElement.GetProperty("options").GetProperty("filter").EnumerateArray().Select(f => f.GetString()));
        }

        var split = CliRunner.Run("analyze", "--json", "--split-fused", "3", Fixture("model.safetensors"));
        using (var document = JsonDocument.Parse(split.Stdout))
        {
            var names = Layers(document).Select(l => l.GetProperty("name").GetString()).ToArray();
            Assert.Equal(["attn.c_attn.weight[0]", "attn.c_attn.weight[1]", "attn.c_attn.weight[2]"], names.Where(n => n!.StartsWith("attn", StringComparison.Ordinal)));
            Assert.Equal(Golden("attn.c_attn.weight[1]", "alpha_median"), Layer(document, "attn.c_attn.weight[1]").GetProperty("alpha").GetDouble(), 1e-9);
        }

        var table = CliRunner.Run("analyze", "--split-fused", "3:*c_attn*", Fixture("model.safetensors"));
        Assert.Equal(0, table.ExitCode);
        Assert.Matches(@"attn\.c_attn\.weight\[2\]\s*│\s*Linear\s*│\s*16\s*│.*│\s*16x48 part 3/3\s*│", table.Stdout);

        var plot = Path.Combine(Directory.CreateTempSubdirectory("tb-farms-plot-").FullName, "plots");
        try
        {
            Assert.Equal(0, CliRunner.Run("analyze", "--farms", "--plot", plot, "--filter", "fc1.*", Fixture("model.safetensors")).ExitCode);
            Assert.True(new FileInfo(Path.Combine(plot, "fc1.weight.png")).Length > 5_000);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(plot)!, recursive: true);
        }
    }

    [Fact]
    public void Bad_inputs_get_one_line_errors_and_exit_2_while_good_files_are_still_reported()
    {
        File.Delete("/tmp/tempbalance-diagnosis-pickle-marker");
        var result = CliRunner.Run("analyze", Fixture("malicious_system.pt"), Fixture("truncated.pt"), Fixture("bad_header_length.safetensors"),
            Fixture("unknown_dtype.safetensors"), Fixture("sharded_missing"), Fixture("model.safetensors"));

        Assert.Equal(2, result.ExitCode);
        Assert.False(File.Exists("/tmp/tempbalance-diagnosis-pickle-marker"));
        var errors = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, errors.Length);
        Assert.StartsWith($"error: {Fixture("malicious_system.pt")}: the pickle asks for the Python global 'posix.system'", errors[0]);
        Assert.StartsWith($"error: {Fixture("truncated.pt")}: truncated or corrupt zip archive", errors[1]);
        Assert.StartsWith($"error: {Fixture("bad_header_length.safetensors")}: wrong safetensors header length", errors[2]);
        Assert.Equal($"error: {Fixture("unknown_dtype.safetensors")}: tensor 'fc2.weight': unknown dtype 'F7'", errors[3]);
        Assert.Equal($"error: {Fixture("sharded_missing", "model.safetensors.index.json")}: shard 'model-00002-of-00002.safetensors' is missing (4 tensor(s) listed in it)", errors[4]);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.Matches(@"conv\.weight\s*│\s*Conv2d", result.Stdout);
        Assert.Contains("5 input errors", result.Stdout);
    }

    [Fact]
    public void Only_bad_input_exits_2_without_a_table()
    {
        var result = CliRunner.Run("analyze", Fixture("malicious_eval.pt"));

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Matches(@"^error: .*malicious_eval\.pt: the pickle asks for the Python global '__builtin__\.eval', which a state dict never needs; refused without running anything", result.Stderr.TrimEnd());
    }

    [Theory]
    [InlineData("--split-fused", "1", "--split-fused takes N or N:GLOB with N at least 2, not '1'.")]
    [InlineData("--json", "--csv", "--json and --csv cannot be combined; choose one.")]
    [InlineData("--min-eigs", "-1", "--min-eigs cannot be negative (-1).")]
    public void Option_mistakes_say_what_to_change(string option, string value, string message)
    {
        var result = CliRunner.Run("analyze", option, value, Fixture("model.safetensors"));
        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: {message}", result.Stderr.Trim());
    }
}
