using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace TempBalance.Core.Spectral;

/// <summary>A weight read from a .npy file, widened to float64, C order.</summary>
public sealed record NpyArray(long[] Shape, double[] Data, string Dtype)
{
    /// <summary>The array as a float64 tensor, or with <paramref name="storedPrecision"/> in the file's own precision (float32 stays float32).</summary>
    public TorchSharp.torch.Tensor ToTensor(bool storedPrecision = false)
    {
        var tensor = TorchSharp.torch.tensor(Data, Shape, TorchSharp.torch.float64);
        return storedPrecision && Dtype == "float32" ? tensor.to(TorchSharp.torch.float32) : tensor;
    }
}

/// <summary>A .npy file that cannot be analysed; the message says what is wrong and what to do.</summary>
public sealed class NpyFormatException(string message) : Exception(message);

/// <summary>
/// Reads NumPy .npy files (format versions 1-3) holding a float32 or float64 2-D Linear weight [out, in] or
/// 4-D Conv2d weight [out, in, kh, kw] in C order. Anything else is rejected with a one-line reason.
/// </summary>
public static partial class NpyReader
{
    static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public static NpyArray Read(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream);
    }

    public static NpyArray Read(Stream stream)
    {
        Span<byte> prefix = stackalloc byte[8];
        if (ReadFully(stream, prefix) < 8) throw new NpyFormatException("truncated header: the file is shorter than the 8-byte .npy preamble");
        if (!prefix[..6].SequenceEqual(Magic)) throw new NpyFormatException("not a .npy file (the magic string \\x93NUMPY is missing)");
        int major = prefix[6];
        int lengthBytes = major switch
        {
            1 => 2,
            2 or 3 => 4,
            _ => throw new NpyFormatException($"unsupported .npy format version {major}.{prefix[7]} (1.0 to 3.0 are supported)"),
        };
        Span<byte> lengthField = stackalloc byte[4];
        if (ReadFully(stream, lengthField[..lengthBytes]) < lengthBytes) throw new NpyFormatException("truncated header: the header length is missing");
        long headerLength = lengthBytes == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(lengthField) : BinaryPrimitives.ReadUInt32LittleEndian(lengthField);
        if (headerLength > 1 << 20) throw new NpyFormatException($"implausible header length {headerLength} bytes; the file is corrupt");
        var headerBytes = new byte[headerLength];
        if (ReadFully(stream, headerBytes) < headerLength) throw new NpyFormatException($"truncated header: {headerLength} header bytes announced, fewer present");
        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);

        var (dtype, fortranOrder, shape) = ParseHeader(header);
        if (fortranOrder) throw new NpyFormatException("Fortran-order array; save a C-order array (np.ascontiguousarray) instead");
        int itemSize = dtype switch
        {
            "<f4" or ">f4" => 4,
            "<f8" or ">f8" => 8,
            _ => throw new NpyFormatException($"dtype '{dtype}' is not supported; save the weight as float32 or float64"),
        };
        string shapeText = $"({string.Join(", ", shape)}{(shape.Length == 1 ? "," : "")})";
        if (shape.Length is not (2 or 4))
            throw new NpyFormatException($"{shape.Length}-D array of shape {shapeText}; expected a 2-D Linear weight [out, in] or a 4-D Conv2d weight [out, in, kh, kw]");
        if (shape.Any(d => d == 0)) throw new NpyFormatException($"empty array of shape {shapeText}");

        long count = shape.Aggregate(1L, (a, b) => checked(a * b));
        if (count > int.MaxValue / itemSize) throw new NpyFormatException($"array of shape {shapeText} is too large to analyse");
        var body = new byte[count * itemSize];
        int read = ReadFully(stream, body);
        if (read < body.Length) throw new NpyFormatException($"truncated data: shape {shapeText} needs {body.Length} bytes, the file has {read}");

        var data = new double[count];
        bool bigEndian = dtype[0] == '>';
        for (long k = 0; k < count; k++)
        {
            var bytes = body.AsSpan((int)(k * itemSize), itemSize);
            data[k] = itemSize == 4
                ? bigEndian ? BinaryPrimitives.ReadSingleBigEndian(bytes) : BinaryPrimitives.ReadSingleLittleEndian(bytes)
                : bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(bytes) : BinaryPrimitives.ReadDoubleLittleEndian(bytes);
            if (!double.IsFinite(data[k]))
                throw new NpyFormatException($"entry {k} is {(double.IsNaN(data[k]) ? "NaN" : "infinite")}; the weight must be finite");
        }
        return new NpyArray(shape, data, itemSize == 4 ? "float32" : "float64");
    }

    /// <summary>Writes a float64 or float32 array as .npy version 1.0 (used for exports and tests).</summary>
    public static void Write(string path, long[] shape, ReadOnlySpan<double> data, bool asFloat32 = false)
    {
        var shapeText = $"({string.Join(", ", shape)}{(shape.Length == 1 ? "," : "")})";
        var dict = $"{{'descr': '{(asFloat32 ? "<f4" : "<f8")}', 'fortran_order': False, 'shape': {shapeText}, }}";
        int total = 10 + dict.Length + 1;
        int padded = (total + 63) / 64 * 64;
        var header = dict + new string(' ', padded - total) + "\n";
        using var stream = File.Create(path);
        using var writer = new BinaryWriter(stream);
        writer.Write(Magic);
        writer.Write((byte)1);
        writer.Write((byte)0);
        writer.Write((ushort)header.Length);
        writer.Write(Encoding.Latin1.GetBytes(header));
        foreach (var x in data)
        {
            if (asFloat32) writer.Write((float)x);
            else writer.Write(x);
        }
    }

    static (string Dtype, bool FortranOrder, long[] Shape) ParseHeader(string header)
    {
        var descr = DescrPattern().Match(header);
        var fortran = FortranPattern().Match(header);
        var shape = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shape.Success)
            throw new NpyFormatException("malformed header: 'descr', 'fortran_order' or 'shape' is missing (truncated or not written by numpy)");
        var dims = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var parsed = new long[dims.Length];
        for (int k = 0; k < dims.Length; k++)
        {
            var text = dims[k].TrimEnd('L');
            if (!long.TryParse(text, out parsed[k]) || parsed[k] < 0) throw new NpyFormatException($"malformed shape '({shape.Groups[1].Value})' in the header");
        }
        return (descr.Groups[1].Value, fortran.Groups[1].Value == "True", parsed);
    }

    static int ReadFully(Stream stream, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
