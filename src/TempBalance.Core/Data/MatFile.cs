using System.Buffers.Binary;
using System.IO.Compression;

namespace TempBalance.Core.Data;

/// <summary>One numeric array of a MAT file: its dimensions (column-major, as MATLAB keeps them) and its values.</summary>
public sealed class MatArray(string name, int[] dimensions, MatFile.ElementType storage, byte[] data)
{
    public string Name { get; } = name;
    public int[] Dimensions { get; } = dimensions;
    public long Count => Dimensions.Aggregate(1L, (a, d) => a * d);

    /// <summary>The values as bytes; only arrays stored as uint8 (images) can be read this way without loss.</summary>
    public byte[] ToBytes() => storage == MatFile.ElementType.UInt8
        ? data
        : throw new InvalidDataException($"MAT array '{Name}' is stored as {storage}, not uint8.");

    public double[] ToDoubles()
    {
        int size = MatFile.SizeOf(storage);
        var values = new double[data.Length / size];
        var span = data.AsSpan();
        for (int i = 0; i < values.Length; i++)
        {
            var v = span.Slice(i * size, size);
            values[i] = storage switch
            {
                MatFile.ElementType.Int8 => (sbyte)v[0],
                MatFile.ElementType.UInt8 => v[0],
                MatFile.ElementType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(v),
                MatFile.ElementType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(v),
                MatFile.ElementType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(v),
                MatFile.ElementType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(v),
                MatFile.ElementType.Single => BinaryPrimitives.ReadSingleLittleEndian(v),
                MatFile.ElementType.Double => BinaryPrimitives.ReadDoubleLittleEndian(v),
                MatFile.ElementType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(v),
                MatFile.ElementType.UInt64 => BinaryPrimitives.ReadUInt64LittleEndian(v),
                _ => throw new InvalidDataException($"MAT array '{Name}': {storage} is not numeric."),
            };
        }
        return values;
    }
}

/// <summary>
/// A reader for the numeric arrays of little-endian MATLAB level-5 MAT files (what MATLAB's save -v6/-v7
/// and Octave's save -mat7-binary write): a 128-byte header, then data elements, each a tag (type, size)
/// and data padded to 8 bytes, or a 4-byte "small element" packed into its tag. -v7 files wrap each
/// variable in a zlib-compressed element. Structs, cells, strings, sparse and complex arrays are skipped.
/// </summary>
public static class MatFile
{
    public enum ElementType
    {
        Int8 = 1, UInt8 = 2, Int16 = 3, UInt16 = 4, Int32 = 5, UInt32 = 6, Single = 7, Double = 9,
        Int64 = 12, UInt64 = 13, Matrix = 14, Compressed = 15, Utf8 = 16, Utf16 = 17, Utf32 = 18,
    }

    const int HeaderBytes = 128;
    const int ComplexFlag = 0x0800;

    // MATLAB array classes 6..15 are the numeric ones (double, single, int8 .. uint64).
    static bool IsNumericClass(int arrayClass) => arrayClass is >= 6 and <= 15;

    public static int SizeOf(ElementType type) => type switch
    {
        ElementType.Int8 or ElementType.UInt8 or ElementType.Utf8 => 1,
        ElementType.Int16 or ElementType.UInt16 or ElementType.Utf16 => 2,
        ElementType.Int32 or ElementType.UInt32 or ElementType.Single or ElementType.Utf32 => 4,
        ElementType.Double or ElementType.Int64 or ElementType.UInt64 => 8,
        _ => throw new InvalidDataException($"MAT element type {type} has no element size."),
    };

    public static IReadOnlyDictionary<string, MatArray> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < HeaderBytes)
            throw new InvalidDataException($"{path} is too short to be a MAT file.");
        if (bytes[126] == 'M' && bytes[127] == 'I')
            throw new InvalidDataException($"{path} is a big-endian MAT file; re-save it on a little-endian machine.");
        if (bytes[126] != 'I' || bytes[127] != 'M')
            throw new InvalidDataException($"{path} is not a MATLAB level-5 MAT file (save it with -v6 or -v7, not -v7.3 or -v4).");

        var arrays = new Dictionary<string, MatArray>();
        int position = HeaderBytes;
        while (position + 8 <= bytes.Length)
        {
            var (type, size, dataStart, next) = ReadTag(bytes, position, path);
            var element = bytes.AsSpan(dataStart, size);
            if (type == ElementType.Compressed)
            {
                var inner = Inflate(element);
                var (innerType, innerSize, innerStart, _) = ReadTag(inner, 0, path);
                if (innerType == ElementType.Matrix && ReadMatrix(inner.AsSpan(innerStart, innerSize), path) is { } array)
                    arrays[array.Name] = array;
            }
            else if (type == ElementType.Matrix && ReadMatrix(element, path) is { } array)
            {
                arrays[array.Name] = array;
            }
            // Compressed elements are not padded; everything else already is.
            position = type == ElementType.Compressed ? dataStart + size : next;
        }
        return arrays;
    }

    static (ElementType Type, int Size, int DataStart, int Next) ReadTag(ReadOnlySpan<byte> bytes, int position, string path)
    {
        if (position + 8 > bytes.Length) throw new InvalidDataException($"{path}: truncated MAT data element.");
        uint first = BinaryPrimitives.ReadUInt32LittleEndian(bytes[position..]);
        if (first >> 16 != 0)
        {
            // Small data element: size in the upper half-word, data in the tag's second word.
            return ((ElementType)(first & 0xffff), (int)(first >> 16), position + 4, position + 8);
        }
        int size = BinaryPrimitives.ReadInt32LittleEndian(bytes[(position + 4)..]);
        int start = position + 8;
        if (size < 0 || start + size > bytes.Length)
            throw new InvalidDataException($"{path}: a MAT data element claims {size} bytes, more than the file holds.");
        return ((ElementType)first, size, start, start + (size + 7) / 8 * 8);
    }

    static MatArray? ReadMatrix(ReadOnlySpan<byte> matrix, string path)
    {
        if (matrix.Length == 0) return null;
        var (_, _, flagsStart, next) = ReadTag(matrix, 0, path);
        int flags = BinaryPrimitives.ReadInt32LittleEndian(matrix[flagsStart..]);
        int arrayClass = flags & 0xff;

        var (_, dimsSize, dimsStart, afterDims) = ReadTag(matrix, next, path);
        var dims = new int[dimsSize / 4];
        for (int i = 0; i < dims.Length; i++) dims[i] = BinaryPrimitives.ReadInt32LittleEndian(matrix[(dimsStart + 4 * i)..]);

        var (_, nameSize, nameStart, afterName) = ReadTag(matrix, afterDims, path);
        string name = System.Text.Encoding.ASCII.GetString(matrix.Slice(nameStart, nameSize));

        if (!IsNumericClass(arrayClass) || (flags & ComplexFlag) != 0) return null;
        var (storage, realSize, realStart, _) = ReadTag(matrix, afterName, path);
        var array = new MatArray(name, dims, storage, matrix.Slice(realStart, realSize).ToArray());
        long expected = array.Count * SizeOf(storage);
        if (realSize != expected)
            throw new InvalidDataException($"{path}: array '{name}' of size [{string.Join("x", dims)}] holds {realSize} bytes, expected {expected}.");
        return array;
    }

    static byte[] Inflate(ReadOnlySpan<byte> compressed)
    {
        using var input = new MemoryStream(compressed.ToArray());
        using var zlib = new ZLibStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        zlib.CopyTo(output);
        return output.ToArray();
    }
}
