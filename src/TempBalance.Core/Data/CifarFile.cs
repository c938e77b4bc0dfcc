namespace TempBalance.Core.Data;

/// <summary>
/// The CIFAR "binary version": fixed-size records of label byte(s) and 3072 pixel bytes (1024 red, 1024
/// green, 1024 blue, row-major 32x32). CIFAR-10 has one label byte; CIFAR-100 has a coarse and a fine
/// label byte, and the fine label is the class.
/// </summary>
public static class CifarFile
{
    public const int PixelBytes = 3 * 32 * 32;

    public static (byte[] Pixels, long[] Labels) Read(IEnumerable<string> paths, int labelBytes)
    {
        int record = labelBytes + PixelBytes;
        var pixels = new MemoryStream();
        var labels = new List<long>();
        foreach (var path in paths)
        {
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length == 0 || bytes.Length % record != 0)
                throw new InvalidDataException($"{path}: {bytes.Length} bytes is not a whole number of {record}-byte CIFAR records; is it the binary version of the right dataset?");
            for (int offset = 0; offset < bytes.Length; offset += record)
            {
                labels.Add(bytes[offset + labelBytes - 1]);
                pixels.Write(bytes, offset + labelBytes, PixelBytes);
            }
        }
        return (pixels.ToArray(), labels.ToArray());
    }

    public static void Write(string path, byte[] pixels, byte[] labels, int labelBytes)
    {
        using var file = File.Create(path);
        for (int i = 0; i < labels.Length; i++)
        {
            for (int j = 0; j < labelBytes; j++) file.WriteByte(j == labelBytes - 1 ? labels[i] : (byte)0);
            file.Write(pixels, i * PixelBytes, PixelBytes);
        }
    }
}
