using TempBalance.Core.Diagnosis;
using TempBalance.Core.Scheduling;
using TempBalance.Core.Spectral;
using static TempBalance.Core.Tests.Diagnosis.DiagnosisFixtures;

namespace TempBalance.Core.Tests.Diagnosis;

public sealed class ModelDiagnosisTests
{
    /// <summary>
    /// Eigenvalues here come from float64 Gram matrices and a symmetric eigensolver, the goldens from numpy's
    /// float64 SVD: they agree to about 1e-15 of the largest eigenvalue, and every metric to 1e-9 relative
    /// (tighter than the 1e-6 asked for; the Marchenko-Pastur sigma too, as both sides take the same
    /// grid and Nelder-Mead steps).
    /// </summary>
    const double Tolerance = 1e-9;

    static DiagnosisReport Analyze(string file, DiagnosisOptions? options = null) => ModelDiagnosis.Analyze(Path(file), options);

    [Fact]
    public void Npy_pt_and_safetensors_files_give_identical_metrics()
    {
        var npy = Analyze("npy");
        var pt = Analyze("model.pt");
        var safetensors = Analyze("model.safetensors");

        foreach (var report in new[] { npy, pt, safetensors })
        {
            Assert.Empty(report.Failures);
            Assert.Equal(AnalysedLayers.Order(), report.Layers.Select(l => l.Name).Order());
        }
        foreach (var name in AnalysedLayers)
        {
            var reference = safetensors.Layer(name);
            foreach (var other in new[] { npy.Layer(name), pt.Layer(name) })
            {
                Assert.Equal(reference.Shape, other.Shape);
                Assert.Equal(reference.EigenvalueCount, other.EigenvalueCount);
                Assert.Equal(reference.Verdict, other.Verdict);
                Assert.Equal(reference.NumSpikes, other.NumSpikes);
                Assert.Equal(reference.MatrixRank, other.MatrixRank);
                foreach (var (metric, value) in Metrics(reference))
                    Relative(value!.Value, Metrics(other)[metric], 1e-12, $"{name} {metric}");
            }
        }
    }

    static Dictionary<string, double?> Metrics(DiagnosedLayer l) => new()
    {
        ["alpha"] = l.Alpha,
        ["D"] = l.D,
        ["xmin"] = l.Xmin,
        ["alpha_weighted"] = l.AlphaWeighted,
        ["log_spectral_norm"] = l.LogSpectralNorm,
        ["log_norm"] = l.LogNorm,
        ["log_alpha_norm"] = l.LogAlphaNorm,
        ["stable_rank"] = l.StableRank,
        ["matrix_entropy"] = l.MatrixEntropy,
        ["sigma_mp"] = l.MpSigma,
        ["bulk_max"] = l.MpBulkMax,
        ["mp_softrank"] = l.MpSoftRank,
    };

    [Fact]
    public void Every_metric_matches_the_numpy_goldens()
    {
        var report = Analyze("model.safetensors");
        foreach (var name in AnalysedLayers) AssertMatchesGolden(report.Layer(name), Golden(name));
    }

    static void AssertMatchesGolden(DiagnosedLayer layer, System.Text.Json.JsonElement golden)
    {
        string name = layer.Name;
        Assert.Equal(golden.GetProperty("eigs_num").GetInt32(), layer.EigenvalueCount);
        Assert.Equal(golden.GetProperty("rows").GetInt64(), layer.Rows);
        Assert.Equal(golden.GetProperty("cols").GetInt64(), layer.Columns);
        Relative(golden.Number("alpha_median"), layer.Alpha, Tolerance, $"{name} alpha");
        Relative(golden.Number("D_median"), layer.D, Tolerance, $"{name} D");
        Relative(golden.Number("xmin_median"), layer.Xmin, Tolerance, $"{name} xmin");
        Relative(golden.Number("alpha_weighted"), layer.AlphaWeighted, Tolerance, $"{name} alpha_weighted");
        Relative(golden.Number("log_spectral_norm"), layer.LogSpectralNorm, Tolerance, $"{name} log_spectral_norm");
        Relative(golden.Number("log_norm"), layer.LogNorm, Tolerance, $"{name} log_norm");
        Relative(golden.Number("log_alpha_norm"), layer.LogAlphaNorm, Tolerance, $"{name} log_alpha_norm");
        Relative(golden.Number("stable_rank"), layer.StableRank, Tolerance, $"{name} stable_rank");
        Relative(golden.Number("matrix_entropy"), layer.MatrixEntropy, Tolerance, $"{name} matrix_entropy");
        Assert.Equal(golden.GetProperty("matrix_rank").GetInt32(), layer.MatrixRank);
        Relative(golden.Number("sigma_mp"), layer.MpSigma, Tolerance, $"{name} sigma_mp");
        Relative(golden.Number("bulk_max"), layer.MpBulkMax, Tolerance, $"{name} bulk_max");
        Relative(golden.Number("mp_softrank"), layer.MpSoftRank, Tolerance, $"{name} mp_softrank");
        Assert.Equal(golden.GetProperty("num_spikes").GetInt32(), layer.NumSpikes);
    }

    [Theory]
    [InlineData(XminRule.Median)]
    [InlineData(XminRule.Ks)]
    [InlineData(XminRule.Peak)]
    public void Alpha_D_and_xmin_of_each_xmin_rule_match_the_goldens(XminRule rule)
    {
        // WeightWatcher's own fit (the ks rule) always drops eigenvalues <= 1e-5 first.
        var report = Analyze("model.pt", new DiagnosisOptions { Fit = rule, FilterNearZero = rule == XminRule.Ks });
        var suffix = rule.ToString().ToLowerInvariant();
        foreach (var name in AnalysedLayers)
        {
            var layer = report.Layer(name);
            Relative(Golden(name).Number($"alpha_{suffix}"), layer.Alpha, Tolerance, $"{name} alpha ({suffix})");
            Relative(Golden(name).Number($"D_{suffix}"), layer.D, Tolerance, $"{name} D ({suffix})");
            Relative(Golden(name).Number($"xmin_{suffix}"), layer.Xmin, Tolerance, $"{name} xmin ({suffix})");
        }
    }

    [Theory]
    [InlineData("half.safetensors")]
    [InlineData("half.pt")]
    public void Float16_and_bfloat16_weights_are_widened_exactly(string file)
    {
        var report = Analyze(file);
        Assert.Equal("float16", report.Layer("fc1.weight").DType);
        Assert.Equal("bfloat16", report.Layer("fc2.weight").DType);
        AssertMatchesGolden(report.Layer("fc1.weight"), Golden("fc1.weight", "half"));
        AssertMatchesGolden(report.Layer("fc2.weight"), Golden("fc2.weight", "half"));
    }

    [Fact]
    public void Biases_embeddings_and_counters_are_skipped_with_the_reason_and_verdicts_follow_alpha()
    {
        var report = Analyze("model.pt");

        var skipped = report.Skipped.ToDictionary(s => s.Name, s => s.Reason);
        Assert.Equal(SkipReason.Vector, skipped["fc1.bias"]);
        Assert.Equal(SkipReason.Embedding, skipped["embed_tokens.weight"]);
        Assert.Equal(SkipReason.NotFloatingPoint, skipped["bn.num_batches_tracked"]);
        Assert.Equal(3, report.Skipped.Count);
        Assert.Equal(HtsrVerdict.TooFewEigenvalues, report.Layer("tiny.weight").Verdict);
        Assert.Equal(LayerKind.Conv2d, report.Layer("conv.weight").Kind);
        Assert.Equal([8L, 6, 3, 3], report.Layer("conv.weight").Shape);
        foreach (var name in AnalysedLayers.Where(n => n != "tiny.weight"))
        {
            var layer = report.Layer(name);
            var expected = layer.Alpha < 2 ? HtsrVerdict.OverTrained : layer.Alpha <= 6 ? HtsrVerdict.WellTrained : HtsrVerdict.UnderTrained;
            Assert.Equal(expected, layer.Verdict);
        }
    }

    [Fact]
    public void The_summary_gives_mean_alpha_verdict_shares_and_the_most_under_trained_layers()
    {
        var report = Analyze("model.safetensors");
        var judged = AnalysedLayers.Where(n => n != "tiny.weight").Select(n => Golden(n).Number("alpha_median")).ToArray();

        var summary = report.Summary;
        Assert.Equal(5, summary.LayerCount);
        Relative(judged.Average(), summary.MeanAlpha, Tolerance, "mean alpha");
        Assert.Equal(0.2, summary.Share(HtsrVerdict.TooFewEigenvalues), 12);
        Assert.Equal(1.0, Enum.GetValues<HtsrVerdict>().Sum(summary.Share), 12);
        // Golden alphas: c_attn 3.30, conv 2.40, fc1 2.08, fc2 2.02.
        Assert.Equal(["attn.c_attn.weight", "conv.weight", "fc1.weight"], summary.MostUnderTrained.Select(l => l.Name));
        Assert.Equal(3, summary.SkippedCount);
        Assert.Contains("most under-trained: attn.c_attn.weight (3.30)", summary.Describe());
    }

    [Fact]
    public void A_fused_matrix_split_in_three_gives_three_layers_with_their_own_goldens()
    {
        var report = Analyze("model.safetensors", new DiagnosisOptions { SplitFused = [new FusedSplit(3, "*c_attn.weight")] });

        Assert.DoesNotContain(report.Layers, l => l.Name == "attn.c_attn.weight");
        for (int part = 0; part < 3; part++)
        {
            var layer = report.Layer($"attn.c_attn.weight[{part}]");
            Assert.Equal((part, 3, "attn.c_attn.weight"), (layer.Part, layer.PartCount, layer.TensorName));
            Assert.Equal((16L, 16L), (layer.Rows, layer.Columns));
            AssertMatchesGolden(layer, Golden($"attn.c_attn.weight[{part}]"));
        }
    }

    [Fact]
    public void A_split_that_does_not_divide_the_long_side_is_a_failure_of_that_tensor_only()
    {
        var report = Analyze("model.safetensors", new DiagnosisOptions { SplitFused = [new FusedSplit(5, "*c_attn*")] });

        var failure = Assert.Single(report.Failures);
        Assert.Equal("attn.c_attn.weight", failure.Tensor);
        Assert.Contains("48 is not divisible by 5", failure.Problem);
        Assert.Equal(4, report.Layers.Count);
    }

    [Fact]
    public void The_include_filter_is_a_glob_on_the_full_name()
    {
        var report = Analyze("model.pt", new DiagnosisOptions { Include = ["fc?.*"] });

        Assert.Equal(["fc1.weight", "fc2.weight"], report.Layers.Select(l => l.Name));
        var excluded = report.Skipped.Where(s => s.Reason == SkipReason.ExcludedByFilter).Select(s => s.Name).Order();
        Assert.Equal(["attn.c_attn.weight", "bn.num_batches_tracked", "conv.weight", "embed_tokens.weight", "tiny.weight"], excluded);
        Assert.Equal(SkipReason.Vector, Assert.Single(report.Skipped, s => s.Name == "fc1.bias").Reason);
    }

    [Fact]
    public void Extra_embedding_patterns_skip_matching_matrices()
    {
        var report = Analyze("model.safetensors", new DiagnosisOptions { EmbeddingPatterns = ["tiny.*"] });
        Assert.Equal(SkipReason.Embedding, Assert.Single(report.Skipped, s => s.Name == "tiny.weight").Reason);
    }

    [Fact]
    public void Farms_alphas_match_the_goldens_and_the_other_metrics_stay_those_of_the_whole_matrix()
    {
        var plain = Analyze("model.safetensors");
        var farms = Analyze("model.safetensors", new DiagnosisOptions { Farms = true });

        foreach (var name in AnalysedLayers)
        {
            var layer = farms.Layer(name);
            Assert.True(layer.Farms);
            Assert.Equal(Golden(name).GetProperty("farms_eigs_num").GetInt32(), layer.Spectrum.FitEigenvalues!.Length);
            Relative(Golden(name).Number("farms_alpha_median"), layer.Alpha, Tolerance, $"{name} FARMS alpha");
            Assert.Equal(plain.Layer(name).EigenvalueCount, layer.EigenvalueCount);
            Relative(plain.Layer(name).LogNorm!.Value, layer.LogNorm, 1e-12, $"{name} log norm");
            Relative(layer.Alpha!.Value * layer.LogSpectralNorm!.Value, layer.AlphaWeighted, 1e-12, $"{name} alpha-hat");
        }
    }

    [Fact]
    public void A_sharded_folder_reads_like_the_single_file()
    {
        var single = Analyze("model.safetensors");
        var sharded = Analyze("sharded");

        Assert.Empty(sharded.Failures);
        Assert.Equal(AnalysedLayers, sharded.Layers.Select(l => l.Name));
        foreach (var name in AnalysedLayers) Assert.Equal(single.Layer(name).Alpha, sharded.Layer(name).Alpha);
    }

    [Fact]
    public void An_index_given_on_its_own_finds_its_shards_next_to_it()
    {
        var report = Analyze(System.IO.Path.Combine("sharded", "model.safetensors.index.json"));
        Assert.Empty(report.Failures);
        Assert.Equal(AnalysedLayers, report.Layers.Select(l => l.Name));
    }

    [Fact]
    public void A_missing_shard_is_reported_and_the_present_shard_is_still_analysed()
    {
        var report = Analyze("sharded_missing");

        var failure = Assert.Single(report.Failures);
        Assert.EndsWith("model.safetensors.index.json", failure.Source);
        Assert.Equal("shard 'model-00002-of-00002.safetensors' is missing (4 tensor(s) listed in it)", failure.Problem);
        Assert.Equal(["fc1.weight", "fc2.weight"], report.Layers.Select(l => l.Name));
    }

    [Fact]
    public void Streams_with_names_work_like_files_and_progress_is_reported_per_batch()
    {
        var inputs = new[] { "model.safetensors.index.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors" }
            .Select(f => DiagnosisInput.FromBytes($"upload/{f}", File.ReadAllBytes(Path("sharded", f)))).ToList();
        var reports = new List<DiagnosisProgress>();
        var progress = new SynchronousProgress(reports.Add);

        // A batch of 500 elements holds about one layer, so there are several progress reports.
        var report = ModelDiagnosis.Analyze(inputs, new DiagnosisOptions { BatchElements = 500 }, progress);

        Assert.Equal(AnalysedLayers, report.Layers.Select(l => l.Name));
        Assert.Equal(new DiagnosisProgress(0, 5, null), reports[0]);
        Assert.Equal(new DiagnosisProgress(5, 5, "tiny.weight"), reports[^1]);
        Assert.True(reports.Count >= 4, $"{reports.Count} progress reports");
        Assert.Equal(reports.Select(r => r.LayersDone).Order(), reports.Select(r => r.LayersDone));
    }

    [Fact]
    public void Cancellation_stops_the_analysis()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => ModelDiagnosis.Analyze(Path("model.safetensors"), cancellationToken: cancel.Token));
    }

    sealed class SynchronousProgress(Action<DiagnosisProgress> report) : IProgress<DiagnosisProgress>
    {
        public void Report(DiagnosisProgress value) => report(value);
    }
}
