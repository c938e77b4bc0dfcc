using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using TempBalance.Core.Scheduling;
using TempBalance.Core.Spectral;
using static TorchSharp.torch;

namespace TempBalance.Cli;

/// <summary>`tempbalance analyze`: HT-SR spectral analysis of saved weights (.npy files or checkpoints).</summary>
public static class AnalyzeCommand
{
    /// <summary>Exit code when any input could not be analysed (the others are still reported).</summary>
    public const int InputError = 2;

    public static Command Create()
    {
        var inputs = new Argument<string[]>("inputs")
        {
            Description = ".npy weights (2-D Linear [out, in] or 4-D Conv2d [out, in, kh, kw], float32/float64), folders of them, " +
                          "or checkpoints saved by this project (checkpoint.bin or a module.save state dict).",
            Arity = ArgumentArity.OneOrMore,
        };
        var fit = new Option<string>("--fit") { Description = "xmin rule: median (the paper), ks (goodness of fit) or peak.", DefaultValueFactory = _ => "median" };
        fit.AcceptOnlyFromAmong("median", "ks", "peak");
        var xminPos = new Option<int>("--xmin-pos") { Description = "Median rule: xmin index = floor(N / xmin-pos).", DefaultValueFactory = _ => 2 };
        var convNorm = new Option<double>("--conv-norm") { Description = "Conv kernel-position matrices are scaled by sqrt(conv-norm).", DefaultValueFactory = _ => 0.5 };
        var filterZeros = new Option<bool>("--filter-zeros") { Description = "Drop eigenvalues <= 1e-5 before fitting (if any remain)." };
        var json = new Option<bool>("--json") { Description = "Print a JSON array (one object per layer, method-doc field names) instead of a table." };
        var plot = new Option<string?>("--plot") { Description = "Write one ESD plot (PNG) per layer into this folder." };

        var command = new Command("analyze", "Fit power laws to the eigenvalue spectra of saved layer weights (HT-SR).")
        {
            inputs, fit, xminPos, convNorm, filterZeros, json, plot,
        };
        command.SetAction(parse => Run(
            parse.GetValue(inputs)!,
            new TempBalanceOptions
            {
                Fit = Enum.Parse<XminRule>(parse.GetValue(fit)!, ignoreCase: true),
                XminPos = parse.GetValue(xminPos),
                ConvNorm = parse.GetValue(convNorm),
                FilterNearZero = parse.GetValue(filterZeros),
            },
            parse.GetValue(json),
            parse.GetValue(plot)));
        return command;
    }

    sealed record AnalysedLayer(string Source, LayerSpectrum Spectrum);

    static int Run(string[] inputs, TempBalanceOptions options, bool json, string? plotDirectory)
    {
        if (options.XminPos < 1) return Fail($"--xmin-pos must be at least 1, not {options.XminPos}.");
        if (!(options.ConvNorm > 0 && double.IsFinite(options.ConvNorm))) return Fail($"--conv-norm must be a positive number, not {options.ConvNorm}.");

        int failures = 0;
        var layers = new List<AnalysedLayer>();
        foreach (var path in ExpandInputs(inputs, ref failures))
        {
            try
            {
                foreach (var spectrum in AnalyzeFile(path, options))
                    layers.Add(new AnalysedLayer(path, spectrum with { Index = layers.Count }));
            }
            catch (Exception e)
            {
                failures++;
                ReportError(path, e.Message);
            }
        }

        if (json) WriteJson(layers);
        else if (layers.Count > 0) WriteTable(layers, options);
        if (plotDirectory is not null && layers.Count > 0) failures += WritePlots(layers, plotDirectory);
        return failures > 0 ? InputError : 0;
    }

    static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return InputError;
    }

    static void ReportError(string path, string message)
    {
        var firstLine = message.Split('\n', 2)[0].Trim();
        Console.Error.WriteLine($"error: {path}: {firstLine}");
    }

    /// <summary>Files as given; a folder contributes its .npy files (by name) and its checkpoint.bin.</summary>
    static List<string> ExpandInputs(string[] inputs, ref int failures)
    {
        var files = new List<string>();
        foreach (var input in inputs)
        {
            if (File.Exists(input)) files.Add(input);
            else if (Directory.Exists(input))
            {
                var found = Directory.GetFiles(input, "*.npy").Order(StringComparer.Ordinal).ToList();
                var checkpoint = Path.Combine(input, "checkpoint.bin");
                if (File.Exists(checkpoint)) found.Add(checkpoint);
                if (found.Count == 0)
                {
                    failures++;
                    ReportError(input, "the folder holds no .npy files and no checkpoint.bin");
                }
                files.AddRange(found);
            }
            else
            {
                failures++;
                ReportError(input, "no such file or folder");
            }
        }
        return files;
    }

    static IReadOnlyList<LayerSpectrum> AnalyzeFile(string path, TempBalanceOptions options)
    {
        using var scope = NewDisposeScope();
        if (path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            return [EsdAnalyzer.AnalyzeWeight(0, Path.GetFileNameWithoutExtension(path), NpyReader.Read(path).ToTensor(), options)];
        }
        var weights = WeightFiles.ReadStateDictWeights(path);
        return EsdAnalyzer.AnalyzeWeights(weights.Select(w => w.Name).ToArray(), weights.Select(w => w.Weight).ToArray(), options);
    }

    static string Number(double value, string format = "G5") => value.ToString(format, CultureInfo.InvariantCulture);

    static void WriteTable(List<AnalysedLayer> layers, TempBalanceOptions options)
    {
        var table = new Table().Title($"ESD power-law fits ({options.Fit.ToString().ToLowerInvariant()} xmin rule, conv_norm {Number(options.ConvNorm)})")
            .AddColumns("layer", "kind", "N", "alpha", "D", "xmin", "spectral norm", "alpha-hat", "stable rank", "HT-SR");
        foreach (var column in table.Columns.Skip(2)) column.RightAligned();
        table.Columns[^1].LeftAligned();
        foreach (var (_, s) in layers)
        {
            var fit = s.Fit;
            table.AddRow(
                Markup.Escape(s.Name),
                s.Kind.ToString(),
                s.EigsNum.ToString(CultureInfo.InvariantCulture),
                fit.Succeeded ? Number(fit.Alpha, "F3") : "-",
                fit.Succeeded ? Number(fit.D, "F4") : "-",
                fit.Succeeded ? Number(fit.Xmin, "G4") : "-",
                Number(s.SpectralNorm, "G4"),
                s.AlphaWeighted is { } hat ? Number(hat, "F3") : "-",
                Number(s.StableRank, "F2"),
                fit.Succeeded ? LabelText(s.Label) : $"[red]fit failed:[/] {Markup.Escape(fit.Error ?? "")}");
        }
        // Piped or redirected output has no window width; do not wrap rows at Spectre's 80-column default.
        if (Console.IsOutputRedirected)
            AnsiConsole.Profile.Width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 0 ? columns : 240;
        AnsiConsole.Write(table);
    }

    static string LabelText(HtsrLabel label) => label switch
    {
        HtsrLabel.HeavyTailed => "[yellow]heavy-tailed[/]",
        HtsrLabel.WellTrained => "[green]well trained[/]",
        HtsrLabel.UnderTrained => "[blue]under-trained[/]",
        _ => "unknown",
    };

    static string JsonLabel(HtsrLabel label) => label switch
    {
        HtsrLabel.HeavyTailed => "heavy_tailed",
        HtsrLabel.WellTrained => "well_trained",
        HtsrLabel.UnderTrained => "under_trained",
        _ => "unknown",
    };

    static void WriteJson(List<AnalysedLayer> layers)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartArray();
            foreach (var (source, s) in layers)
            {
                var fit = s.Fit;
                writer.WriteStartObject();
                writer.WriteString("name", s.Name);
                writer.WriteString("source", source);
                writer.WriteString("kind", s.Kind.ToString());
                writer.WriteNumber("eigs_num", s.EigsNum);
                WriteNumber(writer, "alpha", fit.Succeeded ? fit.Alpha : null);
                WriteNumber(writer, "D", fit.Succeeded ? fit.D : null);
                WriteNumber(writer, "xmin", fit.Succeeded ? fit.Xmin : null);
                WriteNumber(writer, "spectral_norm", s.SpectralNorm);
                WriteNumber(writer, "norm", s.Norm);
                WriteNumber(writer, "alpha_weighted", s.AlphaWeighted);
                WriteNumber(writer, "log_norm", s.LogNorm);
                WriteNumber(writer, "log_spectral_norm", s.LogSpectralNorm);
                WriteNumber(writer, "log_alpha_norm", s.LogAlphaNorm);
                WriteNumber(writer, "stable_rank", s.StableRank);
                WriteNumber(writer, "sigma", fit.Succeeded ? fit.Sigma : null);
                writer.WriteString("label", JsonLabel(s.Label));
                if (fit.Error is null) writer.WriteNull("fit_error");
                else writer.WriteString("fit_error", fit.Error);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        stdout.WriteByte((byte)'\n');
    }

    /// <summary>JSON has no NaN or infinity: those (and missing values) are written as null.</summary>
    static void WriteNumber(Utf8JsonWriter writer, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v)) writer.WriteNumber(name, v);
        else writer.WriteNull(name);
    }

    static int WritePlots(List<AnalysedLayer> layers, string directory)
    {
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e)
        {
            ReportError(directory, $"cannot create the plot folder: {e.Message}");
            return 1;
        }
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, spectrum) in layers)
        {
            var stem = string.Concat(spectrum.Name.Select(c => char.IsLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_'));
            if (stem.Length == 0) stem = "layer";
            var fileName = used.Add(stem) ? $"{stem}.png" : $"{stem}-{spectrum.Index}.png";
            EsdPlot.SavePng(spectrum, Path.Combine(directory, fileName));
        }
        Console.Error.WriteLine($"wrote {layers.Count} plot(s) to {Path.GetFullPath(directory)}");
        return 0;
    }
}
