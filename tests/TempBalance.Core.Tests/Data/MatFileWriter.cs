using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace TempBalance.Core.Tests.Data;

/// <summary>
/// Writes MAT level-5 files the way MATLAB/Octave do, for reader tests: a 128-byte header, then per
/// variable an miMATRIX element (array flags, dimensions, name as a small element when it fits, real
/// part), optionally wrapped in a zlib miCOMPRESSED element (save -v7).
/// </summary>
static class MatFileWriter
{
    public sealed record Variable(string Name, int[] Dimensions, byte ArrayClass, int StorageType, byte[] Data);

    public const byte DoubleClass = 6, UInt8Class = 9;
    public const int MiInt8 = 1, MiUInt8 = 2, MiInt32 = 5, MiUInt32 = 6, MiDouble = 9, MiMatrix = 14, MiCompressed = 15;

    public static void Write(string path, IEnumerable<(Variable Variable, bool Compressed)> variables)
    {
        using var file = File.Create(path);
        var header = new byte[128];
        Encoding.ASCII.GetBytes("MATLAB 5.0 MAT-file, written by TempBalance tests".PadRight(116)).CopyTo(header, 0);
        header[124] = 0x00; header[125] = 0x01; // version 0x0100
        header[126] = (byte)'I'; header[127] = (byte)'M';
        file.Write(header);
        foreach (var (variable, compressed) in variables)
        {
            var matrix = Element(MiMatrix, MatrixBody(variable));
            if (compressed)
            {
                using var packed = new MemoryStream();
                using (var zlib = new ZLibStream(packed, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(matrix);
                var body = packed.ToArray();
                file.Write(Tag(MiCompressed, body.Length));
                file.Write(body); // compressed elements are not padded
            }
            else
            {
                file.Write(matrix);
            }
        }
    }

    static byte[] MatrixBody(Variable v)
    {
        using var body = new MemoryStream();
        var flags = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(flags, v.ArrayClass);
        body.Write(Element(MiUInt32, flags));
        var dims = new byte[4 * v.Dimensions.Length];
        for (int i = 0; i < v.Dimensions.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(dims.AsSpan(4 * i), v.Dimensions[i]);
        body.Write(Element(MiInt32, dims));
        body.Write(Element(MiInt8, Encoding.ASCII.GetBytes(v.Name)));
        body.Write(Element(v.StorageType, v.Data));
        return body.ToArray();
    }

    /// <summary>A data element: the small format for 1..4 bytes, else tag + data padded to 8 bytes.</summary>
    static byte[] Element(int type, byte[] data)
    {
        if (data.Length is > 0 and <= 4)
        {
            var small = new byte[8];
            BinaryPrimitives.WriteUInt32LittleEndian(small, (uint)(data.Length << 16 | type));
            data.CopyTo(small, 4);
            return small;
        }
        var element = new byte[8 + (data.Length + 7) / 8 * 8];
        Tag(type, data.Length).CopyTo(element, 0);
        data.CopyTo(element, 8);
        return element;
    }

    static byte[] Tag(int type, int size)
    {
        var tag = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(tag, type);
        BinaryPrimitives.WriteInt32LittleEndian(tag.AsSpan(4), size);
        return tag;
    }
}
