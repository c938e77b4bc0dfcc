using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace TempBalance.Core.Diagnosis;

/// <summary>
/// Reads safetensors files: an 8-byte little-endian header length N, N bytes of JSON (per tensor: dtype,
/// shape, data_offsets [begin, end) into the data that follows; optional __metadata__ of strings), then the
/// raw little-endian tensor data. Tensors are read lazily.
/// </summary>
internal static class SafetensorsReader
{
    /// <summary>The format's own limit on the header size.</summary>
    const long MaxHeaderBytes = 100_000_000;

    static readonly Dictionary<string, StoredDType> DTypes = new()
    {
        ["F64"] = StoredDType.Float64,
        ["F32"] = StoredDType.Float32,
        ["F16"] = StoredDType.Float16,
        ["BF16"] = StoredDType.BFloat16,
        ["I64"] = StoredDType.Int64,
        ["I32"] = StoredDType.Int32,
        ["I16"] = StoredDType.Int16,
        ["I8"] = StoredDType.Int8,
        ["U8"] = StoredDType.UInt8,
        ["BOOL"] = StoredDType.Bool,
    };

    /// <summary>Types the format defines that are not analysed (listed as skipped, not as errors).</summary>
    static readonly HashSet<string> OtherKnownDTypes = ["U16", "U32", "U64", "C64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4"];

    /// <summary>
    /// The tensors of one file. Problems of the whole file (too short, a header length beyond the file, a header
    /// that is not JSON, data offsets past the end) throw <see cref="DiagnosisInputException"/>; problems of one
    /// tensor (an unknown dtype, a size that disagrees with its shape) are returned as failures.
    /// </summary>
    public static (List<StoredTensor> Tensors, List<DiagnosisFailure> Failures) Read(DiagnosisInput input)
    {
        long fileLength;
        byte[] headerBytes;
        using (var stream = input.Open())
        {
            fileLength = stream.Length;
            Span<byte> lengthField = stackalloc byte[8];
            if (fileLength < 8)
                throw new DiagnosisInputException(input.Name, $"truncated: {fileLength} bytes, shorter than the 8-byte safetensors header length");
            stream.ReadExactly(lengthField);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthField);
            if (headerLength < 2 || headerLength > MaxHeaderBytes || (long)headerLength > fileLength - 8)
                throw new DiagnosisInputException(input.Name, $"wrong safetensors header length {headerLength}: the file has {fileLength - 8} bytes after the length field (corrupt, or not a safetensors file)");
            headerBytes = new byte[headerLength];
            stream.ReadExactly(headerBytes);
        }
        long dataStart = 8 + headerBytes.Length, dataLength = fileLength - dataStart;

        JsonDocument header;
        try
        {
            header = JsonDocument.Parse(headerBytes);
        }
        catch (JsonException e)
        {
            throw new DiagnosisInputException(input.Name, $"the safetensors header is not valid JSON ({FirstLine(e.Message)})");
        }
        using (header)
        {
            if (header.RootElement.ValueKind != JsonValueKind.Object)
                throw new DiagnosisInputException(input.Name, "the safetensors header is not a JSON object");
            var tensors = new List<StoredTensor>();
            var failures = new List<DiagnosisFailure>();
            foreach (var property in header.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__") continue;
                var name = property.Name;
                if (!TryParseEntry(property.Value, out var dtypeName, out var shape, out var begin, out var end, out var problem))
                {
                    failures.Add(new DiagnosisFailure(input.Name, name, problem));
                    continue;
                }
                if (end > dataLength)
                    throw new DiagnosisInputException(input.Name, $"truncated: tensor '{name}' ends at byte {end} of the data, the file holds {dataLength} data bytes");
                StoredDType dtype;
                if (DTypes.TryGetValue(dtypeName, out var known)) dtype = known;
                else if (OtherKnownDTypes.Contains(dtypeName)) dtype = StoredDType.Other;
                else
                {
                    failures.Add(new DiagnosisFailure(input.Name, name, $"unknown dtype '{dtypeName}'"));
                    continue;
                }
                long count = shape.Aggregate(1L, (a, b) => a * b);
                if (dtype != StoredDType.Other && count * dtype.ItemSize() != end - begin)
                {
                    failures.Add(new DiagnosisFailure(input.Name, name, $"data_offsets span {end - begin} bytes, but shape [{string.Join(", ", shape)}] of {dtypeName} needs {count * dtype.ItemSize()}"));
                    continue;
                }
                long offset = dataStart + begin;
                tensors.Add(new StoredTensor(input.Name, name, shape, dtype, dtypeName, () =>
                {
                    using var s = input.Open();
                    s.Seek(offset, SeekOrigin.Begin);
                    return TensorDecoding.Read(s, dtype, count, shape, null);
                }));
            }
            return (tensors, failures);
        }
    }

    static bool TryParseEntry(JsonElement entry, out string dtype, out long[] shape, out long begin, out long end, out string problem)
    {
        dtype = "";
        shape = [];
        begin = end = 0;
        problem = "";
        if (entry.ValueKind != JsonValueKind.Object) return Fail("the header entry is not an object", out problem);
        if (!entry.TryGetProperty("dtype", out var d) || d.ValueKind != JsonValueKind.String) return Fail("no dtype", out problem);
        dtype = d.GetString()!;
        if (!entry.TryGetProperty("shape", out var s) || s.ValueKind != JsonValueKind.Array) return Fail("no shape", out problem);
        var dims = new List<long>();
        foreach (var dim in s.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var v) || v < 0) return Fail("shape is not a list of non-negative integers", out problem);
            dims.Add(v);
        }
        shape = [.. dims];
        if (!entry.TryGetProperty("data_offsets", out var o) || o.ValueKind != JsonValueKind.Array || o.GetArrayLength() != 2
            || !o[0].TryGetInt64(out begin) || !o[1].TryGetInt64(out end) || begin < 0 || end < begin)
            return Fail("data_offsets is not [begin, end] with 0 <= begin <= end", out problem);
        return true;
    }

    static bool Fail(string message, out string problem)
    {
        problem = message;
        return false;
    }

    static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();
}

/// <summary>A tensor to write with <see cref="SafetensorsWriter"/>: its data is written by <see cref="WriteData"/> (exactly the bytes its dtype and shape need).</summary>
public sealed record SafetensorsTensor(string Name, StoredDType DType, long[] Shape, Action<Stream> WriteData)
{
    /// <summary>A float32 tensor from values in C order.</summary>
    public static SafetensorsTensor Float32(string name, long[] shape, float[] values) =>
        new(name, StoredDType.Float32, shape, s => s.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan())));
}

/// <summary>Writes safetensors files (little-endian data, header padded with spaces to a multiple of 8 bytes).</summary>
public static class SafetensorsWriter
{
    public static void Write(string path, IReadOnlyList<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var file = File.Create(path);
        Write(file, tensors, metadata);
    }

    public static void Write(Stream output, IReadOnlyList<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            if (metadata is not null)
            {
                writer.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata) writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in tensors)
            {
                long bytes = t.Shape.Aggregate(1L, (a, b) => a * b) * t.DType.ItemSize();
                writer.WriteStartObject(t.Name);
                writer.WriteString("dtype", SafetensorsName(t.DType));
                writer.WriteStartArray("shape");
                foreach (var d in t.Shape) writer.WriteNumberValue(d);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset + bytes);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset += bytes;
            }
            writer.WriteEndObject();
        }
        int padding = (int)((8 - json.Length % 8) % 8);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)(json.Length + padding));
        output.Write(length);
        json.Position = 0;
        json.CopyTo(output);
        output.Write(Encoding.ASCII.GetBytes(new string(' ', padding)));
        foreach (var t in tensors)
        {
            long expected = t.Shape.Aggregate(1L, (a, b) => a * b) * t.DType.ItemSize();
            long before = output.CanSeek ? output.Position : -1;
            t.WriteData(output);
            if (before >= 0 && output.Position - before != expected)
                throw new InvalidOperationException($"tensor '{t.Name}' wrote {output.Position - before} bytes; its dtype and shape need {expected}");
        }
    }

    static string SafetensorsName(StoredDType dtype) => dtype switch
    {
        StoredDType.Float64 => "F64",
        StoredDType.Float32 => "F32",
        StoredDType.Float16 => "F16",
        StoredDType.BFloat16 => "BF16",
        StoredDType.Int64 => "I64",
        StoredDType.Int32 => "I32",
        StoredDType.Int16 => "I16",
        StoredDType.Int8 => "I8",
        StoredDType.UInt8 => "U8",
        StoredDType.Bool => "BOOL",
        _ => throw new ArgumentException($"{dtype} cannot be written to safetensors", nameof(dtype)),
    };
}
