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
        var bytes = ReadMaybeGzipped(path);
        if (bytes.Length < 4 || bytes[0] != 0 || bytes[1] != 0)
            throw new InvalidDataException($"{path} is not an IDX file (bad magic number).");
        if (bytes[2] != UnsignedByte)
            throw new InvalidDataException($"{path}: IDX element type 0x{bytes[2]:x2} is not supported; only unsigned bytes (0x08) are.");
        int rank = bytes[3];
        int header = 4 + 4 * rank;
        if (bytes.Length < header) throw new InvalidDataException($"{path}: truncated IDX header.");
        var shape = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            shape[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            count *= shape[i];
        }
        if (bytes.Length - header != count)
            throw new InvalidDataException($"{path}: header promises {count} values of shape [{string.Join(", ", shape)}] but the file holds {bytes.Length - header}.");
        return (shape, bytes[header..]);
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

    static byte[] ReadMaybeGzipped(string path)
    {
        using var file = File.OpenRead(path);
        bool gzipped = file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
        file.Position = 0;
        using var buffer = new MemoryStream();
        if (gzipped)
        {
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            gzip.CopyTo(buffer);
        }
        else
        {
            file.CopyTo(buffer);
        }
        return buffer.ToArray();
    }
}
