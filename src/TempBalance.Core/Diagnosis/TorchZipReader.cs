using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace TempBalance.Core.Diagnosis;

/// <summary>
/// Reads PyTorch state dicts saved by torch.save (the zip format of PyTorch 1.6 and later: ARCHIVE/data.pkl,
/// the storages as ARCHIVE/data/KEY, optionally ARCHIVE/byteorder). The pickle is read by
/// <see cref="RestrictedUnpickler"/>, which refuses anything but state-dict data; tensor values are read
/// lazily from the storages.
/// </summary>
/// <remarks>
/// Why not TorchSharp.PyBridge: its unpickler (Razorvine.Pickle) turns unknown globals into placeholder
/// objects instead of refusing them, so a pickle naming os.system would load silently; the requirement is a
/// clear refusal, and the handful of opcodes state dicts use is a small interpreter we control entirely.
/// </remarks>
internal static class TorchZipReader
{
    const int MaxPickleBytes = 256 << 20;

    /// <summary>True when the stream starts like a zip archive (PK\x03\x04).</summary>
    public static bool LooksLikeZip(ReadOnlySpan<byte> start) => start.Length >= 4 && start[0] == 'P' && start[1] == 'K' && start[2] == 3 && start[3] == 4;

    public static IReadOnlyList<StoredTensor> Read(DiagnosisInput input)
    {
        using var stream = input.Open();
        using var archive = OpenArchive(input, stream);
        var pickleEntry = archive.Entries.FirstOrDefault(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1)
            ?? throw new DiagnosisInputException(input.Name, "a zip archive without ARCHIVE/data.pkl: not a file written by torch.save");
        var prefix = pickleEntry.FullName[..^"data.pkl".Length];
        var byteOrder = archive.GetEntry(prefix + "byteorder");
        if (byteOrder is not null)
        {
            var order = ReadAll(input, byteOrder, 16);
            if (Encoding.ASCII.GetString(order).Trim() != "little")
                throw new DiagnosisInputException(input.Name, $"byte order '{Encoding.ASCII.GetString(order).Trim()}' is not supported (only little-endian checkpoints are)");
        }
        if (pickleEntry.Length > MaxPickleBytes) throw new DiagnosisInputException(input.Name, $"data.pkl is {pickleEntry.Length} bytes, implausibly large for a state dict");

        object? root;
        try
        {
            root = RestrictedUnpickler.Load(ReadAll(input, pickleEntry, MaxPickleBytes));
        }
        catch (PickleException e)
        {
            throw new DiagnosisInputException(input.Name, e.Message);
        }

        var tensors = new List<StoredTensor>();
        foreach (var (name, reference) in StateDict.Tensors(root, input.Name))
        {
            var entryName = $"{prefix}data/{reference.Storage.Key}";
            var entry = archive.GetEntry(entryName) ?? throw new DiagnosisInputException(input.Name, $"storage '{entryName}' of tensor '{name}' is missing from the archive");
            int itemSize = reference.Storage.DType.ItemSize();
            long extent = TensorDecoding.Extent(reference.Shape, reference.Strides);
            if ((reference.Offset + extent) * itemSize > entry.Length)
                throw new DiagnosisInputException(input.Name, $"tensor '{name}' reaches past the end of its storage '{entryName}' ({entry.Length} bytes): truncated or corrupt");
            var captured = reference;
            tensors.Add(new StoredTensor(input.Name, name, reference.Shape, reference.Storage.DType, reference.Storage.DTypeName, () =>
            {
                using var s = input.Open();
                using var a = new ZipArchive(s, ZipArchiveMode.Read);
                using var data = a.GetEntry(entryName)!.Open();
                TensorDecoding.Skip(data, captured.Offset * itemSize);
                return TensorDecoding.Read(data, captured.Storage.DType, extent, captured.Shape, captured.Strides);
            }));
        }
        return tensors;
    }

    static ZipArchive OpenArchive(DiagnosisInput input, Stream stream)
    {
        try
        {
            return new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new DiagnosisInputException(input.Name, $"truncated or corrupt zip archive ({e.Message.TrimEnd('.')})");
        }
    }

    static byte[] ReadAll(DiagnosisInput input, ZipArchiveEntry entry, int limit)
    {
        try
        {
            using var s = entry.Open();
            using var copy = new MemoryStream();
            s.CopyTo(copy);
            if (copy.Length > limit) throw new DiagnosisInputException(input.Name, $"{entry.FullName} is larger than {limit} bytes");
            return copy.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new DiagnosisInputException(input.Name, $"corrupt archive entry {entry.FullName} ({e.Message.TrimEnd('.')})");
        }
    }
}

/// <summary>Finds the tensors of an unpickled checkpoint and names them.</summary>
internal static class StateDict
{
    /// <summary>Keys under which training scripts commonly nest the model's state dict next to other state.</summary>
    static readonly string[] ModelKeys = ["state_dict", "model_state_dict", "model", "module"];

    /// <summary>
    /// The tensors of a state dict, named by their keys. Nested dicts and lists are flattened with dotted
    /// names; when the top level holds no tensor itself but one of <see cref="ModelKeys"/> holds a dict of
    /// them (a training checkpoint with optimizer state beside the model), only that dict is read.
    /// </summary>
    public static IEnumerable<(string Name, TensorRef Tensor)> Tensors(object? root, string source)
    {
        if (root is not PyDict dict) throw new DiagnosisInputException(source, $"the pickle holds {Describe(root)}, not a state dict");
        if (!dict.Items.Any(kv => kv.Value is TensorRef))
        {
            foreach (var key in ModelKeys)
            {
                var nested = dict.Items.FirstOrDefault(kv => Equals(kv.Key, key)).Value;
                if (nested is PyDict inner && inner.Items.Any(kv => kv.Value is TensorRef)) return Flatten(inner, "");
            }
        }
        return Flatten(dict, "");
    }

    static IEnumerable<(string, TensorRef)> Flatten(object? value, string prefix)
    {
        switch (value)
        {
            case TensorRef tensor:
                yield return (prefix, tensor);
                break;
            case PyDict dict:
                foreach (var (key, item) in dict.Items)
                    foreach (var entry in Flatten(item, Join(prefix, Convert.ToString(key, CultureInfo.InvariantCulture) ?? "")))
                        yield return entry;
                break;
            case List<object?> list:
                for (int k = 0; k < list.Count; k++)
                    foreach (var entry in Flatten(list[k], Join(prefix, k.ToString(CultureInfo.InvariantCulture))))
                        yield return entry;
                break;
            case object?[] tuple:
                for (int k = 0; k < tuple.Length; k++)
                    foreach (var entry in Flatten(tuple[k], Join(prefix, k.ToString(CultureInfo.InvariantCulture))))
                        yield return entry;
                break;
        }
    }

    static string Join(string prefix, string key) => prefix.Length == 0 ? key : $"{prefix}.{key}";

    static string Describe(object? value) => value switch
    {
        null => "None",
        List<object?> => "a list",
        object?[] => "a tuple",
        TensorRef => "a single tensor",
        _ => $"a {value.GetType().Name}",
    };
}
