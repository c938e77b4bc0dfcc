using System.Text.Json;
using TempBalance.Core.Spectral;
using static TorchSharp.torch;

namespace TempBalance.Core.Diagnosis;

/// <summary>
/// Every tensor of a set of input files, not yet read, and the problems found while listing them. Files
/// are recognised by name and first bytes: *.safetensors; *.index.json shard indexes (Hugging Face's
/// model.safetensors.index.json or pytorch_model.bin.index.json, weight_map: tensor -> shard file); torch.save
/// zip archives (*.pt, *.pth, *.bin, any name); this project's checkpoints and TorchSharp state dicts; *.npy.
/// </summary>
internal sealed class WeightCatalog
{
    public List<StoredTensor> Tensors { get; } = [];
    public List<DiagnosisFailure> Failures { get; } = [];

    /// <summary>Files written by the Hugging Face Trainer next to the model that hold no model weights.</summary>
    static readonly HashSet<string> NotModelFiles = ["optimizer.pt", "scheduler.pt", "training_args.bin", "scaler.pt"];

    /// <summary>Files and folders as paths: a folder contributes its weight files (see <see cref="FolderFiles"/>).</summary>
    public static List<DiagnosisInput> ExpandPaths(IEnumerable<string> paths, List<DiagnosisFailure> failures)
    {
        var inputs = new List<DiagnosisInput>();
        foreach (var path in paths)
        {
            if (File.Exists(path)) inputs.Add(DiagnosisInput.FromFile(path));
            else if (Directory.Exists(path))
            {
                var files = FolderFiles(path);
                if (files.Count == 0)
                    failures.Add(new DiagnosisFailure(path, null, "the folder holds no weight files (.safetensors, .pt, .pth, .bin, .npy or checkpoint.bin)"));
                inputs.AddRange(files.Select(DiagnosisInput.FromFile));
            }
            else failures.Add(new DiagnosisFailure(path, null, "no such file or folder"));
        }
        return inputs;
    }

    /// <summary>
    /// The weight files of a folder (not its sub-folders), by name: safetensors files and their index when there
    /// are any, otherwise PyTorch files (*.pt, *.pth, pytorch_model*.bin and a pytorch_model.bin.index.json,
    /// minus the Trainer's optimizer.pt, scheduler.pt, scaler.pt, rng_state*.pth, training_args.bin); plus *.npy
    /// files and this project's checkpoint.bin.
    /// </summary>
    public static List<string> FolderFiles(string folder)
    {
        var all = Directory.GetFiles(folder).Order(StringComparer.Ordinal).ToList();
        static bool Named(string path, Func<string, bool> test) => test(Path.GetFileName(path));
        var safetensors = all.Where(p => Named(p, n => n.EndsWith(".safetensors", StringComparison.Ordinal) || n.EndsWith(".safetensors.index.json", StringComparison.Ordinal))).ToList();
        var chosen = safetensors.Count > 0
            ? safetensors
            : all.Where(p => Named(p, n =>
                !NotModelFiles.Contains(n) && !n.StartsWith("rng_state", StringComparison.Ordinal)
                && (n.EndsWith(".pt", StringComparison.Ordinal) || n.EndsWith(".pth", StringComparison.Ordinal)
                    || (n.StartsWith("pytorch_model", StringComparison.Ordinal) && (n.EndsWith(".bin", StringComparison.Ordinal) || n.EndsWith(".bin.index.json", StringComparison.Ordinal)))))).ToList();
        chosen.AddRange(all.Where(p => Named(p, n => n.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) || n == "checkpoint.bin") && !chosen.Contains(p)));
        return chosen;
    }

    /// <summary>Reads the inputs in order; a shard named by an index among the inputs is read through that index, not alone.</summary>
    public static WeightCatalog Read(IReadOnlyList<DiagnosisInput> inputs, CancellationToken cancellationToken)
    {
        var catalog = new WeightCatalog();
        var byFileName = new Dictionary<string, DiagnosisInput>(StringComparer.Ordinal);
        foreach (var input in inputs) byFileName.TryAdd(input.FileName, input);

        var indexes = new Dictionary<DiagnosisInput, (Dictionary<string, string>? Map, DiagnosisInputException? Error)>();
        foreach (var index in inputs.Where(i => i.FileName.EndsWith(".index.json", StringComparison.Ordinal)))
        {
            try
            {
                indexes[index] = (ReadWeightMap(index), null);
            }
            catch (DiagnosisInputException e)
            {
                indexes[index] = (null, e);
            }
        }
        var shards = indexes.Values.Where(i => i.Map is not null).SelectMany(i => i.Map!.Values)
            .Select(f => byFileName.GetValueOrDefault(f)).OfType<DiagnosisInput>().ToHashSet();

        foreach (var input in inputs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (indexes.TryGetValue(input, out var index))
            {
                if (index.Error is not null) catalog.Failures.AddRange(index.Error.Failures);
                else catalog.ReadSharded(input, index.Map!, byFileName);
            }
            else if (!shards.Contains(input)) catalog.ReadFile(input);
        }
        return catalog;
    }

    void ReadSharded(DiagnosisInput index, Dictionary<string, string> weightMap, Dictionary<string, DiagnosisInput> byFileName)
    {
        foreach (var shard in weightMap.GroupBy(kv => kv.Value, StringComparer.Ordinal))
        {
            var expected = shard.Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
            if (!byFileName.TryGetValue(shard.Key, out var input) && SiblingFile(index, shard.Key) is { } sibling) input = DiagnosisInput.FromFile(sibling);
            if (input is null)
            {
                Failures.Add(new DiagnosisFailure(index.Name, null, $"shard '{shard.Key}' is missing ({expected.Count} tensor(s) listed in it)"));
                continue;
            }
            int before = Tensors.Count;
            ReadFile(input);
            var found = Tensors.Skip(before).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var name in expected.Where(n => !found.Contains(n) && !Failures.Any(f => f.Tensor == n)).Order(StringComparer.Ordinal))
                Failures.Add(new DiagnosisFailure(input.Name, name, $"listed in {index.FileName} but not in this shard"));
        }
    }

    /// <summary>A shard next to an index on disk (when the index file was given on its own).</summary>
    static string? SiblingFile(DiagnosisInput index, string shard)
    {
        if (index.Folder is null || shard.Contains('/') || shard.Contains('\\')) return null;
        var path = Path.Combine(index.Folder, shard);
        return File.Exists(path) ? path : null;
    }

    static Dictionary<string, string> ReadWeightMap(DiagnosisInput index)
    {
        try
        {
            using var stream = index.Open();
            using var document = JsonDocument.Parse(stream);
            if (!document.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new DiagnosisInputException(index.Name, "the shard index has no weight_map object");
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in map.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String) throw new DiagnosisInputException(index.Name, $"weight_map entry '{entry.Name}' is not a file name");
                result[entry.Name] = entry.Value.GetString()!;
            }
            return result;
        }
        catch (JsonException e)
        {
            throw new DiagnosisInputException(index.Name, $"the shard index is not valid JSON ({e.Message.Split('\n')[0].Trim()})");
        }
    }

    void ReadFile(DiagnosisInput input)
    {
        try
        {
            var name = input.FileName;
            if (name.EndsWith(".index.json", StringComparison.Ordinal)) return;
            if (name.EndsWith(".safetensors", StringComparison.Ordinal))
            {
                var (tensors, failures) = SafetensorsReader.Read(input);
                Tensors.AddRange(tensors);
                Failures.AddRange(failures);
            }
            else if (name.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)) Tensors.Add(ReadNpy(input));
            else ReadPyTorchOrTorchSharp(input);
        }
        catch (DiagnosisInputException e)
        {
            Failures.AddRange(e.Failures);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or NpyFormatException)
        {
            var problem = e is EndOfStreamException ? "truncated: the file ends early" : e.Message.Split('\n', 2)[0].Trim();
            Failures.Add(new DiagnosisFailure(input.Name, null, problem));
        }
    }

    /// <summary>A .npy weight, named by its file name as `tempbalance analyze` always did; validated now, read again when analysed.</summary>
    static StoredTensor ReadNpy(DiagnosisInput input)
    {
        NpyArray array;
        using (var stream = input.Open()) array = NpyReader.Read(stream);
        var dtype = array.Dtype == "float32" ? StoredDType.Float32 : StoredDType.Float64;
        return new StoredTensor(input.Name, Path.GetFileNameWithoutExtension(input.FileName), array.Shape, dtype, array.Dtype, () =>
        {
            using var stream = input.Open();
            return NpyReader.Read(stream).ToTensor();
        });
    }

    void ReadPyTorchOrTorchSharp(DiagnosisInput input)
    {
        var start = new byte[4];
        int read;
        using (var stream = input.Open()) read = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        if (read == 0) throw new DiagnosisInputException(input.Name, "the file is empty");
        if (TorchZipReader.LooksLikeZip(start.AsSpan(0, read)))
        {
            Tensors.AddRange(TorchZipReader.Read(input));
            return;
        }
        if (start[0] == 0x80)
            throw new DiagnosisInputException(input.Name, "a pickle without a zip archive: the legacy torch.save format (PyTorch before 1.6) is not supported; re-save it with a current PyTorch");
        // This project's checkpoint.bin or a TorchSharp module.save() state dict: read whole, named without ".weight" as before.
        IReadOnlyList<(string Name, Tensor Weight)> weights;
        using (var stream = input.Open()) weights = WeightFiles.ReadStateDictWeights(stream);
        foreach (var (name, weight) in weights)
        {
            var dtype = weight.dtype switch
            {
                ScalarType.Float64 => StoredDType.Float64,
                ScalarType.Float16 => StoredDType.Float16,
                ScalarType.BFloat16 => StoredDType.BFloat16,
                _ => StoredDType.Float32,
            };
            var values = dtype == StoredDType.Float64 ? weight : weight.to(float32);
            Tensors.Add(new StoredTensor(input.Name, name, weight.shape, dtype, dtype.TorchName(), () => values.alias()));
        }
    }
}
