using System.Buffers.Binary;
using System.IO.Compression;

namespace TempBalance.Core.Data;

/// <summary>
/// The IDX format of MNIST and Fashion-MNIST: magic 0x00 0x00 type ndim, ndim big-endian int32 sizes,
/// then the data. Only unsigned bytes (type 0x08) occur in these datasets. Gzipped files are read as is.
/// </summary>
public static class IdxFile
{
    const byte UnsignedByte = 0x08;

    public static (int[] Shape, byte[] Data) Read(string path)
    {
        using var file = File.OpenRead(path);
        bool gzipped = file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
        file.Position = 0;
        using Stream stream = gzipped ? new GZipStream(file, CompressionMode.Decompress) : file;

        Span<byte> magic = stackalloc byte[4];
        if (stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) < 4 || magic[0] != 0 || magic[1] != 0)
            throw new InvalidDataException($"{path} is not an IDX file (bad magic number).");
        if (magic[2] != UnsignedByte)
            throw new InvalidDataException($"{path}: IDX element type 0x{magic[2]:x2} is not supported; only unsigned bytes (0x08) are.");
        int rank = magic[3];
        var sizes = new byte[4 * rank];
        if (stream.ReadAtLeast(sizes, sizes.Length, throwOnEndOfStream: false) < sizes.Length)
            throw new InvalidDataException($"{path}: truncated IDX header.");
        var shape = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            shape[i] = BinaryPrimitives.ReadInt32BigEndian(sizes.AsSpan(4 * i));
            count *= shape[i];
        }
        if (shape.Any(d => d < 0) || count > Array.MaxLength)
            throw new InvalidDataException($"{path}: header promises an impossible shape [{string.Join(", ", shape)}].");
        // One buffer of exactly the promised size: growing a stream to 47 MB and copying it out allocated four
        // times that per load, and those large-object allocations forced full garbage collections that stall
        // every thread (two sweep workers most of all).
        var data = new byte[count];
        int read = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        int extra = read == data.Length ? stream.Read(stackalloc byte[1]) : 0;
        if (read != count || extra != 0)
            throw new InvalidDataException($"{path}: header promises {count} values of shape [{string.Join(", ", shape)}] but the file holds {(extra != 0 ? "more than that" : read.ToString(System.Globalization.CultureInfo.InvariantCulture))}.");
        return (shape, data);
    }

    public static void Write(string path, int[] shape, byte[] data, bool gzip)
    {
        using var file = File.Create(path);
        using Stream stream = gzip ? new GZipStream(file, CompressionLevel.Fastest) : file;
        stream.Write([0, 0, UnsignedByte, (byte)shape.Length]);
        Span<byte> size = stackalloc byte[4];
        foreach (var dim in shape)
        {
            BinaryPrimitives.WriteInt32BigEndian(size, dim);
            stream.Write(size);
        }
        stream.Write(data);
    }
}
