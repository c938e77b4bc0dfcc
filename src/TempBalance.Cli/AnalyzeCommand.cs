using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;
using TempBalance.Core.Diagnosis;
using TempBalance.Core.Scheduling;
using TempBalance.Core.Spectral;

namespace TempBalance.Cli;

/// <summary>
/// `tempbalance analyze`: HT-SR diagnosis of saved weights (safetensors files and Hugging Face folders,
/// torch.save state dicts, .npy files, this project's checkpoints), WeightWatcher-style (docs/diagnosis.md).
/// </summary>
public static class AnalyzeCommand
{
    /// <summary>Exit code when any input could not be analysed (the others are still reported).</summary>
    public const int InputError = 2;

    public static Command Create()
    {
        var inputs = new Argument<string[]>("inputs")
        {
            Description = "Weights: .safetensors files or Hugging Face model folders (sharded with model.safetensors.index.json), " +
                          "torch.save state dicts (.pt, .pth, .bin), .npy files (2-D [out, in] or 4-D [out, in, kh, kw]) or folders of them, " +
                          "checkpoints saved by this project (checkpoint.bin or a module.save state dict).",
            Arity = ArgumentArity.OneOrMore,
        };
        var fit = new Option<string>("--fit") { Description = "xmin rule: median (the paper), ks (goodness of fit; WeightWatcher's default with --filter-zeros) or peak.", DefaultValueFactory = _ => "median" };
        fit.AcceptOnlyFromAmong("median", "ks", "peak");
        var xminPos = new Option<int>("--xmin-pos") { Description = "Median rule: xmin index = floor(N / xmin-pos).", DefaultValueFactory = _ => 2 };
        var convNorm = new Option<double>("--conv-norm") { Description = "Conv kernel-position matrices are scaled by sqrt(conv-norm).", DefaultValueFactory = _ => 0.5 };
        var filterZeros = new Option<bool>("--filter-zeros") { Description = "Drop eigenvalues <= 1e-5 before fitting (if any remain)." };
        var json = new Option<bool>("--json") { Description = "Print JSON (layers, skipped tensors, input errors, summary) instead of a table." };
        var csv = new Option<bool>("--csv") { Description = "Print one CSV row per layer instead of a table." };
        var plot = new Option<string?>("--plot") { Description = "Write one ESD plot (PNG) per layer into this folder." };
        var farms = new Option<bool>("--farms") { Description = "Alpha from FARMS: the pooled ESD of fixed-aspect-ratio 100 x 200 windows, comparable across layer shapes." };
        var filter = new Option<string[]>("--filter")
        {
            Description = "Analyse only tensors whose full name matches this glob ('*' any text, '?' one character; repeatable), e.g. 'transformer.h.*.mlp.*'.",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var embedding = new Option<string[]>("--embedding")
        {
            Description = "Also skip tensors matching this glob as embeddings (repeatable); names containing embed, wte or wpe always are.",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var splitFused = new Option<string[]>("--split-fused")
        {
            Description = "N or N:GLOB: split fused matrices into N equal parts along their long side (GPT-2's c_attn: 3). " +
                          $"Without a glob: names matching {string.Join(", ", FusedSplit.DefaultPatterns)}. Repeatable.",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var minEigs = new Option<int>("--min-eigs") { Description = "Layers with fewer eigenvalues get no verdict ('too few eigenvalues').", DefaultValueFactory = _ => DiagnosisOptions.DefaultMinEigenvalues };

        var command = new Command("analyze", "Diagnose saved weights: power-law alpha, WeightWatcher metrics and an HT-SR verdict per layer.")
        {
            inputs, fit, xminPos, convNorm, filterZeros, json, csv, plot, farms, filter, embedding, splitFused, minEigs,
        };
        command.SetAction(parse =>
        {
            if (!TryParseSplits(parse.GetValue(splitFused) ?? [], out var splits, out var splitError)) return Fail(splitError);
            var options = new DiagnosisOptions
            {
                Fit = Enum.Parse<XminRule>(parse.GetValue(fit)!, ignoreCase: true),
                XminPos = parse.GetValue(xminPos),
                ConvNorm = parse.GetValue(convNorm),
                FilterNearZero = parse.GetValue(filterZeros),
                Farms = parse.GetValue(farms),
                Include = parse.GetValue(filter) ?? [],
                EmbeddingPatterns = parse.GetValue(embedding) ?? [],
                SplitFused = splits,
                MinEigenvalues = parse.GetValue(minEigs),
            };
            return Run(parse.GetValue(inputs)!, options, parse.GetValue(json), parse.GetValue(csv), parse.GetValue(plot));
        });
        return command;
    }

    /// <summary>"3" (the default fused names) or "3:*c_attn*".</summary>
    static bool TryParseSplits(string[] values, out List<FusedSplit> splits, out string error)
    {
        splits = [];
        error = "";
        foreach (var value in values)
        {
            var colon = value.IndexOf(':');
            var count = colon < 0 ? value : value[..colon];
            if (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var parts) || parts < 2)
            {
                error = $"--split-fused takes N or N:GLOB with N at least 2, not '{value}'.";
                return false;
            }
            if (colon < 0) splits.AddRange(FusedSplit.DefaultPatterns.Select(p => new FusedSplit(parts, p)));
            else splits.Add(new FusedSplit(parts, value[(colon + 1)..]));
        }
        return true;
    }

    static int Run(string[] inputs, DiagnosisOptions options, bool json, bool csv, string? plotDirectory)
    {
        if (options.XminPos < 1) return Fail($"--xmin-pos must be at least 1, not {options.XminPos}.");
        if (!(options.ConvNorm > 0 && double.IsFinite(options.ConvNorm))) return Fail($"--conv-norm must be a positive number, not {options.ConvNorm}.");
        if (options.MinEigenvalues < 0) return Fail($"--min-eigs cannot be negative ({options.MinEigenvalues}).");
        if (json && csv) return Fail("--json and --csv cannot be combined; choose one.");

        DiagnosisReport report;
        try
        {
            report = ModelDiagnosis.Analyze(inputs, options);
        }
        catch (DiagnosisInputException e)
        {
            foreach (var failure in e.Failures) Console.Error.WriteLine($"error: {failure.Message}");
            return InputError;
        }
        foreach (var failure in report.Failures) Console.Error.WriteLine($"error: {failure.Message}");

        if (json) WriteJson(report);
        else if (csv) WriteCsv(report);
        else WriteTable(report);
        int plotFailures = plotDirectory is not null && report.Layers.Count > 0 ? WritePlots(report.Layers, plotDirectory) : 0;
        return report.Failures.Count > 0 || plotFailures > 0 ? InputError : 0;
    }

    static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return InputError;
    }

    static string Number(double? value, string format = "G5") => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    static string Shape(long[] shape) => string.Join("x", shape);

    static void WriteTable(DiagnosisReport report)
    {
        var options = report.Options;
        if (report.Layers.Count > 0)
        {
            var title = $"HT-SR diagnosis ({options.Fit.ToString().ToLowerInvariant()} xmin rule, conv_norm {Number(options.ConvNorm)}{(options.Farms ? ", FARMS alpha" : "")})";
            var table = new Table().Title(title).AddColumns(
                "layer", "kind", "N", "alpha", "D", "alpha-hat", "log lmax", "log norm", "log a-norm", "stable rank", "entropy", "spikes", "shape", "verdict");
            foreach (var column in table.Columns.Skip(2)) column.RightAligned();
            table.Columns[^1].LeftAligned();
            foreach (var l in report.Layers)
            {
                table.AddRow(
                    Markup.Escape(l.Name),
                    l.Kind.ToString(),
                    l.EigenvalueCount.ToString(CultureInfo.InvariantCulture),
                    Number(l.Alpha, "F3"),
                    Number(l.D, "F4"),
                    Number(l.AlphaWeighted, "F3"),
                    Number(l.LogSpectralNorm, "F3"),
                    Number(l.LogNorm, "F3"),
                    Number(l.LogAlphaNorm, "F3"),
                    Number(l.StableRank, "F2"),
                    Number(l.MatrixEntropy, "F3"),
                    l.NumSpikes?.ToString(CultureInfo.InvariantCulture) ?? "-",
                    Markup.Escape(Shape(l.Shape) + (l.PartCount > 1 ? $" part {l.Part + 1}/{l.PartCount}" : "")),
                    VerdictMarkup(l));
            }
            // Piped or redirected output has no window width; do not wrap rows at Spectre's 80-column default.
            if (Console.IsOutputRedirected)
                AnsiConsole.Profile.Width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 0 ? columns : 240;
            AnsiConsole.Write(table);
        }
        Console.WriteLine($"summary: {report.Summary.Describe()}");
        if (report.Skipped.Count > 0) Console.WriteLine($"skipped {SkippedText(report.Skipped)}");
    }

    static string VerdictMarkup(DiagnosedLayer layer) => layer.Verdict switch
    {
        HtsrVerdict.OverTrained => "[yellow]over-trained[/]",
        HtsrVerdict.WellTrained => "[green]well trained[/]",
        HtsrVerdict.UnderTrained => "[blue]under-trained[/]",
        HtsrVerdict.TooFewEigenvalues => "too few eigenvalues",
        _ => $"[red]fit failed:[/] {Markup.Escape(layer.FitError ?? "")}",
    };

    /// <summary>"3 tensors: 1-D vectors 1, embeddings 1 (embed_tokens.weight), not floating-point 1 (bn.num_batches_tracked)".</summary>
    static string SkippedText(IReadOnlyList<SkippedTensor> skipped) => $"{skipped.Count} tensor{(skipped.Count == 1 ? "" : "s")}: " + string.Join(", ", skipped.GroupBy(s => s.Reason).Select(g =>
    {
        var what = g.Key switch
        {
            SkipReason.ExcludedByFilter => "excluded by --filter",
            SkipReason.NotFloatingPoint => "not floating-point",
            SkipReason.Scalar => "scalars",
            SkipReason.Vector => "1-D vectors",
            SkipReason.Bias => "biases and mask buffers",
            SkipReason.Embedding => "embeddings",
            SkipReason.UnsupportedShape => "neither 2-D nor 4-D",
            _ => "empty",
        };
        var names = g.Key is SkipReason.Embedding or SkipReason.UnsupportedShape or SkipReason.NotFloatingPoint && g.Count() <= 4
            ? $" ({string.Join(", ", g.Select(s => s.Name))})" : "";
        return $"{what} {g.Count()}{names}";
    }));

    static string VerdictKey(HtsrVerdict verdict) => verdict switch
    {
        HtsrVerdict.OverTrained => "over_trained",
        HtsrVerdict.WellTrained => "well_trained",
        HtsrVerdict.UnderTrained => "under_trained",
        HtsrVerdict.TooFewEigenvalues => "too_few_eigenvalues",
        _ => "fit_failed",
    };

    static string JsonLabel(HtsrLabel label) => label switch
    {
        HtsrLabel.HeavyTailed => "heavy_tailed",
        HtsrLabel.WellTrained => "well_trained",
        HtsrLabel.UnderTrained => "under_trained",
        _ => "unknown",
    };

    static void WriteJson(DiagnosisReport report)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("layers");
            foreach (var l in report.Layers) WriteLayer(writer, l);
            writer.WriteEndArray();

            writer.WriteStartArray("skipped");
            foreach (var s in report.Skipped)
            {
                writer.WriteStartObject();
                writer.WriteString("name", s.Name);
                writer.WriteString("source", s.Source);
                WriteShape(writer, s.Shape);
                writer.WriteString("dtype", s.DType);
                writer.WriteString("reason", JsonNamingPolicy.SnakeCaseLower.ConvertName(s.Reason.ToString()));
                writer.WriteString("detail", s.Detail);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();

            writer.WriteStartArray("failures");
            foreach (var f in report.Failures)
            {
                writer.WriteStartObject();
                writer.WriteString("source", f.Source);
                if (f.Tensor is null) writer.WriteNull("tensor");
                else writer.WriteString("tensor", f.Tensor);
                writer.WriteString("problem", f.Problem);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();

            var summary = report.Summary;
            writer.WriteStartObject("summary");
            writer.WriteNumber("layers", summary.LayerCount);
            WriteNumber(writer, "mean_alpha", summary.MeanAlpha);
            writer.WriteStartObject("verdicts");
            foreach (var (verdict, count) in summary.VerdictCounts) writer.WriteNumber(VerdictKey(verdict), count);
            writer.WriteEndObject();
            writer.WriteStartObject("shares");
            foreach (var verdict in summary.VerdictCounts.Keys) writer.WriteNumber(VerdictKey(verdict), summary.Share(verdict));
            writer.WriteEndObject();
            writer.WriteStartArray("most_under_trained");
            foreach (var l in summary.MostUnderTrained)
            {
                writer.WriteStartObject();
                writer.WriteString("name", l.Name);
                WriteNumber(writer, "alpha", l.Alpha);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteNumber("skipped", summary.SkippedCount);
            writer.WriteNumber("failures", summary.FailureCount);
            writer.WriteString("text", summary.Describe());
            writer.WriteEndObject();

            var o = report.Options;
            writer.WriteStartObject("options");
            writer.WriteString("fit", o.Fit.ToString().ToLowerInvariant());
            writer.WriteNumber("xmin_pos", o.XminPos);
            writer.WriteNumber("conv_norm", o.ConvNorm);
            writer.WriteBoolean("filter_zeros", o.FilterNearZero);
            writer.WriteBoolean("farms", o.Farms);
            writer.WriteNumber("min_eigs", o.MinEigenvalues);
            WriteStrings(writer, "filter", o.Include);
            WriteStrings(writer, "embedding", o.EmbeddingPatterns);
            writer.WriteStartArray("split_fused");
            foreach (var split in o.SplitFused)
            {
                writer.WriteStartObject();
                writer.WriteNumber("parts", split.Parts);
                writer.WriteString("pattern", split.Pattern);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        stdout.WriteByte((byte)'\n');
    }

    static void WriteLayer(Utf8JsonWriter writer, DiagnosedLayer l)
    {
        var s = l.Spectrum;
        writer.WriteStartObject();
        writer.WriteString("name", l.Name);
        writer.WriteString("source", l.Source);
        writer.WriteString("tensor", l.TensorName);
        WriteShape(writer, l.Shape);
        writer.WriteString("dtype", l.DType);
        writer.WriteString("kind", l.Kind.ToString());
        writer.WriteNumber("part", l.Part);
        writer.WriteNumber("parts", l.PartCount);
        writer.WriteNumber("rows", l.Rows);
        writer.WriteNumber("cols", l.Columns);
        writer.WriteNumber("eigs_num", l.EigenvalueCount);
        WriteNumber(writer, "alpha", l.Alpha);
        WriteNumber(writer, "D", l.D);
        WriteNumber(writer, "xmin", l.Xmin);
        WriteNumber(writer, "tail_size", l.TailSize);
        WriteNumber(writer, "spectral_norm", s.SpectralNorm);
        WriteNumber(writer, "norm", s.Norm);
        WriteNumber(writer, "alpha_weighted", l.AlphaWeighted);
        WriteNumber(writer, "log_norm", l.LogNorm);
        WriteNumber(writer, "log_spectral_norm", l.LogSpectralNorm);
        WriteNumber(writer, "log_alpha_norm", l.LogAlphaNorm);
        WriteNumber(writer, "stable_rank", l.StableRank);
        WriteNumber(writer, "sigma", s.Fit.Succeeded ? s.Fit.Sigma : null);
        WriteNumber(writer, "matrix_entropy", l.MatrixEntropy);
        writer.WriteNumber("matrix_rank", l.MatrixRank);
        WriteNumber(writer, "num_spikes", l.NumSpikes);
        WriteNumber(writer, "sigma_mp", l.MpSigma);
        WriteNumber(writer, "mp_bulk_max", l.MpBulkMax);
        WriteNumber(writer, "mp_softrank", l.MpSoftRank);
        writer.WriteBoolean("farms", l.Farms);
        if (l.Farms) WriteNumber(writer, "farms_eigs_num", s.FitEigenvalues?.Length);
        writer.WriteString("label", JsonLabel(s.Label));
        writer.WriteString("verdict", VerdictKey(l.Verdict));
        if (l.FitError is null) writer.WriteNull("fit_error");
        else writer.WriteString("fit_error", l.FitError);
        writer.WriteEndObject();
    }

    static void WriteStrings(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var v in values) writer.WriteStringValue(v);
        writer.WriteEndArray();
    }

    static void WriteShape(Utf8JsonWriter writer, long[] shape)
    {
        writer.WriteStartArray("shape");
        foreach (var d in shape) writer.WriteNumberValue(d);
        writer.WriteEndArray();
    }

    /// <summary>JSON has no NaN or infinity: those (and missing values) are written as null.</summary>
    static void WriteNumber(Utf8JsonWriter writer, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v)) writer.WriteNumber(name, v);
        else writer.WriteNull(name);
    }

    static readonly string[] CsvColumns =
    [
        "name", "source", "tensor", "shape", "dtype", "kind", "rows", "cols", "eigs_num", "alpha", "D", "xmin", "alpha_weighted",
        "log_spectral_norm", "log_norm", "log_alpha_norm", "stable_rank", "matrix_entropy", "matrix_rank", "num_spikes",
        "mp_bulk_max", "mp_softrank", "verdict", "fit_error",
    ];

    static void WriteCsv(DiagnosisReport report)
    {
        var text = new StringBuilder();
        text.AppendLine(string.Join(",", CsvColumns));
        static string R(double? v) => v is { } x && double.IsFinite(x) ? x.ToString("R", CultureInfo.InvariantCulture) : "";
        foreach (var l in report.Layers)
        {
            string[] row =
            [
                l.Name, l.Source, l.TensorName, Shape(l.Shape), l.DType, l.Kind.ToString(),
                l.Rows.ToString(CultureInfo.InvariantCulture), l.Columns.ToString(CultureInfo.InvariantCulture), l.EigenvalueCount.ToString(CultureInfo.InvariantCulture),
                R(l.Alpha), R(l.D), R(l.Xmin), R(l.AlphaWeighted), R(l.LogSpectralNorm), R(l.LogNorm), R(l.LogAlphaNorm), R(l.StableRank),
                R(l.MatrixEntropy), l.MatrixRank.ToString(CultureInfo.InvariantCulture), l.NumSpikes?.ToString(CultureInfo.InvariantCulture) ?? "",
                R(l.MpBulkMax), R(l.MpSoftRank), VerdictKey(l.Verdict), l.FitError ?? "",
            ];
            text.AppendLine(string.Join(",", row.Select(Csv)));
        }
        Console.Write(text.ToString());
    }

    static string Csv(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : $"\"{field.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";

    static int WritePlots(IReadOnlyList<DiagnosedLayer> layers, string directory)
    {
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"error: {directory}: cannot create the plot folder: {e.Message}");
            return 1;
        }
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var layer in layers)
        {
            var stem = string.Concat(layer.Name.Select(c => char.IsLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_'));
            if (stem.Length == 0) stem = "layer";
            var fileName = used.Add(stem) ? $"{stem}.png" : $"{stem}-{layer.Index}.png";
            EsdPlot.SavePng(layer.Spectrum, Path.Combine(directory, fileName));
        }
        Console.Error.WriteLine($"wrote {layers.Count} plot(s) to {Path.GetFullPath(directory)}");
        return 0;
    }
}
