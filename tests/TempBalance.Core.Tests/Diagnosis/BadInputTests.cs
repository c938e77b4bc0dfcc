using TempBalance.Core.Diagnosis;
using TempBalance.Core.Spectral;
using static TempBalance.Core.Tests.Diagnosis.DiagnosisFixtures;

namespace TempBalance.Core.Tests.Diagnosis;

public sealed class BadInputTests
{
    /// <summary>Where the malicious fixtures' command would create a file (make_diagnosis_fixtures.py MARKER).</summary>
    const string Marker = "/tmp/tempbalance-diagnosis-pickle-marker";

    static DiagnosisInputException Refused(string file)
    {
        var e = Assert.Throws<DiagnosisInputException>(() => ModelDiagnosis.Analyze(Path(file)));
        Assert.DoesNotContain('\n', e.Message);
        Assert.StartsWith(Path(file) + ": ", e.Message);
        return e;
    }

    [Theory]
    [InlineData("malicious_system.pt", "posix.system")]
    [InlineData("malicious_eval.pt", "__builtin__.eval")]
    public void A_pickle_that_asks_for_code_is_refused_and_nothing_runs(string file, string global)
    {
        File.Delete(Marker);

        var e = Refused(file);

        Assert.Contains($"the pickle asks for the Python global '{global}'", e.Message);
        Assert.Contains("refused without running anything", e.Message);
        Assert.False(File.Exists(Marker), "the pickle's command ran");
    }

    [Fact]
    public void Inspect_lists_tensors_without_reading_them_and_finds_what_Analyze_would_refuse()
    {
        File.Delete(Marker);
        var good = ModelDiagnosis.Inspect([Path("model.safetensors")]);
        Assert.Empty(good.Failures);
        var report = ModelDiagnosis.Analyze(Path("model.safetensors"));
        Assert.Equal(report.Layers.Count + report.Skipped.Count, good.TensorCount);

        Assert.Contains("'posix.system'", Assert.Single(ModelDiagnosis.Inspect([Path("malicious_system.pt")]).Failures).Problem);
        Assert.False(File.Exists(Marker), "the pickle's command ran");
        Assert.Equal("unknown dtype 'F7'", Assert.Single(ModelDiagnosis.Inspect([Path("unknown_dtype.safetensors")]).Failures).Problem);
        Assert.Contains("wrong safetensors header length", Assert.Single(ModelDiagnosis.Inspect([Path("bad_header_length.safetensors")]).Failures).Problem);
        Assert.Contains("shard 'model-00002-of-00002.safetensors' is missing", Assert.Single(ModelDiagnosis.Inspect([Path("sharded_missing")]).Failures).Problem);
    }

    [Fact]
    public void A_truncated_pt_file_is_a_corrupt_archive()
    {
        Assert.Contains("truncated or corrupt zip archive", Refused("truncated.pt").Message);
    }

    [Fact]
    public void A_wrong_safetensors_header_length_is_named()
    {
        Assert.Matches(@"wrong safetensors header length \d+: the file has 4320 bytes after the length field", Refused("bad_header_length.safetensors").Message);
    }

    [Fact]
    public void A_truncated_safetensors_file_names_the_tensor_past_the_end()
    {
        Assert.EndsWith("truncated: tensor 'fc2.weight' ends at byte 4096 of the data, the file holds 4044 data bytes", Refused("truncated.safetensors").Message);
    }

    [Fact]
    public void An_unknown_dtype_fails_that_tensor_only()
    {
        var report = ModelDiagnosis.Analyze(Path("unknown_dtype.safetensors"));

        var failure = Assert.Single(report.Failures);
        Assert.Equal($"{Path("unknown_dtype.safetensors")}: tensor 'fc2.weight': unknown dtype 'F7'", failure.Message);
        Assert.Equal("tiny.weight", Assert.Single(report.Layers).Name);
    }

    [Fact]
    public void One_bad_file_among_good_ones_is_a_failure_in_the_report()
    {
        var report = ModelDiagnosis.Analyze([Path("model.safetensors"), Path("truncated.pt"), Path("no-such-file.pt")]);

        Assert.Equal(AnalysedLayers, report.Layers.Select(l => l.Name));
        Assert.Equal(2, report.Failures.Count);
        Assert.Contains("truncated or corrupt zip archive", report.Failures[1].Problem);
        Assert.Equal("no such file or folder", report.Failures[0].Problem);
        Assert.Equal(2, report.Summary.FailureCount);
    }

    [Fact]
    public void Every_failure_is_listed_when_nothing_could_be_analysed()
    {
        var e = Assert.Throws<DiagnosisInputException>(() => ModelDiagnosis.Analyze([Path("truncated.pt"), Path("bad_header_length.safetensors")]));
        Assert.Equal(2, e.Failures.Count);
        Assert.Equal(e.Failures[0].Message, e.Message);
    }

    [Fact]
    public void A_legacy_pickle_file_and_an_empty_file_are_explained()
    {
        var folder = Directory.CreateTempSubdirectory("tb-diagnosis-").FullName;
        try
        {
            var legacy = System.IO.Path.Combine(folder, "legacy.pt");
            File.WriteAllBytes(legacy, [0x80, 0x02, 0x8a, 0x0a]);
            var empty = System.IO.Path.Combine(folder, "empty.bin");
            File.WriteAllBytes(empty, []);

            var e = Assert.Throws<DiagnosisInputException>(() => ModelDiagnosis.Analyze([legacy, empty]));

            Assert.Contains("legacy torch.save format", e.Failures[0].Problem);
            Assert.Equal("the file is empty", e.Failures[1].Problem);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_weight_with_nan_entries_fails_its_fit_and_the_next_layer_is_still_analysed()
    {
        var folder = Directory.CreateTempSubdirectory("tb-diagnosis-").FullName;
        try
        {
            var path = System.IO.Path.Combine(folder, "nan.safetensors");
            var bad = Enumerable.Range(0, 16 * 24).Select(k => k == 37 ? float.NaN : (float)Math.Cos(k)).ToArray();
            var good = Enumerable.Range(0, 16 * 24).Select(k => (float)Math.Sin(k * 1.7)).ToArray();
            SafetensorsWriter.Write(path, [SafetensorsTensor.Float32("bad.weight", [16, 24], bad), SafetensorsTensor.Float32("good.weight", [16, 24], good)]);

            var report = ModelDiagnosis.Analyze(path);

            var failed = report.Layers[0];
            Assert.Equal(("bad.weight", HtsrVerdict.FitFailed), (failed.Name, failed.Verdict));
            Assert.Equal("the weight has NaN or infinite entries", failed.FitError);
            Assert.Null(failed.Alpha);
            Assert.Equal(("good.weight", 16), (report.Layers[1].Name, report.Layers[1].EigenvalueCount));
            Assert.NotNull(report.Layers[1].Alpha);
            Assert.Equal(1, report.Summary.VerdictCounts[HtsrVerdict.FitFailed]);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Safetensors_written_here_are_read_back_and_a_short_data_section_is_caught()
    {
        var folder = Directory.CreateTempSubdirectory("tb-diagnosis-").FullName;
        try
        {
            var path = System.IO.Path.Combine(folder, "w.safetensors");
            var values = Enumerable.Range(0, 12 * 20).Select(k => (float)Math.Sin(k * 0.37)).ToArray();
            SafetensorsWriter.Write(path, [SafetensorsTensor.Float32("layer.weight", [12, 20], values)], new Dictionary<string, string> { ["format"] = "pt" });

            var layer = Assert.Single(ModelDiagnosis.Analyze(path).Layers);
            Assert.Equal((12L, 20L, 12), (layer.Rows, layer.Columns, layer.EigenvalueCount));

            File.WriteAllBytes(path, File.ReadAllBytes(path)[..^4]);
            Assert.Contains("truncated: tensor 'layer.weight'", Assert.Throws<DiagnosisInputException>(() => ModelDiagnosis.Analyze(path)).Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
