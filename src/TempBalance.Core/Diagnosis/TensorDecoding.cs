using System.Buffers;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace TempBalance.Core.Diagnosis;

/// <summary>Turns stored little-endian tensor bytes into a CPU tensor (float32, or float64 when stored so).</summary>
internal static class TensorDecoding
{
    /// <summary>
    /// Reads <paramref name="count"/> elements from the stream's position and views them with the given
    /// shape and strides (null: C order). Half and bfloat16 values are widened to float32 exactly.
    /// </summary>
    public static Tensor Read(Stream stream, StoredDType dtype, long count, long[] shape, long[]? strides)
    {
        // The files are little-endian; reading them straight into float arrays needs a little-endian host.
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("reading weights needs a little-endian machine");
        if (!dtype.IsAnalysable()) throw new InvalidDataException($"dtype {dtype.TorchName()} is not a floating-point weight");
        long bytes = count * (dtype == StoredDType.Float64 ? 8 : 4);
        if (bytes > int.MaxValue) throw new InvalidDataException($"the tensor needs {bytes} bytes in memory; tensors over 2 GB are not supported");
        // Read straight into the tensor's memory: no managed copy of the weights, whose size is the model's.
        var flat = empty([count], dtype == StoredDType.Float64 ? float64 : float32);
        var target = flat.bytes;
        if (dtype is StoredDType.Float32 or StoredDType.Float64) ReadExactly(stream, target);
        else Widen(stream, dtype, MemoryMarshal.Cast<byte, float>(target));
        if (strides is null || IsContiguous(shape, strides)) return flat.reshape(shape);
        using (flat) return flat.as_strided(shape, strides).contiguous();
    }

    /// <summary>float16 or bfloat16 from the stream into float32 values, through a small buffer.</summary>
    static void Widen(Stream stream, StoredDType dtype, Span<float> values)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            int done = 0;
            while (done < values.Length)
            {
                int n = Math.Min(values.Length - done, buffer.Length / 2);
                ReadExactly(stream, buffer.AsSpan(0, 2 * n));
                var halves = MemoryMarshal.Cast<byte, ushort>(buffer.AsSpan(0, 2 * n));
                for (int k = 0; k < n; k++)
                    values[done + k] = dtype == StoredDType.Float16 ? (float)BitConverter.UInt16BitsToHalf(halves[k]) : BitConverter.Int32BitsToSingle(halves[k] << 16);
                done += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static bool IsContiguous(long[] shape, long[] strides)
    {
        long expected = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            if (shape[d] != 1 && strides[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }

    /// <summary>Elements of the storage a strided view spans from its first element: 1 + sum (size - 1) * stride (0 for an empty view).</summary>
    public static long Extent(long[] shape, long[] strides)
    {
        if (shape.Any(d => d == 0)) return 0;
        long extent = 1;
        for (int d = 0; d < shape.Length; d++) extent += (shape[d] - 1) * strides[d];
        return extent;
    }

    static void ReadExactly(Stream stream, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer[total..]);
            if (n == 0) throw new EndOfStreamException($"truncated: {buffer.Length} bytes of tensor data expected, {total} present");
            total += n;
        }
    }

    /// <summary>Moves a stream forward by reading when it cannot seek (zip entries).</summary>
    public static void Skip(Stream stream, long bytes)
    {
        if (bytes == 0) return;
        if (stream.CanSeek)
        {
            stream.Seek(bytes, SeekOrigin.Current);
            return;
        }
        var buffer = new byte[Math.Min(bytes, 1 << 16)];
        while (bytes > 0)
        {
            int n = stream.Read(buffer, 0, (int)Math.Min(bytes, buffer.Length));
            if (n == 0) throw new EndOfStreamException("truncated: the tensor data ends early");
            bytes -= n;
        }
    }
}
